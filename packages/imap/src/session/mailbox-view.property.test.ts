import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SeqNumber } from '../codec/types.js';
import { MailboxView } from './mailbox-view.js';

/** What a sequence set names, by definition (RFC 9051 §6.4.8, §9 seq-range), one number at a time. */
function reference(
  uids: readonly number[],
  [a, b]: [SeqNumber, SeqNumber],
  uid: boolean,
): number[] | undefined {
  if (uid) {
    const max = uids[uids.length - 1] ?? 0;
    const x = a === '*' ? max : a;
    const y = b === '*' ? max : b;
    const [lo, hi] = [Math.min(x, y), Math.max(x, y)];
    const out = uids.filter((u) => u >= lo && u <= hi);
    if ((a === '*' || b === '*') && max > 0 && lo > max) out.push(max);
    return out;
  }
  const max = uids.length;
  if (max === 0 && (a === '*' || b === '*')) return [];
  const x = a === '*' ? max : a;
  const y = b === '*' ? max : b;
  if (x === 0 || y === 0 || x > max || y > max) return undefined;
  return uids.slice(Math.min(x, y) - 1, Math.max(x, y));
}

describe('MailboxView.resolve', () => {
  it('names the same messages as the definition, for one range, by UID and by number', () => {
    const seq = fc.oneof(fc.constant<SeqNumber>('*'), fc.integer({ min: 0, max: 60 }));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 30 }),
        seq,
        seq,
        fc.boolean(),
        (raw, a, b, uid) => {
          const uids = [...raw].sort((p, q) => p - q);
          const view = new MailboxView('m', 'INBOX', 1, false, Uint32Array.from(uids), 1);
          expect(view.resolve([[a, b]], uid, undefined)).toEqual(reference(uids, [a, b], uid));
          expect(view.exists).toBe(uids.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
