/**
 * Maildir file names (https://cr.yp.to/proto/maildir.html, Maildir++ `S=` size):
 * `<unique>[,S=<size>][:2,<flags>]`. The unique part is what identifies a message for as long as
 * it lives, whatever tool renames it; the info part after `:2,` holds the flags as letters in
 * ASCII order: `D` draft, `F` flagged, `R` replied, `S` seen, `T` trashed (IMAP `\Deleted`), then
 * keywords `a`…`z` (their names are in the folder's `dovecot-keywords` file).
 */
import { hostname } from 'node:os';

export const SYSTEM_LETTERS: Readonly<Record<string, string>> = {
  '\\Draft': 'D',
  '\\Flagged': 'F',
  '\\Answered': 'R',
  '\\Seen': 'S',
  '\\Deleted': 'T',
};

export const LETTER_FLAGS: Readonly<Record<string, string>> = {
  D: '\\Draft',
  F: '\\Flagged',
  R: '\\Answered',
  S: '\\Seen',
  T: '\\Deleted',
};

/** The part of a file name that stays the same across flag changes (before the first `:`). */
export function baseOf(fileName: string): string {
  const colon = fileName.indexOf(':');
  return colon === -1 ? fileName : fileName.slice(0, colon);
}

/** The flag letters of a file name (`:2,` info), `''` when it has none. */
export function lettersOf(fileName: string): string {
  const at = fileName.indexOf(':2,');
  return at === -1 ? '' : fileName.slice(at + 3);
}

/** The `S=<size>` of a Maildir++ name, if present. */
export function sizeOf(fileName: string): number | undefined {
  const m = /,S=(\d{1,15})(?:[,:]|$)/.exec(baseOf(fileName));
  return m === null ? undefined : Number(m[1]);
}

/** `base:2,<letters>` with letters de-duplicated and sorted (ASCII order, as the spec asks). */
export function withLetters(base: string, letters: Iterable<string>): string {
  return `${base}:2,${[...new Set(letters)].sort().join('')}`;
}

// The maildir spec: a host name with `/` and `:` escaped as octal.
const host = hostname().replaceAll('/', '\\057').replaceAll(':', '\\072') || 'localhost';
let sequence = 0;

/** A new unique name: `<seconds>.M<micros, 6 digits>P<pid>Q<seq>R<random>.<host>` (sorts by time). */
export function uniqueName(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000);
  const micros = Math.floor((nowMs % 1000) * 1000);
  const random = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  sequence = (sequence + 1) % 1_000_000_000;
  return `${seconds}.M${String(micros).padStart(6, '0')}P${process.pid}Q${sequence}R${random}.${host}`;
}
