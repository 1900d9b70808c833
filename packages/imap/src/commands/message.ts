import { concatBytes, fromLatin1 } from '@mailwire/core';
import {
  type BodyStructure,
  bodyStructure,
  type Envelope,
  envelope,
  type MimeIndex,
  MimeIndexer,
  type MimeParam,
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
