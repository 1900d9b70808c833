import { concatBytes } from '@mailwire/core';
import { ATOM, ascii, CLASS, TAG } from './chars.js';
import { Framer, OVERFLOW } from './framer.js';

/**
 * The first stage of command parsing: splits the client's byte stream into complete commands,
 * each a run of lines with the literals between them, before any grammar is applied.
 *
 * Theory of operation: a line that ends with a literal header (`{n}`, `{n+}`, `{n-}`, `~{n}`,
 * RFC 9051 §4.3, RFC 7888, RFC 3516) is followed by exactly `n` raw octets and then by the rest of
 * the command on the next line. The octets are taken with `Framer.expect(n)`: they are sliced
 * out of the input, never scanned. A synchronising literal produces a `continue` fragment first,
 * so the session can send its `+ ` continuation request (or refuse the literal with a tagged
 * `NO` instead, RFC 9051 §7.5; the client then does not send it, so we go on at the next line).
 * A non-synchronising literal that is refused is skipped octet-exact, and the rest of its command
 * is dropped, so the stream stays in sync.
 *
 * Memory: one command is at most `maxCommandSize` octets (lines plus literals), and one line at
 * most `maxLineLength`.
 */

export interface FragmentizerOptions {
  /** Longest line (excluding literals). Default 8 KiB (RFC 9051 §4 recommends accepting 8000). */
  readonly maxLineLength?: number;
  /** Largest literal accepted. Default 25 MiB, a common maximum email size. */
  readonly maxLiteralSize?: number;
  /** Largest command, lines plus literals. Default `maxLiteralSize + 64 KiB`. */
  readonly maxCommandSize?: number;
  /** `LITERAL-` semantics (RFC 7888 §5): non-synchronising literals over 4096 octets are refused. */
  readonly literalMinus?: boolean;
  /**
   * APPEND message literals larger than this are streamed (`literal-start`, `literal-data`…)
   * instead of buffered; in the final frame they are the `STREAMED` placeholder. Default: never.
   */
  readonly streamAbove?: number;
}

/** The `literals` of every command framed without one (shared, frozen). */
const NO_LITERALS: readonly Uint8Array[] = Object.freeze([]);

/** Placeholder for a literal that was streamed (see `FragmentizerOptions.streamAbove`). */
export const STREAMED: Uint8Array = new Uint8Array(0);

export interface CommandFrame {
  /** The command's lines, without CRLF; every line but the last ends with a literal header. */
  readonly lines: readonly Uint8Array[];
  /** `literals[i]` follows `lines[i]`. */
  readonly literals: readonly Uint8Array[];
}

export type Fragment =
  | { readonly type: 'command'; readonly frame: CommandFrame }
  /** A synchronising literal was announced: send the continuation request, or `refuse()` it. */
  | { readonly type: 'continue'; readonly tag: string | undefined; readonly size: number }
  /**
   * An APPEND message literal of `size` octets will be streamed: `frame` is the command so far
   * (its last line ends with the literal header). Call `accept()` (send `+ ` first when `sync`)
   * or `refuse()`; then come `literal-data` fragments, and later the rest of the command.
   */
  | {
      readonly type: 'literal-start';
      readonly tag: string | undefined;
      readonly size: number;
      readonly sync: boolean;
      readonly frame: CommandFrame;
    }
  /** Bytes of the streamed literal; `end` on the last. */
  | { readonly type: 'literal-data'; readonly bytes: Uint8Array; readonly end: boolean }
  /** A command was dropped: `tag` is the tag to answer (when one could be read). */
  | {
      readonly type: 'error';
      readonly tag: string | undefined;
      readonly reason: 'line-too-long' | 'literal-too-large' | 'command-too-large';
    };

/** Parsed literal header at the end of a line. */
export interface LiteralHeader {
  readonly size: number;
  readonly sync: boolean;
  readonly binary: boolean;
  /** Index in the line where the header starts. */
  readonly start: number;
}

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const PLUS = 0x2b;
const MINUS = 0x2d;
const TILDE = 0x7e;

/** Reads a literal header at the end of `line`, or `undefined`. */
export function literalHeader(line: Uint8Array): LiteralHeader | undefined {
  let i = line.length - 1;
  if (i < 2 || line[i] !== CLOSE) return undefined;
  i -= 1;
  let sync = true;
  if (line[i] === PLUS || line[i] === MINUS) {
    sync = false;
    i -= 1;
  }
  const end = i + 1;
  while (i >= 0 && line[i]! >= 0x30 && line[i]! <= 0x39) i -= 1;
  const digits = end - (i + 1);
  if (digits === 0 || digits > 10 || i < 0 || line[i] !== OPEN) return undefined;
  let size = 0;
  for (let j = i + 1; j < end; j++) size = size * 10 + (line[j]! - 0x30);
  let start = i;
  let binary = false;
  if (i > 0 && line[i - 1] === TILDE) {
    binary = true;
    start = i - 1;
  }
  return { size, sync, binary, start };
}

/** The tag of a command line, if its first token is a valid tag. */
export function peekTag(line: Uint8Array | undefined): string | undefined {
  if (line === undefined) return undefined;
  const limit = Math.min(line.length, 64);
  for (let i = 0; i < limit; i++) {
    const c = line[i]!;
    if (c === 0x20) return i > 0 ? ascii(line, 0, i) : undefined;
    if ((CLASS[c]! & TAG) === 0) return undefined;
  }
  return undefined;
}

/** ASTRING-CHAR except `+` (RFC 9051 §9 `tag`). */
export function isTagChar(c: number): boolean {
  return (CLASS[c]! & TAG) !== 0;
}

/** ATOM-CHAR: any CHAR except atom-specials (RFC 9051 §9). */
export function isAtomChar(c: number): boolean {
  return (CLASS[c]! & ATOM) !== 0;
}

export class Fragmentizer {
  private readonly reader: Framer;
  /** Largest literal accepted now (a session lowers it before authentication). */
  maxLiteralSize: number;
  /** Largest command now, lines plus literals. */
  maxCommandSize: number;
  private readonly literalMinus: boolean;
  private lines: Uint8Array[] = [];
  private literals: Uint8Array[] = [];
  private parts: Uint8Array[] = [];
  private size = 0;
  /** Set while the rest of a refused command is being dropped. */
  private dropping: Fragment | undefined;
  /** Drop the rest of the command without reporting (the session already answered). */
  private silent = false;
  private awaiting: { tag: string | undefined; size: number; sync: boolean; stream: boolean } | undefined;
  private inLiteral = false;
  private streaming = false;
  private readonly streamAbove: number;

  constructor(options: FragmentizerOptions = {}) {
    this.reader = new Framer(options.maxLineLength ?? 8192);
    this.maxLiteralSize = options.maxLiteralSize ?? 25 * 1024 * 1024;
    this.maxCommandSize = options.maxCommandSize ?? this.maxLiteralSize + 65536;
    this.literalMinus = options.literalMinus ?? false;
    this.streamAbove = options.streamAbove ?? Number.POSITIVE_INFINITY;
  }

  /** Octets buffered and not yet framed. */
  get buffered(): number {
    return this.reader.buffered;
  }

  /** True between the `continue` fragment and `accept()`/`refuse()`. */
  get pendingContinuation(): boolean {
    return this.awaiting !== undefined;
  }

  push(bytes: Uint8Array): void {
    this.reader.push(bytes);
  }

  /** Drops everything buffered (STARTTLS injection defence); returns the octets dropped. */
  discard(): number {
    this.reset();
    this.awaiting = undefined;
    this.inLiteral = false;
    return this.reader.discard();
  }

  /** After a `continue` fragment: the literal's bytes follow (the session sent `+ `). */
  accept(): void {
    const awaiting = this.awaiting;
    if (awaiting === undefined) return;
    this.awaiting = undefined;
    this.streaming = awaiting.stream;
    this.startLiteral(awaiting.size);
  }

  /** After a `continue` fragment: the literal is refused (tagged NO sent); the command is dropped. */
  refuse(): void {
    const awaiting = this.awaiting;
    if (awaiting === undefined) return;
    this.awaiting = undefined;
    this.reset();
    if (!awaiting.sync) {
      // RFC 7888: a non-synchronising literal is sent anyway; skip it and the rest of the command.
      this.silent = true;
      this.startLiteral(awaiting.size);
    }
  }

  next(): Fragment | undefined {
    if (this.awaiting !== undefined) return undefined;
    const reader = this.reader;
    for (;;) {
      if (reader.remaining > 0) {
        const bytes = reader.bytes();
        if (bytes === undefined) return undefined;
        const end = reader.remaining === 0;
        if (this.streaming) {
          if (end) {
            this.streaming = false;
            this.inLiteral = false;
            this.literals.push(STREAMED);
          }
          return { type: 'literal-data', bytes, end };
        }
        if (this.dropping === undefined && !this.silent) {
          this.parts.push(bytes);
        }
        if (end) {
          this.inLiteral = false;
          if (this.dropping === undefined && !this.silent) {
            const parts = this.parts;
            this.parts = [];
            this.literals.push(parts.length === 1 ? parts[0]! : concatBytes(parts));
          }
        }
        continue;
      }
      const line = reader.line();
      if (line === undefined) return undefined;
      if (this.inLiteral) {
        // expect(0): the empty literal.
        this.inLiteral = false;
        if (this.dropping === undefined && !this.silent) this.literals.push(new Uint8Array(0));
      }
      if (line === OVERFLOW) {
        const tag = peekTag(this.lines[0]);
        const dropping = this.dropping;
        const silent = this.silent;
        this.reset();
        if (silent) continue;
        // An overlong line cannot be searched for a literal header; we resynchronise on the
        // next line, as every server does.
        return dropping ?? { type: 'error', tag, reason: 'line-too-long' };
      }
      const header = literalHeader(line);
      if (this.dropping !== undefined || this.silent) {
        if (header !== undefined && !header.sync) {
          this.startLiteral(header.size);
          continue;
        }
        const error = this.dropping;
        this.reset();
        if (error === undefined) continue;
        return error;
      }
      if (header === undefined && this.lines.length === 0) {
        // Most commands are one line without literals: no arrays grown for them.
        return { type: 'command', frame: { lines: [line], literals: NO_LITERALS } };
      }
      this.lines.push(line);
      this.size += line.length + 2;
      if (header === undefined) {
        const command: Fragment = {
          type: 'command',
          frame: { lines: this.lines, literals: this.literals },
        };
        this.lines = [];
        this.literals = [];
        this.size = 0;
        return command;
      }
      const tag = peekTag(this.lines[0]);
      let reason: 'literal-too-large' | 'command-too-large' | undefined;
      if (header.size > this.maxLiteralSize) reason = 'literal-too-large';
      else if (this.literalMinus && !header.sync && header.size > 4096) reason = 'literal-too-large';
      else if (this.size + header.size > this.maxCommandSize) reason = 'command-too-large';
      if (reason !== undefined) {
        const error: Fragment = { type: 'error', tag, reason };
        if (header.sync) {
          // RFC 9051 §7.5: the server answers a tagged NO instead of the continuation; the client
          // then does not send the literal.
          this.reset();
          return error;
        }
        // RFC 7888 §4: a refused non-synchronising literal is still sent; skip it exactly.
        this.lines = [];
        this.literals = [];
        this.dropping = error;
        this.startLiteral(header.size);
        continue;
      }
      if (header.size > this.streamAbove && isAppend(this.lines[0]!)) {
        this.awaiting = { tag, size: header.size, sync: header.sync, stream: true };
        return {
          type: 'literal-start',
          tag,
          size: header.size,
          sync: header.sync,
          frame: { lines: [...this.lines], literals: [...this.literals] },
        };
      }
      this.size += header.size;
      if (header.sync) {
        this.awaiting = { tag, size: header.size, sync: true, stream: false };
        return { type: 'continue', tag, size: header.size };
      }
      this.startLiteral(header.size);
    }
  }

  private startLiteral(size: number): void {
    this.inLiteral = true;
    this.reader.expect(size);
  }

  private reset(): void {
    this.lines = [];
    this.literals = [];
    this.parts = [];
    this.size = 0;
    this.dropping = undefined;
    this.silent = false;
    this.streaming = false;
  }
}

/** `tag SP "APPEND" SP …`, case-insensitively. */
function isAppend(line: Uint8Array): boolean {
  const tag = peekTag(line);
  if (tag === undefined) return false;
  const word = String.fromCharCode(...line.subarray(tag.length + 1, tag.length + 8)).toUpperCase();
  return word === 'APPEND ';
}
