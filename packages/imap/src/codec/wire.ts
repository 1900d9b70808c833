import { concatBytes, fromLatin1, utf8 } from '@mailwire/core';
import { isAtomChar } from './fragmentizer.js';
import { MONTHS } from './reader.js';
import type { ImapDate, ImapDateTime, SequenceSet } from './types.js';

/**
 * Builds wire bytes, choosing the representation of each value: an atom where the grammar allows
 * one and the value is made of ATOM-CHARs, a quoted string for short 7-bit text without CR, LF,
 * NUL, and a literal for everything else (message data with NUL goes as literal8, RFC 3516). 8-bit text
 * always goes as a literal: it is valid for every client, UTF8=ACCEPT or not.
 */

export type LiteralMode = 'sync' | 'plus' | 'plain';

const QUOTED_MAX = 1024;

export class WireWriter {
  private parts: Uint8Array[] = [];
  private pending = '';

  constructor(
    /** `sync`/`plus`: command side (`{n}` / `{n+}`); `plain`: response side (`{n}`). */
    readonly literalMode: LiteralMode = 'plain',
  ) {}

  /** Octets written and not yet taken. */
  get size(): number {
    let n = this.pending.length;
    for (const part of this.parts) n += part.length;
    return n;
  }

  /** ASCII text, written as is. */
  text(text: string): this {
    this.pending += text;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    this.flush();
    this.parts.push(bytes);
    return this;
  }

  number(n: number): this {
    return this.text(String(n));
  }

  /** A literal (`~{n}` when `binary`), with its CRLF after the header. */
  literal(bytes: Uint8Array, binary = false): this {
    const suffix = this.literalMode === 'plus' ? '+' : '';
    this.text(`${binary ? '~' : ''}{${bytes.length}${suffix}}\r\n`);
    return this.bytes(bytes);
  }

  /** `string`: quoted or literal. */
  string(value: string | Uint8Array): this {
    // Short printable ASCII (most header text): quoted straight from the string, no byte round trip.
    if (typeof value === 'string' && value.length <= QUOTED_MAX && isPlainQuotable(value))
      return this.text(`"${value}"`);
    const bytes = typeof value === 'string' ? utf8(value) : value;
    if (canQuote(bytes)) return this.quoted(bytes);
    // Strings are never literal8 (RFC 3516 allows it for message data only, see the callers).
    return this.literal(bytes);
  }

  nstring(value: string | Uint8Array | null): this {
    return value === null ? this.text('NIL') : this.string(value);
  }

  /** `astring`: atom when possible. */
  astring(value: string): this {
    if (isAstringAtom(value)) return this.text(value);
    return this.string(value);
  }

  /** `list-mailbox`: like astring, but `%` and `*` may stay bare. */
  listMailbox(value: string): this {
    if (value.length > 0 && !/^nil$/i.test(value) && [...value].every((ch) => isListChar(ch.charCodeAt(0))))
      return this.text(value);
    return this.string(value);
  }

  private quoted(bytes: Uint8Array): this {
    let out = '"';
    for (const b of bytes) {
      if (b === 0x22 || b === 0x5c) out += '\\';
      out += String.fromCharCode(b);
    }
    return this.text(`${out}"`);
  }

  list<T>(items: readonly T[], each: (item: T) => void): this {
    this.text('(');
    items.forEach((item, i) => {
      if (i > 0) this.text(' ');
      each(item);
    });
    return this.text(')');
  }

  sequenceSet(set: SequenceSet): this {
    return this.text(formatSequenceSet(set));
  }

  date(date: ImapDate): this {
    return this.text(formatDate(date));
  }

  dateTime(date: ImapDateTime): this {
    return this.text(`"${formatDateTime(date)}"`);
  }

  crlf(): this {
    return this.text('\r\n');
  }

  private flush(): void {
    if (this.pending.length > 0) {
      this.parts.push(fromLatin1(this.pending));
      this.pending = '';
    }
  }

  /** The parts written so far (the writer is reset). */
  take(): Uint8Array[] {
    this.flush();
    const parts = this.parts;
    this.parts = [];
    return parts;
  }

  toBytes(): Uint8Array {
    const parts = this.take();
    return parts.length === 1 ? parts[0]! : concatBytes(parts);
  }
}

/** Printable ASCII without `"` or backslash: its quoted form is the text between two `"`. */
function isPlainQuotable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

function canQuote(bytes: Uint8Array): boolean {
  if (bytes.length > QUOTED_MAX) return false;
  for (const b of bytes) if (b === 0 || b === 0x0d || b === 0x0a || b > 0x7f) return false;
  return true;
}

function isAstringAtom(value: string): boolean {
  if (value.length === 0 || /^nil$/i.test(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!isAtomChar(c) && c !== 0x5d) return false;
  }
  return true;
}

function isListChar(c: number): boolean {
  return isAtomChar(c) || c === 0x5d || c === 0x25 || c === 0x2a;
}

export function formatSequenceSet(set: SequenceSet): string {
  if (set === '$') return '$';
  return set.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
}

export function formatDate(date: ImapDate): string {
  return `${date.day}-${capital(MONTHS[date.month - 1] ?? 'JAN')}-${String(date.year).padStart(4, '0')}`;
}

export function formatDateTime(d: ImapDateTime): string {
  const zone = Math.abs(d.zone);
  const sign = d.zone < 0 ? '-' : '+';
  const day = String(d.day).padStart(2, ' ');
  return `${day}-${capital(MONTHS[d.month - 1] ?? 'JAN')}-${String(d.year).padStart(4, '0')} ${two(d.hour)}:${two(
    d.minute,
  )}:${two(d.second)} ${sign}${two(Math.floor(zone / 60))}${two(zone % 60)}`;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function capital(month: string): string {
  return month[0] + month.slice(1).toLowerCase();
}
