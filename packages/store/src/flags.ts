/**
 * Flags and keywords (RFC 9051 §2.3.2). System flags have one canonical spelling; keywords are
 * atoms compared case-insensitively with their case preserved. `\Recent` is not storable (IMAP4rev2
 * removed it; a rev1 session synthesises it), nor is any other `\`-flag.
 */
import { InvalidError } from './errors.js';
import type { FlagMode, SystemFlag } from './types.js';

export const SYSTEM_FLAGS: readonly SystemFlag[] = [
  '\\Seen',
  '\\Answered',
  '\\Flagged',
  '\\Deleted',
  '\\Draft',
];

const systemByKey = new Map<string, SystemFlag>(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));

/** Longest keyword accepted (a store limit; IMAP sets none). */
export const MAX_KEYWORD_LENGTH = 100;

/** The case-insensitive identity of a flag. */
export function flagKey(flag: string): string {
  return flag.toLowerCase();
}

export function isSystemFlag(flag: string): boolean {
  return systemByKey.has(flag.toLowerCase());
}

/**
 * A system flag in its canonical spelling, or a keyword as given; throws `ERR_STORE_INVALID` for
 * anything else. Keywords must be IMAP atoms (RFC 9051 §9 `flag-keyword = atom`): printable ASCII
 * without atom-specials `(){ %*"\]`.
 */
export function normalizeFlag(flag: string): string {
  if (typeof flag !== 'string' || flag.length === 0) throw new InvalidError('Empty flag');
  if (flag.charCodeAt(0) === 0x5c) {
    const system = systemByKey.get(flag.toLowerCase());
    if (system === undefined) throw new InvalidError(`Not a storable system flag: ${flag}`);
    return system;
  }
  if (flag.length > MAX_KEYWORD_LENGTH) throw new InvalidError('Keyword too long');
  for (let i = 0; i < flag.length; i++) {
    const c = flag.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || '(){%*"\\]'.includes(flag[i]!)) {
      throw new InvalidError(`Invalid keyword: ${JSON.stringify(flag)}`);
    }
  }
  return flag;
}

/** Normalises and de-duplicates (case-insensitively, first spelling wins), keeping order. */
export function normalizeFlags(flags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of flags) {
    const flag = normalizeFlag(raw);
    const key = flagKey(flag);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(flag);
  }
  return out;
}

/**
 * The flags after a STORE (RFC 9051 §6.4.6), or `undefined` when nothing would change (a no-op
 * takes no MODSEQ). Both inputs must already be normalised; kept flags keep their spelling.
 */
export function applyFlags(
  current: readonly string[],
  mode: FlagMode,
  flags: readonly string[],
): readonly string[] | undefined {
  const currentKeys = new Set(current.map(flagKey));
  const givenKeys = new Set(flags.map(flagKey));
  if (mode === 'add') {
    const added = flags.filter((f) => !currentKeys.has(flagKey(f)));
    return added.length === 0 ? undefined : [...current, ...added];
  }
  if (mode === 'remove') {
    const kept = current.filter((f) => !givenKeys.has(flagKey(f)));
    return kept.length === current.length ? undefined : kept;
  }
  if (currentKeys.size === givenKeys.size && [...givenKeys].every((k) => currentKeys.has(k)))
    return undefined;
  return [...flags];
}

/** True when `flags` holds `flag` (case-insensitively). */
export function hasFlag(flags: readonly string[], flag: string): boolean {
  const key = flagKey(flag);
  return flags.some((f) => flagKey(f) === key);
}
