/** Items 3 (MODSEQ and changesSince) and 9 (the change feed). */
import { describe, expect, it, vi } from 'vitest';
import type { ChangesSince, MailboxChange, MailStore } from '../types.js';
import { ALL, append, expectStoreError, type Harness, message } from './harness.js';

/** What `changesSince(since)` must answer, computed from the current messages and known expunges. */
async function expected(
  store: MailStore,
  mailboxId: string,
  since: number,
  expunges: readonly { uid: number; modseq: number }[],
): Promise<ChangesSince> {
  const metas = await store.fetchMessages(mailboxId, ALL);
  return {
    trimmed: false,
    highestModseq: (await store.getMailboxById(mailboxId))!.highestModseq,
    changed: metas
      .filter((m) => m.modseq > since)
      .map((m) => ({ uid: m.uid, flags: m.flags, modseq: m.modseq })),
    expunged: expunges
      .filter((e) => e.modseq > since)
      .map((e) => e.uid)
      .sort((a, b) => a - b),
  };
}

function normalise(changes: ChangesSince): unknown {
  if (changes.trimmed) return changes;
  return {
    ...changes,
    changed: changes.changed.map((c) => ({ ...c, flags: [...c.flags].sort() })),
    expunged: [...changes.expunged],
  };
}

export function changesSuite(h: Harness): void {
  describe('MODSEQ and changesSince (item 3)', () => {
    it('starts at 1 and increases strictly with every change, not with a no-op', async () => {
      const { store, inbox } = await h.fixture();
      expect(inbox.highestModseq).toBeGreaterThanOrEqual(1);
      const seen: number[] = [inbox.highestModseq];
      const a = await append(store, inbox.id, message('a'));
      seen.push(a.modseq);
      const b = await append(store, inbox.id, message('b'));
      seen.push(b.modseq);
      const flag = await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\Deleted'] });
      seen.push(flag.modseq);
      expect(flag.changed[0]!.modseq).toBe(flag.modseq);
      const noop = await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\deleted'] });
      expect(noop.changed).toEqual([]);
      expect(noop.modseq).toBe(flag.modseq);
      expect((await store.getMailboxById(inbox.id))!.highestModseq).toBe(flag.modseq);
      const ex = await store.expunge(inbox.id);
      seen.push(ex.modseq);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
      const [meta] = await store.fetchMessages(inbox.id, [b.uid]);
      expect(meta!.modseq).toBe(b.modseq);
      expect((await store.getMailboxById(inbox.id))!.highestModseq).toBe(ex.modseq);
    });

    it('answers changesSince exactly, expunged UIDs included, from every point', async () => {
      const { store, account, inbox } = await h.fixture();
      const other = await store.createMailbox(account.id, 'Other');
      const expunges: { uid: number; modseq: number }[] = [];
      const checkpoints: number[] = [inbox.highestModseq];
      const uids: number[] = [];
      for (let i = 0; i < 8; i++) {
        uids.push((await append(store, inbox.id, message(`m${i}`))).uid);
        checkpoints.push((await store.getMailboxById(inbox.id))!.highestModseq);
      }
      await store.setFlags(inbox.id, [uids[1]!, uids[2]!], { mode: 'add', flags: ['\\Seen'] });
      checkpoints.push((await store.getMailboxById(inbox.id))!.highestModseq);
      await store.setFlags(inbox.id, [uids[3]!, uids[5]!], { mode: 'add', flags: ['\\Deleted'] });
      const ex = await store.expunge(inbox.id);
      for (const uid of ex.expunged) expunges.push({ uid, modseq: ex.modseq });
      checkpoints.push(ex.modseq);
      const moved = await store.move(inbox.id, [uids[0]!], other.id);
      for (const uid of moved.expunged) expunges.push({ uid, modseq: moved.sourceModseq });
      checkpoints.push(moved.sourceModseq);
      await store.copy(inbox.id, [uids[1]!], other.id);
      await store.setFlags(inbox.id, [uids[2]!], { mode: 'remove', flags: ['\\Seen'] });
      await append(store, inbox.id, message('late'));
      for (const since of checkpoints) {
        const actual = await store.changesSince(inbox.id, since);
        if (actual.trimmed) continue; // honest; exactness is checked where history is kept
        expect(normalise(actual)).toEqual(normalise(await expected(store, inbox.id, since, expunges)));
      }
      const first = await store.changesSince(inbox.id, checkpoints[0]!);
      expect(first.trimmed).toBe(false);
      const latest = await store.changesSince(
        inbox.id,
        (await store.getMailboxById(inbox.id))!.highestModseq,
      );
      expect(latest).toMatchObject({ trimmed: false, changed: [], expunged: [] });
      await expectStoreError(store.changesSince(inbox.id, -1), 'ERR_STORE_INVALID');
      await expectStoreError(store.changesSince('no-such-mailbox', 1), 'ERR_STORE_NOT_FOUND');
    });

    it('fetches CHANGEDSINCE and honours UNCHANGEDSINCE (RFC 7162 §3.1.3)', async () => {
      const { store, inbox } = await h.fixture();
      const a = await append(store, inbox.id, message('a'));
      const b = await append(store, inbox.id, message('b'));
      const mark = (await store.getMailboxById(inbox.id))!.highestModseq;
      const f = await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['$X'] });
      expect((await store.fetchMessages(inbox.id, ALL, { changedSince: mark })).map((m) => m.uid)).toEqual([
        a.uid,
      ]);
      const conditional = await store.setFlags(inbox.id, [a.uid, b.uid], {
        mode: 'add',
        flags: ['\\Flagged'],
        unchangedSince: mark,
      });
      expect(conditional.modified).toEqual([a.uid]);
      expect(conditional.changed.map((c) => c.uid)).toEqual([b.uid]);
      const [metaA] = await store.fetchMessages(inbox.id, [a.uid]);
      expect(metaA!.flags).toEqual(['$X']);
      expect(metaA!.modseq).toBe(f.modseq);
      const ok = await store.setFlags(inbox.id, [a.uid], {
        mode: 'add',
        flags: ['\\Flagged'],
        unchangedSince: f.modseq,
      });
      expect(ok.modified).toEqual([]);
      expect(ok.changed.map((c) => c.uid)).toEqual([a.uid]);
    });

    it.runIf(h.caps.expungeHistory !== undefined)(
      'says honestly when its expunge history was trimmed',
      async () => {
        const { store, inbox } = await h.fixture();
        const limit = h.caps.expungeHistory!;
        const start = (await store.getMailboxById(inbox.id))!.highestModseq;
        const count = limit + 5;
        const uids: number[] = [];
        for (let i = 0; i < count; i++)
          uids.push((await append(store, inbox.id, message(`t${i}`), ['\\Deleted'])).uid);
        const afterAppends = (await store.getMailboxById(inbox.id))!.highestModseq;
        for (const uid of uids) await store.expunge(inbox.id, { uids: [uid] });
        expect((await store.changesSince(inbox.id, start)).trimmed).toBe(true);
        expect((await store.changesSince(inbox.id, afterAppends)).trimmed).toBe(true);
        const recent = (await store.getMailboxById(inbox.id))!.highestModseq - 3;
        const tail = await store.changesSince(inbox.id, recent);
        if (!tail.trimmed) expect(tail.expunged).toEqual(uids.slice(-3));
      },
    );
  });

  describe('change feed (item 9)', () => {
    it('delivers every change, in order, to two subscribers', async () => {
      const { store, account, inbox } = await h.fixture();
      const other = await store.createMailbox(account.id, 'Other');
      const first: MailboxChange[] = [];
      const second: MailboxChange[] = [];
      const stop1 = store.subscribe(inbox.id, (c) => first.push(c));
      const stop2 = store.subscribe(inbox.id, (c) => second.push(c));
      const a = await append(store, inbox.id, message('a'));
      const b = await append(store, inbox.id, message('b'), ['\\Seen']);
      await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\Deleted'] });
      await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\Deleted'] }); // no-op: no event
      await store.expunge(inbox.id);
      await store.move(inbox.id, [b.uid], other.id);
      await store.copy(other.id, ALL, inbox.id);
      const types = ['exists', 'exists', 'flags', 'expunge', 'expunge', 'exists'];
      await vi.waitFor(() => expect(first.length).toBe(types.length), { timeout: 2000, interval: 5 });
      await vi.waitFor(() => expect(second.length).toBe(types.length), { timeout: 2000, interval: 5 });
      expect(second).toEqual(first);
      expect(first.map((c) => c.type)).toEqual(types);
      for (let i = 1; i < first.length; i++) expect(first[i]!.modseq).toBeGreaterThan(first[i - 1]!.modseq);
      expect(first.every((c) => c.mailboxId === inbox.id)).toBe(true);
      const [e0, , f0, x0] = first;
      expect(e0).toMatchObject({ type: 'exists', messages: [{ uid: a.uid, flags: [], modseq: a.modseq }] });
      expect(f0).toMatchObject({ type: 'flags', messages: [{ uid: a.uid, flags: ['\\Deleted'] }] });
      expect(x0).toMatchObject({ type: 'expunge', uids: [a.uid] });
      stop1();
      stop2();
      await append(store, inbox.id, message('after'));
      expect(first.length).toBe(types.length);
    });

    it('catches up with changesSince after a dropped subscription', async () => {
      const { store, inbox } = await h.fixture();
      // The model a session keeps: UID → flags, updated by events, then by catch-up.
      const model = new Map<number, readonly string[]>();
      let lastModseq = inbox.highestModseq;
      const apply = (c: MailboxChange) => {
        if (c.type === 'exists' || c.type === 'flags') for (const m of c.messages) model.set(m.uid, m.flags);
        if (c.type === 'expunge') for (const uid of c.uids) model.delete(uid);
        lastModseq = c.modseq;
      };
      const stop = store.subscribe(inbox.id, apply);
      const a = await append(store, inbox.id, message('a'));
      const b = await append(store, inbox.id, message('b'));
      await vi.waitFor(() => expect(lastModseq).toBe(b.modseq), { timeout: 2000, interval: 5 });
      stop();
      await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\Seen', '\\Deleted'] });
      await store.expunge(inbox.id);
      const c = await append(store, inbox.id, message('c'), ['$New']);
      await store.setFlags(inbox.id, [b.uid], { mode: 'add', flags: ['\\Answered'] });
      const gap = await store.changesSince(inbox.id, lastModseq);
      expect(gap.trimmed).toBe(false);
      if (gap.trimmed) return;
      for (const uid of gap.expunged) model.delete(uid);
      for (const m of gap.changed) model.set(m.uid, m.flags);
      const truth = await store.fetchMessages(inbox.id, ALL);
      expect([...model.entries()].sort((x, y) => x[0] - y[0])).toEqual(truth.map((m) => [m.uid, m.flags]));
      expect(gap.expunged).toEqual([a.uid]);
      expect(gap.changed.map((m) => m.uid)).toEqual([b.uid, c.uid]);
      expect(gap.highestModseq).toBe((await store.getMailboxById(inbox.id))!.highestModseq);
    });

    it('reports rename and delete of the watched mailbox', async () => {
      const { store, account } = await h.fixture();
      const box = await store.createMailbox(account.id, 'Watched');
      const events: MailboxChange[] = [];
      store.subscribe(box.id, (c) => events.push(c));
      await store.renameMailbox(account.id, 'Watched', 'Seen/Watched');
      await store.deleteMailbox(account.id, 'Seen/Watched');
      await vi.waitFor(() => expect(events.length).toBe(2), { timeout: 2000, interval: 5 });
      expect(events[0]).toMatchObject({ type: 'mailboxRenamed', mailboxId: box.id, name: 'Seen/Watched' });
      expect(events[1]).toMatchObject({ type: 'mailboxDeleted', mailboxId: box.id });
    });

    it('is not disturbed by a listener that throws', async () => {
      const { store, inbox } = await h.fixture();
      const events: MailboxChange[] = [];
      store.subscribe(inbox.id, () => {
        throw new Error('listener bug');
      });
      store.subscribe(inbox.id, (c) => events.push(c));
      const a = await append(store, inbox.id, message('a'));
      expect(a.uid).toBeGreaterThan(0);
      await vi.waitFor(() => expect(events.length).toBe(1), { timeout: 2000, interval: 5 });
    });

    it.runIf(h.options.openPeer !== undefined)('reaches subscribers of another store instance', async () => {
      const { store, inbox } = await h.fixture();
      const peer = await h.peer(store);
      const events: MailboxChange[] = [];
      const stop = peer.subscribe(inbox.id, (c) => events.push(c));
      const a = await append(store, inbox.id, message('a'));
      await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\Seen'] });
      await vi.waitFor(() => expect(events.map((e) => e.type)).toEqual(['exists', 'flags']), {
        timeout: 2000,
        interval: 10,
      });
      stop();
    });
  });
}
