import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/schema.js';
import { bytes, cleanupDirs, openStore, tempDir } from './helpers.js';

afterEach(cleanupDirs);

const NAME = 'test.derived.1';
const text = (value: Uint8Array | undefined) => (value === undefined ? null : Buffer.from(value).toString());
const tags = (metas: { mimeIndex?: unknown }[]) =>
  metas.map((m) => (m.mimeIndex as { tag?: string } | undefined)?.tag ?? null);

/** Rows of `message_derived` as `mailbox:uid:name=value`, read with a separate connection. */
function derivedTable(dir: string): string[] {
  const db = new Database(join(dir, 'mail.db'), { readonly: true });
  try {
    const rows = db
      .prepare('SELECT mailbox_id, uid, name, value FROM message_derived ORDER BY mailbox_id, uid, name')
      .all() as { mailbox_id: number; uid: number; name: string; value: Buffer }[];
    return rows.map((r) => `${r.mailbox_id}:${r.uid}:${r.name}=${r.value.toString()}`);
  } finally {
    db.close();
  }
}

async function setup(dir: string) {
  const store = openStore(dir);
  const account = await store.accounts.createAccount({ address: 'ann@example.com' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  return { store, account, inbox };
}

const append = (
  store: ReturnType<typeof openStore>,
  mailboxId: string,
  i: number,
  index = true,
): ReturnType<ReturnType<typeof openStore>['append']> =>
  store.append(mailboxId, bytes(`Subject: ${i}\r\n\r\nbody ${i}\r\n`), {
    internalDate: 0,
    ...(index ? { mimeIndex: () => ({ version: 1, tag: `t${i}` }) } : {}),
  });

describe('derived values (schema version 3, setDerived)', () => {
  it('migrates a version-2 database: its messages and indexes read back, values can be stored', async () => {
    const dir = tempDir();
    let accountId = '';
    {
      const { store, account, inbox } = await setup(dir);
      accountId = account.id;
      for (let i = 0; i < 3; i++) await append(store, inbox.id, i);
      await store.close();
    }
    // Back to exactly the version-2 schema: what a database written by the previous release holds.
    {
      const db = new Database(join(dir, 'mail.db'));
      db.exec('DROP TRIGGER message_derived_delete; DROP TABLE message_derived;');
      db.pragma('user_version = 2');
      const v2 = new Database(':memory:');
      v2.exec(MIGRATIONS[0]!);
      v2.exec(MIGRATIONS[1]!);
      const schema = (d: Database.Database) =>
        d
          .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
          .all();
      expect(schema(db)).toEqual(schema(v2));
      v2.close();
      db.close();
    }
    const store = openStore(dir);
    const inbox = (await store.getMailbox(accountId, 'INBOX'))!;
    let metas = await store.fetchMessages(inbox.id, [[1, 3]], { mimeIndex: true, derived: NAME });
    expect(tags(metas)).toEqual(['t0', 't1', 't2']);
    expect(metas.map((m) => text(m.derived))).toEqual([null, null, null]);
    await store.setDerived(NAME, [{ blobId: metas[1]!.blobId, value: bytes('one') }]);
    metas = await store.fetchMessages(inbox.id, [[1, 3]], { mimeIndex: true, derived: NAME });
    expect(metas.map((m) => text(m.derived))).toEqual([null, 'one', null]);
    expect(tags(metas)).toEqual(['t0', 't1', 't2']);
    await store.close();
    const db = new Database(join(dir, 'mail.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('serves the MIME index of a row with a value lazily, and the same index as without derived', async () => {
    const dir = tempDir();
    const { store, inbox } = await setup(dir);
    for (let i = 0; i < 4; i++) await append(store, inbox.id, i, i !== 2);
    const plain = await store.fetchMessages(inbox.id, [[1, 4]], { mimeIndex: true });
    await store.setDerived(NAME, [
      { blobId: plain[0]!.blobId, value: bytes('zero') },
      { blobId: plain[2]!.blobId, value: bytes('two') },
    ]);
    const metas = await store.fetchMessages(inbox.id, [[1, 4]], { mimeIndex: true, derived: NAME });
    expect(metas.map((m) => text(m.derived))).toEqual(['zero', null, 'two', null]);
    // A row with a value: the index is a getter (not an own property), read on first access.
    expect(Object.getOwnPropertyDescriptor(metas[0], 'mimeIndex')).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(metas[1], 'mimeIndex')?.value).toEqual({ version: 1, tag: 't1' });
    expect(tags(metas)).toEqual(['t0', 't1', null, 't3']);
    expect(metas[0]!.mimeIndex).toEqual(plain[0]!.mimeIndex);
    expect(metas[0]!.mimeIndex).toBe(metas[0]!.mimeIndex);
    // The rest of the metadata is what fetchMessages says without `derived`.
    const fields = (m: (typeof metas)[number]) => ({
      uid: m.uid,
      modseq: m.modseq,
      flags: m.flags,
      internalDate: m.internalDate,
      size: m.size,
      blobId: m.blobId,
      mimeIndex: m.mimeIndex,
    });
    expect(metas.map(fields)).toEqual(plain.map(fields));
    // Not asked for the index: none, even for rows with a value.
    const only = await store.fetchMessages(inbox.id, [[1, 4]], { derived: NAME });
    expect(only.map((m) => 'mimeIndex' in m)).toEqual([false, false, false, false]);
    expect(only.map((m) => text(m.derived))).toEqual(['zero', null, 'two', null]);
    // A getter read after the store closed answers undefined rather than throwing.
    const late = await store.fetchMessages(inbox.id, [[3, 4]], { mimeIndex: true, derived: NAME });
    await store.close();
    expect(late[0]!.mimeIndex).toBeUndefined();
    await expect(store.setDerived(NAME, [])).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
  });

  it('keeps values per message: every message of the blob, deleted with each message', async () => {
    const dir = tempDir();
    const { store, account, inbox } = await setup(dir);
    const a = await append(store, inbox.id, 1);
    const b = await append(store, inbox.id, 2);
    const other = await store.createMailbox(account.id, 'Other');
    await store.copy(inbox.id, [a.uid], other.id);
    const i = inbox.id;
    const o = other.id;
    // Not read through fetchMessages first: written for every message holding the blob.
    await store.setDerived(NAME, [
      { blobId: a.blobId, value: bytes('a') },
      { blobId: b.blobId, value: bytes('b') },
      { blobId: 'f'.repeat(64), value: bytes('nobody') },
    ]);
    await store.setDerived('test.other.1', [{ blobId: a.blobId, value: bytes('a2') }]);
    expect(derivedTable(dir)).toEqual([
      `${i}:1:${NAME}=a`,
      `${i}:1:test.other.1=a2`,
      `${i}:2:${NAME}=b`,
      `${o}:1:${NAME}=a`,
      `${o}:1:test.other.1=a2`,
    ]);
    // Read first: written for the message read (by key), replacing the old value.
    const read = await store.fetchMessages(inbox.id, [[1, 2]], { derived: 'test.third.1' });
    expect(read.map((m) => m.derived)).toEqual([undefined, undefined]);
    await store.setDerived('test.third.1', [{ blobId: a.blobId, value: bytes('a3') }]);
    expect(derivedTable(dir)).toContain(`${i}:1:test.third.1=a3`);
    expect(derivedTable(dir)).not.toContain(`${o}:1:test.third.1=a3`);
    // A copy appended after the write has none (a cache may lack values); expunges delete them.
    await store.copy(inbox.id, [b.uid], other.id);
    expect(text((await store.fetchMessages(other.id, [[2, 2]], { derived: NAME }))[0]!.derived)).toBe(null);
    await store.setFlags(inbox.id, [a.uid, b.uid], { mode: 'add', flags: ['\\Deleted'] });
    await store.expunge(inbox.id);
    expect(derivedTable(dir)).toEqual([`${o}:1:${NAME}=a`, `${o}:1:test.other.1=a2`]);
    const copied = await store.fetchMessages(other.id, [[1, 1]], { derived: NAME });
    expect(text(copied[0]!.derived)).toBe('a');
    await store.deleteMailbox(account.id, 'Other');
    expect(derivedTable(dir)).toEqual([]);
    await store.close();
  });
});
