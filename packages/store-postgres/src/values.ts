/**
 * Small conversions between the store's values and their columns. Validation rules (flags, mailbox
 * names, UID sets, byte ranges) come from `@mailwire/store`, so every adapter agrees on them.
 */

import { InvalidError, MAX_UID, normalizeUidSet, type UidSet } from '@mailwire/store';
import { DELETED, SEEN } from './schema.js';

/** Sorted, merged, inclusive ranges, with an open end (`Infinity`) capped at the largest UID. */
export function uidRanges(set: UidSet): [number, number][] {
  return normalizeUidSet(set).map(([from, to]) => [from, Math.min(to, MAX_UID)]);
}

/** The `messages.sys` bits of a flag list (normalised flags: system flags in canonical case). */
export function sysBits(flags: readonly string[]): number {
  let bits = 0;
  for (const f of flags) {
    if (f === '\\Seen') bits |= SEEN;
    else if (f === '\\Deleted') bits |= DELETED;
  }
  return bits;
}

/** Flags are atoms or `\`-names, never containing a space, so a space-separated column is exact. */
export function encodeFlags(flags: readonly string[]): string {
  return flags.join(' ');
}

export function decodeFlags(text: string): string[] {
  return text === '' ? [] : text.split(' ');
}

/** Any non-empty name without white space or controls (mail address syntax is the caller's concern). */
export function checkAddress(address: unknown): string {
  if (
    typeof address !== 'string' ||
    address.length === 0 ||
    address.length > 320 ||
    /[\s\u0000-\u001f\u007f]/.test(address)
  ) {
    throw new InvalidError(`Invalid address: ${JSON.stringify(address)}`);
  }
  return address;
}

/** Key for case-insensitive address lookup. */
export function addressKey(address: string): string {
  return address.toLowerCase();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A mailbox id as the database has it, or `undefined` for anything that cannot be one. */
export function mailboxKey(id: unknown): string | undefined {
  return typeof id === 'string' && UUID.test(id) ? id : undefined;
}

/** An account id (a positive bigint in decimal), or `undefined`. */
export function accountKey(id: unknown): string | undefined {
  return typeof id === 'string' && /^[1-9][0-9]{0,17}$/.test(id) ? id : undefined;
}

/** Counts of `pg` come back as strings for bigint columns; ours stay below 2^53. */
export function num(value: string | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}

export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
