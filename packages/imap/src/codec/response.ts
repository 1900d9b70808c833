import { UsageError, utf8 } from '@mailwire/core';
import { formatSection } from './command-serializer.js';
import type { ImapDateTime, Section, SequenceSet, StatusItem } from './types.js';
import { WireWriter } from './wire.js';

/**
 * Typed IMAP responses (RFC 9051 §7) and their serializer. ENVELOPE and BODYSTRUCTURE are carried
 * as value trees (`NValue`: nstrings, numbers and lists), which is exactly their grammar; `concat`
 * holds two or more lists written back to back (address lists, the parts of a multipart).
 */

export type NValue =
  | string
  | number
  | null
  | readonly NValue[]
  | { readonly concat: readonly (readonly NValue[])[] };

/** A response code (`[NAME data]`), `data` as sent after the name (up to `]`). */
export interface ResponseCode {
  readonly name: string;
  readonly data?: string;
}

/** Bytes of a large literal produced later, chunk by chunk (FETCH bodies). */
export interface LiteralSource {
  readonly size: number;
  /** Sent as literal8 (`~{n}`, RFC 3516 §4.3: BINARY data holding NUL). */
  readonly binary?: boolean;
  chunks(): AsyncIterable<Uint8Array>;
}

export type BodyData = Uint8Array | null | LiteralSource;

export type FetchValue =
  | { readonly item: 'FLAGS'; readonly flags: readonly string[] }
  | { readonly item: 'UID' | 'RFC822.SIZE'; readonly value: number }
  | { readonly item: 'MODSEQ'; readonly value: number }
  | { readonly item: 'INTERNALDATE'; readonly value: ImapDateTime }
  | { readonly item: 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY'; readonly value: NValue }
  | { readonly item: 'BODY[]'; readonly section: Section; readonly origin?: number; readonly data: BodyData }
  | {
      readonly item: 'BINARY[]';
      readonly part: readonly number[];
      readonly origin?: number;
      readonly data: BodyData;
    }
  | { readonly item: 'BINARY.SIZE'; readonly part: readonly number[]; readonly size: number }
  | { readonly item: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT'; readonly data: BodyData };

export type StatusName = 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';

export type Response =
  | { readonly type: 'continuation'; readonly text: string }
  | {
      readonly type: 'status';
      /** `*` for untagged. */
      readonly tag: string;
      readonly status: StatusName;
      readonly code?: ResponseCode;
      readonly text: string;
    }
  | { readonly type: 'capability' | 'enabled'; readonly capabilities: readonly string[] }
  | { readonly type: 'exists' | 'recent' | 'expunge'; readonly count: number }
  | { readonly type: 'flags'; readonly flags: readonly string[] }
  | {
      readonly type: 'list' | 'lsub';
      readonly attributes: readonly string[];
      readonly delimiter: string | null;
      readonly mailbox: string;
      /** LIST-EXTENDED CHILDINFO (RFC 5258 §4). */
      readonly childInfo?: readonly string[];
    }
  | {
      readonly type: 'status-data';
      readonly mailbox: string;
      readonly items: readonly (readonly [StatusItem, number])[];
    }
  | { readonly type: 'search'; readonly ids: readonly number[] }
  | {
      readonly type: 'esearch';
      readonly tag?: string;
      readonly uid: boolean;
      readonly min?: number;
      readonly max?: number;
      readonly count?: number;
      readonly all?: SequenceSet;
    }
  | {
      readonly type: 'namespace';
      readonly personal: readonly (readonly [string, string | null])[] | null;
      readonly other: readonly (readonly [string, string | null])[] | null;
      readonly shared: readonly (readonly [string, string | null])[] | null;
    }
  | { readonly type: 'id'; readonly params: readonly (readonly [string, string | null])[] | null }
  | { readonly type: 'fetch'; readonly seq: number; readonly items: readonly FetchValue[] };

/** Serialized response: bytes, with large literal sources left in place for the session to stream. */
export type ResponsePart = Uint8Array | LiteralSource;

/** Serializes a response whose literals are all in memory. */
export function serializeResponse(response: Response): Uint8Array {
  const w = new WireWriter('plain');
  writeResponse(w, response, (source) => {
    throw new UsageError('ERR_INVALID_STATE', `serializeResponse: streamed literal of ${source.size} octets`);
  });
  return w.toBytes();
}

/**
 * Serializes several responses into one buffer (their literals all in memory): one output chunk
 * for a batch of FETCH responses instead of one per message.
 */
export function serializeResponses(responses: readonly Response[]): Uint8Array {
  const w = new WireWriter('plain');
  for (const response of responses) {
    writeResponse(w, response, (source) => {
      throw new UsageError(
        'ERR_INVALID_STATE',
        `serializeResponses: streamed literal of ${source.size} octets`,
      );
    });
  }
  return w.toBytes();
}

/** One FETCH item alone (e.g. `ENVELOPE (…)`), for callers that cache items' wire bytes. */
export function serializeFetchItem(item: FetchValue): Uint8Array {
  const w = new WireWriter('plain');
  writeFetchValue(w, item, (source) => {
    throw new UsageError(
      'ERR_INVALID_STATE',
      `serializeFetchItem: streamed literal of ${source.size} octets`,
    );
  });
  return w.toBytes();
}

/**
 * Writes `* seq FETCH (…)` and its CRLF into `w`; an item given as bytes is one serialised
 * before (`serializeFetchItem`) and is copied as is.
 */
export function writeFetchResponse(
  w: WireWriter,
  seq: number,
  items: readonly (FetchValue | Uint8Array)[],
): void {
  w.text(`* ${seq} FETCH (`);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) w.text(' ');
    const item = items[i]!;
    if (item instanceof Uint8Array) w.bytes(item);
    else
      writeFetchValue(w, item, (source) => {
        throw new UsageError(
          'ERR_INVALID_STATE',
          `writeFetchResponse: streamed literal of ${source.size} octets`,
        );
      });
  }
  w.text(')\r\n');
}

/** Serializes a response, leaving `LiteralSource`s (after their `{n}` header) to be streamed. */
export function serializeResponseParts(response: Response): ResponsePart[] {
  const w = new WireWriter('plain');
  const parts: ResponsePart[] = [];
  writeResponse(w, response, (source) => {
    w.text(`${source.binary === true ? '~' : ''}{${source.size}}\r\n`);
    parts.push(...w.take(), source);
  });
  parts.push(...w.take());
  return parts;
}

function writeResponse(w: WireWriter, r: Response, stream: (source: LiteralSource) => void): void {
  switch (r.type) {
    case 'continuation':
      // Exactly "+ " and text: some clients break on a bare "+".
      w.text(`+ ${r.text}`);
      break;
    case 'status':
      w.text(`${r.tag} ${r.status} `);
      if (r.code !== undefined)
        w.text(`[${r.code.name}${r.code.data === undefined ? '' : ` ${r.code.data}`}] `);
      w.bytes(textBytes(r.text));
      break;
    case 'capability':
      w.text(`* CAPABILITY${r.capabilities.map((c) => ` ${c}`).join('')}`);
      break;
    case 'enabled':
      w.text(`* ENABLED${r.capabilities.map((c) => ` ${c}`).join('')}`);
      break;
    case 'exists':
      w.text(`* ${r.count} EXISTS`);
      break;
    case 'recent':
      w.text(`* ${r.count} RECENT`);
      break;
    case 'expunge':
      w.text(`* ${r.count} EXPUNGE`);
      break;
    case 'flags':
      w.text(`* FLAGS (${r.flags.join(' ')})`);
      break;
    case 'list':
    case 'lsub':
      w.text(`* ${r.type.toUpperCase()} (${r.attributes.join(' ')}) `);
      w.nstring(r.delimiter);
      w.text(' ');
      w.astring(r.mailbox);
      if (r.childInfo !== undefined) {
        w.text(' (CHILDINFO ');
        w.list(r.childInfo, (c) => w.string(c));
        w.text(')');
      }
      break;
    case 'status-data':
      w.text('* STATUS ').astring(r.mailbox);
      w.text(` (${r.items.map(([k, v]) => `${k} ${v}`).join(' ')})`);
      break;
    case 'search':
      w.text(`* SEARCH${r.ids.map((id) => ` ${id}`).join('')}`);
      break;
    case 'esearch': {
      w.text('* ESEARCH');
      if (r.tag !== undefined) w.text(' (TAG ').string(r.tag).text(')');
      if (r.uid) w.text(' UID');
      if (r.min !== undefined) w.text(` MIN ${r.min}`);
      if (r.max !== undefined) w.text(` MAX ${r.max}`);
      if (r.all !== undefined) w.text(' ALL ').sequenceSet(r.all);
      if (r.count !== undefined) w.text(` COUNT ${r.count}`);
      break;
    }
    case 'namespace':
      w.text('* NAMESPACE ');
      writeNamespace(w, r.personal);
      w.text(' ');
      writeNamespace(w, r.other);
      w.text(' ');
      writeNamespace(w, r.shared);
      break;
    case 'id':
      w.text('* ID ');
      if (r.params === null) w.text('NIL');
      else w.list(r.params, ([k, v]) => w.string(k).text(' ').nstring(v));
      break;
    case 'fetch':
      w.text(`* ${r.seq} FETCH `);
      w.list(r.items, (item) => writeFetchValue(w, item, stream));
      break;
  }
  w.crlf();
}

function textBytes(text: string): Uint8Array {
  // resp-text never carries CR or LF.
  return utf8(text.replace(/[\r\n]+/g, ' '));
}

function writeNamespace(w: WireWriter, ns: readonly (readonly [string, string | null])[] | null): void {
  if (ns === null) {
    w.text('NIL');
    return;
  }
  w.list(ns, ([prefix, delimiter]) => {
    w.text('(').string(prefix).text(' ').nstring(delimiter).text(')');
  });
}

function isList(value: NValue): value is readonly NValue[] {
  return Array.isArray(value);
}

function writeValue(w: WireWriter, value: NValue): void {
  if (value === null) w.text('NIL');
  else if (typeof value === 'number') w.number(value);
  else if (typeof value === 'string') w.string(value);
  else if (isList(value)) w.list(value, (v) => writeValue(w, v));
  else {
    // Address lists and multipart bodies: lists written back to back, no space (RFC 9051 §9).
    for (const item of value.concat) w.list(item, (v) => writeValue(w, v));
  }
}

function writeData(
  w: WireWriter,
  data: BodyData,
  stream: (source: LiteralSource) => void,
  binary: boolean,
): void {
  if (data === null) w.text('NIL');
  else if (data instanceof Uint8Array) {
    // Message data always goes as a literal: it may hold CR LF and 8-bit octets. RFC 3516 §4.3:
    // BINARY data with NUL must be literal8.
    w.literal(data, binary && data.includes(0));
  } else stream(data);
}

function writeFetchValue(w: WireWriter, item: FetchValue, stream: (source: LiteralSource) => void): void {
  switch (item.item) {
    case 'FLAGS':
      w.text(`FLAGS (${item.flags.join(' ')})`);
      return;
    case 'UID':
    case 'RFC822.SIZE':
      w.text(`${item.item} ${item.value}`);
      return;
    case 'MODSEQ':
      w.text(`MODSEQ (${item.value})`);
      return;
    case 'INTERNALDATE':
      w.text('INTERNALDATE ').dateTime(item.value);
      return;
    case 'ENVELOPE':
    case 'BODYSTRUCTURE':
    case 'BODY':
      w.text(`${item.item} `);
      writeValue(w, item.value);
      return;
    case 'BODY[]':
      w.text(`BODY${formatSection(item.section)}${item.origin === undefined ? '' : `<${item.origin}>`} `);
      writeData(w, item.data, stream, false);
      return;
    case 'BINARY[]':
      w.text(`BINARY[${item.part.join('.')}]${item.origin === undefined ? '' : `<${item.origin}>`} `);
      writeData(w, item.data, stream, true);
      return;
    case 'BINARY.SIZE':
      w.text(`BINARY.SIZE[${item.part.join('.')}] ${item.size}`);
      return;
    default:
      w.text(`${item.item} `);
      writeData(w, item.data, stream, false);
  }
}
