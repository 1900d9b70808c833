import { describe, expect, it } from 'vitest';
import { MailwireError, UsageError, utf8 } from '@mailwire/core';
import type { MailboxChange, MailStore } from '../types.js';
import { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';

const msg = (s: string) => utf8(`Subject: ${s}\r\n\r\nbody\r\n`);

async function setup(options: MemoryStoreOptions = {}) {
  const store = createMemoryStore(options);
  const account = await store.accounts.createAccount({ address: 'ann@example.com' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  return { store, account, inbox };
}

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return MailwireError.isInstance(error) ? error.code : `not a MailwireError: ${String(error)}`;
  }
  return undefined;
}

describe('createMemoryStore options', () => {
  it('refuses messages over maxMessageSize with ERR_STORE_TOO_LARGE and keeps nothing', async () => {
    const { store, inbox } = await setup({ maxMessageSize: 100 });
    expect(store.limits).toEqual({ maxMessageSize: 100 });
    expect(await code(store.append(inbox.id, new Uint8Array(101), { internalDate: 0 }))).toBe(
      'ERR_STORE_TOO_LARGE',
    );
    await store.append(inbox.id, new Uint8Array(100), { internalDate: 0 });
    expect((await store.getMailboxById(inbox.id))!.messages).toBe(1);
  });

  it('limits distinct keywords per mailbox and reports them in the mailbox info', async () => {
    const { store, inbox } = await setup({ maxKeywords: 2 });
    const a = await store.append(inbox.id, msg('a'), { internalDate: 0, flags: ['$One', '\\Seen'] });
    await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['$two', '$ONE'] });
    expect(await code(store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['$Three'] }))).toBe(
      'ERR_STORE_INVALID',
    );
    expect(await code(store.append(inbox.id, msg('b'), { internalDate: 0, flags: ['$Four'] }))).toBe(
      'ERR_STORE_INVALID',
    );
    expect((await store.getMailboxById(inbox.id))!.keywords).toEqual(['$One', '$two']);
    // A new spelling of a known keyword takes the mailbox's spelling.
    const b = await store.append(inbox.id, msg('c'), { internalDate: 0, flags: ['$TWO'] });
    expect((await store.fetchMessages(inbox.id, [b.uid]))[0]!.flags).toEqual(['$two']);
  });

  it('hands out UIDVALIDITY from firstUidValidity on', async () => {
    const { store, account, inbox } = await setup({ firstUidValidity: 1000 });
    expect(inbox.uidValidity).toBe(1000);
    expect((await store.createMailbox(account.id, 'X')).uidValidity).toBe(1001);
  });

  it('refuses bad options as caller misuse', () => {
    expect(() => createMemoryStore({ expungeHistory: 0 })).toThrow(UsageError);
    expect(() => createMemoryStore({ maxMessageSize: -1 })).toThrow(UsageError);
  });

  it('verifies passwords with its default hasher, with SCRAM keys', async () => {
    const store = createMemoryStore();
    const account = await store.accounts.createAccount({ address: 'bob@example.com', password: 'hunter2' });
    expect((await store.accounts.verifyPassword('bob@example.com', 'hunter2'))?.id).toBe(account.id);
    expect(await store.accounts.verifyPassword('bob@example.com', 'hunter3')).toBeUndefined();
    expect((await store.accounts.scramKeys('bob@example.com'))?.iterations).toBe(4096);
  });
});

describe('memory store behaviour', () => {
  it('calls listeners before the operation resolves, in MODSEQ order', async () => {
    const { store, inbox } = await setup();
    const events: MailboxChange[] = [];
    store.subscribe(inbox.id, (c) => events.push(c));
    const a = await store.append(inbox.id, msg('a'), { internalDate: 0 });
    expect(events).toEqual([
      {
        type: 'exists',
        mailboxId: inbox.id,
        modseq: a.modseq,
        messages: [{ uid: a.uid, flags: [], modseq: a.modseq }],
      },
    ]);
  });

  it('gives one listener subscribed twice two subscriptions', async () => {
    const { store, inbox } = await setup();
    let calls = 0;
    const listener = () => calls++;
    const stop1 = store.subscribe(inbox.id, listener);
    store.subscribe(inbox.id, listener);
    stop1();
    await store.append(inbox.id, msg('a'), { internalDate: 0 });
    expect(calls).toBe(1);
  });

  it('throws ERR_STORE_NOT_FOUND when subscribing to a missing mailbox', () => {
    const store = createMemoryStore();
    expect(() => store.subscribe('m404', () => {})).toThrow(/No mailbox/);
  });

  it('rejects everything with ERR_STORE_CLOSED after close()', async () => {
    const { store, account, inbox } = await setup();
    await store.close();
    await store.close();
    expect(await code(store.append(inbox.id, msg('a'), { internalDate: 0 }))).toBe('ERR_STORE_CLOSED');
    expect(await code(store.listMailboxes(account.id))).toBe('ERR_STORE_CLOSED');
    expect(await code(store.accounts.lookup('ann@example.com'))).toBe('ERR_STORE_CLOSED');
    expect(await code(store.readMessage({ blobId: 'b1' }))).toBe('ERR_STORE_CLOSED');
  });

  it('fails an append whose source throws, keeping nothing', async () => {
    const { store, inbox } = await setup();
    async function* broken() {
      yield msg('part');
      throw new Error('connection lost');
    }
    await expect(store.append(inbox.id, broken(), { internalDate: 0 })).rejects.toThrow('connection lost');
    expect(await store.getMailboxById(inbox.id)).toMatchObject({ messages: 0, highestModseq: 1, uidNext: 1 });
  });

  it('fails an append to a mailbox deleted while its source was read', async () => {
    const { store, account } = await setup();
    const box = await store.createMailbox(account.id, 'Doomed');
    async function* slow() {
      yield msg('a');
      await store.deleteMailbox(account.id, 'Doomed');
      yield msg('b');
    }
    expect(await code(store.append(box.id, slow(), { internalDate: 0 }))).toBe('ERR_STORE_NOT_FOUND');
    expect((await store.accounts.getQuota(account.id)).usage).toEqual({ storage: 0, messages: 0 });
  });

  it('never merges different content that shares a dedup key', async () => {
    const { store, inbox } = await setup();
    const a = new Uint8Array(200_000).fill(65);
    const b = a.slice();
    b[100_000] = 66; // same size, head and tail: only the middle differs
    const ra = await store.append(inbox.id, a, { internalDate: 0 });
    const rb = await store.append(inbox.id, b, { internalDate: 0 });
    const rc = await store.append(inbox.id, a.slice(), { internalDate: 0 });
    expect(rb.blobId).not.toBe(ra.blobId);
    expect(rc.blobId).toBe(ra.blobId);
    const chunks: Uint8Array[] = [];
    for await (const chunk of await store.readMessage({ blobId: rb.blobId })) chunks.push(chunk.slice());
    const read = new Uint8Array(200_000);
    let at = 0;
    for (const chunk of chunks) {
      read.set(chunk, at);
      at += chunk.length;
    }
    expect(read[100_000]).toBe(66);
    expect(read[99_999]).toBe(65);
  });

  it('copies and moves within one mailbox with fresh UIDs', async () => {
    const { store, inbox } = await setup();
    const a = await store.append(inbox.id, msg('a'), { internalDate: 0 });
    const copy = await store.copy(inbox.id, [a.uid], inbox.id);
    expect(copy.mapping).toEqual([{ sourceUid: a.uid, destUid: a.uid + 1 }]);
    const move = await store.move(inbox.id, [a.uid], inbox.id);
    expect(move.expunged).toEqual([a.uid]);
    expect((await store.fetchMessages(inbox.id, [[1, Number.POSITIVE_INFINITY]])).map((m) => m.uid)).toEqual([
      a.uid + 1,
      a.uid + 2,
    ]);
    expect(move.sourceModseq).toBe((await store.getMailboxById(inbox.id))!.highestModseq);
  });

  it('renames INBOX into one of its own children', async () => {
    const { store, account, inbox } = await setup();
    await store.append(inbox.id, msg('a'), { internalDate: 0 });
    const old = await store.renameMailbox(account.id, 'INBOX', 'INBOX/Old');
    expect(old.messages).toBe(1);
    expect((await store.getMailbox(account.id, 'INBOX'))!.messages).toBe(0);
    expect(await code(store.renameMailbox(account.id, 'INBOX/Old', 'INBOX/Old/Deeper'))).toBe(
      'ERR_STORE_INVALID',
    );
  });

  it('refuses a maildrop used after commit as caller misuse', async () => {
    const { store, account } = await setup();
    const drop = await store.lockMaildrop(account.id);
    await drop.commit();
    expect(() => drop.markDeleted(1)).toThrow(UsageError);
    await expect(drop.commit()).rejects.toThrow(UsageError);
    await drop.release();
  });

  it('frees the lock when the locked mailbox is deleted with its account', async () => {
    const { store, account } = await setup();
    await store.lockMaildrop(account.id);
    await store.accounts.deleteAccount(account.id);
    expect(await code(store.lockMaildrop(account.id))).toBe('ERR_STORE_NOT_FOUND');
  });

  it('answers FLAGS of 100,000 messages from metadata alone', async () => {
    const { store, inbox } = await setup();
    const items = Array.from({ length: 100_000 }, (_, i) => ({
      source: utf8(`Subject: ${i}\r\n\r\n`),
      internalDate: i,
      flags: i % 3 ? ['\\Seen'] : [],
    }));
    await store.appendMany!(inbox.id, items);
    const metas = await store.fetchMessages(inbox.id, [[1, Number.POSITIVE_INFINITY]]);
    expect(metas.length).toBe(100_000);
    expect((await store.getMailboxById(inbox.id))!.unseen).toBe(Math.ceil(100_000 / 3));
  });
});

describe('memory store as a MailStore', () => {
  it('satisfies the interface type', () => {
    const store: MailStore = createMemoryStore();
    expect(store.delimiter).toBe('/');
  });
});
