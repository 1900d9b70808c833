/**
 * POP3 command codec: `parseCommand()` turns one command line (without its CRLF) into a typed
 * command or a typed syntax error, never throwing; `serializeCommand()` is the reverse, for
 * clients and tests.
 *
 * Grammar (RFC 1939 §3, RFC 2449 §3): a case-insensitive keyword of 3–4 printable ASCII letters,
 * then arguments separated by a single space. We accept runs of spaces between arguments (some
 * clients send them) but PASS takes the rest of the line verbatim, spaces included, because
 * "a POP3 server may treat spaces in the argument as part of the password" (RFC 1939 §7).
 * Arguments are decoded as UTF-8 (RFC 6856 §2 lets USER/PASS carry UTF-8), falling back to
 * latin1 for the odd legacy client, so any byte sequence parses to something or to an error.
 */
import { decodeUtf8, latin1, UsageError, utf8 } from '@mailwire/core';

export type Pop3Command =
  | { readonly name: 'USER'; readonly user: string }
  | { readonly name: 'PASS'; readonly password: string }
  | { readonly name: 'APOP'; readonly user: string; readonly digest: string }
  | { readonly name: 'STAT' }
  | { readonly name: 'LIST'; readonly message?: number }
  | { readonly name: 'RETR'; readonly message: number }
  | { readonly name: 'DELE'; readonly message: number }
  | { readonly name: 'NOOP' }
  | { readonly name: 'RSET' }
  | { readonly name: 'QUIT' }
  | { readonly name: 'TOP'; readonly message: number; readonly lines: number }
  | { readonly name: 'UIDL'; readonly message?: number }
  | { readonly name: 'CAPA' }
  | { readonly name: 'STLS' }
  /** `initialResponse` is the raw base64 text (`=` for an empty response, RFC 5034 §4). */
  | { readonly name: 'AUTH'; readonly mechanism?: string; readonly initialResponse?: string }
  | { readonly name: 'UTF8' }
  | { readonly name: 'LANG'; readonly language?: string };

export type Pop3CommandName = Pop3Command['name'];

export const POP3_COMMAND_NAMES: readonly Pop3CommandName[] = [
  'USER',
  'PASS',
  'APOP',
  'STAT',
  'LIST',
  'RETR',
  'DELE',
  'NOOP',
  'RSET',
  'QUIT',
  'TOP',
  'UIDL',
  'CAPA',
  'STLS',
  'AUTH',
  'UTF8',
  'LANG',
];

export type ParseCommandResult =
  | { readonly ok: true; readonly command: Pop3Command }
  | {
      readonly ok: false;
      readonly error: 'unknown' | 'syntax';
      /** The keyword as sent (upper-cased), when one could be read. */
      readonly keyword?: string;
      /** Human-readable reason, safe to put in a `-ERR` line. */
      readonly message: string;
    };

const SPACE = 0x20;
/** Message numbers and line counts: at most this many digits (10^15 < 2^53). */
const MAX_DIGITS = 15;

function fail(error: 'unknown' | 'syntax', message: string, keyword?: string): ParseCommandResult {
  return keyword === undefined ? { ok: false, error, message } : { ok: false, error, keyword, message };
}

function text(bytes: Uint8Array): string {
  return decodeUtf8(bytes) ?? latin1(bytes);
}

function parseNumber(arg: string | undefined): number | undefined {
  if (arg === undefined || arg.length === 0 || arg.length > MAX_DIGITS || !/^[0-9]+$/.test(arg))
    return undefined;
  return Number(arg);
}

/**
 * Parses one command line, without its line terminator.
 *
 * @example
 * parseCommand(utf8('TOP 1 10')); // { ok: true, command: { name: 'TOP', message: 1, lines: 10 } }
 */
export function parseCommand(line: Uint8Array): ParseCommandResult {
  let end = line.indexOf(SPACE);
  if (end === -1) end = line.length;
  const keywordBytes = line.subarray(0, end);
  let keyword = '';
  for (const byte of keywordBytes) {
    const upper = byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte;
    if (!((upper >= 0x41 && upper <= 0x5a) || (upper >= 0x30 && upper <= 0x39)) || keyword.length >= 8)
      return fail('unknown', 'unknown command');
    keyword += String.fromCharCode(upper);
  }
  if (keyword.length === 0) return fail('unknown', 'empty command');
  const name = POP3_COMMAND_NAMES.find((n) => n === keyword);
  if (name === undefined) return fail('unknown', 'unknown command', keyword);
  const rest = end < line.length ? line.subarray(end + 1) : undefined;

  if (name === 'PASS') {
    if (rest === undefined || rest.length === 0) return fail('syntax', 'PASS needs a password', name);
    return { ok: true, command: { name, password: text(rest) } };
  }

  const args =
    rest === undefined
      ? []
      : text(rest)
          .split(' ')
          .filter((a) => a.length > 0);
  const arity = (min: number, max: number) => args.length >= min && args.length <= max;
  const syntax = (usage: string) => fail('syntax', `usage: ${usage}`, name);

  switch (name) {
    case 'USER':
      return arity(1, 1) ? { ok: true, command: { name, user: args[0]! } } : syntax('USER name');
    case 'APOP': {
      const digest = args[1];
      if (!arity(2, 2) || !/^[0-9a-fA-F]{32}$/.test(digest!)) return syntax('APOP name digest');
      return { ok: true, command: { name, user: args[0]!, digest: digest!.toLowerCase() } };
    }
    case 'STAT':
    case 'NOOP':
    case 'RSET':
    case 'QUIT':
    case 'CAPA':
    case 'STLS':
    case 'UTF8':
      return arity(0, 0) ? { ok: true, command: { name } } : syntax(name);
    case 'LIST':
    case 'UIDL': {
      if (!arity(0, 1)) return syntax(`${name} [msg]`);
      if (args.length === 0) return { ok: true, command: { name } };
      const message = parseNumber(args[0]);
      return message === undefined ? syntax(`${name} [msg]`) : { ok: true, command: { name, message } };
    }
    case 'RETR':
    case 'DELE': {
      const message = parseNumber(args[0]);
      return arity(1, 1) && message !== undefined
        ? { ok: true, command: { name, message } }
        : syntax(`${name} msg`);
    }
    case 'TOP': {
      const message = parseNumber(args[0]);
      const lines = parseNumber(args[1]);
      return arity(2, 2) && message !== undefined && lines !== undefined
        ? { ok: true, command: { name, message, lines } }
        : syntax('TOP msg n');
    }
    case 'AUTH': {
      if (!arity(0, 2)) return syntax('AUTH [mechanism [initial-response]]');
      const [mechanism, initialResponse] = args;
      if (mechanism === undefined) return { ok: true, command: { name } };
      // RFC 4422 §3.1: mechanism names are 1–20 of [A-Z0-9-_], case-insensitive.
      if (!/^[A-Za-z0-9_-]{1,20}$/.test(mechanism)) return syntax('AUTH mechanism [initial-response]');
      const upper = mechanism.toUpperCase();
      return initialResponse === undefined
        ? { ok: true, command: { name, mechanism: upper } }
        : { ok: true, command: { name, mechanism: upper, initialResponse } };
    }
    case 'LANG':
      if (!arity(0, 1)) return syntax('LANG [language]');
      return args.length === 0
        ? { ok: true, command: { name } }
        : { ok: true, command: { name, language: args[0]! } };
  }
}

function checkArg(value: string, what: string, allowSpace = false): string {
  if (value.length === 0 || /[\r\n\0]/.test(value) || (!allowSpace && value.includes(' ')))
    throw new UsageError(
      'ERR_POP3_USAGE_ARGUMENT',
      `${what} must be non-empty, without CR, LF, NUL or space`,
    );
  return value;
}

function checkNumber(value: number, what: string, min: number): string {
  if (!Number.isSafeInteger(value) || value < min || String(value).length > MAX_DIGITS)
    throw new UsageError('ERR_POP3_USAGE_ARGUMENT', `${what} must be an integer >= ${min}`);
  return String(value);
}

/**
 * Serializes a command with its CRLF. Throws `UsageError` for arguments the grammar cannot carry.
 *
 * @example
 * serializeCommand({ name: 'RETR', message: 2 }); // bytes of "RETR 2\r\n"
 */
export function serializeCommand(command: Pop3Command): Uint8Array {
  const parts: string[] = [command.name];
  switch (command.name) {
    case 'USER':
      parts.push(checkArg(command.user, 'user'));
      break;
    case 'PASS':
      parts.push(checkArg(command.password, 'password', true));
      break;
    case 'APOP':
      if (!/^[0-9a-f]{32}$/.test(command.digest))
        throw new UsageError('ERR_POP3_USAGE_ARGUMENT', 'APOP digest must be 32 lowercase hex digits');
      parts.push(checkArg(command.user, 'user'), command.digest);
      break;
    case 'LIST':
    case 'UIDL':
      if (command.message !== undefined) parts.push(checkNumber(command.message, 'message', 0));
      break;
    case 'RETR':
    case 'DELE':
      parts.push(checkNumber(command.message, 'message', 0));
      break;
    case 'TOP':
      parts.push(checkNumber(command.message, 'message', 0), checkNumber(command.lines, 'lines', 0));
      break;
    case 'AUTH':
      if (command.mechanism !== undefined) {
        if (!/^[A-Za-z0-9_-]{1,20}$/.test(command.mechanism))
          throw new UsageError('ERR_POP3_USAGE_ARGUMENT', 'not a SASL mechanism name');
        parts.push(command.mechanism);
        if (command.initialResponse !== undefined)
          parts.push(checkArg(command.initialResponse, 'initial response'));
      } else if (command.initialResponse !== undefined) {
        throw new UsageError('ERR_POP3_USAGE_ARGUMENT', 'an initial response needs a mechanism');
      }
      break;
    case 'LANG':
      if (command.language !== undefined) parts.push(checkArg(command.language, 'language'));
      break;
    default:
      break;
  }
  return utf8(`${parts.join(' ')}\r\n`);
}
