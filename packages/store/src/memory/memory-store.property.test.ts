/**
 * Random operation sequences against the memory store, checked after every step against a plain
 * model: UIDs, flags, counters, MODSEQ order, quota usage and `changesSince` from every checkpoint.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '@mailwire/core';
import { flagKey } from '../flags.js';
import type { MailStore } from '../types.js';
import { createMemoryStore } from './memory-store.js';

const FLAGS = ['\\Seen', '\\Deleted', '\\Flagged', '$A', '$a', '$B'];
const flagsArb = fc.subarray(FLAGS);
const uidsArb = fc.array(fc.integer({ min: 1, max: 25 }), { maxLength: 6 });

type Op =
  | { op: 'append'; box: 0 | 1; flags: string[]; size: number }
  | { op: 'flags'; box: 0 | 1; uids: number[]; mode: 'add' | 'remove' | 'replace'; flags: string[] }
  | { op: 'expunge'; box: 0 | 1; uids: number[] | undefined }
  | { op: 'copy' | 'move'; box: 0 | 1; uids: number[] };

const box = fc.constantFrom<0 | 1>(0, 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('append' as const),
    box,
    flags: flagsArb,
    size: fc.integer({ min: 0, max: 300 }),
  }),
  fc.record({
    op: fc.constant('flags' as const),
    box,
    uids: uidsArb,
    mode: fc.constantFrom('add' as const, 'remove' as const, 'replace' as const),
    flags: flagsArb,
  }),
  fc.record({ op: fc.constant('expunge' as const), box, uids: fc.option(uidsArb, { nil: undefined }) }),
  fc.record({ op: fc.constantFrom('copy' as const, 'move' as const), box, uids: uidsArb }),
);

interface ModelMessage {
  uid: number;
  flags: Set<string>;
  size: number;
}

function keys(flags: readonly string[]): string[] {
  return flags.map(flagKey).sort();
}

async function check(store: MailStore, ids: string[], model: Map<number, ModelMessage>[], accountId: string) {
  let storage = 0;
  let count = 0;
  for (const [i, id] of ids.entries()) {
    const metas = await store.fetchMessages(id, [[1, Number.POSITIVE_INFINITY]]);
    const expected = [...model[i]!.values()].sort((a, b) => a.uid - b.uid);
    expect(metas.map((m) => [m.uid, keys(m.flags), m.size])).toEqual(
      expected.map((m) => [m.uid, [...m.flags].sort(), m.size]),
    );
    const info = (await store.getMailboxById(id))!;
    expect(info.messages).toBe(expected.length);
    expect(info.unseen).toBe(expected.filter((m) => !m.flags.has('\\seen')).length);
    expect(info.deleted).toBe(expected.filter((m) => m.flags.has('\\deleted')).length);
    expect(info.size).toBe(expected.reduce((s, m) => s + m.size, 0));
    for (const m of metas) expect(m.modseq).toBeLessThanOrEqual(info.highestModseq);
    storage += info.size;
    count += info.messages;
  }
  expect((await store.accounts.getQuota(accountId)).usage).toEqual({ storage, messages: count });
}

describe('memory store (property)', () => {
  it('matches a plain model under random operations, with exact changesSince', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const store = createMemoryStore();
        const account = await store.accounts.createAccount({ address: 'p@example.com' });
        const ids = [
          (await store.getMailbox(account.id, 'INBOX'))!.id,
          (await store.createMailbox(account.id, 'B')).id,
        ];
        const model = [new Map<number, ModelMessage>(), new Map<number, ModelMessage>()];
        const expunged: { box: number; uid: number; modseq: number }[] = [];
        const checkpoints: number[][] = [[1], [1]];
        const last = [1, 1];
        let n = 0;
        for (const op of ops) {
          const id = ids[op.box]!;
          const other = 1 - op.box;
          if (op.op === 'append') {
            const r = await store.append(id, utf8('x'.repeat(op.size)), {
              internalDate: n++,
              flags: op.flags,
            });
            model[op.box]!.set(r.uid, { uid: r.uid, flags: new Set(op.flags.map(flagKey)), size: op.size });
          } else if (op.op === 'flags') {
            const r = await store.setFlags(id, op.uids, { mode: op.mode, flags: op.flags });
            const given = new Set(op.flags.map(flagKey));
            for (const uid of new Set(op.uids)) {
              const m = model[op.box]!.get(uid);
              if (m === undefined) continue;
              const next =
                op.mode === 'replace'
                  ? new Set(given)
                  : op.mode === 'add'
                    ? new Set([...m.flags, ...given])
                    : new Set([...m.flags].filter((f) => !given.has(f)));
              const changed = next.size !== m.flags.size || [...next].some((f) => !m.flags.has(f));
              expect(r.changed.some((c) => c.uid === uid)).toBe(changed);
              m.flags = next;
            }
          } else if (op.op === 'expunge') {
            const r = await store.expunge(id, op.uids === undefined ? {} : { uids: op.uids });
            const want = [...model[op.box]!.values()]
              .filter((m) => m.flags.has('\\deleted') && (op.uids === undefined || op.uids.includes(m.uid)))
              .map((m) => m.uid)
              .sort((a, b) => a - b);
            expect(r.expunged).toEqual(want);
            for (const uid of want) {
              model[op.box]!.delete(uid);
              expunged.push({ box: op.box, uid, modseq: r.modseq });
            }
          } else {
            const r =
              op.op === 'copy'
                ? { ...(await store.copy(id, op.uids, ids[other]!)), sourceModseq: 0 }
                : await store.move(id, op.uids, ids[other]!);
            for (const { sourceUid, destUid } of r.mapping) {
              const m = model[op.box]!.get(sourceUid)!;
              model[other]!.set(destUid, { uid: destUid, flags: new Set(m.flags), size: m.size });
              if (op.op === 'move') {
                model[op.box]!.delete(sourceUid);
                expunged.push({
                  box: op.box,
                  uid: sourceUid,
                  modseq: r.sourceModseq,
                });
              }
            }
          }
          for (const b of [0, 1]) {
            const h = (await store.getMailboxById(ids[b]!))!.highestModseq;
            expect(h).toBeGreaterThanOrEqual(last[b]!);
            if (h > last[b]!) checkpoints[b]!.push(h);
            last[b] = h;
          }
          await check(store, ids, model, account.id);
        }
        for (const b of [0, 1]) {
          const metas = await store.fetchMessages(ids[b]!, [[1, Number.POSITIVE_INFINITY]]);
          for (const since of checkpoints[b]!) {
            const got = await store.changesSince(ids[b]!, since);
            expect(got.trimmed).toBe(false);
            if (got.trimmed) continue;
            expect(got.changed.map((c) => c.uid)).toEqual(
              metas.filter((m) => m.modseq > since).map((m) => m.uid),
            );
            expect(got.expunged).toEqual(
              expunged
                .filter((e) => e.box === b && e.modseq > since)
                .map((e) => e.uid)
                .sort((x, y) => x - y),
            );
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
