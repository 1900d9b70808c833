import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/schema.js';
import { bytes, cleanupDirs, collect, openStore, tempDir } from './helpers.js';

afterEach(cleanupDirs);

async function storeWithMessage() {
  const dir = tempDir();
  const store = openStore(dir);
  const account = await store.accounts.createAccount({ address: 'r@example.com' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  const appended = await store.append(inbox.id, bytes('Subject: keep\r\n\r\nkeep me\r\n'), {
    internalDate: 1,
  });
  await store.close();
  return { dir, inbox, appended };
}

const blobPath = (dir: string, hash: string) => join(dir, 'blobs', hash.slice(0, 2), hash.slice(2));

describe('schema', () => {
  it('is created at the latest user_version, in WAL mode', async () => {
    const { dir } = await storeWithMessage();
    const db = new Database(join(dir, 'mail.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a database written by a newer version instead of damaging it', async () => {
    const { dir } = await storeWithMessage();
    const db = new Database(join(dir, 'mail.db'));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openStore(dir)).toThrow(/newer/);
  });
});

describe('recovery at open', () => {
  it('restores a blob retired by a transaction that never committed (crash mid-expunge)', async () => {
    const { dir, inbox, appended } = await storeWithMessage();
    // What a crash between retire() and COMMIT leaves: the row still there, the file in trash.
    renameSync(blobPath(dir, appended.blobId), join(dir, 'blobs', 'trash', `${appended.blobId}.1-x-1`));
    const store = openStore(dir);
    const read = await collect(await store.readMessage({ mailboxId: inbox.id, uid: appended.uid }));
    expect(read.toString()).toBe('Subject: keep\r\n\r\nkeep me\r\n');
    expect(readdirSync(join(dir, 'blobs', 'trash'))).toEqual([]);
    await store.close();
  });

  it('removes temp files of dead writers and, with sweep "full", unreferenced message files', async () => {
    const { dir, appended } = await storeWithMessage();
    writeFileSync(join(dir, 'blobs', 'tmp', '999999999-dead-1'), 'half a message');
    const orphan = `ab${'0'.repeat(62)}`;
    mkdirSync(join(dir, 'blobs', 'ab'), { recursive: true });
    writeFileSync(blobPath(dir, orphan), 'complete but never committed');
    const safe = openStore(dir);
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
    expect(existsSync(blobPath(dir, orphan))).toBe(true);
    await safe.close();
    const full = openStore(dir, { sweep: 'full' });
    expect(existsSync(blobPath(dir, orphan))).toBe(false);
    expect(existsSync(blobPath(dir, appended.blobId))).toBe(true);
    await full.close();
  });

  it('keeps temp files of live writers (another process may be mid-append)', async () => {
    const { dir } = await storeWithMessage();
    const live = join(dir, 'blobs', 'tmp', `${process.ppid}-live-1`);
    writeFileSync(live, 'in flight');
    const store = openStore(dir);
    expect(existsSync(live)).toBe(true);
    await store.close();
  });
});

describe('verify()', () => {
  it('reports nothing for a consistent store, and missing or damaged message files', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    const account = await store.accounts.createAccount({ address: 'v@example.com' });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    const a = await store.append(inbox.id, bytes('Subject: a\r\n\r\na\r\n'), {
      internalDate: 1,
      flags: ['\\Seen'],
    });
    const b = await store.append(inbox.id, bytes('Subject: b\r\n\r\nb\r\n'), { internalDate: 2 });
    await store.copy(inbox.id, [a.uid], (await store.createMailbox(account.id, 'Copy')).id);
    expect(await store.verify()).toEqual({ missing: [], damaged: [], counters: [] });
    writeFileSync(blobPath(dir, a.blobId), 'truncated');
    renameSync(blobPath(dir, b.blobId), join(dir, 'elsewhere'));
    expect(await store.verify()).toEqual({ missing: [b.blobId], damaged: [a.blobId], counters: [] });
    const db = new Database(join(dir, 'mail.db'));
    db.prepare('UPDATE mailboxes SET unseen = unseen + 1 WHERE id = ?').run(Number(inbox.id));
    db.prepare('UPDATE accounts SET used_storage = used_storage + 1').run();
    db.close();
    expect((await store.verify()).counters).toEqual([
      `mailbox INBOX (${inbox.id})`,
      `account v@example.com (${account.id}) usage`,
    ]);
    await store.close();
  });
});

describe('group commit', () => {
  it('commits concurrent appends together while one failing append fails alone', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    const account = await store.accounts.createAccount({ address: 'g@example.com', quota: { messages: 5 } });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.append(inbox.id, bytes(`m${i}`), { internalDate: i })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(5);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ERR_STORE_QUOTA' });
    }
    const info = (await store.getMailboxById(inbox.id))!;
    expect(info.messages).toBe(5);
    expect(info.uidNext).toBe(6);
    // Only committed messages left files behind.
    const files = readdirSync(join(dir, 'blobs')).filter((d) => /^[0-9a-f]{2}$/.test(d));
    const count = files.reduce((n, d) => n + readdirSync(join(dir, 'blobs', d)).length, 0);
    expect(count).toBe(5);
    await store.close();
  });
});
