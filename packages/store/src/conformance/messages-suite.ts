/** Items 2 (UIDs under concurrency), 4 (atomic append/copy/move/expunge) and 5 (flags and keywords). */
import { describe, expect, it } from 'vitest';
import type { MessageMeta } from '../types.js';
import { ALL, append, expectStoreError, type Harness, message, readAll, uidsOf } from './harness.js';

export function messagesSuite(h: Harness): void {
  describe('UIDs (item 2)', () => {
    it('appends return what IMAP needs and fetch agrees', async () => {
      const { store, inbox } = await h.fixture();
      const bytes = message('first');
      const result = await store.append(inbox.id, bytes, {
        internalDate: 1_234_567_890_000,
        flags: ['\\Seen'],
      });
      expect(result.mailboxId).toBe(inbox.id);
      expect(result.uidValidity).toBe(inbox.uidValidity);
      expect(result.uid).toBeGreaterThanOrEqual(inbox.uidNext);
      expect(result.modseq).toBeGreaterThan(inbox.highestModseq);
      expect(result.size).toBe(bytes.length);
      const [meta] = await store.fetchMessages(inbox.id, [result.uid]);
      expect(meta).toMatchObject({
        uid: result.uid,
        modseq: result.modseq,
        flags: ['\\Seen'],
        internalDate: 1_234_567_890_000,
        size: bytes.length,
        blobId: result.blobId,
      });
      const info = await store.getMailboxById(inbox.id);
      expect(info).toMatchObject({ messages: 1, unseen: 0, deleted: 0, size: bytes.length });
      expect(info!.uidNext).toBeGreaterThan(result.uid);
      expect(info!.highestModseq).toBe(result.modseq);
    });

    it(`gives ${h.caps.concurrency} parallel appenders distinct, ascending-visible UIDs`, async () => {
      const { store, inbox } = await h.fixture();
      const n = h.caps.concurrency;
      let done = false;
      let seenMax = 0;
      const seen = new Set<number>();
      const violations: string[] = [];
      // A reader that has seen UID k never later sees a new message with a UID below k.
      const observer = (async () => {
        while (!done) {
          const uids = await uidsOf(store, inbox.id);
          for (const uid of uids) {
            if (!seen.has(uid) && uid < seenMax) violations.push(`saw ${uid} after ${seenMax}`);
            seen.add(uid);
          }
          seenMax = Math.max(seenMax, ...uids, 0);
        }
      })();
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => append(store, inbox.id, message(`parallel ${i}`))),
      );
      done = true;
      await observer;
      const uids = results.map((r) => r.uid);
      expect(new Set(uids).size).toBe(n);
      expect(violations).toEqual([]);
      const info = await store.getMailboxById(inbox.id);
      expect(info!.messages).toBe(n);
      expect(info!.uidNext).toBeGreaterThan(Math.max(...uids));
      expect((await uidsOf(store, inbox.id)).sort((a, b) => a - b)).toEqual([...uids].sort((a, b) => a - b));
      // Every message holds the content its append acknowledged.
      for (const i of [0, Math.floor(n / 2), n - 1]) {
        expect(await readAll(store, { mailboxId: inbox.id, uid: uids[i]! })).toEqual(
          message(`parallel ${i}`),
        );
      }
    });

    it('never lowers UIDNEXT and never reuses a UID', async () => {
      const { store, inbox } = await h.fixture();
      const a = await append(store, inbox.id, message('a'), ['\\Deleted']);
      const b = await append(store, inbox.id, message('b'), ['\\Deleted']);
      const before = (await store.getMailboxById(inbox.id))!.uidNext;
      await store.expunge(inbox.id);
      const after = (await store.getMailboxById(inbox.id))!.uidNext;
      expect(after).toBeGreaterThanOrEqual(before);
      const c = await append(store, inbox.id, message('c'));
      expect(c.uid).toBeGreaterThan(b.uid);
      expect(c.uid).not.toBe(a.uid);
    });

    it('fetches by UID sets and ranges, ignoring missing UIDs', async () => {
      const { store, inbox } = await h.fixture();
      const uids: number[] = [];
      for (let i = 0; i < 10; i++) uids.push((await append(store, inbox.id, message(`m${i}`))).uid);
      const pick = (metas: MessageMeta[]) => metas.map((m) => m.uid);
      expect(pick(await store.fetchMessages(inbox.id, ALL))).toEqual(uids);
      expect(pick(await store.fetchMessages(inbox.id, [uids[7]!, [uids[1]!, uids[3]!], uids[2]!]))).toEqual([
        uids[1],
        uids[2],
        uids[3],
        uids[7],
      ]);
      expect(pick(await store.fetchMessages(inbox.id, [[uids[3]!, uids[1]!]]))).toEqual(uids.slice(1, 4));
      expect(pick(await store.fetchMessages(inbox.id, [uids[9]! + 100]))).toEqual([]);
      expect(pick(await store.fetchMessages(inbox.id, [[uids[8]!, Number.POSITIVE_INFINITY]]))).toEqual(
        uids.slice(8),
      );
      await expectStoreError(store.fetchMessages(inbox.id, [0]), 'ERR_STORE_INVALID');
      await expectStoreError(store.fetchMessages(inbox.id, [1.5]), 'ERR_STORE_INVALID');
      await expectStoreError(store.fetchMessages('no-such-mailbox', ALL), 'ERR_STORE_NOT_FOUND');
    });

    it.runIf(h.options.openPeer !== undefined)('keeps UIDs distinct across store instances', async () => {
      const { store, inbox } = await h.fixture();
      const peer = await h.peer(store);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          append(i % 2 === 0 ? store : peer, inbox.id, message(`peer ${i}`)),
        ),
      );
      expect(new Set(results.map((r) => r.uid)).size).toBe(40);
      expect((await uidsOf(peer, inbox.id)).length).toBe(40);
    });

    it.runIf(h.options.multiProcess !== undefined)('keeps UIDs distinct across processes', async () => {
      const { store, account, inbox } = await h.fixture();
      const acked = await h.options.multiProcess!.appendConcurrently({
        store,
        address: account.address,
        mailbox: 'INBOX',
        processes: 4,
        perProcess: 25,
      });
      expect(acked.length).toBe(100);
      expect(new Set(acked).size).toBe(100);
      const visible = await uidsOf(store, inbox.id);
      expect(visible).toEqual([...acked].sort((a, b) => a - b));
    });
  });

  describe('atomic append, copy, move, expunge (item 4)', () => {
    it('copies without touching the source and returns the UID map', async () => {
      const { store, account, inbox } = await h.fixture();
      const dest = await store.createMailbox(account.id, 'Copies');
      const a = await append(store, inbox.id, message('a'), ['\\Seen', '$Work']);
      await append(store, inbox.id, message('b'));
      const c = await append(store, inbox.id, message('c'), ['\\Flagged']);
      const sourceBefore = await store.fetchMessages(inbox.id, ALL);
      const result = await store.copy(inbox.id, [c.uid, a.uid, 9999], dest.id);
      expect(result.destMailboxId).toBe(dest.id);
      expect(result.uidValidity).toBe(dest.uidValidity);
      expect(result.mapping.map((m) => m.sourceUid)).toEqual([a.uid, c.uid]);
      const destUids = result.mapping.map((m) => m.destUid);
      expect(destUids[0]!).toBeLessThan(destUids[1]!);
      expect(await store.fetchMessages(inbox.id, ALL)).toEqual(sourceBefore);
      const copied = await store.fetchMessages(dest.id, ALL);
      expect(copied.map((m) => m.uid)).toEqual(destUids);
      expect(copied.map((m) => [...m.flags].sort())).toEqual([['$Work', '\\Seen'], ['\\Flagged']]);
      expect(copied.map((m) => m.internalDate)).toEqual([
        sourceBefore[0]!.internalDate,
        sourceBefore[2]!.internalDate,
      ]);
      expect(await readAll(store, { mailboxId: dest.id, uid: destUids[1]! })).toEqual(message('c'));
      expect(result.modseq).toBe((await store.getMailboxById(dest.id))!.highestModseq);
      const empty = await store.copy(inbox.id, [12345], dest.id);
      expect(empty.mapping).toEqual([]);
      await expectStoreError(store.copy(inbox.id, ALL, 'no-such-mailbox'), 'ERR_STORE_NOT_FOUND');
    });

    it('moves atomically: the source loses what the destination gains', async () => {
      const { store, account, inbox } = await h.fixture();
      const dest = await store.createMailbox(account.id, 'Moved');
      const uids: number[] = [];
      for (let i = 0; i < 5; i++)
        uids.push((await append(store, inbox.id, message(`m${i}`), ['\\Seen'])).uid);
      const result = await store.move(inbox.id, [uids[1]!, uids[3]!], dest.id);
      expect(result.expunged).toEqual([uids[1], uids[3]]);
      expect(result.mapping.map((m) => m.sourceUid)).toEqual([uids[1], uids[3]]);
      expect(await uidsOf(store, inbox.id)).toEqual([uids[0], uids[2], uids[4]]);
      expect(await uidsOf(store, dest.id)).toEqual(result.mapping.map((m) => m.destUid));
      expect(result.sourceModseq).toBe((await store.getMailboxById(inbox.id))!.highestModseq);
      expect(await readAll(store, { mailboxId: dest.id, uid: result.mapping[1]!.destUid })).toEqual(
        message('m3'),
      );
      const info = await store.getMailboxById(inbox.id);
      expect(info).toMatchObject({ messages: 3, unseen: 0 });
      expect((await store.getMailboxById(dest.id))!.messages).toBe(2);
    });

    it('never shows a moving message in both mailboxes or in neither', async () => {
      const { store, account, inbox } = await h.fixture();
      const dest = await store.createMailbox(account.id, 'Target');
      const n = 30;
      for (let i = 0; i < n; i++) await append(store, inbox.id, message(`m${i}`));
      const problems: string[] = [];
      let done = false;
      const total = async (first: string, second: string): Promise<[number, number]> => {
        const a = (await store.getMailboxById(first))!.messages;
        const b = (await store.getMailboxById(second))!.messages;
        return [a, b];
      };
      // Reading the source first, a finished move must already show in the destination (never
      // "neither"); reading the destination first, it must already be gone from the source
      // (never "both").
      const observer = (async () => {
        while (!done) {
          const [s1, d1] = await total(inbox.id, dest.id);
          if (s1 + d1 < n) problems.push(`neither: ${s1} + ${d1}`);
          const [d2, s2] = await total(dest.id, inbox.id);
          if (s2 + d2 > n) problems.push(`both: ${s2} + ${d2}`);
        }
      })();
      const uids = await uidsOf(store, inbox.id);
      await Promise.all(uids.map((uid) => store.move(inbox.id, [uid], dest.id)));
      done = true;
      await observer;
      expect(problems).toEqual([]);
      expect((await store.getMailboxById(dest.id))!.messages).toBe(n);
      expect((await store.getMailboxById(inbox.id))!.messages).toBe(0);
    });

    it('expunges only \\Deleted messages, optionally only some UIDs (UID EXPUNGE)', async () => {
      const { store, inbox } = await h.fixture();
      const a = await append(store, inbox.id, message('a'), ['\\Deleted']);
      const b = await append(store, inbox.id, message('b'));
      const c = await append(store, inbox.id, message('c'), ['\\Deleted', '\\Seen']);
      const d = await append(store, inbox.id, message('d'), ['\\Deleted']);
      expect((await store.getMailboxById(inbox.id))!.deleted).toBe(3);
      const some = await store.expunge(inbox.id, { uids: [b.uid, c.uid] });
      expect(some.expunged).toEqual([c.uid]);
      expect(await uidsOf(store, inbox.id)).toEqual([a.uid, b.uid, d.uid]);
      const rest = await store.expunge(inbox.id);
      expect(rest.expunged).toEqual([a.uid, d.uid]);
      expect(rest.modseq).toBe((await store.getMailboxById(inbox.id))!.highestModseq);
      expect(await uidsOf(store, inbox.id)).toEqual([b.uid]);
      expect(await store.getMailboxById(inbox.id)).toMatchObject({ messages: 1, deleted: 0, unseen: 1 });
      const none = await store.expunge(inbox.id);
      expect(none.expunged).toEqual([]);
      expect(none.modseq).toBe(rest.modseq);
      await expectStoreError(store.readMessage({ mailboxId: inbox.id, uid: a.uid }), 'ERR_STORE_NOT_FOUND');
    });

    it.runIf(true)('appends several messages at once, all or nothing (MULTIAPPEND)', async () => {
      const { store, account, inbox } = await h.fixture();
      if (store.appendMany === undefined) return;
      const results = await store.appendMany(inbox.id, [
        { source: message('one'), internalDate: 1, flags: ['\\Seen'] },
        { source: message('two'), internalDate: 2 },
      ]);
      expect(results.map((r) => r.uid)).toEqual([results[0]!.uid, results[0]!.uid + 1]);
      await store.accounts.setQuota(account.id, { messages: 3 });
      await expectStoreError(
        store.appendMany(inbox.id, [
          { source: message('three'), internalDate: 3 },
          { source: message('four'), internalDate: 4 },
        ]),
        'ERR_STORE_QUOTA',
      );
      expect((await store.getMailboxById(inbox.id))!.messages).toBe(2);
      await expectStoreError(
        store.appendMany(inbox.id, [
          { source: message('five'), internalDate: 5 },
          { source: message('six'), internalDate: 6, flags: ['\\Bogus'] },
        ]),
        'ERR_STORE_INVALID',
      );
      expect((await store.getMailboxById(inbox.id))!.messages).toBe(2);
    });

    it('validates append arguments', async () => {
      const { store, inbox } = await h.fixture();
      await expectStoreError(append(store, 'no-such-mailbox', message('x')), 'ERR_STORE_NOT_FOUND');
      await expectStoreError(append(store, inbox.id, message('x'), ['\\Recent']), 'ERR_STORE_INVALID');
      await expectStoreError(
        store.append(inbox.id, message('x'), { internalDate: Number.NaN }),
        'ERR_STORE_INVALID',
      );
      expect((await store.getMailboxById(inbox.id))!.messages).toBe(0);
    });
  });

  describe('flags and keywords (item 5)', () => {
    it('keeps system flags exact and in canonical spelling', async () => {
      const { store, inbox } = await h.fixture();
      const m = await append(store, inbox.id, message('x'), ['\\seen', '\\ANSWERED', '\\Draft']);
      const [meta] = await store.fetchMessages(inbox.id, [m.uid]);
      expect([...meta!.flags].sort()).toEqual(['\\Answered', '\\Draft', '\\Seen']);
      for (const bad of ['\\Recent', '\\Bogus', '', 'two words', 'paren(', 'quote"', 'brack]', 'star*']) {
        await expectStoreError(
          store.setFlags(inbox.id, [m.uid], { mode: 'add', flags: [bad] }),
          'ERR_STORE_INVALID',
        );
      }
    });

    it('matches keywords case-insensitively and preserves their case', async () => {
      const { store, inbox } = await h.fixture();
      const m = await append(store, inbox.id, message('x'), ['$Important']);
      const other = await append(store, inbox.id, message('y'));
      const noop = await store.setFlags(inbox.id, [m.uid], { mode: 'add', flags: ['$IMPORTANT'] });
      expect(noop.changed).toEqual([]);
      let [meta] = await store.fetchMessages(inbox.id, [m.uid]);
      expect(meta!.flags).toEqual(['$Important']);
      const added = await store.setFlags(inbox.id, [other.uid], { mode: 'add', flags: ['$important'] });
      expect(added.changed.length).toBe(1);
      // One keyword, one spelling per mailbox where the adapter keeps a keyword list.
      const info = await store.getMailboxById(inbox.id);
      if (info!.keywords !== undefined)
        expect(info!.keywords.filter((k) => k.toLowerCase() === '$important').length).toBe(1);
      const removed = await store.setFlags(inbox.id, [m.uid], { mode: 'remove', flags: ['$iMpOrTaNt'] });
      expect(removed.changed.map((c) => c.flags)).toEqual([[]]);
      [meta] = await store.fetchMessages(inbox.id, [m.uid]);
      expect(meta!.flags).toEqual([]);
    });

    it('implements add, remove and replace, reporting only real changes', async () => {
      const { store, inbox } = await h.fixture();
      const a = await append(store, inbox.id, message('a'), ['\\Seen']);
      const b = await append(store, inbox.id, message('b'));
      const sorted = (flags: readonly string[]) => [...flags].sort();

      const add = await store.setFlags(inbox.id, [a.uid, b.uid], { mode: 'add', flags: ['\\Seen', '$A'] });
      expect(add.changed.map((c) => [c.uid, sorted(c.flags)])).toEqual([
        [a.uid, ['$A', '\\Seen']],
        [b.uid, ['$A', '\\Seen']],
      ]);
      expect(add.changed.every((c) => c.modseq === add.modseq)).toBe(true);

      const remove = await store.setFlags(inbox.id, ALL, { mode: 'remove', flags: ['\\Seen', '\\Flagged'] });
      expect(remove.changed.map((c) => [c.uid, sorted(c.flags)])).toEqual([
        [a.uid, ['$A']],
        [b.uid, ['$A']],
      ]);

      const replace = await store.setFlags(inbox.id, [a.uid], {
        mode: 'replace',
        flags: ['\\Deleted', '$B'],
      });
      expect(replace.changed.map((c) => sorted(c.flags))).toEqual([['$B', '\\Deleted']]);
      const same = await store.setFlags(inbox.id, [a.uid], { mode: 'replace', flags: ['$b', '\\deleted'] });
      expect(same.changed).toEqual([]);
      expect(same.modseq).toBe(replace.modseq);
      const clear = await store.setFlags(inbox.id, [a.uid], { mode: 'replace', flags: [] });
      expect(clear.changed.map((c) => c.flags)).toEqual([[]]);

      const metas = await store.fetchMessages(inbox.id, ALL);
      expect(metas.map((m) => sorted(m.flags))).toEqual([[], ['$A']]);
      expect(await store.getMailboxById(inbox.id)).toMatchObject({ unseen: 2, deleted: 0 });
      const missing = await store.setFlags(inbox.id, [9999], { mode: 'add', flags: ['\\Seen'] });
      expect(missing.changed).toEqual([]);
    });

    it('keeps unseen and deleted counts in step with flags', async () => {
      const { store, inbox } = await h.fixture();
      const uids: number[] = [];
      for (let i = 0; i < 6; i++)
        uids.push((await append(store, inbox.id, message(`m${i}`), i % 2 ? ['\\Seen'] : [])).uid);
      expect(await store.getMailboxById(inbox.id)).toMatchObject({ messages: 6, unseen: 3, deleted: 0 });
      await store.setFlags(inbox.id, uids.slice(0, 4), { mode: 'add', flags: ['\\Seen', '\\Deleted'] });
      expect(await store.getMailboxById(inbox.id)).toMatchObject({ unseen: 1, deleted: 4 });
      await store.setFlags(inbox.id, [uids[0]!], { mode: 'replace', flags: [] });
      expect(await store.getMailboxById(inbox.id)).toMatchObject({ unseen: 2, deleted: 3 });
      await store.expunge(inbox.id);
      const sizes = (await store.fetchMessages(inbox.id, ALL)).reduce((s, m) => s + m.size, 0);
      expect(await store.getMailboxById(inbox.id)).toMatchObject({
        messages: 3,
        unseen: 2,
        deleted: 0,
        size: sizes,
      });
    });
  });
}
