/**
 * Model-based property test: random sequences of operations run against `SqliteStore` and the
 * in-memory reference adapter of `@mailwire/store` must give the same answers and leave the same
 * observable state (UIDs, flags, MODSEQs, counters, changesSince), and survive a reopen unchanged.
 */
import { createMemoryStore, type MailStore } from '@mailwire/store';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupDirs, openStore, tempDir, testHasher } from './helpers.js';

afterAll(cleanupDirs);

const FLAGS = ['\\Seen', '\\Deleted', '\\Flagged', '$Junk', '$junk', 'Work'];
const ALL = [[1, Number.POSITIVE_INFINITY]] as const;

type Op =
  | { op: 'append'; box: number; body: number; flags: string[] }
  | { op: 'flags'; box: number; uids: number[]; mode: 'add' | 'remove' | 'replace'; flags: string[] }
  | { op: 'expunge'; box: number }
  | { op: 'copy' | 'move'; box: number; to: number; uids: number[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { depthSize: 'small', withCrossShrink: true },
  fc.record({
    op: fc.constant('append' as const),
    box: fc.nat(1),
    body: fc.nat(5),
    flags: fc.subarray(FLAGS),
  }),
  fc.record({
    op: fc.constant('flags' as const),
    box: fc.nat(1),
    uids: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 4 }),
    mode: fc.constantFrom('add' as const, 'remove' as const, 'replace' as const),
    flags: fc.subarray(FLAGS),
  }),
  fc.record({ op: fc.constant('expunge' as const), box: fc.nat(1) }),
  fc.record({
    op: fc.constantFrom('copy' as const, 'move' as const),
    box: fc.nat(1),
    to: fc.nat(1),
    uids: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  }),
);

async function boxes(store: MailStore): Promise<string[]> {
  const account = await store.accounts.createAccount({ address: 'm@example.com' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  const other = await store.createMailbox(account.id, 'Other');
  return [inbox.id, other.id];
}

async function apply(store: MailStore, ids: string[], op: Op): Promise<unknown> {
  try {
    switch (op.op) {
      case 'append': {
        const r = await store.append(
          ids[op.box]!,
          new TextEncoder().encode(`Subject: ${op.body}\r\n\r\nbody\r\n`),
          {
            internalDate: 1000 + op.body,
            flags: op.flags,
          },
        );
        return { uid: r.uid, modseq: r.modseq, size: r.size };
      }
      case 'flags':
        return await store.setFlags(ids[op.box]!, op.uids, { mode: op.mode, flags: op.flags });
      case 'expunge':
        return await store.expunge(ids[op.box]!);
      case 'copy': {
        const r = await store.copy(ids[op.box]!, op.uids, ids[op.to]!);
        return { mapping: r.mapping, modseq: r.modseq };
      }
      case 'move': {
        const r = await store.move(ids[op.box]!, op.uids, ids[op.to]!);
        return { mapping: r.mapping, modseq: r.modseq, expunged: r.expunged, sourceModseq: r.sourceModseq };
      }
    }
  } catch (error) {
    return { error: (error as { code?: string }).code };
  }
}

async function state(store: MailStore, ids: string[]): Promise<unknown> {
  const out = [];
  for (const id of ids) {
    const info = (await store.getMailboxById(id))!;
    const metas = await store.fetchMessages(id, ALL);
    out.push({
      counters: [info.messages, info.unseen, info.deleted, info.size, info.uidNext, info.highestModseq],
      keywords: info.keywords,
      messages: metas.map((m) => [m.uid, m.modseq, m.flags, m.size, m.internalDate]),
      since: await store.changesSince(id, 1),
    });
  }
  return out;
}

describe('SqliteStore against the reference adapter', () => {
  it('answers every operation sequence like the memory store, before and after a reopen', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const dir = tempDir();
        let sqlite: MailStore = openStore(dir);
        const memory = createMemoryStore({ hasher: testHasher });
        try {
          const sIds = await boxes(sqlite);
          const mIds = await boxes(memory);
          for (const op of ops) {
            expect(await apply(sqlite, sIds, op)).toEqual(await apply(memory, mIds, op));
          }
          const expected = await state(memory, mIds);
          expect(await state(sqlite, sIds)).toEqual(expected);
          await sqlite.close();
          sqlite = openStore(dir);
          expect(await state(sqlite, sIds)).toEqual(expected);
        } finally {
          await sqlite.close();
          await memory.close();
        }
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
