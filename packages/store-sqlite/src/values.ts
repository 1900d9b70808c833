/**
 * Validation and normalisation of caller-supplied values: UID sets, flags, mailbox names and
 * addresses. Bad input is caller misuse and throws `InvalidError` (`ERR_STORE_INVALID`).
 */

import { InvalidError, type UidSet } from '@mailwire/store';
import { DELETED, SEEN } from './schema.js';

/** UIDs are 32-bit unsigned and non-zero (RFC 9051 §2.3.1.1). */
const MAX_UID = 0xffffffff;

/** Sorted, merged, inclusive ranges; `to` is capped at MAX_UID (for `Infinity`). */
export function uidRanges(set: UidSet): [number, number][] {
  if (!Array.isArray(set)) throw new InvalidError('UID set must be an array');
  const ranges: [number, number][] = [];
  for (const item of set as UidSet) {
    let from: number;
    let to: number;
    if (typeof item === 'number') {
      from = item;
      to = item;
    } else if (Array.isArray(item) && item.length === 2) {
      from = item[0];
      to = item[1];
    } else {
      throw new InvalidError('UID set entries are numbers or [from, to] pairs');
    }
    if (!isUid(from) || !(isUid(to) || to === Number.POSITIVE_INFINITY)) {
      throw new InvalidError(`invalid UID in set: ${String(from)}:${String(to)}`);
    }
    if (to < from) [from, to] = [to, from];
    ranges.push([from, Math.min(to, MAX_UID)]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

function isUid(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_UID;
}

const SYSTEM_FLAGS = new Map(
  ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].map((f) => [f.toLowerCase(), f]),
);

/** Longest keyword accepted (the same limit as the memory adapter). */
const MAX_KEYWORD_LENGTH = 100;

/** RFC 9051 §9 `flag-keyword = atom`: printable ASCII without atom-specials `(){ %*"\]`. */
function isKeyword(flag: string): boolean {
  if (flag.length === 0 || flag.length > MAX_KEYWORD_LENGTH) return false;
  for (let i = 0; i < flag.length; i++) {
    const c = flag.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || '(){%*"\\]'.includes(flag[i]!)) return false;
  }
  return true;
}

/** Canonical system flags, keywords as given; deduplicated case-insensitively, first spelling wins. */
export function normalizeFlags(flags: readonly string[] | undefined): string[] {
  if (flags === undefined) return [];
  if (!Array.isArray(flags)) throw new InvalidError('flags must be an array of strings');
  const out: string[] = [];
  const seen = new Set<string>();
  for (const flag of flags as readonly string[]) {
    if (typeof flag !== 'string') throw new InvalidError('flags must be strings');
    const key = flag.toLowerCase();
    let value: string;
    if (flag.startsWith('\\')) {
      const system = SYSTEM_FLAGS.get(key);
      // RFC 9051 §2.3.2: \Recent is not stored; other backslash names are not settable flags.
      if (system === undefined) throw new InvalidError(`not a settable system flag: ${flag}`);
      value = system;
    } else {
      if (!isKeyword(flag)) throw new InvalidError(`invalid keyword: ${JSON.stringify(flag)}`);
      value = flag;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(value);
  }
  return out;
}

/** The `messages.sys` bits of a flag list. */
export function sysBits(flags: readonly string[]): number {
  let bits = 0;
  for (const f of flags) {
    if (f === '\\Seen') bits |= SEEN;
    else if (f === '\\Deleted') bits |= DELETED;
  }
  return bits;
}

/**
 * The flags after a STORE (RFC 9051 §6.4.6), or `undefined` when nothing would change (a no-op
 * takes no MODSEQ); the same semantics as the memory adapter.
 */
export function applyFlags(
  current: readonly string[],
  mode: 'add' | 'remove' | 'replace',
  flags: readonly string[],
): readonly string[] | undefined {
  const currentKeys = new Set(current.map((f) => f.toLowerCase()));
  const givenKeys = new Set(flags.map((f) => f.toLowerCase()));
  if (mode === 'add') {
    const added = flags.filter((f) => !currentKeys.has(f.toLowerCase()));
    return added.length === 0 ? undefined : [...current, ...added];
  }
  if (mode === 'remove') {
    const kept = current.filter((f) => !givenKeys.has(f.toLowerCase()));
    return kept.length === current.length ? undefined : kept;
  }
  if (mode !== 'replace') throw new InvalidError(`invalid flag mode: ${String(mode)}`);
  if (currentKeys.size === givenKeys.size && [...givenKeys].every((k) => currentKeys.has(k)))
    return undefined;
  return [...flags];
}

export function encodeFlags(flags: readonly string[]): string {
  return flags.join(' ');
}

export function decodeFlags(text: string): string[] {
  return text === '' ? [] : text.split(' ');
}

/**
 * Mailbox names, with the rules of `@mailwire/store`: NFC, `/`-delimited, one trailing delimiter
 * dropped (RFC 9051 §6.3.4), INBOX (first level) in any case spelled `INBOX` (RFC 9051 §5.1); empty
 * levels, control characters, unpaired surrogates and the LIST wildcards `*` `%` refused.
 */
export function normalizeMailboxName(name: string): string {
  if (typeof name !== 'string') throw new InvalidError('Mailbox name must be a string');
  let out = name.normalize('NFC');
  if (out.endsWith('/')) out = out.slice(0, -1);
  if (out.length === 0) throw new InvalidError('Empty mailbox name');
  if (out.length > 1000) throw new InvalidError('Mailbox name too long');
  for (let i = 0; i < out.length; i++) {
    const c = out.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0))
      throw new InvalidError('Control character in mailbox name');
    if (c === 0x2a || c === 0x25) throw new InvalidError('Wildcard in mailbox name');
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = out.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new InvalidError('Invalid UTF-16 in mailbox name');
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new InvalidError('Invalid UTF-16 in mailbox name');
    }
  }
  const parts = out.split('/');
  if (parts.some((p) => p.length === 0)) throw new InvalidError('Empty hierarchy level in mailbox name');
  if (parts[0]!.toUpperCase() === 'INBOX') parts[0] = 'INBOX';
  return parts.join('/');
}

/** The names of every superior of a mailbox name, outermost first (`a/b/c` → `a`, `a/b`). */
export function superiors(name: string): string[] {
  const parts = name.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** Key for case-insensitive address lookup. */
export function addressKey(address: string): string {
  if (typeof address !== 'string' || address === '' || address.length > 512) {
    throw new InvalidError('invalid address');
  }
  return address.normalize('NFC').toLowerCase();
}
