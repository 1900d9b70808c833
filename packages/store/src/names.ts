/**
 * Mailbox names: one canonical spelling per name, so every adapter agrees on what "the same
 * mailbox" means. Names are UTF-8 (IMAP4rev2; a rev1 session converts modified UTF-7 itself),
 * normalised to NFC, `/`-delimited, and INBOX is case-insensitive (RFC 9051 §5.1).
 */
import { InvalidError } from './errors.js';

export const MAILBOX_DELIMITER = '/';
export const INBOX = 'INBOX';

/** Longest name accepted, in UTF-16 code units (a store's own limit; IMAP sets none). */
export const MAX_MAILBOX_NAME_LENGTH = 1000;

/**
 * The canonical form of a mailbox name, or throws `ERR_STORE_INVALID`.
 *
 * - NFC (RFC 9051 §5.1: mailbox names SHOULD be in NFC, RFC 5198);
 * - one trailing delimiter is dropped (RFC 9051 §6.3.4: `CREATE foo/` creates `foo`);
 * - a first component that is INBOX in any case becomes `INBOX` (RFC 9051 §5.1);
 * - empty components, control characters, unpaired surrogates and the LIST wildcards `*` and `%`
 *   are refused (RFC 9051 §5.1 advises against them; they cannot be named in LIST).
 *
 * @example normalizeMailboxName('inbox/Drafts/') === 'INBOX/Drafts'
 */
export function normalizeMailboxName(name: string): string {
  if (typeof name !== 'string') throw new InvalidError('Mailbox name must be a string');
  let out = name.normalize('NFC');
  if (out.endsWith(MAILBOX_DELIMITER)) out = out.slice(0, -1);
  if (out.length === 0) throw new InvalidError('Empty mailbox name');
  if (out.length > MAX_MAILBOX_NAME_LENGTH) throw new InvalidError('Mailbox name too long');
  for (let i = 0; i < out.length; i++) {
    const c = out.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) {
      throw new InvalidError('Control character in mailbox name');
    }
    if (c === 0x2a || c === 0x25) throw new InvalidError('Wildcard in mailbox name');
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = out.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new InvalidError('Invalid UTF-16 in mailbox name');
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new InvalidError('Invalid UTF-16 in mailbox name');
    }
  }
  const parts = out.split(MAILBOX_DELIMITER);
  if (parts.some((p) => p.length === 0)) throw new InvalidError('Empty hierarchy level in mailbox name');
  if (parts[0]!.toUpperCase() === INBOX) parts[0] = INBOX;
  return parts.join(MAILBOX_DELIMITER);
}

/** True for INBOX in any case. */
export function isInbox(name: string): boolean {
  return name.toUpperCase() === INBOX;
}

/** The superiors of a canonical name, outermost first: `a/b/c` → `['a', 'a/b']`. */
export function superiorNames(name: string): string[] {
  const out: string[] = [];
  let at = name.indexOf(MAILBOX_DELIMITER);
  while (at !== -1) {
    out.push(name.slice(0, at));
    at = name.indexOf(MAILBOX_DELIMITER, at + 1);
  }
  return out;
}

/** True when `name` is strictly below `ancestor` in the hierarchy. */
export function isInferior(name: string, ancestor: string): boolean {
  return name.length > ancestor.length + 1 && name.startsWith(ancestor + MAILBOX_DELIMITER);
}
