/**
 * The `Resolver` interface: what mail code needs from DNS, with the distinctions an MTA must
 * make and `node:dns` blurs.
 *
 * Every look-up resolves (never rejects, for anything the network or a peer does) to a
 * `LookupResult`: the records and their TTL, or one of three failures that call for different
 * actions —
 *
 * - `nxdomain`: the name does not exist (RCODE 3). Permanent for mail: bounce.
 * - `nodata`: the name exists but has no records of that type (NOERROR, empty answer;
 *   RFC 2308 §2.2). For MX this means "use the implicit MX" (RFC 5321 §5.1).
 * - `temporary`: SERVFAIL, REFUSED, a timeout, a malformed or unverifiable answer. Retry later.
 *
 * `negativeTtl` is how long a negative answer may be cached: min(SOA TTL, SOA MINIMUM) of the SOA
 * in the authority section (RFC 2308 §5); absent when the answer carried no SOA, in which case
 * it SHOULD NOT be cached (RFC 2308 §5).
 */

import { decodeUtf8, latin1 } from '@mailwire/core';
import type { DnsRecord } from './wire/types.js';

/** The look-ups a resolver offers. */
export type LookupType = 'MX' | 'A' | 'AAAA' | 'TXT' | 'TLSA';

export interface MxRecord {
  readonly preference: number;
  /** The exchange host, without the trailing dot; the root (a null MX, RFC 7505) is `.`. */
  readonly exchange: string;
}

export interface AddressRecord {
  /** Canonical text form: dotted quad, or RFC 5952 IPv6. */
  readonly address: string;
}

export interface TxtRecord {
  /**
   * The record's <character-string>s, each decoded as UTF-8 when valid, otherwise as Latin-1
   * (one character per octet, so nothing is lost).
   */
  readonly strings: readonly string[];
  /** The strings concatenated without separators, as SPF (RFC 7208 §3.3) and DKIM want. */
  readonly text: string;
}

/** A TLSA record (RFC 6698 §2.1). */
export interface TlsaRecord {
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
  readonly data: Uint8Array;
}

export interface RecordsByType {
  readonly MX: MxRecord;
  readonly A: AddressRecord;
  readonly AAAA: AddressRecord;
  readonly TXT: TxtRecord;
  readonly TLSA: TlsaRecord;
}

export type FailureKind = 'nxdomain' | 'nodata' | 'temporary';

/** Why a look-up failed temporarily, for logs. */
export type TemporaryReason =
  | 'servfail'
  | 'refused'
  | 'timeout'
  | 'formerr'
  | 'notimp'
  | 'rcode'
  | 'malformed'
  | 'network'
  | 'cname-chain'
  | 'lame'
  | 'unsupported';

export interface LookupSuccess<T> {
  readonly ok: true;
  readonly records: readonly T[];
  /** Seconds the answer may be cached: the smallest TTL of the RRset and the CNAMEs leading to it. */
  readonly ttl: number;
  /** The AD bit: the resolver validated the answer with DNSSEC (RFC 4035 §3.2.3). */
  readonly authenticated: boolean;
  /** The name the records are owned by, after any CNAMEs; when it differs from the query. */
  readonly canonicalName?: string;
}

export interface LookupNegative {
  readonly ok: false;
  readonly kind: 'nxdomain' | 'nodata';
  /** Seconds the negative answer may be cached (RFC 2308 §5); absent without an SOA. */
  readonly negativeTtl?: number;
  /** The AD bit: the non-existence was proven with DNSSEC. */
  readonly authenticated: boolean;
}

export interface LookupTemporary {
  readonly ok: false;
  readonly kind: 'temporary';
  readonly reason: TemporaryReason;
  readonly message?: string;
}

export type LookupFailure = LookupNegative | LookupTemporary;

export type LookupResult<T> = LookupSuccess<T> | LookupFailure;

/**
 * What mail code needs from DNS. Implementations: `createFakeResolver()` (tests),
 * `CachingResolver` (wraps any), and in `@mailwire/dns/node` `createStubResolver()` and
 * `createNodeDnsResolver()`. Names may be given with or without the trailing dot, in A-labels.
 */
export interface Resolver {
  mx(name: string): Promise<LookupResult<MxRecord>>;
  a(name: string): Promise<LookupResult<AddressRecord>>;
  aaaa(name: string): Promise<LookupResult<AddressRecord>>;
  txt(name: string): Promise<LookupResult<TxtRecord>>;
  /** TLSA at e.g. `_25._tcp.mx.example.com` (RFC 7672 §2.2). */
  tlsa(name: string): Promise<LookupResult<TlsaRecord>>;
}

/** Calls the method of `resolver` for `type`. */
export function lookup<K extends LookupType>(
  resolver: Resolver,
  type: K,
  name: string,
): Promise<LookupResult<RecordsByType[K]>> {
  switch (type) {
    case 'MX':
      return resolver.mx(name) as Promise<LookupResult<RecordsByType[K]>>;
    case 'A':
      return resolver.a(name) as Promise<LookupResult<RecordsByType[K]>>;
    case 'AAAA':
      return resolver.aaaa(name) as Promise<LookupResult<RecordsByType[K]>>;
    case 'TXT':
      return resolver.txt(name) as Promise<LookupResult<RecordsByType[K]>>;
    default:
      return resolver.tlsa(name) as Promise<LookupResult<RecordsByType[K]>>;
  }
}

/** Builds a `Resolver` from one generic look-up function. */
export function resolverFrom(
  query: <K extends LookupType>(type: K, name: string) => Promise<LookupResult<RecordsByType[K]>>,
): Resolver {
  return {
    mx: (name) => query('MX', name),
    a: (name) => query('A', name),
    aaaa: (name) => query('AAAA', name),
    txt: (name) => query('TXT', name),
    tlsa: (name) => query('TLSA', name),
  };
}

/** The typed record for a decoded wire record of the wanted type, or `undefined` for another type. */
export function toTypedRecord<K extends LookupType>(
  type: K,
  record: DnsRecord,
): RecordsByType[K] | undefined {
  let out: RecordsByType[LookupType] | undefined;
  if (record.type !== type) return undefined;
  switch (record.type) {
    case 'MX':
      out = { preference: record.preference, exchange: record.exchange };
      break;
    case 'A':
    case 'AAAA':
      out = { address: record.address };
      break;
    case 'TXT':
      out = txtRecord(record.strings);
      break;
    case 'TLSA':
      out = {
        usage: record.usage,
        selector: record.selector,
        matchingType: record.matchingType,
        data: record.data,
      };
      break;
  }
  return out as RecordsByType[K] | undefined;
}

/** A `TxtRecord` from raw <character-string>s. */
export function txtRecord(raw: readonly Uint8Array[]): TxtRecord {
  const strings = raw.map((bytes) => decodeUtf8(bytes) ?? latin1(bytes));
  return { strings, text: strings.join('') };
}
