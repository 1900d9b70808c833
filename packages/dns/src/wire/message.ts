/**
 * The RFC 1035 §4 message codec, with EDNS(0) (RFC 6891).
 *
 * `decodeMessage()` reads peer input and never throws: anything malformed comes back as
 * `{ ok: false, error: DnsWireError }`. Its defences: every read is bounds-checked against the
 * message; a compression pointer must point strictly before the label sequence it appears in, so
 * pointer chains always end (RFC 1035 §4.1.4 only ever points to a "prior occurrence"); names are
 * capped at 255 octets; RDATA must fill exactly its RDLENGTH; record counts are bounded by the
 * bytes actually present (each record takes at least 11 octets), so a forged count cannot make
 * the decoder loop or allocate. `encodeMessage()` reads caller input and throws `UsageError` for
 * values that do not fit the wire format; it compresses names where RFC 3597 §4 allows it.
 */

import { UsageError } from '@mailwire/core';
import { DnsWireError, type DnsWireErrorReason } from '../errors.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../ip.js';
import { formatName, type Labels, MAX_NAME_WIRE_LENGTH, parseName } from './name.js';
import {
  CLASS_IN,
  type DnsFlags,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  type Edns,
  RecordType,
  type RecordTypeName,
  recordTypeCode,
} from './types.js';

/** DNS messages are at most 65535 octets (the TCP length prefix, RFC 1035 §4.2.2). */
export const MAX_MESSAGE_LENGTH = 65535;
/** Longest chain of compression pointers followed inside one name. */
const MAX_POINTERS = 127;

export type DecodeResult =
  | { readonly ok: true; readonly message: DnsMessage }
  | { readonly ok: false; readonly error: DnsWireError };

class Malformed {
  constructor(
    readonly reason: DnsWireErrorReason,
    readonly message: string,
    readonly offset: number,
  ) {}
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  need(count: number): void {
    if (this.pos + count > this.bytes.length) {
      throw new Malformed('truncated', 'message ends early', this.bytes.length);
    }
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const value = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return value;
  }
  u32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }
  take(count: number): Uint8Array {
    this.need(count);
    const out = this.bytes.slice(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  /** RFC 1035 §4.1.4 names with compression; see the file comment for the loop defence. */
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let segmentStart = pos;
    let end = -1;
    let pointers = 0;
    let wire = 1;
    for (;;) {
      if (pos >= this.bytes.length) throw new Malformed('truncated', 'name runs past the message', pos);
      const length = this.bytes[pos]!;
      const kind = length & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= this.bytes.length) throw new Malformed('truncated', 'pointer cut short', pos);
        const target = ((length & 0x3f) << 8) | this.bytes[pos + 1]!;
        if (end === -1) end = pos + 2;
        if (target >= segmentStart || ++pointers > MAX_POINTERS) {
          throw new Malformed('bad-pointer', `compression pointer to ${target} does not point back`, pos);
        }
        pos = segmentStart = target;
        continue;
      }
      if (kind !== 0) throw new Malformed('bad-label', `label type 0x${kind.toString(16)}`, pos);
      if (length === 0) {
        if (end === -1) end = pos + 1;
        break;
      }
      wire += length + 1;
      if (wire > MAX_NAME_WIRE_LENGTH) throw new Malformed('name-too-long', 'name over 255 octets', pos);
      if (pos + 1 + length > this.bytes.length) throw new Malformed('truncated', 'label cut short', pos);
      labels.push(String.fromCharCode(...this.bytes.subarray(pos + 1, pos + 1 + length)));
      pos += 1 + length;
    }
    this.pos = end;
    return formatName(labels);
  }
}

/**
 * Decodes a DNS message (query or response). Never throws.
 *
 * @example
 * const result = decodeMessage(datagram);
 * if (result.ok) console.log(result.message.rcode, result.message.answers);
 */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  try {
    return { ok: true, message: decode(new Reader(bytes)) };
  } catch (error) {
    if (error instanceof Malformed) {
      return { ok: false, error: new DnsWireError(error.reason, error.message, error.offset) };
    }
    throw error;
  }
}

function decode(r: Reader): DnsMessage {
  const id = r.u16();
  const bits = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  // A question takes at least 5 octets and a record at least 11: bound the counts by the bytes left.
  const left = r.bytes.length - r.pos;
  if (counts[0] * 5 + (counts[1] + counts[2] + counts[3]) * 11 > left) {
    throw new Malformed('truncated', 'section counts exceed the message', 4);
  }
  const flags: DnsFlags = {
    qr: (bits & 0x8000) !== 0,
    opcode: (bits >> 11) & 0xf,
    aa: (bits & 0x0400) !== 0,
    tc: (bits & 0x0200) !== 0,
    rd: (bits & 0x0100) !== 0,
    ra: (bits & 0x0080) !== 0,
    ad: (bits & 0x0020) !== 0,
    cd: (bits & 0x0010) !== 0,
  };
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const name = r.name();
    questions.push({ name, type: r.u16(), class: r.u16() });
  }
  const sections: DnsRecord[][] = [[], [], []];
  let edns: Edns | undefined;
  let extendedRcode = 0;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const start = r.pos;
      const name = r.name();
      const type = r.u16();
      const rrclass = r.u16();
      const ttlField = r.u32();
      const length = r.u16();
      r.need(length);
      if (type === RecordType.OPT) {
        // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
        if (s !== 2 || edns !== undefined || name !== '.') {
          throw new Malformed('bad-opt', 'misplaced or repeated OPT record', start);
        }
        extendedRcode = ttlField >>> 24;
        edns = {
          udpSize: rrclass,
          version: (ttlField >>> 16) & 0xff,
          dnssecOk: (ttlField & 0x8000) !== 0,
          options: readOptions(r, r.pos + length),
        };
        continue;
      }
      // RFC 2181 §8: a TTL with the most significant bit set is read as zero.
      const ttl = ttlField > 0x7fffffff ? 0 : ttlField;
      sections[s]!.push(readRecord(r, name, type, rrclass, ttl, r.pos + length));
    }
  }
  const message: DnsMessage = {
    id,
    flags,
    rcode: (extendedRcode << 4) | (bits & 0xf),
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
  };
  return edns === undefined ? message : { ...message, edns };
}

function readOptions(r: Reader, end: number): Edns['options'] {
  const options: { code: number; data: Uint8Array }[] = [];
  while (r.pos < end) {
    if (r.pos + 4 > end) throw new Malformed('bad-rdata', 'EDNS option header cut short', r.pos);
    const code = r.u16();
    const length = r.u16();
    if (r.pos + length > end) throw new Malformed('bad-rdata', 'EDNS option overruns OPT', r.pos);
    options.push({ code, data: r.take(length) });
  }
  return options;
}

function readRecord(
  r: Reader,
  name: string,
  type: number,
  rrclass: number,
  ttl: number,
  end: number,
): DnsRecord {
  const start = r.pos;
  const base = { name, class: rrclass, ttl };
  let record: DnsRecord;
  const fixed = (size: number) => {
    if (end - start !== size)
      throw new Malformed('bad-rdata', `RDATA of ${end - start} octets, want ${size}`, start);
  };
  switch (type) {
    case RecordType.A:
      fixed(4);
      record = { ...base, type: 'A', address: formatIpv4(r.take(4)) };
      break;
    case RecordType.AAAA:
      fixed(16);
      record = { ...base, type: 'AAAA', address: formatIpv6(r.take(16)) };
      break;
    case RecordType.NS:
    case RecordType.CNAME:
    case RecordType.PTR: {
      const target = r.name();
      const kind = type === RecordType.NS ? 'NS' : type === RecordType.CNAME ? 'CNAME' : 'PTR';
      record = { ...base, type: kind, target };
      break;
    }
    case RecordType.MX: {
      const preference = r.u16();
      record = { ...base, type: 'MX', preference, exchange: r.name() };
      break;
    }
    case RecordType.TXT: {
      const strings: Uint8Array[] = [];
      while (r.pos < end) {
        const length = r.u8();
        if (r.pos + length > end) throw new Malformed('bad-rdata', 'TXT string overruns RDATA', r.pos);
        strings.push(r.take(length));
      }
      record = { ...base, type: 'TXT', strings };
      break;
    }
    case RecordType.SOA: {
      const mname = r.name();
      const rname = r.name();
      record = {
        ...base,
        type: 'SOA',
        mname,
        rname,
        serial: r.u32(),
        refresh: r.u32(),
        retry: r.u32(),
        expire: r.u32(),
        minimum: r.u32(),
      };
      break;
    }
    case RecordType.TLSA: {
      if (end - start < 3) throw new Malformed('bad-rdata', 'TLSA RDATA under 3 octets', start);
      const usage = r.u8();
      const selector = r.u8();
      const matchingType = r.u8();
      record = { ...base, type: 'TLSA', usage, selector, matchingType, data: r.take(end - r.pos) };
      break;
    }
    default:
      record = { ...base, type: 'unknown', code: type, data: r.take(end - start) };
  }
  if (r.pos !== end) throw new Malformed('bad-rdata', 'RDATA length does not match its content', start);
  return record;
}

class Writer {
  private buffer = new Uint8Array(512);
  length = 0;
  private readonly names = new Map<string, number>();

  private grow(count: number): void {
    if (this.length + count > MAX_MESSAGE_LENGTH) {
      throw new UsageError('ERR_DNS_INVALID_ARGUMENT', 'DNS message over 65535 octets');
    }
    if (this.length + count <= this.buffer.length) return;
    const next = new Uint8Array(
      Math.min(MAX_MESSAGE_LENGTH, Math.max(this.buffer.length * 2, this.length + count)),
    );
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
  u8(value: number): void {
    this.grow(1);
    this.buffer[this.length++] = value;
  }
  u16(value: number): void {
    this.grow(2);
    this.buffer[this.length++] = value >> 8;
    this.buffer[this.length++] = value & 0xff;
  }
  u32(value: number): void {
    this.u16(Math.floor(value / 0x10000));
    this.u16(value & 0xffff);
  }
  bytes(data: Uint8Array): void {
    this.grow(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }
  set16(at: number, value: number): void {
    this.buffer[at] = value >> 8;
    this.buffer[at + 1] = value & 0xff;
  }
  name(text: string, compress: boolean): void {
    const labels: Labels = parseName(text);
    for (let i = 0; i < labels.length; i++) {
      // Keyed by the exact octets, so compression never changes a name's case.
      const key = labels.slice(i).join('\u0100');
      const known = compress ? this.names.get(key) : undefined;
      if (known !== undefined) {
        this.u16(0xc000 | known);
        return;
      }
      if (this.length < 0x4000) this.names.set(key, this.length);
      const label = labels[i]!;
      this.u8(label.length);
      for (let j = 0; j < label.length; j++) this.u8(label.charCodeAt(j));
    }
    this.u8(0);
  }
  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function check(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new UsageError('ERR_DNS_INVALID_ARGUMENT', `${what} ${value} is not an integer in 0..${max}`);
  }
  return value;
}

/**
 * Encodes a DNS message. Throws `UsageError` when a field does not fit the wire format.
 *
 * @example
 * const bytes = encodeMessage({ id: 1, flags: { ...QUERY_FLAGS }, rcode: 0,
 *   questions: [{ name: 'example.com', type: RecordType.MX, class: 1 }],
 *   answers: [], authorities: [], additionals: [] });
 */
export function encodeMessage(message: DnsMessage): Uint8Array {
  const w = new Writer();
  const f = message.flags;
  const rcode = check(message.rcode, message.edns ? 0xfff : 0xf, 'rcode');
  w.u16(check(message.id, 0xffff, 'id'));
  w.u16(
    (f.qr ? 0x8000 : 0) |
      (check(f.opcode, 0xf, 'opcode') << 11) |
      (f.aa ? 0x0400 : 0) |
      (f.tc ? 0x0200 : 0) |
      (f.rd ? 0x0100 : 0) |
      (f.ra ? 0x0080 : 0) |
      (f.ad ? 0x0020 : 0) |
      (f.cd ? 0x0010 : 0) |
      (rcode & 0xf),
  );
  const counts = [
    message.questions.length,
    message.answers.length,
    message.authorities.length,
    message.additionals.length + (message.edns ? 1 : 0),
  ];
  for (const count of counts) w.u16(check(count, 0xffff, 'section count'));
  for (const q of message.questions) {
    w.name(q.name, true);
    w.u16(check(q.type, 0xffff, 'type'));
    w.u16(check(q.class, 0xffff, 'class'));
  }
  for (const section of [message.answers, message.authorities, message.additionals]) {
    for (const record of section) writeRecord(w, record);
  }
  if (message.edns) {
    const e = message.edns;
    w.u8(0);
    w.u16(RecordType.OPT);
    w.u16(check(e.udpSize, 0xffff, 'udpSize'));
    w.u8(rcode >> 4);
    w.u8(check(e.version, 0xff, 'EDNS version'));
    w.u16(e.dnssecOk ? 0x8000 : 0);
    const at = w.length;
    w.u16(0);
    for (const option of e.options) {
      w.u16(check(option.code, 0xffff, 'option code'));
      w.u16(check(option.data.length, 0xffff, 'option length'));
      w.bytes(option.data);
    }
    w.set16(at, w.length - at - 2);
  }
  return w.result();
}

function writeRecord(w: Writer, record: DnsRecord): void {
  w.name(record.name, true);
  const code = record.type === 'unknown' ? record.code : RecordType[record.type];
  if (code === RecordType.OPT) throw new UsageError('ERR_DNS_INVALID_ARGUMENT', 'pass OPT as `edns`');
  w.u16(check(code, 0xffff, 'type'));
  w.u16(check(record.class, 0xffff, 'class'));
  w.u32(check(record.ttl, 0xffffffff, 'ttl'));
  const at = w.length;
  w.u16(0);
  switch (record.type) {
    case 'A': {
      const bytes = parseIpv4(record.address);
      if (!bytes) throw new UsageError('ERR_DNS_INVALID_ARGUMENT', `not an IPv4 address: ${record.address}`);
      w.bytes(bytes);
      break;
    }
    case 'AAAA': {
      const bytes = parseIpv6(record.address);
      if (!bytes) throw new UsageError('ERR_DNS_INVALID_ARGUMENT', `not an IPv6 address: ${record.address}`);
      w.bytes(bytes);
      break;
    }
    case 'NS':
    case 'CNAME':
    case 'PTR':
      w.name(record.target, true);
      break;
    case 'MX':
      w.u16(check(record.preference, 0xffff, 'preference'));
      w.name(record.exchange, true);
      break;
    case 'TXT':
      for (const s of record.strings) {
        w.u8(check(s.length, 0xff, 'TXT string length'));
        w.bytes(s);
      }
      break;
    case 'SOA':
      w.name(record.mname, true);
      w.name(record.rname, true);
      for (const n of [record.serial, record.refresh, record.retry, record.expire, record.minimum]) {
        w.u32(check(n, 0xffffffff, 'SOA field'));
      }
      break;
    case 'TLSA':
      w.u8(check(record.usage, 0xff, 'TLSA usage'));
      w.u8(check(record.selector, 0xff, 'TLSA selector'));
      w.u8(check(record.matchingType, 0xff, 'TLSA matching type'));
      w.bytes(record.data);
      break;
    case 'unknown':
      w.bytes(record.data);
      break;
  }
  w.set16(at, check(w.length - at - 2, 0xffff, 'RDLENGTH'));
}

/** The flags of a recursive query: everything clear but RD. */
export const QUERY_FLAGS: DnsFlags = {
  qr: false,
  opcode: 0,
  aa: false,
  tc: false,
  rd: true,
  ra: false,
  ad: false,
  cd: false,
};

export interface QueryOptions {
  readonly id: number;
  readonly name: string;
  readonly type: RecordTypeName | number;
  /** Recursion desired; default true. */
  readonly recursionDesired?: boolean;
  /** Set AD in the query to ask for the AD bit in the answer (RFC 6840 §5.7); default true. */
  readonly authenticatedData?: boolean;
  /** Checking disabled (RFC 4035 §3.2.2); default false. */
  readonly checkingDisabled?: boolean;
  /**
   * EDNS(0) (RFC 6891): the UDP payload size we accept (default 1232, the DNS Flag Day 2020
   * value that avoids IP fragmentation) and the DO bit (default false). `false` sends no OPT.
   */
  readonly edns?: { readonly udpSize?: number; readonly dnssecOk?: boolean } | false;
}

/**
 * Encodes a query for one question, class IN.
 *
 * @example
 * const datagram = encodeQuery({ id: 0x1234, name: 'example.com', type: 'MX', edns: { dnssecOk: true } });
 */
export function encodeQuery(options: QueryOptions): Uint8Array {
  return encodeMessage(queryMessage(options));
}

export function queryMessage(options: QueryOptions): DnsMessage {
  const message: DnsMessage = {
    id: options.id,
    flags: {
      ...QUERY_FLAGS,
      rd: options.recursionDesired ?? true,
      // RFC 6840 §5.7: a stub that wants the AD bit sets it in the query.
      ad: options.authenticatedData ?? true,
      cd: options.checkingDisabled ?? false,
    },
    rcode: 0,
    questions: [{ name: options.name, type: recordTypeCode(options.type), class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };
  if (options.edns === false) return message;
  return {
    ...message,
    edns: {
      udpSize: options.edns?.udpSize ?? DEFAULT_UDP_SIZE,
      version: 0,
      dnssecOk: options.edns?.dnssecOk ?? false,
      options: [],
    },
  };
}

/** DNS Flag Day 2020: 1232 octets fits an IPv6 minimum-MTU packet without fragmentation. */
export const DEFAULT_UDP_SIZE = 1232;

/** Prefixes a message with its 2-octet length, for DNS over TCP (RFC 1035 §4.2.2, RFC 7766 §8). */
export function frameTcp(message: Uint8Array): Uint8Array {
  if (message.length > MAX_MESSAGE_LENGTH) {
    throw new UsageError('ERR_DNS_INVALID_ARGUMENT', 'DNS message over 65535 octets');
  }
  const out = new Uint8Array(message.length + 2);
  out[0] = message.length >> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}

/** Reassembles length-prefixed DNS messages from a TCP byte stream, any split. Memory ≤ 64 KiB + a chunk. */
export class TcpFramer {
  private buffer: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    const next = new Uint8Array(this.buffer.length + chunk.length);
    next.set(this.buffer);
    next.set(chunk, this.buffer.length);
    this.buffer = next;
  }

  /** The next complete message, or `undefined` until more bytes arrive. */
  next(): Uint8Array | undefined {
    if (this.buffer.length < 2) return undefined;
    const length = (this.buffer[0]! << 8) | this.buffer[1]!;
    if (this.buffer.length < 2 + length) return undefined;
    const message = this.buffer.slice(2, 2 + length);
    this.buffer = this.buffer.slice(2 + length);
    return message;
  }
}
