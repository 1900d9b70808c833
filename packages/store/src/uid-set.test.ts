import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { formatUidl, normalizeUidSet, uidSetHas } from './uid-set.js';

describe('normalizeUidSet', () => {
  it('sorts, swaps reversed ranges and merges overlapping and adjacent ones', () => {
    expect(normalizeUidSet([7, [1, 3], [4, 5]])).toEqual([
      [1, 5],
      [7, 7],
    ]);
    expect(normalizeUidSet([[9, 2], 3, [20, Number.POSITIVE_INFINITY], 25])).toEqual([
      [2, 9],
      [20, Number.POSITIVE_INFINITY],
    ]);
    expect(normalizeUidSet([])).toEqual([]);
  });

  it.each([[[0]], [[-1]], [[1.5]], [[Number.NaN]], [[[1, 0]]], [['1']], [[[1, 2, 3]]]])(
    'refuses %j',
    (set) => {
      expect(() => normalizeUidSet(set as never)).toThrow(InvalidError);
    },
  );
});

describe('uidSetHas', () => {
  it('finds UIDs by binary search', () => {
    const ranges = normalizeUidSet([[1, 3], [10, 20], 50, [100, Number.POSITIVE_INFINITY]]);
    for (const uid of [1, 3, 10, 15, 20, 50, 100, 2 ** 32 - 1]) expect(uidSetHas(ranges, uid)).toBe(true);
    for (const uid of [4, 9, 21, 49, 51, 99]) expect(uidSetHas(ranges, uid)).toBe(false);
  });
});

describe('formatUidl (RFC 1939 §7)', () => {
  it('joins UIDVALIDITY and UID in printable ASCII of at most 70 characters', () => {
    const uidl = formatUidl(4294967295, 4294967295);
    expect(uidl).toBe('4294967295.4294967295');
    expect(uidl).toMatch(/^[\x21-\x7e]{1,70}$/);
  });
});
