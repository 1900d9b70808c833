/** Items 11 (POP3 maildrop) and 12 (crash safety). */
import { describe, expect, it } from 'vitest';
import {
  ALL,
  append,
  conformanceMessage,
  equalBytes,
  expectStoreError,
  type Harness,
  message,
  readAll,
} from './harness.js';

export function maildropSuite(h: Harness): void {
  describe.runIf(h.caps.maildrop)('POP3 maildrop (item 11)', () => {
    it('lists a snapshot with sizes and stable UIDLs (RFC 1939 §7)', async () => {
      const { store, account, inbox } = await h.fixture();
      const a = await append(store, inbox.id, message('a'));
      const b = await append(store, inbox.id, message('bb'), ['\\Seen']);
      const drop = await store.lockMaildrop(account.id);
      expect(drop.mailboxId).toBe(inbox.id);
      expect(drop.messages.map((m) => [m.uid, m.size])).toEqual([
        [a.uid, a.size],
        [b.uid, b.size],
      ]);
      for (const m of drop.messages) expect(m.uidl).toMatch(/^[\x21-\x7e]{1,70}$/);
      expect(new Set(drop.messages.map((m) => m.uidl)).size).toBe(2);
      const uidls = drop.messages.map((m) => m.uidl);
      // New mail after the lock is not in the snapshot.
      await append(store, inbox.id, message('c'));
      expect(drop.messages.length).toBe(2);
      await drop.release();
      // Flag changes leave UIDLs alone.
      await store.setFlags(inbox.id, ALL, { mode: 'replace', flags: ['\\Answered', '$X'] });
      const again = await store.lockMaildrop(account.id, 'inbox');
      expect(again.messages.slice(0, 2).map((m) => m.uidl)).toEqual(uidls);
      expect(again.messages.length).toBe(3);
      await again.release();
    });

    it('refuses a second lock while the first lives', async () => {
      const { store, account } = await h.fixture();
      const other = await h.account(store);
      const first = await store.lockMaildrop(account.id);
      await expectStoreError(store.lockMaildrop(account.id), 'ERR_STORE_LOCKED');
      await expectStoreError(store.lockMaildrop(account.id, 'INBOX'), 'ERR_STORE_LOCKED');
      const unrelated = await store.lockMaildrop(other.id);
      await unrelated.release();
      await first.release();
      await first.release(); // idempotent
      const second = await store.lockMaildrop(account.id);
      await second.release();
      await expectStoreError(store.lockMaildrop(account.id, 'Missing'), 'ERR_STORE_NOT_FOUND');
    });

    it('keeps deletions invisible until commit, then expunges them atomically', async () => {
      const { store, account, inbox } = await h.fixture();
      const uids: number[] = [];
      for (let i = 0; i < 4; i++) uids.push((await append(store, inbox.id, message(`m${i}`))).uid);
      const drop = await store.lockMaildrop(account.id);
      drop.markDeleted(uids[0]!);
      drop.markDeleted(uids[2]!);
      expect([...drop.deleted].sort((a, b) => a - b)).toEqual([uids[0], uids[2]]);
      expect((await store.getMailboxById(inbox.id))!.messages).toBe(4);
      expect((await store.fetchMessages(inbox.id, ALL)).every((m) => !m.flags.includes('\\Deleted'))).toBe(
        true,
      );
      expect(() => drop.markDeleted(99_999)).toThrow();
      const result = await drop.commit();
      expect(result.expunged).toEqual([uids[0], uids[2]]);
      expect((await store.fetchMessages(inbox.id, ALL)).map((m) => m.uid)).toEqual([uids[1], uids[3]]);
      const next = await store.lockMaildrop(account.id); // commit released the lock
      await next.release();
    });

    it('changes nothing on release or after RSET', async () => {
      const { store, account, inbox } = await h.fixture();
      await append(store, inbox.id, message('a'));
      await append(store, inbox.id, message('b'));
      const before = await store.getMailboxById(inbox.id);
      const drop = await store.lockMaildrop(account.id);
      drop.markDeleted(drop.messages[0]!.uid);
      await drop.release();
      expect(await store.getMailboxById(inbox.id)).toEqual(before);
      const again = await store.lockMaildrop(account.id);
      again.markDeleted(again.messages[1]!.uid);
      again.unmarkAll();
      expect(again.deleted.size).toBe(0);
      const result = await again.commit();
      expect(result.expunged).toEqual([]);
      expect(await store.getMailboxById(inbox.id)).toEqual(before);
    });

    it('reads maildrop messages through readMessage', async () => {
      const { store, account, inbox } = await h.fixture();
      await append(store, inbox.id, message('pop me'));
      const drop = await store.lockMaildrop(account.id);
      const bytes = await readAll(store, { mailboxId: drop.mailboxId, uid: drop.messages[0]!.uid });
      expect(equalBytes(bytes, message('pop me'))).toBe(true);
      expect(bytes.length).toBe(drop.messages[0]!.size);
      await drop.release();
    });
  });

  describe.runIf(h.options.crash !== undefined && h.options.reopen !== undefined)(
    'crash safety (item 12)',
    () => {
      it('keeps every acknowledged append intact and nothing half-visible after SIGKILL', async () => {
        const { store, account, inbox } = await h.fixture();
        const count = 1000;
        const acknowledged = await h.options.crash!.appendAndKill({
          store,
          address: account.address,
          mailbox: 'INBOX',
          count,
          seed: Math.floor(Math.random() * 1e9),
        });
        const reopened = await h.reopen(store);
        const visible = await reopened.fetchMessages(inbox.id, ALL);
        const byUid = new Map(visible.map((m) => [m.uid, m]));
        for (const { index, uid } of acknowledged) {
          expect(byUid.has(uid), `acknowledged UID ${uid} lost`).toBe(true);
          const bytes = await readAll(reopened, { mailboxId: inbox.id, uid });
          expect(equalBytes(bytes, conformanceMessage(index)), `UID ${uid} damaged`).toBe(true);
        }
        // Every visible message is one complete message of the sequence (an unacknowledged last
        // append may have landed; a partial one must not).
        const sizes = new Map<number, number[]>();
        for (let i = 0; i < count; i++) {
          const size = conformanceMessage(i).length;
          sizes.set(size, [...(sizes.get(size) ?? []), i]);
        }
        for (const meta of visible) {
          const bytes = await readAll(reopened, { mailboxId: inbox.id, uid: meta.uid });
          expect(bytes.length).toBe(meta.size);
          const candidates = sizes.get(bytes.length) ?? [];
          expect(
            candidates.some((i) => equalBytes(bytes, conformanceMessage(i))),
            `UID ${meta.uid} is not a complete message`,
          ).toBe(true);
        }
        const info = await reopened.getMailboxById(inbox.id);
        expect(info!.messages).toBe(visible.length);
        expect(info!.uidNext).toBeGreaterThan(Math.max(0, ...visible.map((m) => m.uid)));
        const next = await append(reopened, inbox.id, message('after crash'));
        expect(next.uid).toBeGreaterThan(Math.max(0, ...visible.map((m) => m.uid)));
      });
    },
  );
}
