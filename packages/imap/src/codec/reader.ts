import { decodeUtf8, latin1 } from '@mailwire/core';
import type { CommandFrame } from './fragmentizer.js';
import { ALPHA, ASTRING, ATOM, ascii, CLASS, KeywordTable, LIST, UPPER } from './chars.js';
import { literalHeader, STREAMED } from './fragmentizer.js';
import type { ImapDate, ImapDateTime, SequenceSet, SeqNumber } from './types.js';

/**
 * A cursor over one framed command or response: lines with literals between them. The grammar
 * reads tokens from it; a literal is taken whole from the frame (never scanned) when the cursor
 * reaches the header at the end of a line.
 */

export class ImapSyntaxError extends Error {}

export const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface ReaderLimits {
  /** Deepest parenthesised nesting accepted (search keys, body structures). */
  readonly maxDepth: number;
}

/** Keywords of the command and response grammars, returned interned by `keyword()`. */
const KEYWORDS = new KeywordTable([
  ...'CAPABILITY NOOP LOGOUT STARTTLS AUTHENTICATE LOGIN ENABLE ID SELECT EXAMINE CREATE DELETE RENAME'.split(
    ' ',
  ),
  ...'SUBSCRIBE UNSUBSCRIBE LIST LSUB STATUS APPEND CHECK CLOSE UNSELECT EXPUNGE SEARCH FETCH STORE'.split(
    ' ',
  ),
  ...'COPY MOVE UID IDLE NAMESPACE DONE'.split(' '),
  ...'ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED'.split(
    ' ',
  ),
  ...'UNSEEN BCC BODY CC FROM SUBJECT TEXT TO BEFORE ON SINCE SENTBEFORE SENTON SENTSINCE KEYWORD'.split(' '),
  ...'UNKEYWORD HEADER LARGER SMALLER NOT OR MIN MAX COUNT SAVE RETURN CHARSET'.split(' '),
  ...'MESSAGES UIDNEXT UIDVALIDITY SIZE APPENDLIMIT HIGHESTMODSEQ SUBSCRIBED CHILDREN SPECIAL-USE'.split(' '),
  ...'RECURSIVEMATCH REMOTE PLAIN XOAUTH2 OAUTHBEARER CRAM-MD5 SCRAM-SHA-256 IMAP4REV2 UTF8=ACCEPT'.split(
    ' ',
  ),
  ...'OK NO BAD BYE PREAUTH EXISTS FLAGS ESEARCH FAST FULL'.split(' '),
  ...'INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE RFC822 RFC822.HEADER RFC822.TEXT MODSEQ'.split(' '),
  ...'BODY.PEEK BINARY BINARY.PEEK BINARY.SIZE HEADER.FIELDS HEADER.FIELDS.NOT MIME'.split(' '),
  // Header field names clients ask for in BODY[HEADER.FIELDS (…)].
  ...'DATE MESSAGE-ID CONTENT-TYPE REFERENCES IN-REPLY-TO REPLY-TO SENDER LIST-ID PRIORITY'.split(' '),
  ...'X-PRIORITY IMPORTANCE CONTENT-TRANSFER-ENCODING LIST-UNSUBSCRIBE AUTOCRYPT DELIVERED-TO'.split(' '),
]);

export function decodeText(bytes: Uint8Array): string {
  if (bytes.length < 256) {
    let text = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b > 0x7f) return decodeUtf8(bytes) ?? latin1(bytes);
      text += String.fromCharCode(b);
    }
    return text;
  }
  return decodeUtf8(bytes) ?? latin1(bytes);
}

export class TokenReader {
  private li = 0;
  private pos = 0;
  private line: Uint8Array;
  depth = 0;

  constructor(
    private readonly frame: CommandFrame,
    readonly limits: ReaderLimits = { maxDepth: 64 },
  ) {
    this.line = frame.lines[0] ?? new Uint8Array(0);
  }

  fail(message: string): never {
    throw new ImapSyntaxError(message);
  }

  /** The current byte, or -1 at the end of the line. */
  peek(): number {
    return this.pos < this.line.length ? this.line[this.pos]! : -1;
  }

  peekAt(offset: number): number {
    const i = this.pos + offset;
    return i < this.line.length ? this.line[i]! : -1;
  }

  atEnd(): boolean {
    return this.pos >= this.line.length && this.li >= this.frame.lines.length - 1;
  }

  end(): void {
    if (!this.atEnd()) this.fail('unexpected characters at end of command');
  }

  skip(n = 1): void {
    this.pos += n;
  }

  sp(): void {
    if (this.peek() !== SP) this.fail('expected space');
    this.pos += 1;
  }

  /** Consumes `c` if it is next. */
  maybe(c: number): boolean {
    if (this.peek() !== c) return false;
    this.pos += 1;
    return true;
  }

  expectByte(c: number, what: string): void {
    if (this.peek() !== c) this.fail(`expected ${what}`);
    this.pos += 1;
  }

  /** Consumes `text` (upper case ASCII) case-insensitively if it is next. */
  maybeWord(text: string): boolean {
    const line = this.line;
    const pos = this.pos;
    if (pos + text.length > line.length) return false;
    for (let i = 0; i < text.length; i++) {
      if (UPPER[line[pos + i]!] !== text.charCodeAt(i)) return false;
    }
    this.pos += text.length;
    return true;
  }

  openList(): void {
    this.expectByte(0x28, '(');
    this.depth += 1;
    if (this.depth > this.limits.maxDepth) this.fail('nesting too deep');
  }

  closeList(): void {
    this.expectByte(0x29, ')');
    this.depth -= 1;
  }

  /** Reads while `accept(c)` holds; at least one byte. */
  run(accept: (c: number) => boolean, what: string): string {
    const line = this.line;
    const start = this.pos;
    let i = start;
    while (i < line.length && accept(line[i]!)) i += 1;
    if (i === start) this.fail(`expected ${what}`);
    this.pos = i;
    return ascii(line, start, i);
  }

  /** Skips bytes of class `mask` (see `chars.ts`); returns where the run started. */
  scan(mask: number, what: string): number {
    const line = this.line;
    const start = this.pos;
    let i = start;
    while (i < line.length && (CLASS[line[i]!]! & mask) !== 0) i += 1;
    if (i === start) this.fail(`expected ${what}`);
    this.pos = i;
    return start;
  }

  /** Reads a run of bytes of class `mask` as text. */
  runClass(mask: number, what: string): string {
    const start = this.scan(mask, what);
    return ascii(this.line, start, this.pos);
  }

  atom(): string {
    return this.runClass(ATOM, 'atom');
  }

  /** An atom, upper-cased (command names, keywords); known keywords come back interned. */
  keyword(): string {
    return this.upperRun(ATOM, 'atom');
  }

  /** A run of class `mask`, upper-cased; known keywords come back interned. */
  upperRun(mask: number, what: string): string {
    // The scan and the keyword hash in one pass over the bytes.
    const line = this.line;
    const start = this.pos;
    let i = start;
    let lo = 0;
    let hi = 0;
    while (i < line.length) {
      const c = line[i]!;
      if ((CLASS[c]! & mask) === 0) break;
      // The keyword table's key: the last 8 upper-cased bytes (see `KeywordTable`).
      hi = (hi << 8) | (lo >>> 24);
      lo = (lo << 8) | UPPER[c]!;
      i += 1;
    }
    if (i === start) this.fail(`expected ${what}`);
    this.pos = i;
    return KEYWORDS.find(lo, hi, line, start, i) ?? ascii(line, start, i).toUpperCase();
  }

  number(): number {
    const line = this.line;
    const start = this.pos;
    let i = start;
    let value = 0;
    while (i < line.length) {
      const c = line[i]!;
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i += 1;
    }
    if (i === start) this.fail('expected number');
    if (i - start > 20 || !Number.isSafeInteger(value)) this.fail('number too large');
    this.pos = i;
    return value;
  }

  nzNumber(): number {
    const value = this.number();
    if (value === 0) this.fail('expected a non-zero number');
    return value;
  }

  /** number (RFC 9051: 32-bit unsigned). */
  number32(): number {
    const value = this.number();
    if (value > 0xffffffff) this.fail('number out of range');
    return value;
  }

  isStringStart(): boolean {
    const c = this.peek();
    return c === DQUOTE || c === 0x7b || (c === 0x7e && this.peekAt(1) === 0x7b);
  }

  /** `string`: a quoted string or a literal, as bytes. */
  stringBytes(allowBinary = false): Uint8Array {
    const c = this.peek();
    if (c === DQUOTE) return this.quoted();
    if (c === 0x7b || c === 0x7e) return this.literal(allowBinary).bytes;
    return this.fail('expected string');
  }

  string(): string {
    if (this.peek() === DQUOTE) return this.quotedText();
    return decodeText(this.stringBytes());
  }

  /** A literal (`{n}`, `{n+}`, `{n-}`, or `~{n}` when allowed) at the end of the line. */
  literal(allowBinary: boolean): { bytes: Uint8Array; binary: boolean } {
    const header = literalHeader(this.line);
    if (header === undefined || header.start !== this.pos) this.fail('malformed literal');
    if (header.binary && !allowBinary) this.fail('literal8 not allowed here');
    const bytes = this.frame.literals[this.li];
    if (bytes === undefined || (bytes.length !== header.size && bytes !== STREAMED))
      this.fail('missing literal');
    this.li += 1;
    this.line = this.frame.lines[this.li] ?? new Uint8Array(0);
    this.pos = 0;
    return { bytes, binary: header.binary };
  }

  quoted(): Uint8Array {
    this.expectByte(DQUOTE, 'quoted string');
    const line = this.line;
    let i = this.pos;
    let escaped = false;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const n = line[i + 1];
        if (n !== DQUOTE && n !== BACKSLASH) this.fail('bad escape in quoted string');
        escaped = true;
        i += 1;
      } else if (c === 0 || c === 0x0d || c === 0x0a) {
        this.fail('bad character in quoted string');
      }
    }
    if (i >= line.length) this.fail('unterminated quoted string');
    let bytes = line.subarray(this.pos, i);
    this.pos = i + 1;
    if (escaped) {
      const out = new Uint8Array(bytes.length);
      let n = 0;
      for (let j = 0; j < bytes.length; j++) {
        if (bytes[j] === BACKSLASH) j += 1;
        out[n++] = bytes[j]!;
      }
      bytes = out.subarray(0, n);
    }
    return bytes;
  }

  /**
   * A quoted string as text, the same as `decodeText(quoted())`: plain ASCII without escapes
   * (nearly every quoted string a client sends) is turned into text as it is scanned, without a
   * view or a second pass; anything else goes the general way.
   */
  quotedText(): string {
    this.expectByte(DQUOTE, 'quoted string');
    const line = this.line;
    const start = this.pos;
    let text = '';
    for (let i = start; i < line.length; i++) {
      const c = line[i]!;
      if (c === DQUOTE) {
        this.pos = i + 1;
        return text;
      }
      if (c === BACKSLASH || c >= 0x80 || c === 0 || c === 0x0d || c === 0x0a) break;
      text += String.fromCharCode(c);
    }
    this.pos = start - 1;
    return decodeText(this.quoted());
  }

  /** `astring`: 1*ASTRING-CHAR or a string. */
  astring(): string {
    const c = this.peek();
    if (c === DQUOTE) return this.quotedText();
    if (c === 0x7b || c === 0x7e) return this.string();
    return this.runClass(ASTRING, 'astring');
  }

  /** An astring, upper-cased (header field names); known keywords come back interned. */
  upperAstring(): string {
    if (this.isStringStart()) return this.string().toUpperCase();
    return this.upperRun(ASTRING, 'astring');
  }

  /** `nstring`: a string or NIL. */
  nstring(): string | null {
    if (this.maybeNil()) return null;
    return this.string();
  }

  maybeNil(): boolean {
    const c = this.peekAt(3);
    if (c !== -1 && (CLASS[c]! & ATOM) !== 0) return false;
    return this.maybeWord('NIL');
  }

  /** `mailbox`: INBOX is case-insensitive (RFC 9051 §5.1). */
  mailbox(): string {
    const name = this.astring();
    return name.length === 5 && name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
  }

  /** `list-mailbox`: 1*list-char (with wildcards) or a string. */
  listMailbox(): string {
    if (this.isStringStart()) return this.string();
    return this.runClass(LIST, 'list-mailbox');
  }

  /** `flag`: `\Word` or a keyword atom. */
  flag(allowRecent = false): string {
    if (this.maybe(BACKSLASH)) {
      if (allowRecent && this.peek() === 0x2a) {
        this.skip();
        return '\\*';
      }
      return `\\${this.atom()}`;
    }
    return this.atom();
  }

  flagList(): string[] {
    this.openList();
    const flags: string[] = [];
    if (this.peek() !== 0x29) {
      flags.push(this.flag());
      while (this.maybe(SP)) flags.push(this.flag());
    }
    this.closeList();
    return flags;
  }

  sequenceSet(): SequenceSet {
    if (this.maybe(0x24)) return '$';
    const ranges: (readonly [SeqNumber, SeqNumber])[] = [];
    do {
      const start = this.seqNumber();
      const end = this.maybe(0x3a) ? this.seqNumber() : start;
      ranges.push([start, end]);
    } while (this.maybe(0x2c));
    return ranges;
  }

  private seqNumber(): SeqNumber {
    if (this.maybe(0x2a)) return '*';
    if (this.peek() === 0x30) this.fail('sequence numbers do not start with 0');
    const n = this.nzNumber();
    if (n > 0xffffffff) this.fail('sequence number out of range');
    return n;
  }

  private finishDate(day: number, quoted: boolean): ImapDate {
    this.expectByte(0x2d, '-');
    const month = this.month();
    this.expectByte(0x2d, '-');
    const yearStart = this.pos;
    const year = this.number();
    if (this.pos - yearStart !== 4) this.fail('bad year');
    if (quoted) this.expectByte(DQUOTE, '"');
    if (day < 1 || day > 31) this.fail('bad day');
    return { year, month, day };
  }

  /** `date`: date-text, optionally quoted. */
  date(): ImapDate {
    const quoted = this.maybe(DQUOTE);
    const start = this.pos;
    const day = this.number();
    if (this.pos - start > 2) this.fail('bad day');
    return this.finishDate(day, quoted);
  }

  month(): number {
    const text = this.upperRun(ALPHA, 'month');
    const index = MONTHS.indexOf(text);
    if (index === -1) this.fail('bad month');
    return index + 1;
  }

  /** `date-time`: "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 9051 §9). */
  dateTime(): ImapDateTime {
    this.expectByte(DQUOTE, 'date-time');
    this.maybe(SP);
    const dayText = this.run(isDigit, 'day');
    if (dayText.length > 2) this.fail('bad day');
    const day = Number(dayText);
    const date = this.finishDate(day, false);
    this.sp();
    const hour = this.twoDigits();
    this.expectByte(0x3a, ':');
    const minute = this.twoDigits();
    this.expectByte(0x3a, ':');
    const second = this.twoDigits();
    this.sp();
    const sign = this.peek();
    if (sign !== 0x2b && sign !== 0x2d) this.fail('bad zone');
    this.skip();
    const zoneText = this.run(isDigit, 'zone');
    if (zoneText.length !== 4) this.fail('bad zone');
    const zoneMinutes = Number(zoneText.slice(0, 2)) * 60 + Number(zoneText.slice(2));
    this.expectByte(DQUOTE, '"');
    if (hour > 23 || minute > 59 || second > 60) this.fail('bad time');
    return { ...date, hour, minute, second, zone: sign === 0x2d ? -zoneMinutes : zoneMinutes };
  }

  private twoDigits(): number {
    const text = this.run(isDigit, 'digits');
    if (text.length !== 2) this.fail('bad time');
    return Number(text);
  }

  /** Reads the rest of the current line as text (resp-text). */
  rest(): string {
    const text = decodeText(this.line.subarray(this.pos));
    this.pos = this.line.length;
    return text;
  }

  /** Reads bytes up to (not including) `stop`, or to the end of the line. */
  until(stop: number): string {
    const start = this.pos;
    while (this.pos < this.line.length && this.line[this.pos] !== stop) this.pos += 1;
    return decodeText(this.line.subarray(start, this.pos));
  }
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isAstringChar(c: number): boolean {
  return (CLASS[c]! & ASTRING) !== 0;
}
