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
 * The everyday path `<dot-atom@ldh.domain>` in ASCII, recognised without the full parser. Labels
 * with hyphens in positions 3–4 (A-labels) and all-numeric last labels go the long way.
 */
const SIMPLE_PATH =
  /^<([A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*)@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)>$/;

function simplePath(text: string): SmtpMailbox | undefined {
  if (text.length > 258) return undefined;
  const match = SIMPLE_PATH.exec(text);
  if (!match) return undefined;
  const localPart = match[1]!;
  const domain = match[2]!;
  if (localPart.length > 64 || domain.length > 255 || text.length - 2 > 256) return undefined;
  if (!/[A-Za-z]/.test(domain.slice(domain.lastIndexOf('.') + 1))) return undefined;
  if (domain.includes('--') && domain.split('.').some((l) => l.slice(2, 4) === '--')) return undefined;
  return { localPart, domain, domainType: 'name', utf8: false };
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
