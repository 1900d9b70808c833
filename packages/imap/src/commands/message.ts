import { concatBytes, fromLatin1, utf8 } from '@mailwire/core';
import {
  type BodyStructure,
  bodyStructure,
  type Envelope,
  envelope,
  type MimeIndex,
  MimeIndexer,
  type MimeParam,
  type MimePart,
  parseAddressList,
  type RawEnvelope,
} from '@mailwire/mime';
import type { MailStore, MessageMeta } from '@mailwire/store';
import { decodeText } from '../codec/reader.js';
import type { NValue } from '../codec/response.js';
import type { ImapDateTime } from '../codec/types.js';

/** Message helpers shared by FETCH and SEARCH: MIME index, byte reads, ENVELOPE/BODYSTRUCTURE trees. */

export async function mimeIndexOf(
  store: MailStore,
  mailboxId: string,
  meta: MessageMeta,
): Promise<MimeIndex> {
  const cached = (meta.mimeIndex ?? (await store.getMimeIndex(meta.blobId))) as MimeIndex | undefined;
  if (cached !== undefined && cached !== null && (cached as MimeIndex).version === 1) return cached;
  // Not cached: one streaming pass over the blob, then cache it.
  const indexer = new MimeIndexer();
  for await (const chunk of await store.readMessage({ mailboxId, uid: meta.uid })) indexer.write(chunk);
  const index = indexer.end();
  await store.setMimeIndex(meta.blobId, index);
  return index;
}

export async function readBytes(
  store: MailStore,
  mailboxId: string,
  uid: number,
  start: number,
  end: number,
): Promise<Uint8Array> {
  if (end <= start) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  for await (const chunk of await store.readMessage({ mailboxId, uid }, { start, end })) parts.push(chunk);
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

const NON_ASCII = /[^\x00-\x7f]/;

/** A header value (binary string) as text: UTF-8 when valid, else latin1. */
function text(value: string | null): string | null {
  if (value === null) return null;
  // Plain ASCII (nearly every header) is its own text: no byte round trip.
  if (!NON_ASCII.test(value)) return value;
  return decodeText(fromLatin1(value));
}

function addresses(list: Envelope['from']): NValue {
  if (list === null || list.length === 0) return null;
  const items = list.map((a) => [text(a.name), text(a.adl), text(a.mailbox), text(a.host)]);
  return items.length === 1 ? items : [{ concat: items }];
}

export function envelopeValue(env: Envelope): NValue {
  return [
    text(env.date),
    text(env.subject),
    addresses(env.from),
    addresses(env.sender),
    addresses(env.replyTo),
    addresses(env.to),
    addresses(env.cc),
    addresses(env.bcc),
    text(env.inReplyTo),
    text(env.messageId),
  ];
}

function params(list: readonly MimeParam[] | null | undefined): NValue {
  if (list === null || list === undefined || list.length === 0) return null;
  const out: NValue[] = [];
  for (const [k, v] of list) out.push(text(k), text(v));
  return out;
}

function extension(body: {
  disposition?: { type: string; params: MimeParam[] | null } | null;
  language?: string[] | null;
  location?: string | null;
}): NValue[] {
  const d = body.disposition;
  return [
    d === null || d === undefined ? null : [text(d.type), params(d.params)],
    body.language === null || body.language === undefined ? null : body.language.map((l) => text(l)),
    text(body.location ?? null),
  ];
}

export function bodyValue(body: BodyStructure, extended: boolean): NValue {
  if ('parts' in body) {
    const parts = body.parts.map((p) => bodyValue(p, extended) as NValue[]);
    const out: NValue[] = [parts.length === 1 ? parts[0]! : { concat: parts }, text(body.subtype)];
    if (extended) out.push(params(body.params), ...extension(body));
    return out;
  }
  const out: NValue[] = [
    text(body.type),
    text(body.subtype),
    params(body.params),
    text(body.id),
    text(body.description),
    text(body.encoding),
    body.size,
  ];
  if (body.envelope !== undefined && body.body !== undefined) {
    out.push(envelopeValue(body.envelope), bodyValue(body.body, extended), body.lines ?? 0);
  } else if (body.lines !== undefined) out.push(body.lines);
  if (extended) out.push(text(body.md5 ?? null), ...extension(body));
  return out;
}

export function envelopeOf(index: MimeIndex): NValue {
  return envelopeValue(envelope(index));
}

export function bodyStructureOf(index: MimeIndex, extended: boolean): NValue {
  return bodyValue(bodyStructure(index, { extended }), extended);
}

/**
 * Wire bytes of values as `WireWriter('plain')` writes them in a response: NIL, numbers, quoted
 * strings for short printable ASCII, literals otherwise, lists. Written straight into one growing
 * buffer: FETCH ENVELOPE BODYSTRUCTURE over a mailbox larger than the store's index cache builds
 * these for every message, and the general writer (a string per value, then a copy to bytes) cost
 * as much as building the trees.
 */
class ByteOut {
  private buf = new Uint8Array(4096);
  private at = 0;

  get length(): number {
    return this.at;
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  /** A binary string (every char below 256), one octet per char. */
  binary(text: string): void {
    this.reserve(text.length);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
    this.at = at;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.at++] = b;
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /**
   * `"text"` when `text` is printable ASCII without `"` or backslash (true), else nothing is
   * written (false).
   */
  plainQuoted(text: string): boolean {
    this.reserve(text.length + 2);
    const buf = this.buf;
    const start = this.at;
    let at = start;
    buf[at++] = 0x22;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
      buf[at++] = c;
    }
    buf[at++] = 0x22;
    this.at = at;
    return true;
  }

  /** The bytes written since `from`, copied; the buffer is then rewound to `from`. */
  takeFrom(from: number): Uint8Array {
    const out = this.buf.slice(from, this.at);
    this.at = from;
    return out;
  }
}

const out = new ByteOut();

const NIL = [0x4e, 0x49, 0x4c];

function writeNil(): void {
  out.byte(NIL[0]!);
  out.byte(NIL[1]!);
  out.byte(NIL[2]!);
}

function writeWire(value: NValue): void {
  if (value === null) writeNil();
  else if (typeof value === 'number') out.binary(String(value));
  else if (typeof value === 'string') writeString(value);
  else if (Array.isArray(value)) writeList(value as readonly NValue[]);
  else {
    for (const item of (value as { readonly concat: readonly (readonly NValue[])[] }).concat) writeList(item);
  }
}

function writeList(items: readonly NValue[]): void {
  out.byte(0x28);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out.byte(0x20);
    writeWire(items[i]!);
  }
  out.byte(0x29);
}

/** Longest quoted string (`WireWriter`'s choice). */
const QUOTED_MAX = 1024;

function writeString(value: string): void {
  if (value.length <= QUOTED_MAX && out.plainQuoted(value)) return;
  const bytes = utf8(value);
  let quotable = bytes.length <= QUOTED_MAX;
  for (let i = 0; quotable && i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0 || b === 0x0d || b === 0x0a || b > 0x7f) quotable = false;
  }
  if (!quotable) {
    out.binary(`{${bytes.length}}\r\n`);
    out.bytes(bytes);
    return;
  }
  out.byte(0x22);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x22 || b === 0x5c) out.byte(0x5c);
    out.byte(b);
  }
  out.byte(0x22);
}

/**
 * Wire bytes of an address list header (ENVELOPE's from, to, …), by raw header value: the same
 * From and To come back in message after message, so each distinct value is parsed once while it
 * stays in this bounded memo. `null`: no address (the field then takes From's value or is NIL).
 */
const addressWire = new Map<string, Uint8Array | null>();
const ADDRESS_MEMO = 4096;

function addressListWire(raw: string | undefined): Uint8Array | null {
  if (raw === undefined) return null;
  let wire = addressWire.get(raw);
  if (wire === undefined) {
    const list = parseAddressList(raw);
    if (list.length === 0) wire = null;
    else {
      const from = out.length;
      writeWire(addresses(list));
      wire = out.takeFrom(from);
    }
    if (addressWire.size >= ADDRESS_MEMO) addressWire.clear();
    addressWire.set(raw, wire);
  }
  return wire;
}

function writeAddresses(wire: Uint8Array | null): void {
  if (wire === null) writeNil();
  else out.bytes(wire);
}

/** `envelopeValue(envelope(part))` as wire bytes, with the address lists memoised. */
function writeEnvelope(raw: RawEnvelope): void {
  const from = addressListWire(raw.from);
  // RFC 9051 §7.5.2: absent or empty Sender / Reply-To take the value of From.
  const sender = addressListWire(raw.sender) ?? from;
  const replyTo = addressListWire(raw.replyTo) ?? from;
  const to = addressListWire(raw.to);
  const cc = addressListWire(raw.cc);
  const bcc = addressListWire(raw.bcc);
  out.byte(0x28);
  writeWire(text(raw.date ?? null));
  out.byte(0x20);
  writeWire(text(raw.subject ?? null));
  for (const list of [from, sender, replyTo, to, cc, bcc]) {
    out.byte(0x20);
    writeAddresses(list);
  }
  out.byte(0x20);
  writeWire(text(raw.inReplyTo ?? null));
  out.byte(0x20);
  writeWire(text(raw.messageId ?? null));
  out.byte(0x29);
}

function writeNString(value: string | null | undefined): void {
  if (value === null || value === undefined) writeNil();
  else writeString(text(value)!);
}

function writeParams(list: readonly MimeParam[] | null | undefined): void {
  if (list === null || list === undefined || list.length === 0) {
    writeNil();
    return;
  }
  out.byte(0x28);
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out.byte(0x20);
    writeString(text(list[i]![0])!);
    out.byte(0x20);
    writeString(text(list[i]![1])!);
  }
  out.byte(0x29);
}

/** Extension data after the body fields: disposition, language, location. */
function writeExtension(part: MimePart | null): void {
  const d = part?.disposition;
  out.byte(0x20);
  if (d) {
    out.byte(0x28);
    writeString(text(d.type)!);
    out.byte(0x20);
    writeParams(d.params);
    out.byte(0x29);
  } else writeNil();
  out.byte(0x20);
  const language = part?.language;
  if (language === undefined || language === null) writeNil();
  else {
    out.byte(0x28);
    for (let i = 0; i < language.length; i++) {
      if (i > 0) out.byte(0x20);
      writeString(text(language[i]!)!);
    }
    out.byte(0x29);
  }
  out.byte(0x20);
  writeNString(part?.location);
}

const US_ASCII: MimeParam[] = [['charset', 'us-ascii']];

/** A multipart without parts gets one empty text/plain (`bodyStructure`, as Dovecot does). */
function writeEmptyText(extended: boolean): void {
  out.binary('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0');
  if (extended) out.binary(' NIL NIL NIL NIL');
  out.byte(0x29);
}

/**
 * `bodyValue(bodyStructure(part, { extended }), extended)` as wire bytes, without building either
 * tree (the same rules: see `bodyStructure` in `@mailwire/mime`).
 */
function writeBody(part: MimePart, extended: boolean): void {
  out.byte(0x28);
  if (part.parts !== undefined) {
    if (part.parts.length === 0) writeEmptyText(extended);
    for (const child of part.parts) writeBody(child, extended);
    out.byte(0x20);
    writeString(text(part.subtype)!);
    if (extended) {
      out.byte(0x20);
      writeParams(part.params);
      writeExtension(part);
    }
    out.byte(0x29);
    return;
  }
  let params = part.params;
  // RFC 2045 §5.2: text without a charset is us-ascii, said explicitly.
  if (part.type === 'text' && !params?.some((p) => p[0] === 'charset'))
    params = params === undefined ? US_ASCII : [...params, US_ASCII[0]!];
  writeString(text(part.type)!);
  out.byte(0x20);
  writeString(text(part.subtype)!);
  out.byte(0x20);
  writeParams(params);
  out.byte(0x20);
  writeNString(part.id);
  out.byte(0x20);
  writeNString(part.description);
  out.byte(0x20);
  writeString(text(part.encoding ?? '7bit')!);
  out.byte(0x20);
  out.binary(String(part.bodyEnd - part.bodyStart));
  if (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global')) {
    out.byte(0x20);
    writeEnvelope(part.message?.envelope ?? {});
    out.byte(0x20);
    if (part.message !== undefined) writeBody(part.message, extended);
    else writeEmptyText(extended);
    out.byte(0x20);
    out.binary(String(part.lines ?? 0));
  } else if (part.type === 'text') {
    out.byte(0x20);
    out.binary(String(part.lines));
  }
  if (extended) {
    out.byte(0x20);
    writeNString(part.md5);
    writeExtension(part);
  }
  out.byte(0x29);
}

/**
 * The FETCH item `ENVELOPE`, `BODYSTRUCTURE` or `BODY` of a message as wire bytes: exactly what
 * `serializeFetchItem({ item, value })` writes for `envelopeOf` / `bodyStructureOf`, faster.
 */
export function structureItemBytes(
  index: MimeIndex,
  item: 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY',
): Uint8Array {
  // (An address list missing from its memo is written, copied out and rewound above this one.)
  const from = out.length;
  out.binary(`${item} `);
  if (item === 'ENVELOPE') writeEnvelope(index.root.envelope ?? {});
  else writeBody(index.root, item === 'BODYSTRUCTURE');
  return out.takeFrom(from);
}

/** Milliseconds → INTERNALDATE in UTC. */
export function toDateTime(ms: number): ImapDateTime {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    zone: 0,
  };
}
