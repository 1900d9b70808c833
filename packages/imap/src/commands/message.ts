import { concatBytes, fromLatin1, latin1, utf8 } from '@mailwire/core';
import {
  type BodyStructure,
  bodyStructure,
  type Envelope,
  envelope,
  type MimeIndex,
  MimeIndexer,
  type MimeParam,
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
 * Wire text of a value as `WireWriter('plain')` writes it in a response, as a binary string (one
 * char per octet): NIL, numbers, quoted strings for short printable ASCII, literals otherwise,
 * lists. Written straight into one string: FETCH ENVELOPE BODYSTRUCTURE over a mailbox larger
 * than the store's index cache builds these for every message, and the general writer's
 * per-value calls cost as much as building the trees.
 */
function wireOf(value: NValue): string {
  if (value === null) return 'NIL';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return wireString(value);
  if (Array.isArray(value)) return wireList(value as readonly NValue[]);
  let out = '';
  for (const item of (value as { readonly concat: readonly (readonly NValue[])[] }).concat)
    out += wireList(item);
  return out;
}

function wireList(items: readonly NValue[]): string {
  let out = '(';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ' ';
    out += wireOf(items[i]!);
  }
  return `${out})`;
}

/** Longest quoted string (`WireWriter`'s choice). */
const QUOTED_MAX = 1024;

function wireString(value: string): string {
  if (value.length <= QUOTED_MAX) {
    let plain = true;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        plain = false;
        break;
      }
    }
    if (plain) return `"${value}"`;
  }
  const bytes = utf8(value);
  let quotable = bytes.length <= QUOTED_MAX;
  for (let i = 0; quotable && i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0 || b === 0x0d || b === 0x0a || b > 0x7f) quotable = false;
  }
  if (!quotable) return `{${bytes.length}}\r\n${latin1(bytes)}`;
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x22 || b === 0x5c) out += '\\';
    out += String.fromCharCode(b);
  }
  return `${out}"`;
}

/**
 * Wire text of an address list header (ENVELOPE's from, to, …), by raw header value: the same
 * From and To come back in message after message, so each distinct value is parsed once while it
 * stays in this bounded memo. `null`: no address (the field then takes From's value or is NIL).
 */
const addressWire = new Map<string, string | null>();
const ADDRESS_MEMO = 4096;

function addressListWire(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let wire = addressWire.get(raw);
  if (wire === undefined) {
    const list = parseAddressList(raw);
    wire = list.length > 0 ? wireOf(addresses(list)) : null;
    if (addressWire.size >= ADDRESS_MEMO) addressWire.clear();
    addressWire.set(raw, wire);
  }
  return wire;
}

/** `envelopeValue(envelope(part))` as wire text, with the address lists memoised. */
function envelopeWire(raw: RawEnvelope): string {
  const from = addressListWire(raw.from);
  // RFC 9051 §7.5.2: absent or empty Sender / Reply-To take the value of From.
  const sender = addressListWire(raw.sender) ?? from;
  const replyTo = addressListWire(raw.replyTo) ?? from;
  return `(${wireOf(text(raw.date ?? null))} ${wireOf(text(raw.subject ?? null))} ${from ?? 'NIL'} ${
    sender ?? 'NIL'
  } ${replyTo ?? 'NIL'} ${addressListWire(raw.to) ?? 'NIL'} ${addressListWire(raw.cc) ?? 'NIL'} ${
    addressListWire(raw.bcc) ?? 'NIL'
  } ${wireOf(text(raw.inReplyTo ?? null))} ${wireOf(text(raw.messageId ?? null))})`;
}

/**
 * The FETCH item `ENVELOPE`, `BODYSTRUCTURE` or `BODY` of a message as wire bytes: exactly what
 * `serializeFetchItem({ item, value })` writes for `envelopeOf` / `bodyStructureOf`, faster.
 */
export function structureItemBytes(
  index: MimeIndex,
  item: 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY',
): Uint8Array {
  const value =
    item === 'ENVELOPE'
      ? envelopeWire(index.root.envelope ?? {})
      : wireOf(bodyStructureOf(index, item === 'BODYSTRUCTURE'));
  return fromLatin1(`${item} ${value}`);
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
