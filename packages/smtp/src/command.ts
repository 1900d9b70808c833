/**
 * SMTP command codec (RFC 5321 §4.1 and the ESMTP extensions): `parseCommand()` turns one command
 * line (without CRLF) into a typed command or the reply the server must send; `serializeCommand()`
 * is its inverse, for clients and tests.
 *
 * The parser checks syntax only. What depends on the session (is SIZE advertised, is the client
 * inside a transaction, may this address be UTF-8) is the session's business.
 */

import { decodeUtf8, utf8 } from '@mailwire/core';
import {
  formatMailbox,
  hasInvisible,
  isAtom,
  parseMailbox,
  parsePath,
  postmaster,
  type SmtpMailbox,
  simplePath,
} from './path.js';
import { reply, type SmtpReply } from './reply.js';
import { decodeXtext, encodeXtext } from './xtext.js';

export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME';
export type DsnNotify = 'SUCCESS' | 'FAILURE' | 'DELAY';

/** MAIL FROM parameters the codec knows (RFC 1870, 6152, 3030, 6531, 4954, 3461, 8689). */
export interface MailParams {
  readonly size?: number;
  readonly body?: BodyType;
  readonly smtpUtf8?: true;
  /** RFC 4954 §5, decoded from xtext; `null` for `AUTH=<>`. */
  readonly auth?: SmtpMailbox | null;
  /** RFC 3461 §4.3 */
  readonly ret?: 'FULL' | 'HDRS';
  /** RFC 3461 §4.4, decoded from xtext. */
  readonly envid?: string;
  /** RFC 8689 §4.1 */
  readonly requireTls?: true;
}

/** RCPT TO parameters (RFC 3461 §4.1, §4.2). */
export interface RcptParams {
  /** `[]` for NOTIFY=NEVER. */
  readonly notify?: readonly DsnNotify[];
  readonly orcpt?: { readonly addrType: string; readonly address: string };
}

export type SmtpCommand =
  | { readonly verb: 'EHLO' | 'HELO' | 'LHLO'; readonly domain: string }
  | { readonly verb: 'MAIL'; readonly from: SmtpMailbox | null; readonly params: MailParams }
  | { readonly verb: 'RCPT'; readonly to: SmtpMailbox; readonly params: RcptParams }
  | { readonly verb: 'DATA' | 'RSET' | 'QUIT' | 'STARTTLS' }
  | { readonly verb: 'NOOP' | 'HELP'; readonly argument?: string }
  | { readonly verb: 'VRFY' | 'EXPN'; readonly argument: string }
  | { readonly verb: 'AUTH'; readonly mechanism: string; readonly initialResponse?: string }
  | { readonly verb: 'BDAT'; readonly size: number; readonly last: boolean };

export type SmtpVerb = SmtpCommand['verb'];

export type CommandErrorCode =
  | 'ERR_SMTP_UNKNOWN_COMMAND'
  | 'ERR_SMTP_NOT_IMPLEMENTED'
  | 'ERR_SMTP_SYNTAX'
  | 'ERR_SMTP_BAD_ADDRESS'
  | 'ERR_SMTP_BAD_PARAMETER'
  | 'ERR_SMTP_UNKNOWN_PARAMETER'
  | 'ERR_SMTP_BAD_ENCODING';

export type CommandParseResult =
  | { readonly ok: true; readonly command: SmtpCommand }
  | {
      readonly ok: false;
      /** The verb, upper-cased, when the line had a recognisable one. */
      readonly verb: string | undefined;
      readonly code: CommandErrorCode;
      readonly reply: SmtpReply;
    };

/** Verbs of RFC 821/5321 and others that a server may recognise but not implement (502). */
const UNIMPLEMENTED = new Set(['SEND', 'SOML', 'SAML', 'TURN', 'ETRN', 'ATRN', 'XCLIENT', 'XFORWARD']);

function fail(verb: string | undefined, code: CommandErrorCode, r: SmtpReply): CommandParseResult {
  return { ok: false, verb, code, reply: r };
}

const syntax = (verb: string, text: string) => fail(verb, 'ERR_SMTP_SYNTAX', reply(501, '5.5.4', text));

/** Parses one command line (bytes without the CRLF). Never throws. */
export function parseCommand(line: Uint8Array): CommandParseResult {
  // ASCII is UTF-8: one native decode for both (the strict decoder refuses invalid UTF-8).
  const text = decodeUtf8(line);
  if (text === undefined)
    return fail(undefined, 'ERR_SMTP_BAD_ENCODING', reply(500, '5.5.2', 'Invalid UTF-8'));
  return parseCommandText(text);
}

export function parseCommandText(text: string): CommandParseResult {
  return parseEverydayPathCommand(text) ?? parseCommandGeneral(text);
}

/**
 * The commands of almost every transaction, `MAIL FROM:<local@domain>` and `RCPT TO:<local@domain>`
 * with an everyday ASCII path and no parameters, recognised without the general parser's splitting
 * and parameter handling. `undefined` for anything else (the general parser decides). Pinned to
 * `parseCommandGeneral()` by `command.property.test.ts`.
 */
function parseEverydayPathCommand(text: string): CommandParseResult | undefined {
  const n = text.length;
  if (n < 13 || text.charCodeAt(n - 1) !== 0x3e) return undefined;
  let prefix: number;
  if (startsWithIgnoringCase(text, 'RCPT TO:<')) prefix = 8;
  else if (startsWithIgnoringCase(text, 'MAIL FROM:<')) prefix = 10;
  else return undefined;
  const mailbox = simplePath(text.slice(prefix));
  if (mailbox === undefined) return undefined;
  return prefix === 8
    ? { ok: true, command: { verb: 'RCPT', to: mailbox, params: {} } }
    : { ok: true, command: { verb: 'MAIL', from: mailbox, params: {} } };
}

/** `parseCommandText()` without the everyday-path fast path (exported for the differential test). */
export function parseCommandGeneral(text: string): CommandParseResult {
  const space = text.indexOf(' ');
  const verb = (space < 0 ? text : text.slice(0, space)).toUpperCase();
  const arg = space < 0 ? '' : text.slice(space + 1);
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text))
    return fail(
      /^[A-Z]{4,8}$/.test(verb) ? verb : undefined,
      'ERR_SMTP_SYNTAX',
      reply(501, '5.5.2', 'Control characters not allowed'),
    );
  switch (verb) {
    case 'EHLO':
    case 'HELO':
    case 'LHLO': {
      const domain = arg.trim();
      if (domain === '' || /\s/.test(domain) || hasInvisible(domain))
        return syntax(verb, `Syntax: ${verb} hostname`);
      return { ok: true, command: { verb, domain } };
    }
    case 'MAIL':
      return parseMail(arg);
    case 'RCPT':
      return parseRcpt(arg);
    case 'DATA':
    case 'RSET':
    case 'QUIT':
    case 'STARTTLS':
      if (!isBlank(arg)) return syntax(verb, `Syntax: ${verb} (no parameters allowed)`);
      return { ok: true, command: { verb } };
    case 'NOOP':
    case 'HELP':
      return { ok: true, command: isBlank(arg) ? { verb } : { verb, argument: arg.trim() } };
    case 'VRFY':
    case 'EXPN':
      if (isBlank(arg)) return syntax(verb, `Syntax: ${verb} string`);
      return { ok: true, command: { verb, argument: arg.trim() } };
    case 'AUTH': {
      const parts = arg.trim().split(/ +/);
      const mechanism = parts[0]!.toUpperCase();
      if (mechanism === '' || parts.length > 2 || !/^[A-Z0-9_-]{1,20}$/.test(mechanism))
        return syntax(verb, 'Syntax: AUTH mechanism [initial-response]');
      const initial = parts[1];
      if (initial !== undefined && !/^(?:=|[A-Za-z0-9+/]+={0,2})$/.test(initial))
        return fail(verb, 'ERR_SMTP_SYNTAX', reply(501, '5.5.2', 'Invalid base64 initial response'));
      return {
        ok: true,
        command: initial === undefined ? { verb, mechanism } : { verb, mechanism, initialResponse: initial },
      };
    }
    case 'BDAT': {
      // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF
      const match = /^(\d{1,15})(?: (LAST))?$/i.exec(arg.trimEnd());
      if (!match) return syntax(verb, 'Syntax: BDAT chunk-size [LAST]');
      return { ok: true, command: { verb, size: Number(match[1]), last: match[2] !== undefined } };
    }
    default:
      if (UNIMPLEMENTED.has(verb))
        return fail(verb, 'ERR_SMTP_NOT_IMPLEMENTED', reply(502, '5.5.1', 'Command not implemented'));
      return fail(undefined, 'ERR_SMTP_UNKNOWN_COMMAND', reply(500, '5.5.2', 'Command unrecognized'));
  }
}

/** Liberal in what we accept: trailing blanks after argument-less commands are ignored. */
function isBlank(arg: string): boolean {
  return arg === '' || arg.trim() === '';
}

/** True when `text` starts with `prefix` (upper-case ASCII), ignoring ASCII case. */
function startsWithIgnoringCase(text: string, prefix: string): boolean {
  if (text.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const c = text.charCodeAt(i);
    const p = prefix.charCodeAt(i);
    if (c !== p && !(p >= 0x41 && p <= 0x5a && c === p + 0x20)) return false;
  }
  return true;
}

/** Splits `<path> params…` after the colon; tolerates blanks after the colon (common in the wild). */
const NO_PARAMS: readonly string[] = [];
const NO_RAW_PARAMS: readonly RawParam[] = [];

function splitPathAndParams(arg: string): { path: string; params: readonly string[] } | undefined {
  let blanks = 0;
  while (arg.charCodeAt(blanks) === 0x20) blanks++;
  const rest = blanks === 0 ? arg : arg.slice(blanks);
  if (rest.charCodeAt(0) !== 0x3c) return undefined;
  // A quoted local part may contain ">" or spaces; find the closing bracket outside quotes.
  let quoted = false;
  let end = -1;
  for (let i = 1; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 0x5c && quoted) {
      i++;
      continue;
    }
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x3e && !quoted) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  const path = end + 1 === rest.length ? rest : rest.slice(0, end + 1);
  if (end + 1 === rest.length) return { path, params: NO_PARAMS };
  const tail = rest.slice(end + 1);
  if (!tail.startsWith(' ')) return undefined;
  const params = tail.split(' ').filter((p) => p !== '');
  return { path, params };
}

interface RawParam {
  readonly keyword: string;
  readonly value: string | undefined;
}

/** esmtp-param = esmtp-keyword ["=" esmtp-value] (RFC 5321 §4.1.2) */
function splitParams(params: readonly string[]): readonly RawParam[] | undefined {
  if (params.length === 0) return NO_RAW_PARAMS;
  const out: RawParam[] = [];
  const seen = new Set<string>();
  for (const p of params) {
    const eq = p.indexOf('=');
    const keyword = (eq < 0 ? p : p.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? undefined : p.slice(eq + 1);
    if (!/^[A-Z0-9][A-Z0-9-]*$/.test(keyword)) return undefined;
    // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 with SMTPUTF8 (RFC 6531 §3.3)
    if (value !== undefined && !/^[\x21-\x3c\x3e-\x7e\u0080-\u{10FFFF}]+$/u.test(value)) return undefined;
    if (seen.has(keyword)) return undefined;
    seen.add(keyword);
    out.push({ keyword, value });
  }
  return out;
}

function parseMail(arg: string): CommandParseResult {
  const verb = 'MAIL';
  if (!startsWithIgnoringCase(arg, 'FROM:')) return syntax(verb, 'Syntax: MAIL FROM:<address>');
  const split = splitPathAndParams(arg.slice(5));
  if (!split) return syntax(verb, 'Syntax: MAIL FROM:<address>');
  let from: SmtpMailbox | null = null;
  if (split.path !== '<>') {
    const parsed = parsePath(split.path);
    if (!parsed) return fail(verb, 'ERR_SMTP_BAD_ADDRESS', reply(553, '5.1.7', 'Invalid sender address'));
    from = parsed;
  }
  const raw = splitParams(split.params);
  if (!raw) return fail(verb, 'ERR_SMTP_BAD_PARAMETER', reply(501, '5.5.4', 'Invalid MAIL parameters'));
  const params: {
    size?: number;
    body?: BodyType;
    smtpUtf8?: true;
    auth?: SmtpMailbox | null;
    ret?: 'FULL' | 'HDRS';
    envid?: string;
    requireTls?: true;
  } = {};
  for (const { keyword, value } of raw) {
    const bad = () =>
      fail(verb, 'ERR_SMTP_BAD_PARAMETER', reply(501, '5.5.4', `Invalid ${keyword} parameter`));
    switch (keyword) {
      case 'SIZE':
        // RFC 1870 §3: size-value = 1*20DIGIT
        if (value === undefined || !/^\d{1,20}$/.test(value)) return bad();
        params.size = Math.min(Number(value), Number.MAX_SAFE_INTEGER);
        break;
      case 'BODY': {
        const body = value?.toUpperCase();
        if (body !== '7BIT' && body !== '8BITMIME' && body !== 'BINARYMIME') return bad();
        params.body = body;
        break;
      }
      case 'SMTPUTF8':
        if (value !== undefined) return bad();
        params.smtpUtf8 = true;
        break;
      case 'REQUIRETLS':
        if (value !== undefined) return bad();
        params.requireTls = true;
        break;
      case 'RET': {
        const ret = value?.toUpperCase();
        if (ret !== 'FULL' && ret !== 'HDRS') return bad();
        params.ret = ret;
        break;
      }
      case 'ENVID': {
        // RFC 3461 §4.4: at most 100 characters; printable ASCII once decoded.
        const decoded = value === undefined ? undefined : decodeXtext(value);
        if (decoded === undefined || value!.length > 100 || hasInvisible(decoded)) return bad();
        params.envid = decoded;
        break;
      }
      case 'AUTH': {
        const decoded = value === undefined ? undefined : decodeXtext(value);
        if (decoded === undefined) return bad();
        if (decoded === '<>') params.auth = null;
        else {
          const mailbox = parseMailbox(decoded);
          if (!mailbox) return bad();
          params.auth = mailbox;
        }
        break;
      }
      default:
        return fail(
          verb,
          'ERR_SMTP_UNKNOWN_PARAMETER',
          reply(555, '5.5.4', `Unsupported parameter ${keyword}`),
        );
    }
  }
  return { ok: true, command: { verb, from, params } };
}

function parseRcpt(arg: string): CommandParseResult {
  const verb = 'RCPT';
  if (!startsWithIgnoringCase(arg, 'TO:')) return syntax(verb, 'Syntax: RCPT TO:<address>');
  const split = splitPathAndParams(arg.slice(3));
  if (!split) return syntax(verb, 'Syntax: RCPT TO:<address>');
  let to: SmtpMailbox | undefined;
  // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain MUST be accepted.
  if (split.path.length === 12 && /^<postmaster>$/i.test(split.path))
    to = postmaster(split.path.slice(1, -1));
  else to = parsePath(split.path);
  if (!to) return fail(verb, 'ERR_SMTP_BAD_ADDRESS', reply(553, '5.1.3', 'Invalid recipient address'));
  const raw = splitParams(split.params);
  if (!raw) return fail(verb, 'ERR_SMTP_BAD_PARAMETER', reply(501, '5.5.4', 'Invalid RCPT parameters'));
  const params: { notify?: DsnNotify[]; orcpt?: { addrType: string; address: string } } = {};
  for (const { keyword, value } of raw) {
    const bad = () =>
      fail(verb, 'ERR_SMTP_BAD_PARAMETER', reply(501, '5.5.4', `Invalid ${keyword} parameter`));
    switch (keyword) {
      case 'NOTIFY': {
        // RFC 3461 §4.1: "NEVER" alone, or a comma list of SUCCESS, FAILURE, DELAY.
        const items = value?.toUpperCase().split(',') ?? [];
        if (items.length === 1 && items[0] === 'NEVER') {
          params.notify = [];
          break;
        }
        const set = new Set(items);
        if (
          items.length === 0 ||
          set.size !== items.length ||
          !items.every((i) => i === 'SUCCESS' || i === 'FAILURE' || i === 'DELAY')
        )
          return bad();
        params.notify = items as DsnNotify[];
        break;
      }
      case 'ORCPT': {
        // RFC 3461 §4.2: orcpt-parameter = "ORCPT=" addr-type ";" xtext
        const semi = value?.indexOf(';') ?? -1;
        if (value === undefined || semi <= 0) return bad();
        const addrType = value.slice(0, semi);
        const address = decodeXtext(value.slice(semi + 1));
        if (!isAtom(addrType) || address === undefined || address === '' || hasInvisible(address))
          return bad();
        if (value.length > 500) return bad();
        params.orcpt = { addrType, address };
        break;
      }
      default:
        return fail(
          verb,
          'ERR_SMTP_UNKNOWN_PARAMETER',
          reply(555, '5.5.4', `Unsupported parameter ${keyword}`),
        );
    }
  }
  return { ok: true, command: { verb, to, params } };
}

function formatPath(mailbox: SmtpMailbox | null): string {
  return mailbox === null ? '<>' : `<${formatMailbox(mailbox)}>`;
}

/** Serializes a command to its wire line, CRLF included. */
export function serializeCommand(command: SmtpCommand): Uint8Array {
  return utf8(`${formatCommand(command)}\r\n`);
}

/** The command line as text, without CRLF. */
export function formatCommand(command: SmtpCommand): string {
  switch (command.verb) {
    case 'EHLO':
    case 'HELO':
    case 'LHLO':
      return `${command.verb} ${command.domain}`;
    case 'MAIL': {
      const p = command.params;
      let line = `MAIL FROM:${formatPath(command.from)}`;
      if (p.size !== undefined) line += ` SIZE=${p.size}`;
      if (p.body !== undefined) line += ` BODY=${p.body}`;
      if (p.smtpUtf8) line += ' SMTPUTF8';
      if (p.requireTls) line += ' REQUIRETLS';
      if (p.ret !== undefined) line += ` RET=${p.ret}`;
      if (p.envid !== undefined) line += ` ENVID=${encodeXtext(p.envid)}`;
      if (p.auth !== undefined)
        line += ` AUTH=${encodeXtext(p.auth === null ? '<>' : formatMailbox(p.auth))}`;
      return line;
    }
    case 'RCPT': {
      const p = command.params;
      let line = `RCPT TO:${formatPath(command.to)}`;
      if (p.notify !== undefined) line += ` NOTIFY=${p.notify.length === 0 ? 'NEVER' : p.notify.join(',')}`;
      if (p.orcpt !== undefined) line += ` ORCPT=${p.orcpt.addrType};${encodeXtext(p.orcpt.address)}`;
      return line;
    }
    case 'NOOP':
    case 'HELP':
    case 'VRFY':
    case 'EXPN':
      return command.argument === undefined ? command.verb : `${command.verb} ${command.argument}`;
    case 'AUTH':
      return command.initialResponse === undefined
        ? `AUTH ${command.mechanism}`
        : `AUTH ${command.mechanism} ${command.initialResponse}`;
    case 'BDAT':
      return command.last ? `BDAT ${command.size} LAST` : `BDAT ${command.size}`;
    default:
      return command.verb;
  }
}
