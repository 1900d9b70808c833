/**
 * RFC 5322 §3.4 address lists, as in `From:`, `To:`, `Cc:`, `Reply-To:` header bodies:
 *
 *     address-list = address *("," address)
 *     address      = mailbox / group
 *     mailbox      = name-addr / addr-spec          "Alice" <alice@example.com>, bob@example.com
 *     group        = display-name ":" [group-list] ";"        Team: a@example.com, b@example.com;
 *
 * Comments (nested) and folding white space are skipped wherever RFC 5322 §3.2.2 allows CFWS.
 * Obsolete forms (RFC 5322 §4.4) are tolerated: empty list elements (`a@b,,c@d`), `.` in display
 * names (`John Q. Public`), CFWS around the dots of local parts and domains, and source routes
 * in angle addresses (dropped). UTF-8 is accepted in atoms, quoted strings and comments
 * (RFC 6532 §3.2). Encoded words (RFC 2047) are left as written: decoding them is `@mailwire/mime`'s
 * job. Control characters other than HTAB and folding CRLF are refused.
 */

import { UsageError } from '../errors.js';
import { AddressError, type ParseResult, Refusal } from './result.js';

/** Longest header body accepted by `parseAddressList`, in UTF-16 code units. */
export const MAX_ADDRESS_LIST_LENGTH = 1 << 20;

export interface MailboxAddress {
  readonly type: 'mailbox';
  /** The display name: quoted strings unquoted, words joined by one space; '' when absent. */
  readonly name: string;
  /** The local part's value (quotes removed, quoted pairs unescaped). */
  readonly localPart: string;
  /** The domain: dot-atom text, or a domain literal with its brackets. */
  readonly domain: string;
  /** `localPart@domain`, with the local part quoted when it must be. */
  readonly address: string;
}

export interface GroupAddress {
  readonly type: 'group';
  readonly name: string;
  readonly members: readonly MailboxAddress[];
}

export type AddressListEntry = MailboxAddress | GroupAddress;

/** What `formatAddressList` takes: parsed entries, or plain objects without `address`. */
export type MailboxInput = {
  readonly type: 'mailbox';
  readonly name?: string;
  readonly localPart: string;
  readonly domain: string;
};
export type AddressListInput =
  | MailboxInput
  | { readonly type: 'group'; readonly name: string; readonly members: readonly MailboxInput[] };

export interface AddressListOptions {
  /** Longest input accepted; defaults to `MAX_ADDRESS_LIST_LENGTH` (1 MiB). */
  readonly maxLength?: number;
}

type Special = '<' | '>' | '@' | ',' | ';' | ':' | '.';
interface Token {
  readonly kind: 'atom' | 'quoted' | 'literal' | 'special';
  readonly value: string;
  readonly start: number;
  /** Preceded by white space or a comment. */
  readonly space: boolean;
}

const SPECIALS = new Set(['<', '>', '@', ',', ';', ':', '.']);
const ATEXT = /[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]/;

/** UTF8-non-ascii (RFC 6532 §3.1) without the C1 controls; lone surrogates are refused up front. */
function isUtf8Char(code: number): boolean {
  return code >= 0xa0;
}

function isAtext(c: string): boolean {
  return ATEXT.test(c) || isUtf8Char(c.charCodeAt(0));
}

function controlOrSyntax(text: string, i: number, what: string): Refusal {
  const code = text.charCodeAt(i);
  if (Number.isNaN(code)) return new Refusal('syntax', `${what}: unexpected end`, i);
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
    return new Refusal('control-character', `control character in ${what}`, i);
  }
  return new Refusal('syntax', `unexpected ${JSON.stringify(text[i])} in ${what}`, i);
}

/** Length of folding white space at `i` (RFC 5322 §3.2.2: WSP, or CRLF followed by WSP). */
function fws(text: string, i: number): number {
  const c = text[i];
  if (c === ' ' || c === '\t') return 1;
  if (c === '\r' && text[i + 1] === '\n' && (text[i + 2] === ' ' || text[i + 2] === '\t')) return 3;
  return 0;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let space = false;
  while (i < text.length) {
    const c = text[i]!;
    const ws = fws(text, i);
    if (ws > 0) {
      i += ws;
      space = true;
      continue;
    }
    if (c === '(') {
      // RFC 5322 §3.2.2: comments nest; ccontent = ctext / quoted-pair / comment
      const start = i;
      let depth = 0;
      do {
        const d = text[i];
        if (d === undefined) throw new Refusal('syntax', 'unterminated comment', start);
        if (d === '(') depth++;
        else if (d === ')') depth--;
        else if (d === '\\') {
          i++;
          if (!isQuotable(text, i)) throw controlOrSyntax(text, i, 'comment');
        } else if (fws(text, i) === 3) i += 2;
        else if (!isVisible(d) && d !== ' ' && d !== '\t') throw controlOrSyntax(text, i, 'comment');
        i++;
      } while (depth > 0);
      space = true;
      continue;
    }
    const start = i;
    if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        const d = text[i];
        if (d === undefined) throw new Refusal('syntax', 'unterminated quoted string', start);
        if (d === '"') break;
        if (d === '\\') {
          i++;
          if (!isQuotable(text, i)) throw controlOrSyntax(text, i, 'quoted string');
          value += text[i];
          i++;
          continue;
        }
        const f = fws(text, i);
        if (f === 3) {
          // RFC 5322 §3.2.4: the CRLF of a fold is not part of the quoted string's value.
          value += text[i + 2];
          i += 3;
          continue;
        }
        if (!isVisible(d) && f === 0) throw controlOrSyntax(text, i, 'quoted string');
        value += d;
        i++;
      }
      i++;
      tokens.push({ kind: 'quoted', value, start, space });
    } else if (c === '[') {
      // RFC 5322 §3.4.1: domain-literal = "[" *([FWS] dtext) [FWS] "]"
      let value = '[';
      i++;
      for (;;) {
        const d = text[i];
        if (d === undefined) throw new Refusal('syntax', 'unterminated domain literal', start);
        if (d === ']') break;
        const f = fws(text, i);
        if (f > 0) {
          i += f;
          continue;
        }
        if (d === '[' || d === '\\' || !isVisible(d)) throw controlOrSyntax(text, i, 'domain literal');
        value += d;
        i++;
      }
      i++;
      tokens.push({ kind: 'literal', value: `${value}]`, start, space });
    } else if (SPECIALS.has(c)) {
      i++;
      tokens.push({ kind: 'special', value: c, start, space });
    } else if (isAtext(c)) {
      while (i < text.length && isAtext(text[i]!)) i++;
      tokens.push({ kind: 'atom', value: text.slice(start, i), start, space });
    } else {
      throw controlOrSyntax(text, i, 'address list');
    }
    space = false;
  }
  return tokens;
}

/** VCHAR or UTF-8 (RFC 6532 §3.2), excluding controls. */
function isVisible(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code >= 0x21 && code <= 0x7e) || isUtf8Char(code);
}

/** quoted-pair = "\" (VCHAR / WSP) (RFC 5322 §3.2.1) */
function isQuotable(text: string, i: number): boolean {
  const c = text[i];
  return c !== undefined && (c === ' ' || c === '\t' || isVisible(c));
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private is(value: Special): boolean {
    const t = this.tokens[this.i];
    return t !== undefined && t.kind === 'special' && t.value === value;
  }

  private fail(what: string): Refusal {
    const t = this.peek();
    if (t === undefined) return new Refusal('syntax', `${what}: unexpected end`, this.length);
    return new Refusal('syntax', `unexpected ${JSON.stringify(t.value)} in ${what}`, t.start);
  }

  private expect(value: Special, what: string): void {
    if (!this.is(value)) throw this.fail(what);
    this.i++;
  }

  list(): AddressListEntry[] {
    const entries: AddressListEntry[] = [];
    for (;;) {
      while (this.is(',')) this.i++; // RFC 5322 §4.4 obs-addr-list: empty elements
      if (this.peek() === undefined) break;
      entries.push(this.address(true));
      if (this.peek() === undefined) break;
      this.expect(',', 'address list');
    }
    if (entries.length === 0) throw new Refusal('empty', 'no address', 0);
    return entries;
  }

  private phrase(): Token[] {
    const words: Token[] = [];
    for (let t = this.peek(); t !== undefined; t = this.peek()) {
      if (t.kind === 'atom' || t.kind === 'quoted' || (t.kind === 'special' && t.value === '.')) {
        words.push(t);
        this.i++;
      } else break;
    }
    return words;
  }

  private address(allowGroup: boolean): AddressListEntry {
    const start = this.i;
    const words = this.phrase();
    if (this.is('<')) return this.angle(phraseText(words));
    if (allowGroup && this.is(':') && words.length > 0) return this.group(phraseText(words));
    // addr-spec: reparse the words as a local part.
    this.i = start;
    const localPart = this.localPart();
    this.expect('@', 'address');
    return mailbox('', localPart, this.domain());
  }

  private group(name: string): GroupAddress {
    this.expect(':', 'group');
    const members: MailboxAddress[] = [];
    for (;;) {
      while (this.is(',')) this.i++; // RFC 5322 §4.4 obs-group-list
      if (this.is(';')) break;
      members.push(this.address(false) as MailboxAddress);
      if (!this.is(';')) this.expect(',', 'group');
    }
    this.i++;
    return { type: 'group', name, members };
  }

  private angle(name: string): MailboxAddress {
    this.expect('<', 'angle address');
    if (this.is('@')) {
      // RFC 5322 §4.4 obs-route = obs-domain-list ":" ; dropped
      for (;;) {
        if (this.is('@')) {
          this.i++;
          this.domain();
        }
        if (!this.is(',')) break;
        this.i++;
      }
      this.expect(':', 'route');
    }
    const localPart = this.localPart();
    this.expect('@', 'angle address');
    const domain = this.domain();
    this.expect('>', 'angle address');
    return mailbox(name, localPart, domain);
  }

  /** local-part = dot-atom / quoted-string / obs-local-part (word *("." word)) */
  private localPart(): string {
    let value = '';
    for (;;) {
      const t = this.peek();
      if (t === undefined || (t.kind !== 'atom' && t.kind !== 'quoted')) throw this.fail('local part');
      value += t.value;
      this.i++;
      if (!this.is('.')) return value;
      value += '.';
      this.i++;
    }
  }

  /** domain = dot-atom / domain-literal / obs-domain (atom *("." atom)) */
  private domain(): string {
    const t = this.peek();
    if (t?.kind === 'literal') {
      this.i++;
      return t.value;
    }
    let value = '';
    for (;;) {
      const a = this.peek();
      if (a === undefined || a.kind !== 'atom') throw this.fail('domain');
      value += a.value;
      this.i++;
      if (!this.is('.')) return value;
      value += '.';
      this.i++;
    }
  }
}

function phraseText(words: Token[]): string {
  let out = '';
  for (const w of words) {
    if (w.space && out !== '') out += ' ';
    out += w.value;
  }
  return out;
}

function mailbox(name: string, localPart: string, domain: string): MailboxAddress {
  return { type: 'mailbox', name, localPart, domain, address: `${formatWord(localPart, true)}@${domain}` };
}

const DOT_ATOM =
  /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00a0-\u{10ffff}]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00a0-\u{10ffff}]+)*$/u;
const PHRASE =
  /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00a0-\u{10ffff}]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00a0-\u{10ffff}]+)*$/u;

/** A local part (dot-atom) or display name (atoms and single spaces) as is when it can be, else quoted. */
function formatWord(value: string, dotted: boolean): string {
  if ((dotted ? DOT_ATOM : PHRASE).test(value)) return value;
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Parses an RFC 5322 address list (a header body, folded or not). Never throws.
 *
 * @example
 * parseAddressList('"Doe, John" <john@example.com>, Team: a@example.com, b@example.com;');
 * // { ok: true, value: [
 * //   { type: 'mailbox', name: 'Doe, John', localPart: 'john', domain: 'example.com', address: 'john@example.com' },
 * //   { type: 'group', name: 'Team', members: [ …a@example.com, …b@example.com ] } ] }
 */
export function parseAddressList(
  text: string,
  options: AddressListOptions = {},
): ParseResult<AddressListEntry[]> {
  try {
    if (text.length > (options.maxLength ?? MAX_ADDRESS_LIST_LENGTH)) {
      throw new Refusal('too-long', 'address list too long', 0);
    }
    const lone = text.search(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    if (lone !== -1) throw new Refusal('invalid-utf8', 'lone surrogate', lone);
    const tokens = tokenize(text);
    return { ok: true, value: new Parser(tokens, text.length).list() };
  } catch (error) {
    if (error instanceof Refusal) {
      return { ok: false, error: new AddressError(error.reason, error.message, error.offset) };
    }
    throw error;
  }
}

/**
 * Writes an address list for a header body: `Name <local@domain>`, `local@domain`, and groups as
 * `Name: a@b, c@d;`, separated by `, `. Display names are written as atoms when they can be and
 * quoted otherwise; non-ASCII is written as UTF-8 (RFC 6532; encode with RFC 2047 first for a
 * 7-bit header). No folding: that is the header writer's job. Throws `UsageError`
 * (`ERR_ADDRESS_INVALID`) when an entry cannot be written so that it parses back.
 *
 * @example
 * formatAddressList([{ type: 'mailbox', name: 'Doe, John', localPart: 'john', domain: 'example.com' }]);
 * // '"Doe, John" <john@example.com>'
 */
export function formatAddressList(entries: readonly AddressListInput[]): string {
  const one = (m: MailboxInput): string => {
    const spec = `${formatWord(m.localPart, true)}@${m.domain}`;
    return m.name === undefined || m.name === '' ? spec : `${formatWord(m.name, false)} <${spec}>`;
  };
  const text = entries
    .map((e) =>
      e.type === 'group' ? `${formatWord(e.name, false)}: ${e.members.map(one).join(', ')};` : one(e),
    )
    .join(', ');
  if (/[\r\n]/.test(text)) {
    throw new UsageError(
      'ERR_ADDRESS_INVALID',
      "cannot format address list: a line break in a value (folding is the header writer's job)",
    );
  }
  const check = parseAddressList(text);
  if (!check.ok || check.value.length !== entries.length) {
    throw new UsageError(
      'ERR_ADDRESS_INVALID',
      `cannot format address list: ${check.ok ? 'an entry does not stand alone' : check.error.message}`,
      check.ok ? {} : { cause: check.error },
    );
  }
  return text;
}
