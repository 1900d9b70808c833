/**
 * Post-delivery downgrading (RFC 6857) of a message's header section, for a POP3 client that did
 * not send UTF8 (RFC 6856 §2: without UTF8 the server must not send UTF-8 header fields raw).
 *
 * Only the header section is changed; the body streams through untouched. Rules, per field that
 * holds an octet ≥ 0x80 (fields that are pure ASCII are copied byte for byte, so a message with
 * an ASCII header comes out identical):
 * - unstructured fields (Subject, Comments, Content-Description, Keywords): the value becomes
 *   RFC 2047 encoded-words (RFC 6857 §3.2);
 * - address fields (From, Sender, Reply-To, To, Cc, Bcc and their Resent- forms): a display name
 *   becomes encoded-words; a mailbox whose address is non-ASCII becomes an empty group whose
 *   display name is the encoded original (`=?UTF-8?B?…?= :;`, RFC 6857 §3.3 / RFC 6854);
 * - any other field is renamed `Downgraded-<name>` and its value becomes encoded-words (so a
 *   non-ASCII Message-ID, Received or unknown field never reaches the client raw, RFC 6857 §3.1);
 * - a line that is not a field (no valid name) gets each octet ≥ 0x80 replaced by `?`.
 * Encoded words use charset `UTF-8`, or `UNKNOWN-8BIT` (RFC 1428) when the octets are not UTF-8.
 *
 * Memory is bounded: at most `maxHeaderBytes` (256 KiB) of header is buffered. A header section
 * longer than that is not parsed: from then on until the blank line each octet ≥ 0x80 is replaced
 * by `?` (still 7-bit, still deterministic, so sizes computed with the same class stay exact).
 */
import { concatBytes, decodeUtf8, utf8 } from '@mailwire/core';
import type { Pop3ChunkSource } from './server-events.js';

export const MAX_DOWNGRADE_HEADER_BYTES = 262_144;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const QMARK = 0x3f;

const UNSTRUCTURED = new Set(['subject', 'comments', 'content-description', 'keywords']);
const ADDRESS = new Set([
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'resent-from',
  'resent-sender',
  'resent-to',
  'resent-cc',
  'resent-bcc',
]);

const ascii = (text: string): Uint8Array => utf8(text);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    out += B64[a >> 2]! + B64[((a & 3) << 4) | (b >> 4)]!;
    out += i + 1 < bytes.length ? B64[((b & 15) << 2) | (c >> 6)]! : '=';
    out += i + 2 < bytes.length ? B64[c & 63]! : '=';
  }
  return out;
}

function hasEightBit(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return true;
  return false;
}

function latin(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/**
 * RFC 2047 B encoded-words for `bytes`, each at most 75 characters (§2), split on UTF-8 character
 * boundaries (§5: a multi-octet character must not be split), joined by a folding CRLF SP.
 */
export function encodedWords(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  const valid = decodeUtf8(bytes) !== undefined;
  const charset = valid ? 'UTF-8' : 'UNKNOWN-8BIT';
  const words: string[] = [];
  // `=?UNKNOWN-8BIT?B?` + 60 base64 characters + `?=` = 79 > 75, so 42 octets (56 characters).
  const max = valid ? 45 : 42;
  let i = 0;
  while (i < bytes.length) {
    let end = Math.min(i + max, bytes.length);
    if (valid) while (end < bytes.length && end > i + 1 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
    words.push(`=?${charset}?B?${base64(bytes.subarray(i, end))}?=`);
    i = end;
  }
  return words.join('\r\n ');
}

function trimWsp(bytes: Uint8Array): Uint8Array {
  let s = 0;
  let e = bytes.length;
  while (s < e && (bytes[s] === SP || bytes[s] === HT)) s += 1;
  while (e > s && (bytes[e - 1] === SP || bytes[e - 1] === HT)) e -= 1;
  return bytes.subarray(s, e);
}

/** The field value with folding line breaks removed. */
function unfold(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (const b of bytes) if (b !== CR && b !== LF) out[n++] = b;
  return out.subarray(0, n);
}

/** Splits an address list at top-level commas (outside quotes, comments, angle brackets). */
function splitAddresses(value: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = [];
  let start = 0;
  let quoted = false;
  let comment = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (quoted) {
      if (b === 0x5c) i += 1;
      else if (b === 0x22) quoted = false;
    } else if (b === 0x22) quoted = true;
    else if (b === 0x28) comment += 1;
    else if (b === 0x29 && comment > 0) comment -= 1;
    else if (comment === 0 && b === 0x3c) angle = true;
    else if (comment === 0 && b === 0x3e) angle = false;
    else if (comment === 0 && !angle && b === 0x2c) {
      items.push(value.subarray(start, i));
      start = i + 1;
    }
  }
  items.push(value.subarray(start));
  return items.map(trimWsp).filter((item) => item.length > 0);
}

function unquote(bytes: Uint8Array): Uint8Array {
  const t = trimWsp(bytes);
  if (t.length >= 2 && t[0] === 0x22 && t[t.length - 1] === 0x22) {
    const out: number[] = [];
    for (let i = 1; i < t.length - 1; i++) {
      if (t[i] === 0x5c && i + 1 < t.length - 1) i += 1;
      out.push(t[i]!);
    }
    return Uint8Array.from(out);
  }
  return t;
}

/** RFC 6857 §3.3: one mailbox (or group) of an address field. */
function downgradeMailbox(item: Uint8Array): string {
  if (!hasEightBit(item)) return latin(item);
  const lt = item.lastIndexOf(0x3c);
  const gt = item.lastIndexOf(0x3e);
  if (lt !== -1 && gt > lt) {
    const address = item.subarray(lt + 1, gt);
    const display = unquote(item.subarray(0, lt));
    if (!hasEightBit(address) && !hasEightBit(item.subarray(gt + 1))) {
      return display.length === 0
        ? `<${latin(address)}>`
        : `${hasEightBit(display) ? encodedWords(display) : `"${latin(display).replace(/["\\]/g, '\\$&')}"`} <${latin(address)}>`;
    }
  }
  // A non-ASCII address has no ASCII form: an empty group named after the original mailbox.
  return `${encodedWords(item)} :;`;
}

function downgradeField(field: Uint8Array): string {
  const colon = field.indexOf(0x3a);
  const name = colon > 0 ? latin(field.subarray(0, colon)) : '';
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
    // Not a header field at all: keep it, 7-bit.
    return latin(field.map((b) => (b >= 0x80 ? QMARK : b)));
  }
  const value = trimWsp(unfold(field.subarray(colon + 1)));
  const lower = name.toLowerCase();
  if (UNSTRUCTURED.has(lower)) return `${name}: ${encodedWords(value)}\r\n`;
  if (ADDRESS.has(lower)) {
    const list = splitAddresses(value).map(downgradeMailbox);
    return `${name}: ${list.join(',\r\n ')}\r\n`;
  }
  return `Downgraded-${name}: ${encodedWords(value)}\r\n`;
}

/**
 * Downgrades a complete header section (including its blank line, if any). Returns the input
 * itself when it has no octet ≥ 0x80. Never throws.
 */
export function downgradeHeader(header: Uint8Array): Uint8Array {
  if (!hasEightBit(header)) return header;
  const parts: Uint8Array[] = [];
  let fieldStart = 0;
  let i = 0;
  const flush = (end: number): void => {
    if (end <= fieldStart) return;
    const field = header.subarray(fieldStart, end);
    parts.push(hasEightBit(field) ? ascii(downgradeField(field)) : field);
    fieldStart = end;
  };
  while (i < header.length) {
    let lf = header.indexOf(LF, i);
    if (lf === -1) lf = header.length - 1;
    const next = lf + 1;
    const line = header.subarray(i, next);
    const blank =
      (line.length === 1 && line[0] === LF) || (line.length === 2 && line[0] === CR && line[1] === LF);
    if (blank || (line[0] !== SP && line[0] !== HT)) flush(i);
    if (blank) {
      // The blank line and anything after it (nothing, for a header section) stay as they are.
      flush(i);
      parts.push(header.subarray(i));
      fieldStart = header.length;
      break;
    }
    i = next;
  }
  flush(header.length);
  return concatBytes(parts);
}

/**
 * Streaming downgrade of a whole message: buffers the header section (at most `maxHeaderBytes`),
 * downgrades it, then passes the body through unchanged.
 *
 * @example
 * const d = new HeaderDowngrader();
 * const out = [d.push(utf8('Subject: héllo\r\n\r\nbody\r\n')), d.end()];
 * // "Subject: =?UTF-8?B?aMOpbGxv?=\r\n\r\nbody\r\n"
 */
export class HeaderDowngrader {
  private mode: 'header' | 'overflow' | 'body' = 'header';
  private buffer = new Uint8Array(0);
  private scanFrom = 0;
  /** Overflow mode: at the start of a line / that line started with CR. */
  private lineStart = false;
  private crStart = false;

  constructor(private readonly maxHeaderBytes = MAX_DOWNGRADE_HEADER_BYTES) {}

  push(chunk: Uint8Array): Uint8Array {
    if (this.mode === 'body') return chunk;
    if (this.mode === 'overflow') return this.sanitize(chunk);
    const merged = new Uint8Array(this.buffer.length + chunk.length);
    merged.set(this.buffer, 0);
    merged.set(chunk, this.buffer.length);
    this.buffer = merged;
    const end = this.headerEnd();
    // Past the limit the header is not parsed, wherever the chunks happen to end: the output
    // depends on the bytes alone, so a size counted in other chunks stays exact.
    if (end !== -1 && end <= this.maxHeaderBytes) {
      this.mode = 'body';
      const head = downgradeHeader(this.buffer.subarray(0, end));
      const rest = this.buffer.subarray(end);
      this.buffer = new Uint8Array(0);
      const out = new Uint8Array(head.length + rest.length);
      out.set(head, 0);
      out.set(rest, head.length);
      return out;
    }
    if (end !== -1 || this.buffer.length > this.maxHeaderBytes) {
      this.mode = 'overflow';
      const held = this.buffer;
      this.buffer = new Uint8Array(0);
      return this.sanitize(held);
    }
    return new Uint8Array(0);
  }

  /** What is still held: a message that is all header (no blank line). */
  end(): Uint8Array {
    if (this.mode !== 'header') return new Uint8Array(0);
    const out = downgradeHeader(this.buffer);
    this.buffer = new Uint8Array(0);
    this.mode = 'body';
    return out;
  }

  /** Offset just after the blank line ending the header section, or -1. */
  private headerEnd(): number {
    const b = this.buffer;
    // An empty header section: the message starts with the blank line.
    if (b.length >= 1 && b[0] === LF) return 1;
    if (b.length >= 2 && b[0] === CR && b[1] === LF) return 2;
    for (let i = Math.max(0, this.scanFrom); i < b.length; i++) {
      if (b[i] !== LF) continue;
      if (i + 1 < b.length && b[i + 1] === LF) return i + 2;
      if (i + 2 < b.length && b[i + 1] === CR && b[i + 2] === LF) return i + 3;
      if (i + 2 >= b.length) {
        this.scanFrom = i;
        return -1;
      }
    }
    this.scanFrom = b.length;
    return -1;
  }

  private sanitize(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      out[i] = b >= 0x80 ? QMARK : b;
      if (this.lineStart && b === LF) {
        // Blank line: the header section is over, the rest is body.
        this.mode = 'body';
        out.set(chunk.subarray(i + 1), i + 1);
        return out;
      }
      if (this.lineStart && b === CR && !this.crStart) {
        this.crStart = true;
        continue;
      }
      this.crStart = false;
      this.lineStart = b === LF;
    }
    return out;
  }
}

/** `source` with its header section downgraded (see `HeaderDowngrader`). */
export async function* downgradeSource(source: Pop3ChunkSource): AsyncIterable<Uint8Array> {
  const d = new HeaderDowngrader();
  if (source instanceof Uint8Array) {
    // One big buffer: hand it on in 64 KiB pieces so the driver still writes chunk by chunk.
    for (let i = 0; i < source.length; i += 65_536) {
      const out = d.push(source.subarray(i, i + 65_536));
      if (out.length > 0) yield out;
    }
  } else {
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      const out = d.push(chunk);
      if (out.length > 0) yield out;
    }
  }
  const tail = d.end();
  if (tail.length > 0) yield tail;
}
