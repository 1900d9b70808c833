/** DNS message and record types (RFC 1035 §4, RFC 3596, RFC 6698, RFC 6891). */

/** The record types this package decodes into fields; any other type is kept raw (RFC 3597). */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  TLSA: 52,
} as const;

export type RecordTypeName = Exclude<keyof typeof RecordType, 'OPT'>;

/** Class IN (RFC 1035 §3.2.4). */
export const CLASS_IN = 1;

/** Response codes (RFC 1035 §4.1.1, RFC 6895 §2.3). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

export interface DnsQuestion {
  readonly name: string;
  /** A record type number (`RecordType.MX`…). */
  readonly type: number;
  readonly class: number;
}

export interface RecordBase {
  /** The owner name, as text without the trailing dot (case as received). */
  readonly name: string;
  readonly class: number;
  /** Seconds; values with the top bit set are read as 0 (RFC 2181 §8). */
  readonly ttl: number;
}

export type RecordData =
  | { readonly type: 'A'; readonly address: string }
  | { readonly type: 'AAAA'; readonly address: string }
  | { readonly type: 'NS'; readonly target: string }
  | { readonly type: 'CNAME'; readonly target: string }
  | { readonly type: 'PTR'; readonly target: string }
  | { readonly type: 'MX'; readonly preference: number; readonly exchange: string }
  /** Each <character-string> as raw octets (RFC 1035 §3.3.14). */
  | { readonly type: 'TXT'; readonly strings: readonly Uint8Array[] }
  | {
      readonly type: 'SOA';
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  | {
      readonly type: 'TLSA';
      readonly usage: number;
      readonly selector: number;
      readonly matchingType: number;
      readonly data: Uint8Array;
    }
  /** Any other type, RDATA kept as received (RFC 3597 §4). */
  | { readonly type: 'unknown'; readonly code: number; readonly data: Uint8Array };

export type DnsRecord = RecordBase & RecordData;

/** An EDNS(0) option (RFC 6891 §6.1.2). */
export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** The OPT pseudo-record, lifted out of the additional section (RFC 6891 §6.1). */
export interface Edns {
  /** Requestor's UDP payload size; values under 512 mean 512 (RFC 6891 §6.2.5). */
  readonly udpSize: number;
  readonly version: number;
  /** The DO bit: DNSSEC records wanted (RFC 3225). */
  readonly dnssecOk: boolean;
  readonly options: readonly EdnsOption[];
}

export interface DnsFlags {
  /** Response (1) or query (0). */
  readonly qr: boolean;
  readonly opcode: number;
  /** Authoritative answer. */
  readonly aa: boolean;
  /** Truncated: retry over TCP (RFC 1035 §4.2.1, RFC 7766). */
  readonly tc: boolean;
  /** Recursion desired. */
  readonly rd: boolean;
  /** Recursion available. */
  readonly ra: boolean;
  /** Authentic data: the resolver validated the answer with DNSSEC (RFC 4035 §3.2.3). */
  readonly ad: boolean;
  /** Checking disabled (RFC 4035 §3.2.2). */
  readonly cd: boolean;
}

export interface DnsMessage {
  readonly id: number;
  readonly flags: DnsFlags;
  /** The full response code: 4 header bits, plus 8 more from the OPT record when present. */
  readonly rcode: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  /** Without the OPT record, which is `edns`. */
  readonly additionals: readonly DnsRecord[];
  readonly edns?: Edns;
}

/** The number for a record type name, or the number given. */
export function recordTypeCode(type: RecordTypeName | number): number {
  return typeof type === 'number' ? type : RecordType[type];
}

/** The name of a record type number when this package knows it, else `TYPE<n>` (RFC 3597 §5). */
export function recordTypeName(code: number): string {
  for (const [name, value] of Object.entries(RecordType)) if (value === code) return name;
  return `TYPE${code}`;
}
