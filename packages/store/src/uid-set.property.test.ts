import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailwireError } from '@mailwire/core';
import { normalizeUidSet, uidSetHas } from './uid-set.js';

const uid = fc.integer({ min: 1, max: 500 });
const item = fc.oneof(uid, fc.tuple(uid, uid));

describe('UID sets (property)', () => {
  it('contain exactly the UIDs their items name, as sorted disjoint ranges', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 20 }), (set) => {
        const ranges = normalizeUidSet(set);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1] + 1);
        const members = new Set<number>();
        for (const x of set) {
          const [a, b] = typeof x === 'number' ? [x, x] : [Math.min(...x), Math.max(...x)];
          for (let u = a; u <= b; u++) members.add(u);
        }
        const wrong: number[] = [];
        for (let u = 1; u <= 502; u++) if (uidSetHas(ranges, u) !== members.has(u)) wrong.push(u);
        expect(wrong).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuse anything else with a typed error, never another throw', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          normalizeUidSet(value as never);
        } catch (error) {
          expect(MailwireError.isInstance(error)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
