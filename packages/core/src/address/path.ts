/**
 * RFC 5321 paths, as they appear in `MAIL FROM:` and `RCPT TO:` (RFC 5321 §4.1.2):
 *
 *     Reverse-path = Path / "<>"
 *     Path         = "<" [ A-d-l ":" ] Mailbox ">"        A-d-l: source route, accepted and ignored
 *     Mailbox      = Local-part "@" ( Domain / address-literal )
 *     Local-part   = Dot-string / Quoted-string
 *
 * With `smtputf8: true` (the client sent `SMTPUTF8`, RFC 6531 §3.3), UTF-8 is allowed in atoms,
 * in quoted strings and as U-labels in the domain; otherwise any non-ASCII octet is refused.
 * Limits are RFC 5321 §4.5.3.1's, counted in octets as sent: local part 64, domain 255, path 256.
 *
 * The parsers never throw on input: they return `{ ok: false, error }` with an `AddressError`
 * whose `reason` says what was wrong and `offset` where.
 */

import { decodeUtf8, utf8 } from '../bytes.js';
import { UsageError } from '../errors.js';
import { checkLabel } from './idna.js';
import { AddressError, type ParseResult, Refusal } from './result.js';

/** RFC 5321 §4.5.3.1.1 */
export const MAX_LOCAL_PART_LENGTH = 64;
/** RFC 5321 §4.5.3.1.2 */
export const MAX_DOMAIN_LENGTH = 255;
/** RFC 5321 §4.5.3.1.3, including the angle brackets. */
export const MAX_PATH_LENGTH = 256;

export interface Mailbox {
  /** The local part's value: quotes removed, quoted pairs unescaped; case is kept (RFC 5321 §2.4). */
  readonly localPart: string;
  /** The domain as written: a name (case kept, U-labels kept), or a literal with its brackets. */
  readonly domain: string;
  readonly domainType: 'name' | 'ipv4' | 'ipv6';
  /** True when the local part or the domain holds non-ASCII: the mail needs SMTPUTF8. */
  readonly utf8: boolean;
}

export type Path =
  /** `<>`, the null reverse-path (RFC 5321 §4.5.5). */
  | { readonly type: 'null' }
  /** `<Postmaster>` without a domain (RFC 5321 §4.1.1.3), only with `allowPostmaster`. */
  | { readonly type: 'postmaster' }
  | { readonly type: 'mailbox'; readonly mailbox: Mailbox };

export interface PathOptions {
  /** Allow UTF-8 (RFC 6531). Default false. */
  readonly smtputf8?: boolean;
  /** Accept `<>` (a reverse-path, for MAIL FROM). Default false. */
  readonly allowNull?: boolean;
  /** Accept `<Postmaster>` without a domain (for RCPT TO). Default false. */
  readonly allowPostmaster?: boolean;
  /**
   * Stop after the closing `>` and report where in `end`, instead of refusing what follows
   * (for `MAIL FROM:<a@b> SIZE=10`). Default false.
   */
  readonly allowTrailing?: boolean;
}

export type PathResult =
  | {
      readonly ok: true;
      readonly value: Path;
      /** Index (string input) or octet offset (bytes input) just after the path. */
      readonly end: number;
    }
  | { readonly ok: false; readonly error: AddressError };

export interface MailboxOptions {
  /** Allow UTF-8 (RFC 6531). Default false. */
  readonly smtputf8?: boolean;
}

// RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3), plus UTF8-non-ascii under RFC 6531 §3.3.
const ATEXT = /[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]/;
const DOT_STRING =
  /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+)*$/u;

class Scanner {
  pos = 0;
  constructor(
    readonly text: string,
    readonly smtputf8: boolean,
  ) {}

  peek(): string | undefined {
    return this.text[this.pos];
  }

  /** A refusal for an unexpected character at `pos`, as precise as we can make it. */
  unexpected(what: string): Refusal {
    const c = this.text.codePointAt(this.pos);
    if (c === undefined) return new Refusal('syntax', `${what}: unexpected end`, this.pos);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
      return new Refusal('control-character', `control character in ${what}`, this.pos);
    if (c >= 0x80 && !this.smtputf8) {
      return new Refusal('utf8-not-allowed', `non-ASCII in ${what} without SMTPUTF8`, this.pos);
    }
    return new Refusal(
      'syntax',
      `unexpected ${JSON.stringify(String.fromCodePoint(c))} in ${what}`,
      this.pos,
    );
  }

  expect(c: string, what: string): void {
    if (this.text[this.pos] !== c) throw this.unexpected(what);
    this.pos++;
  }

  isAtext(c: string | undefined): boolean {
    if (c === undefined) return false;
    if (ATEXT.test(c)) return true;
    return this.smtputf8 && c.charCodeAt(0) >= 0x80 && !isC1(c);
  }
}

/** C1 controls (U+0080–U+009F) are refused like C0 ones, even where UTF-8 is allowed. */
function isC1(c: string): boolean {
  const code = c.charCodeAt(0);
  return code >= 0x80 && code <= 0x9f;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function octets(text: string): number {
  return utf8(text).length;
}

function parseLocalPart(s: Scanner): string {
  const start = s.pos;
  let value = '';
  if (s.peek() === '"') {
    s.pos++;
    for (;;) {
      const c = s.peek();
      if (c === '"') break;
      if (c === '\\') {
        // RFC 5321 §4.1.2: quoted-pairSMTP = %d92 %d32-126
        const next = s.text.charCodeAt(s.pos + 1);
        if (!(next >= 0x20 && next <= 0x7e)) {
          s.pos++;
          throw s.unexpected('quoted pair');
        }
        value += s.text[s.pos + 1];
        s.pos += 2;
        continue;
      }
      const code = c === undefined ? -1 : c.charCodeAt(0);
      // qtextSMTP = %d32-33 / %d35-91 / %d93-126, and UTF8-non-ascii (RFC 6531 §3.3)
      if ((code >= 0x20 && code <= 0x7e) || (s.smtputf8 && code >= 0x80 && !isC1(c!))) {
        const point = String.fromCodePoint(s.text.codePointAt(s.pos)!);
        value += point;
        s.pos += point.length;
        continue;
      }
      throw s.unexpected('quoted local part');
    }
    s.pos++;
  } else {
    for (;;) {
      const atomStart = s.pos;
      while (s.isAtext(s.peek())) s.pos++;
      if (s.pos === atomStart) throw s.unexpected('local part');
      if (s.peek() !== '.') break;
      s.pos++;
    }
    value = s.text.slice(start, s.pos);
  }
  if (octets(s.text.slice(start, s.pos)) > MAX_LOCAL_PART_LENGTH) {
    throw new Refusal('local-part-too-long', `local part over ${MAX_LOCAL_PART_LENGTH} octets`, start);
  }
  return value;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIpv4(text: string): boolean {
  const m = IPV4.exec(text);
  return m?.slice(1).every((n) => Number(n) <= 255) === true;
}

/** RFC 5321 §4.1.3 IPv6-addr: full, compressed, and both with a trailing IPv4 address. */
function isIpv6(text: string): boolean {
  let groups = text;
  let limit = 8;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    if (!isIpv4(text.slice(lastColon + 1))) return false;
    groups = text.slice(0, lastColon + 1);
    // keep the trailing colon only when it is part of "::"
    groups = groups.endsWith('::') ? groups : groups.slice(0, -1);
    limit = 6;
  }
  const hex = /^[0-9A-Fa-f]{1,4}$/;
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const count = (half: string) => (half === '' ? [] : half.split(':'));
  if (halves.length === 1) {
    const all = count(halves[0]!);
    return all.length === limit && all.every((g) => hex.test(g));
  }
  const left = count(halves[0]!);
  const right = count(halves[1]!);
  // RFC 5321 §4.1.3 says "::" stands for at least two groups; RFC 4291 §2.2 lets it stand for
  // one, and we accept that form too (what an IPv6 library prints is not ours to refuse).
  return left.length + right.length <= limit - 1 && [...left, ...right].every((g) => hex.test(g));
}

function parseDomain(s: Scanner, allowLiteral: boolean): { domain: string; type: Mailbox['domainType'] } {
  const start = s.pos;
  if (s.peek() === '[') {
    if (!allowLiteral) throw s.unexpected('domain');
    const close = s.text.indexOf(']', s.pos);
    if (close === -1) throw new Refusal('invalid-domain-literal', 'unterminated address literal', start);
    const inner = s.text.slice(s.pos + 1, close);
    for (let i = 0; i < inner.length; i++) {
      const code = inner.charCodeAt(i);
      if (code < 0x21 || code > 0x7e) {
        s.pos += 1 + i;
        throw s.unexpected('address literal');
      }
    }
    let type: Mailbox['domainType'];
    if (isIpv4(inner)) type = 'ipv4';
    else if (/^ipv6:/i.test(inner) && isIpv6(inner.slice(5))) type = 'ipv6';
    else {
      // General-address-literal tags must be registered (RFC 5321 §4.1.3); none is but IPv6.
      throw new Refusal('invalid-domain-literal', `invalid address literal [${inner}]`, start);
    }
    s.pos = close + 1;
    return { domain: s.text.slice(start, s.pos), type };
  }
  for (;;) {
    const labelStart = s.pos;
    while (true) {
      const c = s.peek();
      if (c === undefined) break;
      if (/[A-Za-z0-9-]/.test(c) || (s.smtputf8 && c.charCodeAt(0) >= 0x80 && !isC1(c))) s.pos++;
      else break;
    }
    if (s.pos === labelStart) throw s.unexpected('domain');
    checkLabel(s.text.slice(labelStart, s.pos).toLowerCase().normalize('NFC'), labelStart);
    if (s.peek() !== '.') break;
    s.pos++;
  }
  const domain = s.text.slice(start, s.pos);
  if (octets(domain) > MAX_DOMAIN_LENGTH) {
    throw new Refusal('domain-too-long', `domain over ${MAX_DOMAIN_LENGTH} octets`, start);
  }
  return { domain, type: 'name' };
}

function parseMailboxAt(s: Scanner): Mailbox {
  const start = s.pos;
  const localPart = parseLocalPart(s);
  s.expect('@', 'mailbox');
  const { domain, type } = parseDomain(s, true);
  const utf8 = /[^\x00-\x7f]/.test(s.text.slice(start, s.pos));
  return { localPart, domain, domainType: type, utf8 };
}

/** Decodes bytes input; returns the text, or a refusal for bad UTF-8 / non-ASCII without SMTPUTF8. */
function toText(input: string | Uint8Array, smtputf8: boolean): string | Refusal {
  if (typeof input === 'string') {
    const lone = input.search(LONE_SURROGATE);
    if (lone !== -1) return new Refusal('invalid-utf8', 'lone surrogate: not encodable as UTF-8', lone);
    if (!smtputf8) {
      const i = input.search(/[^\x00-\x7f]/);
      if (i !== -1) return new Refusal('utf8-not-allowed', 'non-ASCII without SMTPUTF8', i);
    }
    return input;
  }
  for (let i = 0; i < input.length; i++) {
    if (input[i]! >= 0x80 && !smtputf8)
      return new Refusal('utf8-not-allowed', 'non-ASCII without SMTPUTF8', i);
  }
  const text = decodeUtf8(input);
  return text === undefined ? new Refusal('invalid-utf8', 'invalid UTF-8', 0) : text;
}

function refuse(
  refusal: Refusal,
  input: string | Uint8Array,
  text: string,
): { ok: false; error: AddressError } {
  const offset =
    typeof input === 'string' || refusal.reason === 'invalid-utf8' || refusal.reason === 'utf8-not-allowed'
      ? refusal.offset
      : octets(text.slice(0, refusal.offset));
  return { ok: false, error: new AddressError(refusal.reason, refusal.message, offset) };
}

/**
 * Parses an RFC 5321 Path such as `<alice@example.com>` (or, with `allowNull`, the reverse-path
 * `<>`). Source routes (`<@relay1,@relay2:alice@example.com>`) are accepted and dropped
 * (RFC 5321 §4.1.2 and Appendix C). Never throws.
 *
 * @example
 * parsePath('<alice@example.com>');
 * // { ok: true, value: { type: 'mailbox', mailbox: { localPart: 'alice', domain: 'example.com', … } }, end: 19 }
 * parsePath('<>', { allowNull: true });          // { ok: true, value: { type: 'null' }, end: 2 }
 * parsePath('<a@b> SIZE=1', { allowTrailing: true }); // … end: 5
 */
export function parsePath(input: string | Uint8Array, options: PathOptions = {}): PathResult {
  const smtputf8 = options.smtputf8 === true;
  const text = toText(input, smtputf8);
  if (text instanceof Refusal) return refuse(text, input, '');
  try {
    if (text === '') throw new Refusal('empty', 'empty path', 0);
    const s = new Scanner(text, smtputf8);
    s.expect('<', 'path');
    let value: Path;
    if (s.peek() === '>') {
      if (options.allowNull !== true) throw new Refusal('null-path', '<> is not allowed here', 0);
      s.pos++;
      value = { type: 'null' };
    } else if (options.allowPostmaster === true && /^<postmaster>/i.test(text)) {
      s.pos = 12;
      value = { type: 'postmaster' };
    } else {
      if (s.peek() === '@') {
        // RFC 5321 §4.1.2: A-d-l = At-domain *( "," At-domain ) ":" ; ignored (Appendix C)
        for (;;) {
          s.expect('@', 'source route');
          parseDomain(s, false);
          if (s.peek() !== ',') break;
          s.pos++;
        }
        s.expect(':', 'source route');
      }
      value = { type: 'mailbox', mailbox: parseMailboxAt(s) };
      s.expect('>', 'path');
    }
    if (octets(text.slice(0, s.pos)) > MAX_PATH_LENGTH) {
      throw new Refusal('path-too-long', `path over ${MAX_PATH_LENGTH} octets`, 0);
    }
    if (s.pos !== text.length && options.allowTrailing !== true) {
      throw new Refusal('syntax', 'unexpected text after the path', s.pos);
    }
    const end = typeof input === 'string' ? s.pos : octets(text.slice(0, s.pos));
    return { ok: true, value, end };
  } catch (error) {
    if (error instanceof Refusal) return refuse(error, input, text);
    throw error;
  }
}

/** `parsePath` with `allowNull: true`: the MAIL FROM reverse-path. */
export function parseReversePath(
  input: string | Uint8Array,
  options: Omit<PathOptions, 'allowNull'> = {},
): PathResult {
  return parsePath(input, { ...options, allowNull: true });
}

/**
 * Parses a bare RFC 5321 Mailbox, `local-part@domain` without angle brackets. Never throws.
 *
 * @example
 * parseMailbox('"john doe"@[192.0.2.1]');
 * // { ok: true, value: { localPart: 'john doe', domain: '[192.0.2.1]', domainType: 'ipv4', utf8: false } }
 */
export function parseMailbox(input: string | Uint8Array, options: MailboxOptions = {}): ParseResult<Mailbox> {
  const smtputf8 = options.smtputf8 === true;
  const text = toText(input, smtputf8);
  if (text instanceof Refusal) return refuse(text, input, '');
  try {
    if (text === '') throw new Refusal('empty', 'empty mailbox', 0);
    const s = new Scanner(text, smtputf8);
    const value = parseMailboxAt(s);
    if (s.pos !== text.length) throw s.unexpected('mailbox');
    return { ok: true, value };
  } catch (error) {
    if (error instanceof Refusal) return refuse(error, input, text);
    throw error;
  }
}

/** The local part as RFC 5321 wants it written: a Dot-string when possible, else a Quoted-string. */
export function formatLocalPart(localPart: string): string {
  if (DOT_STRING.test(localPart)) return localPart;
  return `"${localPart.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Writes a mailbox as `local-part@domain`. Throws `UsageError` (`ERR_ADDRESS_INVALID`) when the
 * result would not parse back (a control character, an invalid domain, a limit exceeded).
 */
export function formatMailbox(mailbox: Mailbox): string {
  const text = `${formatLocalPart(mailbox.localPart)}@${mailbox.domain}`;
  const check = parseMailbox(text, { smtputf8: true });
  if (!check.ok) {
    throw new UsageError('ERR_ADDRESS_INVALID', `cannot format mailbox: ${check.error.message}`, {
      cause: check.error,
    });
  }
  return text;
}

/**
 * Writes a path: `<>`, `<Postmaster>` or `<local-part@domain>`. Throws `UsageError` for a mailbox
 * that cannot be written (see `formatMailbox`) or a path over 256 octets.
 *
 * @example
 * formatPath({ type: 'mailbox', mailbox: { localPart: 'john doe', domain: 'example.com', domainType: 'name', utf8: false } });
 * // '<"john doe"@example.com>'
 */
export function formatPath(path: Path): string {
  if (path.type === 'null') return '<>';
  if (path.type === 'postmaster') return '<Postmaster>';
  const text = `<${formatMailbox(path.mailbox)}>`;
  if (octets(text) > MAX_PATH_LENGTH) {
    throw new UsageError('ERR_ADDRESS_INVALID', `cannot format path: over ${MAX_PATH_LENGTH} octets`);
  }
  return text;
}
