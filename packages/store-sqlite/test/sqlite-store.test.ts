import { existsSync, readdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MailboxChange } from '@mailwire/store';
import { bytes, cleanupDirs, collect, openStore, tempDir } from './helpers.js';

afterEach(cleanupDirs);

async function setup() {
  const dir = tempDir();
  const store = openStore(dir);
  const account = await store.accounts.createAccount({ address: 'Ann@Example.com', password: 'pw' });
  const inbox = (await store.getMailbox(account.id, 'inbox'))!;
  return { dir, store, account, inbox };
}

function blobFiles(dir: string): string[] {
  const root = join(dir, 'blobs');
  const out: string[] = [];
  for (const shard of readdirSync(root)) {
    if (shard.length !== 2) continue;
    for (const f of readdirSync(join(root, shard))) out.push(shard + f);
  }
  return out;
}

describe('SqliteStore', () => {
  it('appends, counts without scanning, and reads bytes and ranges back', async () => {
    const { store, inbox } = await setup();
    const a = await store.append(inbox.id, bytes('Subject: a\r\n\r\nhello\r\n'), {
      internalDate: 1000,
      flags: ['\\seen'],
    });
    const b = await store.append(inbox.id, [bytes('Subject: b\r\n'), bytes('\r\nworld\r\n')], {
      internalDate: 2000,
    });
    expect([a.uid, b.uid]).toEqual([1, 2]);
    expect(b.modseq).toBeGreaterThan(a.modseq);
    const info = (await store.getMailboxById(inbox.id))!;
    expect(info).toMatchObject({ messages: 2, unseen: 1, deleted: 0, uidNext: 3, highestModseq: b.modseq });
    expect(info.size).toBe(a.size + b.size);
    expect((await collect(await store.readMessage({ mailboxId: inbox.id, uid: 2 }))).toString()).toBe(
      'Subject: b\r\n\r\nworld\r\n',
    );
    expect(
      (await collect(await store.readMessage({ blobId: a.blobId }, { start: 9, end: 10 }))).toString(),
    ).toBe('a');
    expect(
      (await collect(await store.readMessage({ mailboxId: inbox.id, uid: 1 }, { start: 500 }))).length,
    ).toBe(0);
    await expect(store.readMessage({ mailboxId: inbox.id, uid: 99 })).rejects.toMatchObject({
      code: 'ERR_STORE_NOT_FOUND',
    });
    const metas = await store.fetchMessages(inbox.id, [[1, Number.POSITIVE_INFINITY]]);
    expect(metas.map((m) => m.flags)).toEqual([['\\Seen'], []]);
    await store.close();
  });

  it('stores identical content once and removes the file with its last reference', async () => {
    const { dir, store, inbox, account } = await setup();
    const other = await store.createMailbox(account.id, 'Archive');
    const body = bytes('Subject: same\r\n\r\nsame\r\n');
    const a = await store.append(inbox.id, body, { internalDate: 1 });
    const b = await store.append(other.id, body, { internalDate: 2 });
    expect(a.blobId).toBe(b.blobId);
    expect(blobFiles(dir)).toEqual([a.blobId]);
    await store.setFlags(inbox.id, [a.uid], { mode: 'add', flags: ['\\Deleted'] });
    await store.expunge(inbox.id);
    expect(blobFiles(dir)).toEqual([a.blobId]);
    await store.setFlags(other.id, [b.uid], { mode: 'add', flags: ['\\Deleted'] });
    await store.expunge(other.id);
    expect(blobFiles(dir)).toEqual([]);
    expect((await store.accounts.getQuota(account.id)).usage).toEqual({ storage: 0, messages: 0 });
    await store.close();
  });

  it('keeps UIDVALIDITY, UIDs and counters across reopen; a recreated name gets a new UIDVALIDITY', async () => {
    const { dir, store, account } = await setup();
    const box = await store.createMailbox(account.id, 'Work/Projects');
    await store.append(box.id, bytes('x'), { internalDate: 1 });
    await store.close();
    await expect(store.getMailboxById(box.id)).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
    const again = openStore(dir);
    const reopened = (await again.getMailbox(account.id, 'Work/Projects'))!;
    expect(reopened).toMatchObject({ id: box.id, uidValidity: box.uidValidity, uidNext: 2, messages: 1 });
    expect((await again.listMailboxes(account.id)).map((m) => m.name)).toEqual([
      'INBOX',
      'Work',
      'Work/Projects',
    ]);
    await again.deleteMailbox(account.id, 'Work/Projects');
    const recreated = await again.createMailbox(account.id, 'Work/Projects');
    expect(recreated.uidValidity).not.toBe(box.uidValidity);
    expect(recreated.id).not.toBe(box.id);
    await again.close();
  });

  it('moves atomically, logs expunges for changesSince and notifies subscribers in order', async () => {
    const { store, inbox, account } = await setup();
    const trash = await store.createMailbox(account.id, 'Trash', { specialUse: '\\Trash' });
    const seen: MailboxChange[] = [];
    const off = store.subscribe(inbox.id, (c) => seen.push(c));
    store.subscribe(inbox.id, () => {
      throw new Error('a bad listener');
    });
    for (let i = 0; i < 3; i++) await store.append(inbox.id, bytes(`m${i}`), { internalDate: i });
    const before = (await store.getMailboxById(inbox.id))!.highestModseq;
    const moved = await store.move(inbox.id, [[2, 3]], trash.id);
    expect(moved.mapping).toEqual([
      { sourceUid: 2, destUid: 1 },
      { sourceUid: 3, destUid: 2 },
    ]);
    expect(moved.expunged).toEqual([2, 3]);
    const since = await store.changesSince(inbox.id, before);
    expect(since).toEqual({
      trimmed: false,
      highestModseq: moved.sourceModseq,
      changed: [],
      expunged: [2, 3],
    });
    expect(seen.map((c) => c.type)).toEqual(['exists', 'exists', 'exists', 'expunge']);
    expect(seen.map((c) => c.modseq)).toEqual([...seen.map((c) => c.modseq)].sort((x, y) => x - y));
    off();
    await store.append(inbox.id, bytes('later'), { internalDate: 9 });
    expect(seen).toHaveLength(4);
    await store.close();
  });

  it('refuses an append over quota whole, leaving no file behind', async () => {
    const { dir, store, inbox, account } = await setup();
    await store.accounts.setQuota(account.id, { storage: 10 });
    await store.append(inbox.id, bytes('12345'), { internalDate: 1 });
    await expect(store.append(inbox.id, bytes('123456'), { internalDate: 1 })).rejects.toMatchObject({
      code: 'ERR_STORE_QUOTA',
      resource: 'STORAGE',
    });
    expect(blobFiles(dir)).toHaveLength(1);
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
    expect(existsSync(join(dir, 'mail.db'))).toBe(true);
    await store.close();
  });

  it('verifies passwords and SCRAM keys by address or alias', async () => {
    const { store, account } = await setup();
    await store.accounts.setAliases(account.id, ['ann.alias@example.com']);
    expect((await store.accounts.verifyPassword('ANN.ALIAS@example.com', 'pw'))?.id).toBe(account.id);
    expect(await store.accounts.verifyPassword('ann@example.com', 'nope')).toBeUndefined();
    expect(await store.accounts.verifyPassword('nobody@example.com', 'pw')).toBeUndefined();
    const keys = await store.accounts.scramKeys('ann@example.com');
    expect(keys?.iterations).toBe(4096);
    expect(keys?.storedKey.byteLength).toBe(32);
    await store.close();
  });

  it('shares POP3 maildrop locks between instances on the same directory in one process', async () => {
    const { dir, store, account } = await setup();
    const peer = openStore(dir);
    const lock = await store.lockMaildrop(account.id);
    await expect(peer.lockMaildrop(account.id, 'inbox')).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' });
    await lock.release();
    const second = await peer.lockMaildrop(account.id);
    await second.release();
    await peer.close();
    await store.close();
  });

  it('writes an online backup of the database that opens on its own', async () => {
    const { dir, store, inbox } = await setup();
    await store.append(inbox.id, bytes('Subject: b\r\n\r\nbackup\r\n'), { internalDate: 5 });
    store.checkpoint();
    const file = join(dir, 'backup.db');
    await store.backup(file);
    const copy = new Database(file, { readonly: true });
    expect(copy.prepare('SELECT messages FROM mailboxes WHERE id = ?').get(Number(inbox.id))).toEqual({
      messages: 1,
    });
    copy.close();
    await store.close();
  });
});
