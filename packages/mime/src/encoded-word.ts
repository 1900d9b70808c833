/**
 * RFC 2047 encoded-words (`=?charset?B|Q?text?=`) in header values, and raw 8-bit header text
 * (RFC 6532, UTF-8). Charsets are whatever the runtime's `TextDecoder` knows; a word in an
 * unknown charset is left as written. Adjacent words are joined before decoding, so a
 * multibyte character split across two words survives; the whitespace between adjacent
 * encoded-words is dropped (RFC 2047 §6.2).
 */

import { decodeUtf8, fromLatin1, isAsciiString, textDecoderFor, utf8 } from './bytes.js';
import { Base64Decoder } from './transfer.js';

const WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** The bytes of a Q-encoded text (RFC 2047 §4.2): `_` is a space, `=XX` a byte. */
function decodeQ(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 95) {
      out[o++] = 32;
    } else if (c === 61 && i + 2 < text.length && hexValue(text.charCodeAt(i + 1)) >= 0) {
      const h2 = hexValue(text.charCodeAt(i + 2));
      if (h2 >= 0) {
        out[o++] = (hexValue(text.charCodeAt(i + 1)) << 4) | h2;
        i += 2;
      } else {
        out[o++] = c;
      }
    } else {
      out[o++] = c & 0xff;
    }
  }
  return out.subarray(0, o);
}

function decodeB(text: string): Uint8Array {
  const dec = new Base64Decoder();
  const head = dec.write(fromLatin1(text));
  const tail = dec.end();
  if (tail.length === 0) return head;
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

function charsetLabel(charset: string): string {
  const star = charset.indexOf('*');
  return (star >= 0 ? charset.slice(0, star) : charset).toLowerCase();
}

/**
 * Decodes the encoded-words in a header value (already a JS string). Text outside encoded-words
 * is left unchanged.
 *
 * @example
 * decodeEncodedWords('=?utf-8?Q?caf=C3=A9?= =?utf-8?B?w6k=?=') // 'caféé'
 */
export function decodeEncodedWords(value: string): string {
  if (value.indexOf('=?') < 0) return value;
  let out = '';
  let last = 0;
  let pendingCharset = '';
  let pendingBytes: Uint8Array[] = [];
  let pendingRaw = '';
  const flush = () => {
    if (pendingBytes.length === 0) return;
    const decoder = textDecoderFor(pendingCharset);
    if (decoder === undefined) {
      out += pendingRaw;
    } else {
      let length = 0;
      for (const b of pendingBytes) length += b.length;
      const all = new Uint8Array(length);
      let o = 0;
      for (const b of pendingBytes) {
        all.set(b, o);
        o += b.length;
      }
      out += decoder.decode(all);
    }
    pendingBytes = [];
    pendingRaw = '';
  };
  for (const m of value.matchAll(WORD)) {
    const start = m.index;
    const gap = value.slice(last, start);
    const charset = charsetLabel(m[1]!);
    // Whitespace between encoded-words goes (RFC 2047 §6.2), unless one is left undecoded.
    const adjacent =
      pendingBytes.length > 0 &&
      /^[ \t\r\n]*$/.test(gap) &&
      textDecoderFor(pendingCharset) !== undefined &&
      textDecoderFor(charset) !== undefined;
    if (!adjacent || charset !== pendingCharset) {
      flush();
      if (!adjacent) out += gap;
    }
    pendingCharset = charset;
    pendingBytes.push(m[2] === 'b' || m[2] === 'B' ? decodeB(m[3]!) : decodeQ(m[3]!));
    pendingRaw += adjacent && pendingRaw !== '' ? gap + m[0] : m[0];
    last = start + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

/**
 * A raw header value (binary string, as stored in the index) as readable text: raw 8-bit bytes
 * are taken as UTF-8 (RFC 6532) or, when not valid UTF-8, as windows-1252; then encoded-words
 * are decoded. Folding is removed.
 *
 * @example
 * decodeHeaderValue(index.root.envelope?.subject ?? '')
 */
export function decodeHeaderValue(raw: string): string {
  let text = raw.indexOf('\n') >= 0 ? raw.replace(/\r?\n(?=[ \t])/g, '') : raw;
  if (!isAsciiString(text)) {
    const bytes = fromLatin1(text);
    text = decodeUtf8(bytes) ?? textDecoderFor('windows-1252')!.decode(bytes);
  }
  return decodeEncodedWords(text);
}

const Q_SAFE = /[A-Za-z0-9!*+\-/]/;

function encodeQWord(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (b === 32) out += '_';
    else if (b < 128 && Q_SAFE.test(ch)) out += ch;
    else out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function encodeBWord(bytes: Uint8Array): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const v = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += chars[(v >>> 18) & 63]! + chars[(v >>> 12) & 63]!;
    out += b === undefined ? '=' : chars[(v >>> 6) & 63]!;
    out += c === undefined ? '=' : chars[v & 63]!;
  }
  return out;
}

/**
 * Encodes text as UTF-8 encoded-words (RFC 2047), each at most 75 chars, split only between
 * characters. Printable ASCII that could not be mistaken for an encoded-word is returned as is.
 *
 * @example
 * encodeEncodedWords('café') // '=?utf-8?Q?caf=C3=A9?='
 */
export function encodeEncodedWords(text: string, encoding: 'B' | 'Q' = 'Q'): string {
  if (/^[\x20-\x7e]*$/.test(text) && !text.includes('=?')) return text;
  const budget = encoding === 'B' ? 45 : 63; // 75 minus `=?utf-8?X?` and `?=`
  const words: string[] = [];
  let current: number[] = [];
  let size = 0;
  const emit = () => {
    if (current.length === 0) return;
    const bytes = Uint8Array.from(current);
    words.push(`=?utf-8?${encoding}?${encoding === 'B' ? encodeBWord(bytes) : encodeQWord(bytes)}?=`);
    current = [];
    size = 0;
  };
  for (const ch of text) {
    const bytes = utf8(ch);
    let cost = bytes.length;
    if (encoding === 'Q') {
      cost = 0;
      for (const b of bytes) cost += b === 32 || (b < 128 && Q_SAFE.test(String.fromCharCode(b))) ? 1 : 3;
    }
    if (size + cost > budget) emit();
    for (const b of bytes) current.push(b);
    size += cost;
  }
  emit();
  return words.join(' ');
}
