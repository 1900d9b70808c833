/**
 * Reverse-path and forward-path syntax (RFC 5321 §4.1.2), with the SMTPUTF8 extensions of
 * RFC 6531 §3.3 (UTF-8 in atext, qtext and domain labels).
 *
 * Paths and mailboxes are parsed by @mailwire/core's address parser (always with UTF-8 allowed:
 * the session decides whether the transaction may carry it, from `mailbox.utf8`); this module adds
 * the SMTP-specific checks (invisible characters) and the `<Postmaster>` convention.
 */

import {
  formatLocalPart,
  formatMailbox as coreFormatMailbox,
  parseMailbox as coreParseMailbox,
  parsePath as coreParsePath,
  type Mailbox,
} from '@mailwire/core';

/**
 * A mailbox as @mailwire/core parses it: `localPart` unquoted, `domain` as sent (address literals
 * with their brackets), `utf8` when anything is non-ASCII. The special `<Postmaster>`
 * forward-path (RFC 5321 §4.1.1.3) has `domain: ''`.
 */
export type SmtpMailbox = Mailbox;

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+$/u;
/** Control, format (zero-width, bidi), separator and private-use characters: never in an address. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;

/** True for control and invisible characters that must never appear in an address or DSN value. */
export function hasInvisible(value: string): boolean {
  return INVISIBLE.test(value);
}

/** True for a Domain or address literal (RFC 5321 §4.1.2), U-labels allowed. */
export function isDomain(value: string): boolean {
  return value !== '' && !hasInvisible(value) && coreParseMailbox(`x@${value}`, { smtputf8: true }).ok;
}

/** Parses `Mailbox` (without angle brackets), UTF-8 allowed; invisible characters refused. */
export function parseMailbox(text: string): SmtpMailbox | undefined {
  const result = coreParseMailbox(text, { smtputf8: true });
  if (!result.ok || hasInvisible(result.value.localPart) || hasInvisible(result.value.domain))
    return undefined;
  return result.value;
}

/**
 * The everyday path `<dot-atom@ldh.domain>` in ASCII, recognised without the full parser by one
 * scan over the characters (no regular expression, no intermediate strings). Labels with hyphens
 * in positions 3–4 (A-labels) and all-numeric last labels go the long way. Pinned to the full
 * parser by `path.property.test.ts`.
 */
const ATEXT_ASCII = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~")
  ATEXT_ASCII[c.charCodeAt(0)] = 1;
const DOT = 0x2e;
const HYPHEN = 0x2d;

export function simplePath(text: string): SmtpMailbox | undefined {
  const n = text.length;
  if (n < 5 || n > 258 || text.charCodeAt(0) !== 0x3c || text.charCodeAt(n - 1) !== 0x3e) return undefined;
  // Local part: atoms of atext separated by single dots.
  let i = 1;
  let atom = 0;
  for (; i < n - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x40) break;
    if (c === DOT) {
      if (atom === 0) return undefined;
      atom = 0;
    } else if (c < 128 && ATEXT_ASCII[c] === 1) atom++;
    else return undefined;
  }
  const at = i;
  if (atom === 0 || at === n - 1 || at - 1 > 64) return undefined;
  // Domain: LDH labels of 1–63 characters, no hyphen first or last, the last one not all digits.
  let label = 0;
  let letters = false;
  for (i = at + 1; i < n - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (label === 0 || text.charCodeAt(i - 1) === HYPHEN) return undefined;
      label = 0;
      letters = false;
      continue;
    }
    if (c === HYPHEN) {
      if (label === 0) return undefined;
      // xn-- and other A-label-like labels ("ab--"): the full parser decides.
      if (label === 3 && text.charCodeAt(i - 1) === HYPHEN) return undefined;
    } else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) letters = true;
    else if (c < 0x30 || c > 0x39) return undefined;
    if (++label > 63) return undefined;
  }
  const domainLength = n - 2 - at;
  if (label === 0 || text.charCodeAt(n - 2) === HYPHEN || !letters || domainLength > 255) return undefined;
  return { localPart: text.slice(1, at), domain: text.slice(at + 1, n - 1), domainType: 'name', utf8: false };
}

/** Parses a `Path` (`<…>`; a source route is accepted and dropped, RFC 5321 §4.1.2, Appendix C). */
export function parsePath(text: string): SmtpMailbox | undefined {
  const simple = simplePath(text);
  if (simple) return simple;
  const result = coreParsePath(text, { smtputf8: true });
  if (!result.ok || result.value.type !== 'mailbox') return undefined;
  const mailbox = result.value.mailbox;
  if (hasInvisible(mailbox.localPart) || hasInvisible(mailbox.domain)) return undefined;
  return mailbox;
}

/** The `<Postmaster>` forward-path, which needs no domain (RFC 5321 §4.1.1.3). */
export function postmaster(localPart = 'Postmaster'): SmtpMailbox {
  return { localPart, domain: '', domainType: 'name', utf8: false };
}

/** Formats a mailbox for the wire, quoting the local part when it is not a Dot-string. */
export function formatMailbox(mailbox: SmtpMailbox): string {
  return mailbox.domain === '' ? formatLocalPart(mailbox.localPart) : coreFormatMailbox(mailbox);
}

export function isAtom(value: string): boolean {
  return ATEXT.test(value);
}
