/** Accounts, credentials and item 1 (UIDVALIDITY) and item 10 (the mailbox tree). */
import { describe, expect, it } from 'vitest';
import { append, expectStoreError, type Harness, message, uidsOf } from './harness.js';

export function accountsSuite(h: Harness): void {
  describe('accounts', () => {
    it('looks accounts up by address and alias, case-insensitively', async () => {
      const store = await h.createStore();
      const account = await store.accounts.createAccount({
        address: 'Ann@Example.com',
        aliases: ['postmaster@example.com', 'ANN.B@example.com'],
      });
      expect(account.id).toBeTruthy();
      expect(account.address).toBe('Ann@Example.com');
      expect((await store.accounts.lookup('ann@example.com'))?.id).toBe(account.id);
      expect((await store.accounts.lookup('POSTMASTER@example.com'))?.id).toBe(account.id);
      expect((await store.accounts.lookup('ann.b@EXAMPLE.com'))?.id).toBe(account.id);
      expect(await store.accounts.lookup('bob@example.com')).toBeUndefined();
      // Alias order carries no meaning.
      expect([...(await store.accounts.get(account.id))!.aliases].sort()).toEqual([
        'ANN.B@example.com',
        'postmaster@example.com',
      ]);
      expect(await store.accounts.get('no-such-id')).toBeUndefined();
    });

    it('refuses a taken address or alias with ERR_STORE_EXISTS', async () => {
      const store = await h.createStore();
      const ann = await store.accounts.createAccount({
        address: 'ann@example.com',
        aliases: ['info@example.com'],
      });
      await expectStoreError(
        store.accounts.createAccount({ address: 'ANN@example.com' }),
        'ERR_STORE_EXISTS',
      );
      await expectStoreError(
        store.accounts.createAccount({ address: 'info@example.com' }),
        'ERR_STORE_EXISTS',
      );
      const bob = await store.accounts.createAccount({ address: 'bob@example.com' });
      await expectStoreError(store.accounts.setAliases(bob.id, ['Info@example.com']), 'ERR_STORE_EXISTS');
      const updated = await store.accounts.setAliases(ann.id, ['sales@example.com']);
      expect(updated.aliases).toEqual(['sales@example.com']);
      expect(await store.accounts.lookup('info@example.com')).toBeUndefined();
      expect((await store.accounts.lookup('sales@example.com'))?.id).toBe(ann.id);
    });

    it('creates every account with an INBOX, lists and deletes accounts', async () => {
      const store = await h.createStore();
      const b = await store.accounts.createAccount({ address: 'b@example.com' });
      const a = await store.accounts.createAccount({ address: 'a@example.com' });
      expect((await store.accounts.listAccounts()).map((x) => x.address)).toEqual([
        'a@example.com',
        'b@example.com',
      ]);
      const inbox = await store.getMailbox(a.id, 'INBOX');
      expect(inbox?.name).toBe('INBOX');
      await append(store, inbox!.id, message('x'));
      await store.accounts.deleteAccount(a.id);
      expect(await store.accounts.lookup('a@example.com')).toBeUndefined();
      expect(await store.getMailboxById(inbox!.id)).toBeUndefined();
      expect((await store.accounts.listAccounts()).map((x) => x.id)).toEqual([b.id]);
      await expectStoreError(store.accounts.deleteAccount(a.id), 'ERR_STORE_NOT_FOUND');
    });

    it.runIf(h.caps.passwords)('verifies passwords and stores no password in clear', async () => {
      const store = await h.createStore();
      const account = await store.accounts.createAccount({
        address: 'carol@example.com',
        aliases: ['c@example.com'],
        password: 'correct horse',
      });
      expect((await store.accounts.verifyPassword('carol@example.com', 'correct horse'))?.id).toBe(
        account.id,
      );
      expect((await store.accounts.verifyPassword('C@EXAMPLE.COM', 'correct horse'))?.id).toBe(account.id);
      expect(await store.accounts.verifyPassword('carol@example.com', 'Correct horse')).toBeUndefined();
      expect(await store.accounts.verifyPassword('carol@example.com', '')).toBeUndefined();
      expect(await store.accounts.verifyPassword('nobody@example.com', 'correct horse')).toBeUndefined();
      await store.accounts.setPassword(account.id, 'battery staple');
      expect(await store.accounts.verifyPassword('carol@example.com', 'correct horse')).toBeUndefined();
      expect((await store.accounts.verifyPassword('carol@example.com', 'battery staple'))?.id).toBe(
        account.id,
      );
      await store.accounts.setPassword(account.id, undefined);
      expect(await store.accounts.verifyPassword('carol@example.com', 'battery staple')).toBeUndefined();
    });

    it.runIf(h.caps.passwords && h.caps.scram)('keeps SCRAM-SHA-256 keys for a password', async () => {
      const store = await h.createStore();
      await store.accounts.createAccount({ address: 'dave@example.com', password: 'pencil' });
      const keys = await store.accounts.scramKeys('DAVE@example.com');
      expect(keys).toBeDefined();
      expect(keys!.iterations).toBeGreaterThanOrEqual(4096); // RFC 7677 §4
      expect(keys!.storedKey.length).toBe(32);
      expect(keys!.serverKey.length).toBe(32);
      expect(keys!.salt.length).toBeGreaterThan(0);
      expect(await store.accounts.scramKeys('nobody@example.com')).toBeUndefined();
    });

    it('sets, reads and removes quota limits', async () => {
      const store = await h.createStore();
      const account = await store.accounts.createAccount({
        address: 'q@example.com',
        quota: { storage: 1000 },
      });
      expect(account.quota).toEqual({ storage: 1000 });
      expect(await store.accounts.getQuota(account.id)).toEqual({
        limits: { storage: 1000 },
        usage: { storage: 0, messages: 0 },
      });
      expect((await store.accounts.setQuota(account.id, { messages: 5, storage: 2000 })).quota).toEqual({
        messages: 5,
        storage: 2000,
      });
      expect((await store.accounts.setQuota(account.id, undefined)).quota).toBeUndefined();
      expect((await store.accounts.getQuota(account.id)).limits).toEqual({});
    });
  });

  describe('UIDVALIDITY (item 1)', () => {
    it('is a non-zero 32-bit number, stable while the mailbox lives', async () => {
      const { store, account, inbox } = await h.fixture();
      expect(inbox.uidValidity).toBeGreaterThan(0);
      expect(inbox.uidValidity).toBeLessThanOrEqual(0xffffffff);
      const box = await store.createMailbox(account.id, 'Stable');
      await append(store, box.id, message('a'));
      await store.renameMailbox(account.id, 'Stable', 'Stable2');
      expect((await store.getMailboxById(box.id))?.uidValidity).toBe(box.uidValidity);
      expect((await store.getMailbox(account.id, 'INBOX'))?.uidValidity).toBe(inbox.uidValidity);
    });

    it('differs after delete and re-create of the same name (RFC 9051 §2.3.1.1)', async () => {
      const { store, account } = await h.fixture();
      const first = await store.createMailbox(account.id, 'Reused');
      await append(store, first.id, message('a'));
      await store.deleteMailbox(account.id, 'Reused');
      const second = await store.createMailbox(account.id, 'Reused');
      expect(second.id).not.toBe(first.id);
      expect(second.uidValidity).not.toBe(first.uidValidity);
      // A name freed by RENAME is a new mailbox too.
      await store.renameMailbox(account.id, 'Reused', 'Elsewhere');
      const third = await store.createMailbox(account.id, 'Reused');
      expect(third.uidValidity).not.toBe(second.uidValidity);
      expect(third.uidValidity).not.toBe(first.uidValidity);
    });

    it.runIf(h.options.reopen !== undefined)('survives a restart with UIDs, MODSEQ and flags', async () => {
      const { store, account, inbox } = await h.fixture();
      const box = await store.createMailbox(account.id, 'Persist', {
        specialUse: '\\Archive',
        subscribe: true,
      });
      const a = await append(store, inbox.id, message('a'), ['\\Seen', '$Label1']);
      await append(store, box.id, message('b'));
      await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\Flagged'] });
      const before = await store.listMailboxes(account.id);
      const metaBefore = await store.fetchMessages(inbox.id, [[1, Number.POSITIVE_INFINITY]]);
      const reopened = await h.reopen(store);
      const after = await reopened.listMailboxes(account.id);
      expect(after.map(({ keywords: _, ...rest }) => rest)).toEqual(
        before.map(({ keywords: _, ...rest }) => rest),
      );
      expect(await reopened.fetchMessages(inbox.id, [[1, Number.POSITIVE_INFINITY]])).toEqual(metaBefore);
      const next = await append(reopened, inbox.id, message('c'));
      expect(next.uid).toBeGreaterThan(a.uid);
      expect(next.uidValidity).toBe(inbox.uidValidity);
      expect((await reopened.accounts.lookup(account.address))?.id).toBe(account.id);
    });

    it.runIf(h.options.reopen !== undefined)(
      'differs after delete + re-create across a restart',
      async () => {
        const { store, account } = await h.fixture();
        const first = await store.createMailbox(account.id, 'Again');
        await store.deleteMailbox(account.id, 'Again');
        const reopened = await h.reopen(store);
        const second = await reopened.createMailbox(account.id, 'Again');
        expect(second.uidValidity).not.toBe(first.uidValidity);
      },
    );
  });

  describe('mailbox tree (item 10)', () => {
    it('treats INBOX case-insensitively and refuses to delete it', async () => {
      const { store, account, inbox } = await h.fixture();
      for (const name of ['inbox', 'InBoX', 'INBOX']) {
        expect((await store.getMailbox(account.id, name))?.id).toBe(inbox.id);
      }
      expect(inbox.name).toBe('INBOX');
      expect(inbox.delimiter).toBe('/');
      await expectStoreError(store.deleteMailbox(account.id, 'Inbox'), 'ERR_STORE_NOT_ALLOWED');
      await expectStoreError(store.createMailbox(account.id, 'inbox'), 'ERR_STORE_EXISTS');
      const child = await store.createMailbox(account.id, 'inbox/Receipts');
      expect(child.name).toBe('INBOX/Receipts');
    });

    it('creates missing superiors, refuses duplicates and bad names', async () => {
      const { store, account } = await h.fixture();
      const deep = await store.createMailbox(account.id, 'Projects/2026/Q1');
      expect(deep.name).toBe('Projects/2026/Q1');
      const names = (await store.listMailboxes(account.id)).map((m) => m.name);
      expect(names).toEqual(
        expect.arrayContaining(['INBOX', 'Projects', 'Projects/2026', 'Projects/2026/Q1']),
      );
      await expectStoreError(store.createMailbox(account.id, 'Projects/2026'), 'ERR_STORE_EXISTS');
      await expectStoreError(store.createMailbox(account.id, 'Projects/'), 'ERR_STORE_EXISTS');
      for (const bad of ['', '/', '/lead', 'a//b', 'with*star', 'per%cent', 'ctl\u0001']) {
        await expectStoreError(store.createMailbox(account.id, bad), 'ERR_STORE_INVALID');
      }
      const trailing = await store.createMailbox(account.id, 'Trailing/');
      expect(trailing.name).toBe('Trailing');
    });

    it('keeps UTF-8 names (NFC) and special-use attributes', async () => {
      const { store, account } = await h.fixture();
      const drafts = await store.createMailbox(account.id, 'Entwürfe', { specialUse: '\\Drafts' });
      expect(drafts.specialUse).toBe('\\Drafts');
      const decomposed = await store.getMailbox(account.id, 'Entwu\u0308rfe');
      expect(decomposed?.id).toBe(drafts.id);
      const cjk = await store.createMailbox(account.id, '日本語/メール');
      expect((await store.getMailbox(account.id, '日本語/メール'))?.id).toBe(cjk.id);
      const sent = await store.createMailbox(account.id, 'Sent', { specialUse: '\\Sent' });
      expect((await store.setSpecialUse(account.id, 'Sent', undefined)).specialUse).toBeUndefined();
      expect((await store.setSpecialUse(account.id, 'Sent', '\\Trash')).specialUse).toBe('\\Trash');
      expect((await store.getMailboxById(sent.id))?.specialUse).toBe('\\Trash');
    });

    it('renames a mailbox with its children, keeping ids and messages', async () => {
      const { store, account } = await h.fixture();
      const parent = await store.createMailbox(account.id, 'Work');
      const child = await store.createMailbox(account.id, 'Work/Clients');
      const grandchild = await store.createMailbox(account.id, 'Work/Clients/Acme');
      await store.createMailbox(account.id, 'Workshop');
      const a = await append(store, grandchild.id, message('acme'));
      const renamed = await store.renameMailbox(account.id, 'Work', 'Archive/Work');
      expect(renamed.id).toBe(parent.id);
      expect(renamed.name).toBe('Archive/Work');
      expect((await store.getMailboxById(child.id))?.name).toBe('Archive/Work/Clients');
      expect((await store.getMailboxById(grandchild.id))?.name).toBe('Archive/Work/Clients/Acme');
      expect(await uidsOf(store, grandchild.id)).toEqual([a.uid]);
      expect(await store.getMailbox(account.id, 'Work')).toBeUndefined();
      expect(await store.getMailbox(account.id, 'Workshop')).toBeDefined();
      expect(await store.getMailbox(account.id, 'Archive')).toBeDefined();
      await expectStoreError(store.renameMailbox(account.id, 'Nope', 'Other'), 'ERR_STORE_NOT_FOUND');
      await expectStoreError(store.renameMailbox(account.id, 'Workshop', 'Archive/Work'), 'ERR_STORE_EXISTS');
    });

    it('refuses a rename whose children would collide, changing nothing', async () => {
      const { store, account } = await h.fixture();
      await store.createMailbox(account.id, 'A/x');
      await store.createMailbox(account.id, 'B/x');
      await store.deleteMailbox(account.id, 'B');
      await expectStoreError(store.renameMailbox(account.id, 'A', 'B'), 'ERR_STORE_EXISTS');
      const names = (await store.listMailboxes(account.id)).map((m) => m.name).sort();
      expect(names).toEqual(['A', 'A/x', 'B/x', 'INBOX']);
    });

    it('renames INBOX by moving its messages to a new mailbox (RFC 9051 §6.3.6)', async () => {
      const { store, account, inbox } = await h.fixture();
      const child = await store.createMailbox(account.id, 'INBOX/Keep');
      await append(store, inbox.id, message('one'), ['\\Seen']);
      await append(store, inbox.id, message('two'));
      const old = await store.renameMailbox(account.id, 'INBOX', 'Old Mail');
      expect(old.name).toBe('Old Mail');
      expect(old.id).not.toBe(inbox.id);
      expect(old.messages).toBe(2);
      expect(old.unseen).toBe(1);
      const nowInbox = await store.getMailbox(account.id, 'INBOX');
      expect(nowInbox?.id).toBe(inbox.id);
      expect(nowInbox?.messages).toBe(0);
      expect(nowInbox?.uidValidity).toBe(inbox.uidValidity);
      expect((await store.getMailboxById(child.id))?.name).toBe('INBOX/Keep');
      const moved = await store.fetchMessages(old.id, [[1, Number.POSITIVE_INFINITY]]);
      expect(moved.map((m) => m.flags.includes('\\Seen'))).toEqual([true, false]);
      // New messages in INBOX never reuse a UID.
      const next = await append(store, inbox.id, message('three'));
      expect(next.uid).toBeGreaterThan(2);
    });

    it('deletes a mailbox and its messages but keeps its children', async () => {
      const { store, account } = await h.fixture();
      const parent = await store.createMailbox(account.id, 'Old');
      const child = await store.createMailbox(account.id, 'Old/Child');
      await append(store, parent.id, message('p'));
      await store.deleteMailbox(account.id, 'Old');
      expect(await store.getMailbox(account.id, 'Old')).toBeUndefined();
      expect(await store.getMailboxById(parent.id)).toBeUndefined();
      expect((await store.getMailbox(account.id, 'Old/Child'))?.id).toBe(child.id);
      await expectStoreError(store.deleteMailbox(account.id, 'Old'), 'ERR_STORE_NOT_FOUND');
      await expectStoreError(append(store, parent.id, message('late')), 'ERR_STORE_NOT_FOUND');
      expect((await store.accounts.getQuota(account.id)).usage).toEqual({ storage: 0, messages: 0 });
    });

    it('subscribes names that need not exist (RFC 9051 §6.3.7)', async () => {
      const { store, account } = await h.fixture();
      const box = await store.createMailbox(account.id, 'Lists', { subscribe: true });
      expect(box.subscribed).toBe(true);
      await store.setSubscribed(account.id, 'Ghost/Folder', true);
      await store.setSubscribed(account.id, 'inbox', true);
      expect(await store.listSubscriptions(account.id)).toEqual(['Ghost/Folder', 'INBOX', 'Lists']);
      expect((await store.getMailbox(account.id, 'INBOX'))?.subscribed).toBe(true);
      await store.setSubscribed(account.id, 'Lists', false);
      expect((await store.getMailbox(account.id, 'Lists'))?.subscribed).toBe(false);
      await store.deleteMailbox(account.id, 'Lists');
      await store.setSubscribed(account.id, 'Lists', false);
      expect(await store.listSubscriptions(account.id)).toEqual(['Ghost/Folder', 'INBOX']);
      await expectStoreError(store.setSubscribed(account.id, 'bad*', true), 'ERR_STORE_INVALID');
    });

    it('keeps accounts apart', async () => {
      const store = await h.createStore();
      const a = await h.account(store);
      const b = await h.account(store);
      await store.createMailbox(a.id, 'Shared name');
      expect(await store.getMailbox(b.id, 'Shared name')).toBeUndefined();
      const boxB = await store.createMailbox(b.id, 'Shared name');
      expect(boxB.accountId).toBe(b.id);
      expect((await store.getMailbox(a.id, 'INBOX'))?.id).not.toBe(
        (await store.getMailbox(b.id, 'INBOX'))?.id,
      );
      await expectStoreError(store.listMailboxes('no-such-account'), 'ERR_STORE_NOT_FOUND');
    });
  });
}
