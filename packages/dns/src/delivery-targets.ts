/**
 * Where to deliver mail for a domain: RFC 5321 §5.1, with null MX (RFC 7505) and IDNA.
 *
 * Step by step (docs/dns.md has the same list with the reasoning):
 *
 * 1. An address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`, RFC 5321 §4.1.3) is the target;
 *    no DNS is asked.
 * 2. The domain is converted to A-labels (RFC 5890/5891, through `domainToAscii` of core).
 * 3. MX look-up. A temporary failure stops here (retry later); NXDOMAIN is permanent
 *    (550 5.1.2). CNAMEs are followed by the resolver (RFC 5321 §5.1).
 * 4. A single MX whose exchange is the root `.` is a null MX: permanent, 556 5.1.10
 *    (RFC 7505 §3; reply code 556 from RFC 7504). A `.` among other MX records is not a null
 *    MX (RFC 7505 §3 forbids publishing both); it names no host and is dropped.
 * 5. NODATA for MX means an implicit MX: the domain itself, preference 0 (RFC 5321 §5.1).
 *    Implicit MX is used only when the domain exists and has no MX records.
 * 6. MX records are sorted by preference; equal preferences are shuffled with `random`
 *    (RFC 5321 §5.1: the sender "MUST randomize them"). With `localNames`, this host's own
 *    record and every record of equal or higher preference are dropped (RFC 5321 §5.1).
 * 7. An exchange that is an IP address in text (`10 192.0.2.1.`) is not a host name
 *    (RFC 5321 §5.1: the MX data field "MUST contain a domain name" that "MUST return at least
 *    one address record"); it is skipped
 *    unless `allowMxToIp` is set, in which case the address is used as is.
 * 8. Each host is expanded to its A and AAAA addresses (RFC 5321 §5.1 with RFC 3596), ordered
 *    by `family`; a CNAME at the host is followed (RFC 2181 §10.3 forbids it, but refusing it
 *    would only lose mail). Addresses already listed under an earlier host are not repeated.
 * 9. No usable host at all: a temporary failure if any look-up that could have given an
 *    address failed temporarily, else permanent (550 5.4.4, "unable to route").
 */

import { domainToAscii } from '@mailwire/core';
import { formatIpv4, formatIpv6, ipFamily, parseIpv4, parseIpv6 } from './ip.js';
import type { LookupResult, MxRecord, Resolver, AddressRecord } from './resolver.js';
import { canonicalName } from './wire/name.js';

export type FamilyPreference = 'ipv4-first' | 'ipv6-first' | 'ipv4-only' | 'ipv6-only';

export interface DeliveryTargetOptions {
  /** A number in [0, 1) for shuffling equal preferences; default `Math.random`. */
  readonly random?: () => number;
  /** Address families and their order; default `'ipv4-first'`. */
  readonly family?: FamilyPreference;
  /** The names this MTA answers to, for RFC 5321 §5.1's "discard MX records of equal or higher preference". */
  readonly localNames?: readonly string[];
  /** Use MX exchanges written as IP addresses instead of skipping them; default false. */
  readonly allowMxToIp?: boolean;
  /** Most MX hosts expanded (after sorting); default 16. Bounds the look-ups per domain. */
  readonly maxHosts?: number;
}

export interface DeliveryAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Why a host gave no address. */
export type HostError = 'nxdomain' | 'nodata' | 'temporary' | 'ip-target' | 'duplicate';

export interface DeliveryHost {
  /** The host name in A-labels (the domain itself for an implicit MX), or the address literal. */
  readonly name: string;
  /** The MX preference; 0 for an implicit MX and for an address literal. */
  readonly preference: number;
  /** Addresses to try in order; empty when `error` is set. */
  readonly addresses: readonly DeliveryAddress[];
  readonly error?: HostError;
  /** The AD bit of the address answers (all of them). */
  readonly authenticated: boolean;
}

export interface DeliveryReply {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

export type DeliveryFailureReason =
  /** Not a valid domain or address literal. */
  | 'invalid-domain'
  /** The domain does not exist (NXDOMAIN for MX, or for A/AAAA of an implicit MX). */
  | 'nxdomain'
  /** RFC 7505 null MX: the domain accepts no mail. */
  | 'null-mx'
  /** This MTA is the best MX for the domain: delivering would loop (RFC 5321 §5.1). */
  | 'mx-loop'
  /** No MX host (or the implicit MX) has an address, and no look-up failed temporarily. */
  | 'no-addresses'
  /** A look-up failed temporarily where it mattered: retry later. */
  | 'temporary';

export type DeliveryTargets =
  | {
      readonly ok: true;
      /** The domain in A-labels, or the address literal. */
      readonly domain: string;
      /** `mx`: from MX records; `implicit`: the domain's own addresses; `literal`: an address literal. */
      readonly source: 'mx' | 'implicit' | 'literal';
      /** Hosts with addresses, in the order to try them. */
      readonly hosts: readonly DeliveryHost[];
      /** Hosts that gave no address, with the reason (for logs). */
      readonly skipped: readonly DeliveryHost[];
      /** The AD bit of the MX answer (false for implicit MX and literals). */
      readonly authenticated: boolean;
    }
  | {
      readonly ok: false;
      /** True: bounce. False: retry later. */
      readonly permanent: boolean;
      readonly reason: DeliveryFailureReason;
      /** The SMTP reply to put in a bounce or delay notice. */
      readonly reply: DeliveryReply;
      readonly domain: string;
      readonly skipped: readonly DeliveryHost[];
    };

const DEFAULT_MAX_HOSTS = 16;

const REPLIES: Record<DeliveryFailureReason, DeliveryReply> = {
  'invalid-domain': { code: 550, enhanced: '5.1.2', text: 'Invalid destination domain' },
  nxdomain: { code: 550, enhanced: '5.1.2', text: 'Destination domain does not exist' },
  // RFC 7505 §3 with RFC 7504: 556 and 5.1.10 "Recipient address has null MX".
  'null-mx': { code: 556, enhanced: '5.1.10', text: 'Recipient address has null MX' },
  // RFC 3463 §3.5: X.4.6 routing loop detected.
  'mx-loop': { code: 550, enhanced: '5.4.6', text: 'Mail for the domain loops back to this host' },
  // RFC 3463 §3.5: X.4.4 unable to route.
  'no-addresses': { code: 550, enhanced: '5.4.4', text: 'No address found for any mail exchanger' },
  // RFC 3463 §3.5: X.4.3 directory server failure.
  temporary: { code: 451, enhanced: '4.4.3', text: 'Temporary DNS failure, will retry' },
};

function fail(
  reason: DeliveryFailureReason,
  domain: string,
  detail?: string,
  skipped: readonly DeliveryHost[] = [],
): DeliveryTargets {
  const reply = REPLIES[reason];
  return {
    ok: false,
    permanent: reason !== 'temporary',
    reason,
    reply: detail ? { ...reply, text: `${reply.text}: ${detail}` } : reply,
    domain,
    skipped,
  };
}

/** Parses `[192.0.2.1]` or `[IPv6:…]` (RFC 5321 §4.1.3); `null` when not a literal, `undefined` when invalid. */
function parseLiteral(domain: string): DeliveryAddress | null | undefined {
  if (!domain.startsWith('[')) return null;
  if (!domain.endsWith(']')) return undefined;
  const inner = domain.slice(1, -1);
  if (/^ipv6:/i.test(inner)) {
    const bytes = parseIpv6(inner.slice(5));
    return bytes ? { address: formatIpv6(bytes), family: 6 } : undefined;
  }
  const bytes = parseIpv4(inner);
  return bytes ? { address: formatIpv4(bytes), family: 4 } : undefined;
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const r = random();
    // A caller's source that returns NaN or a value outside [0, 1) must not break the order.
    const j = Number.isFinite(r) ? Math.min(i, Math.max(0, Math.floor(r * (i + 1)))) : 0;
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** RFC 5321 §5.1: sort by preference, randomise among equals. */
function orderMx(records: readonly MxRecord[], random: () => number): MxRecord[] {
  const byPreference = new Map<number, MxRecord[]>();
  for (const record of records) {
    const group = byPreference.get(record.preference) ?? [];
    group.push(record);
    byPreference.set(record.preference, group);
  }
  const out: MxRecord[] = [];
  for (const preference of [...byPreference.keys()].sort((a, b) => a - b)) {
    const group = byPreference.get(preference)!;
    shuffle(group, random);
    out.push(...group);
  }
  return out;
}

interface Expanded {
  readonly addresses: DeliveryAddress[];
  readonly error?: 'nxdomain' | 'nodata' | 'temporary';
  readonly authenticated: boolean;
}

async function expandHost(name: string, resolver: Resolver, family: FamilyPreference): Promise<Expanded> {
  const wantV4 = family !== 'ipv6-only';
  const wantV6 = family !== 'ipv4-only';
  const none = Promise.resolve(undefined);
  const [v4, v6] = await Promise.all([wantV4 ? resolver.a(name) : none, wantV6 ? resolver.aaaa(name) : none]);
  const results = [v4, v6].filter((r): r is LookupResult<AddressRecord> => r !== undefined);
  const list = (result: LookupResult<AddressRecord> | undefined, fam: 4 | 6): DeliveryAddress[] =>
    result?.ok ? result.records.map((r) => ({ address: r.address, family: fam })) : [];
  const four = list(v4, 4);
  const six = list(v6, 6);
  const addresses = family === 'ipv6-first' ? [...six, ...four] : [...four, ...six];
  const authenticated = results.every((r) => (r.ok || r.kind !== 'temporary' ? r.authenticated : false));
  if (addresses.length > 0) return { addresses, authenticated };
  if (results.some((r) => !r.ok && r.kind === 'temporary'))
    return { addresses, error: 'temporary', authenticated };
  if (results.some((r) => !r.ok && r.kind === 'nxdomain'))
    return { addresses, error: 'nxdomain', authenticated };
  return { addresses, error: 'nodata', authenticated };
}

/**
 * Resolves the hosts and addresses to deliver mail for `domain` to, in order (RFC 5321 §5.1).
 * Never rejects for DNS trouble: failures come back as `{ ok: false, permanent, reply }`.
 *
 * @example
 * const targets = await resolveDeliveryTargets('example.com', resolver, { family: 'ipv4-first' });
 * if (targets.ok) for (const host of targets.hosts) console.log(host.name, host.addresses);
 * else if (targets.permanent) bounce(targets.reply); // e.g. 556 5.1.10 for a null MX
 * else retryLater(targets.reply);
 */
export async function resolveDeliveryTargets(
  domain: string,
  resolver: Resolver,
  options: DeliveryTargetOptions = {},
): Promise<DeliveryTargets> {
  const family = options.family ?? 'ipv4-first';
  const random = options.random ?? Math.random;
  const maxHosts = Math.max(1, options.maxHosts ?? DEFAULT_MAX_HOSTS);

  const literal = parseLiteral(domain);
  if (literal === undefined) return fail('invalid-domain', domain, `bad address literal ${domain}`);
  if (literal !== null) {
    const host: DeliveryHost = { name: domain, preference: 0, addresses: [literal], authenticated: false };
    return { ok: true, domain, source: 'literal', hosts: [host], skipped: [], authenticated: false };
  }

  const stripped = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  const ascii = domainToAscii(stripped);
  if (!ascii.ok) return fail('invalid-domain', domain, ascii.error.message);
  const name = ascii.value;

  const mx = await resolver.mx(name);
  let candidates: { name: string; preference: number }[];
  let source: 'mx' | 'implicit';
  if (mx.ok && mx.records.length > 0) {
    // RFC 7505 §3: a null MX is the only MX record, with the root as exchange.
    if (mx.records.length === 1 && mx.records[0]!.exchange === '.') return fail('null-mx', name);
    let ordered = orderMx(
      mx.records.filter((r) => r.exchange !== '.' && r.exchange !== ''),
      random,
    );
    if (options.localNames && options.localNames.length > 0) {
      const local = new Set(options.localNames.map((n) => canonicalName(n.replace(/\.$/, '')) ?? n));
      const self = ordered.find((r) => local.has(canonicalName(r.exchange) ?? r.exchange));
      // RFC 5321 §5.1: discard our own record and all of equal or higher preference.
      if (self) ordered = ordered.filter((r) => r.preference < self.preference);
      if (ordered.length === 0) return fail('mx-loop', name);
    }
    candidates = ordered.map((r) => ({
      name: canonicalName(r.exchange) ?? r.exchange,
      preference: r.preference,
    }));
    source = 'mx';
  } else if (mx.ok || mx.kind === 'nodata') {
    // RFC 5321 §5.1: no MX records, the domain itself is the implicit MX with preference 0.
    candidates = [{ name, preference: 0 }];
    source = 'implicit';
  } else if (mx.kind === 'temporary') {
    return fail('temporary', name, `MX look-up: ${mx.reason}`);
  } else {
    return fail('nxdomain', name);
  }

  const limited = candidates.slice(0, maxHosts);
  const expanded = await Promise.all(
    limited.map(async (candidate): Promise<DeliveryHost> => {
      const ipFam = ipFamily(candidate.name);
      if (source === 'mx' && ipFam !== undefined) {
        if (!options.allowMxToIp) {
          return { ...candidate, addresses: [], error: 'ip-target', authenticated: false };
        }
        const address =
          ipFam === 4 ? formatIpv4(parseIpv4(candidate.name)!) : formatIpv6(parseIpv6(candidate.name)!);
        return { ...candidate, addresses: [{ address, family: ipFam }], authenticated: false };
      }
      const result = await expandHost(candidate.name, resolver, family);
      return result.error
        ? { ...candidate, addresses: [], error: result.error, authenticated: result.authenticated }
        : { ...candidate, addresses: result.addresses, authenticated: result.authenticated };
    }),
  );

  const hosts: DeliveryHost[] = [];
  const skipped: DeliveryHost[] = [];
  const seen = new Set<string>();
  for (const host of expanded) {
    // Also drops repeats inside one RRset (RFC 2181 §5 says there are none; a peer may differ).
    const fresh = host.addresses.filter((a) => !seen.has(a.address) && seen.add(a.address));
    if (fresh.length > 0)
      hosts.push(fresh.length === host.addresses.length ? host : { ...host, addresses: fresh });
    else if (host.error) skipped.push(host);
    else skipped.push({ ...host, addresses: [], error: 'duplicate' });
  }
  if (hosts.length > 0) {
    return { ok: true, domain: name, source, hosts, skipped, authenticated: mx.ok && mx.authenticated };
  }
  if (skipped.some((h) => h.error === 'temporary')) {
    return fail('temporary', name, 'address look-up failed', skipped);
  }
  if (source === 'implicit' && skipped[0]?.error === 'nxdomain')
    return fail('nxdomain', name, undefined, skipped);
  return fail('no-addresses', name, undefined, skipped);
}
