/**
 * An in-memory `Resolver` for tests: records per name and type, CNAMEs, forced failures, and a
 * log of the questions asked. Names are matched case-insensitively, with or without the
 * trailing dot. A name that is absent but has names below it (`b.example` when only
 * `a.b.example` is listed) exists as an empty non-terminal and answers NODATA (RFC 8020).
 */

import { UsageError } from '@mailwire/core';
import {
  type LookupResult,
  type LookupType,
  type MxRecord,
  type RecordsByType,
  type Resolver,
  resolverFrom,
  type TemporaryReason,
  type TlsaRecord,
  txtRecord,
} from './resolver.js';
import { ipFamily } from './ip.js';
import { canonicalName } from './wire/name.js';
import { utf8 } from '@mailwire/core';

/** A forced outcome: a negative answer, `'temporary'` (read as SERVFAIL), or a temporary reason. */
export type FakeFailure = 'nxdomain' | 'nodata' | 'temporary' | TemporaryReason;

export interface FakeZoneEntry {
  /** MX records, as objects or as `"10 mx.example.com"`; `"0 ."` is a null MX (RFC 7505). */
  readonly mx?: readonly (MxRecord | string)[];
  readonly a?: readonly string[];
  readonly aaaa?: readonly string[];
  /** TXT records: one string, or the record's <character-string>s. */
  readonly txt?: readonly (string | readonly string[])[];
  readonly tlsa?: readonly TlsaRecord[];
  /** This name is an alias: every look-up continues at the target (RFC 1034 §3.6.2). */
  readonly cname?: string;
  /** TTL of every record here, seconds; default 300. */
  readonly ttl?: number;
  /** Answers carry the AD bit. */
  readonly authenticated?: boolean;
  /** Fail every look-up of this name, or only those of some types. */
  readonly fail?: FakeFailure | { readonly [K in LookupType]?: FakeFailure };
}

export type FakeZone = { readonly [name: string]: FakeZoneEntry };

export interface FakeResolverOptions {
  /** The negative TTL reported with NXDOMAIN and NODATA (the zone's SOA minimum); default 300. */
  readonly negativeTtl?: number;
  /** Longest CNAME chain followed; default 8. */
  readonly maxCnameChain?: number;
}

export interface FakeResolver extends Resolver {
  /** Every question asked, in order. */
  readonly queries: { readonly type: LookupType; readonly name: string }[];
  /** Adds or replaces the entry of a name. */
  set(name: string, entry: FakeZoneEntry): void;
  delete(name: string): void;
}

const TEMPORARY: readonly string[] = [
  'servfail',
  'refused',
  'timeout',
  'formerr',
  'notimp',
  'rcode',
  'malformed',
  'network',
  'cname-chain',
  'lame',
  'unsupported',
];

function key(name: string): string {
  const canonical = canonicalName(name);
  if (canonical === undefined) throw new UsageError('ERR_DNS_INVALID_NAME', `invalid domain name "${name}"`);
  return canonical;
}

function parseMx(value: MxRecord | string): MxRecord {
  if (typeof value !== 'string') return value;
  const match = /^\s*(\d+)\s+(\S+)\s*$/.exec(value);
  if (!match) throw new UsageError('ERR_DNS_INVALID_ARGUMENT', `MX "${value}" is not "<preference> <host>"`);
  const exchange = match[2] === '.' ? '.' : match[2]!.replace(/\.$/, '');
  return { preference: Number(match[1]), exchange };
}

function records<K extends LookupType>(entry: FakeZoneEntry, type: K): RecordsByType[K][] {
  const out: RecordsByType[LookupType][] = [];
  switch (type) {
    case 'MX':
      for (const mx of entry.mx ?? []) out.push(parseMx(mx));
      break;
    case 'A':
    case 'AAAA':
      for (const address of (type === 'A' ? entry.a : entry.aaaa) ?? []) {
        if (ipFamily(address) !== (type === 'A' ? 4 : 6)) {
          throw new UsageError('ERR_DNS_INVALID_ARGUMENT', `${address} is not an ${type} address`);
        }
        out.push({ address });
      }
      break;
    case 'TXT':
      for (const txt of entry.txt ?? [])
        out.push(txtRecord((typeof txt === 'string' ? [txt] : txt).map(utf8)));
      break;
    case 'TLSA':
      for (const tlsa of entry.tlsa ?? []) out.push(tlsa);
      break;
  }
  return out as RecordsByType[K][];
}

function failure(kind: FakeFailure, negativeTtl: number): LookupResult<never> {
  if (kind === 'nxdomain' || kind === 'nodata') return { ok: false, kind, negativeTtl, authenticated: false };
  const reason = (kind === 'temporary' ? 'servfail' : kind) as TemporaryReason;
  if (!TEMPORARY.includes(reason))
    throw new UsageError('ERR_DNS_INVALID_ARGUMENT', `unknown failure "${kind}"`);
  return { ok: false, kind: 'temporary', reason, message: `forced ${reason}` };
}

/**
 * An in-memory resolver over a zone described as an object.
 *
 * @example
 * const resolver = createFakeResolver({
 *   'example.com': { mx: ['10 mx1.example.com', '20 mx2.example.com'] },
 *   'mx1.example.com': { a: ['192.0.2.1'], aaaa: ['2001:db8::1'] },
 *   'mx2.example.com': { fail: 'temporary' },
 * });
 * await resolver.mx('example.com'); // { ok: true, records: [...], ttl: 300, authenticated: false }
 */
export function createFakeResolver(zone: FakeZone = {}, options: FakeResolverOptions = {}): FakeResolver {
  const negativeTtl = options.negativeTtl ?? 300;
  const maxChain = options.maxCnameChain ?? 8;
  const entries = new Map<string, FakeZoneEntry>();
  for (const [name, entry] of Object.entries(zone)) entries.set(key(name), entry);
  const queries: { type: LookupType; name: string }[] = [];

  function exists(name: string): boolean {
    if (entries.has(name)) return true;
    for (const other of entries.keys()) if (other.endsWith(`.${name}`)) return true;
    return false;
  }

  function answer<K extends LookupType>(type: K, name: string): LookupResult<RecordsByType[K]> {
    let current = key(name);
    let ttl = Number.POSITIVE_INFINITY;
    let authenticated = true;
    for (let hops = 0; ; hops++) {
      const entry = entries.get(current);
      if (entry === undefined) return failure(exists(current) ? 'nodata' : 'nxdomain', negativeTtl);
      const fail = typeof entry.fail === 'string' ? entry.fail : entry.fail?.[type];
      if (fail !== undefined) return failure(fail, negativeTtl);
      ttl = Math.min(ttl, entry.ttl ?? 300);
      authenticated &&= entry.authenticated === true;
      if (entry.cname !== undefined) {
        if (hops >= maxChain) {
          return { ok: false, kind: 'temporary', reason: 'cname-chain', message: 'CNAME chain too long' };
        }
        current = key(entry.cname);
        continue;
      }
      const found = records(entry, type);
      if (found.length === 0) return { ok: false, kind: 'nodata', negativeTtl, authenticated };
      const result = { ok: true as const, records: found, ttl, authenticated };
      return current === key(name) ? result : { ...result, canonicalName: current };
    }
  }

  const resolver = resolverFrom(async (type, name) => {
    queries.push({ type, name });
    return answer(type, name);
  });
  return {
    ...resolver,
    queries,
    set(name, entry) {
      entries.set(key(name), entry);
    },
    delete(name) {
      entries.delete(key(name));
    },
  };
}
