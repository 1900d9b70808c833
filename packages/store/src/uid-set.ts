/** UID sets as sorted, merged, inclusive ranges, and RFC 1939 UIDLs. */
import { InvalidError } from './errors.js';
import type { UidSet } from './types.js';

/** Largest UID (RFC 9051 §9: `nz-number` fits in 32 bits). */
export const MAX_UID = 0xffffffff;

/**
 * Sorted, disjoint, merged inclusive ranges; `Infinity` is kept as an open upper end. Throws
 * `ERR_STORE_INVALID` for a UID that is not a positive integer (or `Infinity`).
 *
 * @example normalizeUidSet([7, [1, 3], [4, 5]]) // [[1, 5], [7, 7]]
 */
export function normalizeUidSet(set: UidSet): [number, number][] {
  if (!Array.isArray(set)) throw new InvalidError('UID set must be an array');
  const ranges: [number, number][] = [];
  for (const item of set) {
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
    checkUid(from);
    checkUid(to);
    if (from > to) [from, to] = [to, from];
    ranges.push([from, to]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const range of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && range[0] <= last[1] + 1) {
      if (range[1] > last[1]) last[1] = range[1];
    } else {
      out.push([range[0], range[1]]);
    }
  }
  return out;
}

function checkUid(uid: number): void {
  if (uid === Number.POSITIVE_INFINITY) return;
  if (!Number.isInteger(uid) || uid < 1) throw new InvalidError(`Invalid UID: ${uid}`);
}

/** True when the normalised ranges contain `uid` (binary search). */
export function uidSetHas(ranges: readonly (readonly [number, number])[], uid: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const range = ranges[mid]!;
    if (uid < range[0]) hi = mid - 1;
    else if (uid > range[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The RFC 1939 §7 unique-id of a message: `<uidValidity>.<uid>`, 1 to 70 printable ASCII
 * characters (0x21–0x7E), stable for as long as UIDVALIDITY is.
 */
export function formatUidl(uidValidity: number, uid: number): string {
  return `${uidValidity}.${uid}`;
}
