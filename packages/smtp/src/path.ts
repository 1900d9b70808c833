/**
 * Reverse-path and forward-path syntax (RFC 5321 §4.1.2), with the SMTPUTF8 extensions of
 * RFC 6531 §3.3 (UTF-8 in atext, qtext and domain labels).
 *
 * TODO: switch to @mailwire/core's address parser once it exists; this is a minimal local one.
 */

export interface SmtpMailbox {
  /** The local part, unquoted (the content of a Quoted-string, with quoted-pairs resolved). */
  readonly localPart: string;
  /**
   * The domain or address literal (`[192.0.2.1]`, `[IPv6:…]`), as sent. Empty only for the special
   * `<Postmaster>` forward-path (RFC 5321 §4.1.1.3).
   */
  readonly domain: string;
}

/** RFC 5321 §4.5.3.1.1 */
export const MAX_LOCAL_PART = 64;
/** RFC 5321 §4.5.3.1.2 */
export const MAX_DOMAIN = 255;
/** RFC 5321 §4.5.3.1.3 */
export const MAX_PATH = 256;

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+$/u;
const DOT_STRING =
  /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+)*$/u;
const SUB_DOMAIN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?|[A-Za-z0-9\u0080-\u{10FFFF}-]*[\u0080-\u{10FFFF}][A-Za-z0-9\u0080-\u{10FFFF}-]*)$/u;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** Control, format (zero-width, bidi), separator and private-use characters: never in an address. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;

/** True when the string contains characters outside US-ASCII (needs SMTPUTF8, RFC 6531). */
export function isNonAscii(value: string): boolean {
  return /[^\x00-\x7f]/.test(value);
}

/** True for control and invisible characters that must never appear in an address or DSN value. */
export function hasInvisible(value: string): boolean {
  return INVISIBLE.test(value);
}

export function isDomain(value: string): boolean {
  if (value.length === 0 || utf8Length(value) > MAX_DOMAIN) return false;
  if (value.startsWith('[')) return isAddressLiteral(value);
  if (hasInvisible(value)) return false;
  return value.split('.').every((label) => label.length > 0 && label.length <= 63 && SUB_DOMAIN.test(label));
}

function isAddressLiteral(value: string): boolean {
  if (!value.endsWith(']') || value.length < 3) return false;
  const inner = value.slice(1, -1);
  if (IPV4.test(inner)) return true;
  if (/^IPv6:/i.test(inner)) return /^[0-9A-Fa-f:.]+$/.test(inner.slice(5)) && inner.includes(':', 5);
  // General-address-literal = Standardized-tag ":" 1*dcontent (RFC 5321 §4.1.3)
  const colon = inner.indexOf(':');
  if (colon <= 0) return false;
  return (
    /^[A-Za-z0-9-]*[A-Za-z0-9]$/.test(inner.slice(0, colon)) &&
    /^[\x21-\x5a\x5e-\x7e]+$/.test(inner.slice(colon + 1))
  );
}

/** Parses `Mailbox` (without angle brackets). */
export function parseMailbox(text: string): SmtpMailbox | undefined {
  let localPart: string;
  let rest: string;
  if (text.startsWith('"')) {
    let i = 1;
    let out = '';
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === '"') break;
      if (c === '\\') {
        const n = text[i + 1];
        if (n === undefined || !/^[\x20-\x7e\u0080-\u{10FFFF}]$/u.test(n)) return undefined;
        out += n;
        i++;
        continue;
      }
      // qtextSMTP = %d32-33 / %d35-91 / %d93-126 / UTF8-non-ascii
      if (!/^[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]$/u.test(c)) return undefined;
      out += c;
    }
    if (text[i] !== '"' || text[i + 1] !== '@') return undefined;
    localPart = out;
    rest = text.slice(i + 2);
  } else {
    const at = text.lastIndexOf('@');
    if (at <= 0) return undefined;
    localPart = text.slice(0, at);
    if (!DOT_STRING.test(localPart)) return undefined;
    rest = text.slice(at + 1);
  }
  if (utf8Length(localPart) > MAX_LOCAL_PART || hasInvisible(localPart)) return undefined;
  if (!isDomain(rest)) return undefined;
  return { localPart, domain: rest };
}

/** Parses a `Path` (`<…>`, optionally with a source route that is ignored, RFC 5321 §4.1.2, C.). */
export function parsePath(text: string): SmtpMailbox | undefined {
  if (!text.startsWith('<') || !text.endsWith('>')) return undefined;
  if (utf8Length(text) > MAX_PATH + 2) return undefined;
  let inner = text.slice(1, -1);
  if (inner.startsWith('@')) {
    // A-d-l: "@" Domain *( "," "@" Domain ) ":" — MUST be accepted, SHOULD be ignored (RFC 5321 §4.1.2).
    const colon = inner.indexOf(':');
    if (colon < 0) return undefined;
    const route = inner.slice(0, colon).split(',');
    if (!route.every((hop) => hop.startsWith('@') && isDomain(hop.slice(1)))) return undefined;
    inner = inner.slice(colon + 1);
  }
  return parseMailbox(inner);
}

/** Formats a mailbox for the wire, quoting the local part when it is not a Dot-string. */
export function formatMailbox(mailbox: SmtpMailbox): string {
  const local = DOT_STRING.test(mailbox.localPart)
    ? mailbox.localPart
    : `"${mailbox.localPart.replace(/(["\\])/g, '\\$1')}"`;
  return mailbox.domain === '' ? local : `${local}@${mailbox.domain}`;
}

export function isAtom(value: string): boolean {
  return ATEXT.test(value);
}

export function utf8Length(value: string): number {
  let n = 0;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}
