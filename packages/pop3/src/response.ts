/**
 * POP3 response codec: status lines (`+OK`/`-ERR` with an optional RFC 2449 §8 response code),
 * SASL continuations (`+ base64`, RFC 5034 §4) and the short multi-line listings (CAPA, LIST,
 * UIDL). Message bodies go through `MultilineEncoder` instead, which streams.
 */
import { concatBytes, decodeUtf8, latin1, UsageError, utf8 } from '@mailwire/core';
import { MultilineEncoder } from './byte-stuffing.js';

/**
 * Extended response codes: RFC 2449 §8.1 (IN-USE, LOGIN-DELAY), RFC 3206 (SYS/TEMP, SYS/PERM,
 * AUTH), RFC 6856 §2 (UTF8). Any other `level/level` code is carried as is.
 */
export type Pop3ResponseCode =
  | 'IN-USE'
  | 'LOGIN-DELAY'
  | 'AUTH'
  | 'SYS/TEMP'
  | 'SYS/PERM'
  | 'UTF8'
  | (string & {});

export interface Pop3StatusResponse {
  readonly type: 'status';
  readonly ok: boolean;
  readonly code?: Pop3ResponseCode;
  /** Human-readable text; '' when the server sent none. */
  readonly text: string;
}

/** A SASL server challenge (`+ ` then base64, possibly empty). */
export interface Pop3ContinuationResponse {
  readonly type: 'continuation';
  readonly base64: string;
}

export type Pop3Response = Pop3StatusResponse | Pop3ContinuationResponse;

/**
 * RFC 2449 §8: resp-code = "[" resp-level *("/" resp-level) "]", resp-level = 1*rchar,
 * rchar = %x21-2E / %x30-5C / %x5E-7F (printable ASCII but "/" and "]").
 */
const RESP_CODE = /^[\x21-\x2e\x30-\x5c\x5e-\x7e]+(?:\/[\x21-\x2e\x30-\x5c\x5e-\x7e]+)*$/;

function checkText(text: string): void {
  if (/[\r\n]/.test(text))
    throw new UsageError('ERR_POP3_USAGE_ARGUMENT', 'response text must not contain CR or LF');
}

/**
 * Serializes a response line with its CRLF.
 *
 * @example
 * serializeResponse({ type: 'status', ok: false, code: 'IN-USE', text: 'maildrop locked' });
 * // "-ERR [IN-USE] maildrop locked\r\n"
 */
export function serializeResponse(response: Pop3Response): Uint8Array {
  if (response.type === 'continuation') {
    if (!/^[A-Za-z0-9+/=]*$/.test(response.base64))
      throw new UsageError('ERR_POP3_USAGE_ARGUMENT', 'continuation data must be base64');
    return utf8(`+ ${response.base64}\r\n`);
  }
  checkText(response.text);
  let line = response.ok ? '+OK' : '-ERR';
  if (response.code !== undefined) {
    if (!RESP_CODE.test(response.code))
      throw new UsageError('ERR_POP3_USAGE_ARGUMENT', 'malformed response code');
    line += ` [${response.code}]`;
  }
  if (response.text.length > 0) line += ` ${response.text}`;
  return utf8(`${line}\r\n`);
}

/**
 * Parses one response line (without its CRLF); `undefined` when it is not a POP3 response.
 *
 * @example
 * parseResponse(utf8('+OK 2 320')); // { type: 'status', ok: true, text: '2 320' }
 */
export function parseResponse(line: Uint8Array): Pop3Response | undefined {
  const s = decodeUtf8(line) ?? latin1(line);
  if (s === '+' || s.startsWith('+ ')) return { type: 'continuation', base64: s.slice(2) };
  let rest: string;
  let ok: boolean;
  if (s.startsWith('+OK')) {
    ok = true;
    rest = s.slice(3);
  } else if (s.startsWith('-ERR')) {
    ok = false;
    rest = s.slice(4);
  } else {
    return undefined;
  }
  if (rest.length > 0 && rest[0] !== ' ') return undefined;
  rest = rest.slice(1);
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    const code = close === -1 ? undefined : rest.slice(1, close);
    if (code !== undefined && RESP_CODE.test(code)) {
      const after = rest.slice(close + 1);
      const text = after.startsWith(' ') ? after.slice(1) : after;
      return { type: 'status', ok, code, text: text };
    }
  }
  return { type: 'status', ok, text: rest };
}

/**
 * Serializes a complete multi-line response: the status line, the byte-stuffed lines, and the
 * terminating ".CRLF" (RFC 1939 §3). For the short listings (CAPA, LIST, UIDL, AUTH).
 */
export function serializeMultiline(first: Pop3StatusResponse, lines: readonly string[]): Uint8Array {
  const head = serializeResponse(first);
  const encoder = new MultilineEncoder();
  const parts: Uint8Array[] = [head];
  for (const line of lines) {
    checkText(line);
    parts.push(encoder.encode(utf8(`${line}\r\n`)));
  }
  parts.push(encoder.end());
  return concatBytes(parts);
}
