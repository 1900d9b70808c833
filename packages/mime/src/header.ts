/**
 * Header fields (RFC 5322 §2.2): splitting a header block into fields, unfolding, the
 * HEADER.FIELDS subset IMAP needs, and the structured values of RFC 2045 (Content-Type,
 * Content-Disposition) with their parameters.
 *
 * Values are binary strings (one char per byte), so 8-bit header bytes pass through untouched.
 * Nothing here throws on malformed input.
 */

import { latin1 } from './bytes.js';
import type { MimeParam } from './types.js';

export interface HeaderField {
  /** The field name as written (trailing whitespace before the colon removed). */
  name: string;
  /** The raw value after the colon, folding kept, final line break removed (binary string). */
  value: string;
  /** Offsets of the whole field (name to final line break inclusive) in the input. */
  start: number;
  end: number;
}

const LF = 10;
const CR = 13;
const SP = 32;
const HT = 9;
const COLON = 58;

/**
 * Walks the field lines of a header block. Calls `field` for each field (valid or not: a line
 * without a colon gets `nameEnd = -1`). Stops at the blank line and returns its offset (or the
 * input length when there is none).
 */
function scanFields(
  bytes: Uint8Array,
  field: (start: number, nameEnd: number, colon: number, end: number, valueEnd: number) => void,
): number {
  const n = bytes.length;
  let pos = 0;
  while (pos < n) {
    const first = bytes[pos]!;
    if (first === LF || (first === CR && bytes[pos + 1] === LF)) return pos;
    // A field runs to the first line break not followed by WSP (RFC 5322 §2.2.3).
    let end = pos;
    for (;;) {
      const lf = bytes.indexOf(LF, end);
      if (lf < 0) {
        end = n;
        break;
      }
      end = lf + 1;
      const next = bytes[end];
      if (next !== SP && next !== HT) break;
    }
    let valueEnd = end;
    if (valueEnd > pos && bytes[valueEnd - 1] === LF) valueEnd--;
    if (valueEnd > pos && bytes[valueEnd - 1] === CR) valueEnd--;
    let colon = -1;
    if (first !== SP && first !== HT) {
      const lineEnd = bytes.indexOf(LF, pos);
      const limit = lineEnd < 0 || lineEnd > valueEnd ? valueEnd : lineEnd;
      for (let i = pos; i < limit; i++) {
        if (bytes[i] === COLON) {
          colon = i;
          break;
        }
      }
    }
    let nameEnd = colon;
    while (nameEnd > pos && (bytes[nameEnd - 1] === SP || bytes[nameEnd - 1] === HT)) nameEnd--;
    if (nameEnd <= pos) nameEnd = -1;
    field(pos, nameEnd, colon, end, valueEnd);
    pos = end;
  }
  return n;
}

/**
 * Calls `field` for each well-formed field of a header block (up to the blank line) with the
 * offsets of its name, colon and value end (before the final line break). No allocation.
 */
export function forEachField(
  bytes: Uint8Array,
  field: (start: number, nameEnd: number, colon: number, valueEnd: number) => void,
): void {
  scanFields(bytes, (start, nameEnd, colon, _end, valueEnd) => {
    if (nameEnd >= 0) field(start, nameEnd, colon, valueEnd);
  });
}

/**
 * Splits a header block into fields, stopping at the blank line. Lines that are not fields
 * (no colon, or a leading continuation) are skipped.
 *
 * @example
 * parseHeaderFields(utf8('Subject: hi\r\n there\r\n\r\n'))
 * // [{ name: 'Subject', value: ' hi\r\n there', start: 0, end: 22 }]
 */
export function parseHeaderFields(bytes: Uint8Array): HeaderField[] {
  const out: HeaderField[] = [];
  scanFields(bytes, (start, nameEnd, colon, end, valueEnd) => {
    if (nameEnd < 0) return;
    out.push({ name: latin1(bytes, start, nameEnd), value: latin1(bytes, colon + 1, valueEnd), start, end });
  });
  return out;
}

/** Removes folding (every CRLF or LF immediately followed by WSP), RFC 5322 §2.2.3. */
export function unfold(value: string): string {
  if (value.indexOf('\n') < 0) return value;
  return value.replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '');
}

/** Unfolds and trims a raw header value. */
export function cleanValue(value: string): string {
  return unfold(value).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/**
 * The HEADER.FIELDS / HEADER.FIELDS.NOT subset of a header block (RFC 9051 §6.4.5): the fields
 * whose names are (or, with `not`, are not) in `names`, byte for byte, followed by the
 * header's blank line when it has one. Names compare case-insensitively. Lines that are not
 * fields are kept only by `not`.
 */
export function filterHeaderFields(header: Uint8Array, names: readonly string[], not: boolean): Uint8Array {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const ranges: number[] = [];
  let total = 0;
  const blank = scanFields(header, (start, nameEnd, _colon, end) => {
    const match = nameEnd >= 0 && wanted.has(latin1(header, start, nameEnd).toLowerCase());
    if (match !== not) {
      ranges.push(start, end);
      total += end - start;
    }
  });
  let blankEnd = blank;
  if (blank < header.length) blankEnd = header[blank] === CR ? blank + 2 : blank + 1;
  const out = new Uint8Array(total + (blankEnd - blank));
  let o = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    out.set(header.subarray(ranges[i]!, ranges[i + 1]!), o);
    o += ranges[i + 1]! - ranges[i]!;
  }
  out.set(header.subarray(blank, blankEnd), o);
  return out;
}

/** A parsed structured value: `type/subtype` (or a disposition token) and its parameters. */
export interface StructuredValue {
  /** Lowercased leading value, e.g. `text/plain` or `attachment`; `''` when missing. */
  value: string;
  params: MimeParam[];
}

function skipCfws(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === SP || c === HT || c === CR || c === LF) {
      i++;
    } else if (c === 40 /* ( */) {
      let depth = 0;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 40) depth++;
        else if (d === 41 && --depth === 0) {
          i++;
          break;
        }
        i++;
      }
    } else {
      break;
    }
  }
  return i;
}

function isValueDelimiter(c: number): boolean {
  return c === 59 /* ; */ || c === SP || c === HT || c === CR || c === LF || c === 40 /* ( */;
}

/**
 * Parses `value *(";" name "=" value)` as in Content-Type and Content-Disposition (RFC 2045
 * §5.1, RFC 2183 §2), leniently: unquoted values may hold any char but `;`, quoted strings
 * lose their quotes and backslashes, garbage between parameters is skipped. Parameter names
 * are lowercased; RFC 2231 continuations are left as separate parameters (see `decodeParams`).
 */
export function parseStructured(raw: string): StructuredValue {
  const s = unfold(raw);
  const n = s.length;
  let i = skipCfws(s, 0);
  let start = i;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isValueDelimiter(c) || c === 47 /* / */) break;
    i++;
  }
  let value = s.slice(start, i);
  let j = skipCfws(s, i);
  if (s.charCodeAt(j) === 47) {
    j = skipCfws(s, j + 1);
    start = j;
    while (j < n && !isValueDelimiter(s.charCodeAt(j))) j++;
    value += `/${s.slice(start, j)}`;
    i = j;
  }
  const params: MimeParam[] = [];
  while (i < n) {
    const semi = s.indexOf(';', i);
    if (semi < 0) break;
    i = skipCfws(s, semi + 1);
    start = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 61 /* = */ || isValueDelimiter(c)) break;
      i++;
    }
    const name = s.slice(start, i).toLowerCase();
    i = skipCfws(s, i);
    if (s.charCodeAt(i) !== 61) continue;
    i = skipCfws(s, i + 1);
    let val: string;
    if (s.charCodeAt(i) === 34 /* " */) {
      i++;
      val = '';
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c === 34) {
          i++;
          break;
        }
        if (c === 92 && i + 1 < n) i++;
        val += s[i];
        i++;
      }
    } else {
      start = i;
      const end = s.indexOf(';', i);
      i = end < 0 ? n : end;
      val = s
        .slice(start, i)
        .replace(/[ \t\r\n]+\([^()]*\)[ \t\r\n]*$/, '')
        .replace(/[ \t\r\n]+$/, '');
    }
    if (name !== '') params.push([name, val]);
  }
  return { value: value.toLowerCase(), params };
}

/** The first value of a parameter (names compare case-insensitively). */
export function getParam(params: readonly MimeParam[] | undefined, name: string): string | undefined {
  if (!params) return undefined;
  const key = name.toLowerCase();
  for (const param of params) if (param[0] === key) return param[1];
  return undefined;
}
