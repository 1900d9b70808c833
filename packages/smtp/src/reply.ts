/**
 * SMTP replies (RFC 5321 §4.2): serializer for servers, incremental parser for clients and tests.
 *
 * A reply is a three-digit code, an optional enhanced status code (RFC 2034, RFC 3463) and one
 * or more text lines. On the wire every line but the last is `code "-" text`, the last is
 * `code SP text`; with ENHANCEDSTATUSCODES every line repeats the enhanced code (RFC 2034 §3).
 *
 * `ReplyParser` is sans-I/O like the sessions: `push()` buffers, `next()` returns one complete
 * reply or a typed error, and never throws whatever the peer sends.
 */

import { decodeUtf8, LineReader, latin1, utf8 } from '@mailwire/core';

export interface SmtpReply {
  /** Three-digit reply code, 200–599 (RFC 5321 §4.2.1). */
  readonly code: number;
  /** Enhanced status code `class.subject.detail` (RFC 3463), when there is one. */
  readonly enhanced?: string | undefined;
  /** Text lines without the code and enhanced code; at least one (it may be empty). */
  readonly lines: readonly string[];
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

/** True when `value` is a well-formed enhanced status code (RFC 3463 §2). */
export function isEnhancedCode(value: string): boolean {
  const match = ENHANCED.exec(value);
  if (!match) return false;
  return (
    !(match[2]!.length > 1 && match[2]!.startsWith('0')) &&
    !(match[3]!.length > 1 && match[3]!.startsWith('0'))
  );
}

/** Builds a reply; `text` may hold several lines separated by `\n`. */
export function reply(code: number, enhanced: string | undefined, text: string): SmtpReply {
  return { code, enhanced, lines: text.split('\n') };
}

/**
 * Serializes a reply to wire bytes. Text must be printable US-ASCII or UTF-8 without CR/LF;
 * anything else is the caller's bug.
 */
export function serializeReply(value: SmtpReply): Uint8Array {
  if (!Number.isInteger(value.code) || value.code < 200 || value.code > 599)
    throw new RangeError(`SMTP reply code out of range: ${value.code}`);
  if (value.enhanced !== undefined && !isEnhancedCode(value.enhanced))
    throw new RangeError(`malformed enhanced status code: ${value.enhanced}`);
  const lines = value.lines.length === 0 ? [''] : value.lines;
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/[\r\n]/.test(line)) throw new RangeError('SMTP reply text must not contain CR or LF');
    const sep = i === lines.length - 1 ? ' ' : '-';
    const text =
      value.enhanced === undefined ? line : line === '' ? value.enhanced : `${value.enhanced} ${line}`;
    out +=
      text === ''
        ? sep === ' '
          ? `${value.code}\r\n`
          : `${value.code}-\r\n`
        : `${value.code}${sep}${text}\r\n`;
  }
  return utf8(out);
}

export type ReplyParseError =
  | 'ERR_SMTP_REPLY_SYNTAX'
  | 'ERR_SMTP_REPLY_CODE_MISMATCH'
  | 'ERR_SMTP_REPLY_TOO_LONG'
  | 'ERR_SMTP_REPLY_TOO_MANY_LINES';

export type ReplyParseResult =
  | { readonly type: 'reply'; readonly reply: SmtpReply }
  | { readonly type: 'error'; readonly code: ReplyParseError; readonly line: string };

export interface ReplyParserOptions {
  /**
   * Split off enhanced status codes (set once the server advertised ENHANCEDSTATUSCODES).
   * Default `true`: a code is taken only when every line starts with the same one and its class
   * matches the reply code's first digit.
   */
  readonly enhanced?: boolean;
  /** Longest reply line in octets. Default 4096: RFC 5321 §4.5.3.1.5 says 512, servers exceed it. */
  readonly maxLineLength?: number;
  /** Most lines in one reply (an EHLO reply has a dozen). Default 256. */
  readonly maxLines?: number;
}

/**
 * Incremental reply parser (the client side of the codec).
 *
 * @example
 * const parser = new ReplyParser();
 * parser.push(bytes);
 * for (let r = parser.next(); r; r = parser.next()) if (r.type === 'reply') console.log(r.reply.code);
 */
export class ReplyParser {
  private readonly reader: LineReader;
  private readonly enhanced: boolean;
  private readonly maxLines: number;
  private pending: { code: number; raw: string[] } | undefined;

  constructor(options: ReplyParserOptions = {}) {
    this.reader = new LineReader({ maxLineLength: options.maxLineLength ?? 4096 });
    this.enhanced = options.enhanced ?? true;
    this.maxLines = options.maxLines ?? 256;
  }

  push(bytes: Uint8Array): void {
    this.reader.push(bytes);
  }

  next(): ReplyParseResult | undefined {
    for (;;) {
      const frame = this.reader.next();
      if (frame === undefined) return undefined;
      if (frame.type !== 'line') {
        this.pending = undefined;
        return { type: 'error', code: 'ERR_SMTP_REPLY_TOO_LONG', line: '' };
      }
      const line = decodeLine(frame.bytes);
      const match = /^([2-5]\d\d)([ -]|$)/.exec(line);
      if (!match) {
        this.pending = undefined;
        return { type: 'error', code: 'ERR_SMTP_REPLY_SYNTAX', line };
      }
      const code = Number(match[1]);
      const text = line.slice(4);
      if (this.pending && this.pending.code !== code) {
        this.pending = undefined;
        return { type: 'error', code: 'ERR_SMTP_REPLY_CODE_MISMATCH', line };
      }
      const pending = this.pending ?? { code, raw: [] };
      pending.raw.push(text);
      if (match[2] === '-') {
        if (pending.raw.length >= this.maxLines) {
          this.pending = undefined;
          return { type: 'error', code: 'ERR_SMTP_REPLY_TOO_MANY_LINES', line };
        }
        this.pending = pending;
        continue;
      }
      this.pending = undefined;
      return { type: 'reply', reply: this.build(pending.code, pending.raw) };
    }
  }

  private build(code: number, raw: string[]): SmtpReply {
    if (this.enhanced) {
      const first = /^(\S+)(?: |$)/.exec(raw[0]!)?.[1];
      if (
        first !== undefined &&
        isEnhancedCode(first) &&
        first[0] === String(code)[0] &&
        raw.every((l) => l === first || l.startsWith(`${first} `))
      ) {
        return { code, enhanced: first, lines: raw.map((l) => l.slice(first.length + 1)) };
      }
    }
    return { code, enhanced: undefined, lines: raw };
  }
}

function decodeLine(bytes: Uint8Array): string {
  return decodeUtf8(bytes) ?? latin1(bytes);
}
