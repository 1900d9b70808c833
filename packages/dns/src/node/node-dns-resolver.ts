/**
 * `createNodeDnsResolver()`: the `Resolver` interface over `node:dns/promises`, for when the
 * system resolver library is what you want (it honours /etc/hosts, nsswitch is not used).
 *
 * What `node:dns` cannot give, and what this resolver does instead:
 * - no TTL for MX, TXT and TLSA answers: they carry `fallbackTtl` (default 60 s);
 * - no SOA with negative answers: NXDOMAIN and NODATA carry no `negativeTtl`, so a
 *   `CachingResolver` does not cache them (RFC 2308 §5);
 * - no AD bit: `authenticated` is always false (so no DANE on top of it);
 * - no TLSA before Node 22.15 / 23.9: there `tlsa()` is a temporary failure, reason `unsupported`.
 * For all of those, use `createStubResolver()`.
 */

import { Resolver as NodeResolver } from 'node:dns/promises';
import type {
  AddressRecord,
  LookupResult,
  MxRecord,
  Resolver,
  TemporaryReason,
  TlsaRecord,
  TxtRecord,
} from '../resolver.js';

export interface NodeDnsResolverOptions {
  /** Servers for `setServers()` (`'192.0.2.53'`, `'127.0.0.1:5353'`); default the system's. */
  readonly servers?: readonly string[];
  /** Per try, milliseconds (`node:dns` `timeout`); default the library's. */
  readonly timeoutMs?: number;
  /** Tries per server (`node:dns` `tries`); default 4. */
  readonly tries?: number;
  /** The TTL reported where `node:dns` gives none (MX, TXT, TLSA), seconds; default 60. */
  readonly fallbackTtl?: number;
}

const CODES: Record<string, 'nxdomain' | 'nodata' | TemporaryReason> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ESERVFAIL: 'servfail',
  EREFUSED: 'refused',
  ETIMEOUT: 'timeout',
  EFORMERR: 'formerr',
  ENOTIMP: 'notimp',
  EBADRESP: 'malformed',
  ECONNREFUSED: 'network',
};

function failure(error: unknown): LookupResult<never> {
  const code = (error as { code?: unknown }).code;
  const mapped = typeof code === 'string' ? CODES[code] : undefined;
  if (mapped === 'nxdomain' || mapped === 'nodata') return { ok: false, kind: mapped, authenticated: false };
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, kind: 'temporary', reason: mapped ?? 'network', message };
}

async function attempt<T>(run: () => Promise<{ records: T[]; ttl: number }>): Promise<LookupResult<T>> {
  try {
    const { records, ttl } = await run();
    if (records.length === 0) return { ok: false, kind: 'nodata', authenticated: false };
    return { ok: true, records, ttl, authenticated: false };
  } catch (error) {
    return failure(error);
  }
}

interface NodeTlsa {
  certUsage: number;
  selector: number;
  match: number;
  data: ArrayBuffer;
}

/**
 * @example
 * const resolver = createNodeDnsResolver({ servers: ['127.0.0.1'] });
 * await resolver.a('example.com'); // { ok: true, records: [{ address }], ttl, authenticated: false }
 */
export function createNodeDnsResolver(options: NodeDnsResolverOptions = {}): Resolver {
  const resolver = new NodeResolver({
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    ...(options.tries === undefined ? {} : { tries: options.tries }),
  });
  if (options.servers) resolver.setServers([...options.servers]);
  const fallbackTtl = options.fallbackTtl ?? 60;
  const addresses = (list: { address: string; ttl: number }[]) => ({
    records: list.map(({ address }): AddressRecord => ({ address })),
    ttl: Math.min(...list.map((r) => r.ttl)),
  });
  return {
    a: (name) => attempt(async () => addresses(await resolver.resolve4(name, { ttl: true }))),
    aaaa: (name) => attempt(async () => addresses(await resolver.resolve6(name, { ttl: true }))),
    mx: (name) =>
      attempt(async () => ({
        records: (await resolver.resolveMx(name)).map(
          (r): MxRecord => ({ preference: r.priority, exchange: r.exchange === '' ? '.' : r.exchange }),
        ),
        ttl: fallbackTtl,
      })),
    txt: (name) =>
      attempt(async () => ({
        records: (await resolver.resolveTxt(name)).map(
          (strings): TxtRecord => ({ strings, text: strings.join('') }),
        ),
        ttl: fallbackTtl,
      })),
    tlsa: async (name) => {
      const resolveTlsa = (resolver as unknown as { resolveTlsa?: (n: string) => Promise<NodeTlsa[]> })
        .resolveTlsa;
      if (typeof resolveTlsa !== 'function') {
        return {
          ok: false,
          kind: 'temporary',
          reason: 'unsupported',
          message: 'node:dns has no resolveTlsa',
        };
      }
      return attempt(async () => ({
        records: (await resolveTlsa.call(resolver, name)).map(
          (r): TlsaRecord => ({
            usage: r.certUsage,
            selector: r.selector,
            matchingType: r.match,
            data: new Uint8Array(r.data),
          }),
        ),
        ttl: fallbackTtl,
      }));
    },
  };
}
