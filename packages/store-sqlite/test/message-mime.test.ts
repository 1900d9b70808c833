import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MimeIndexCache } from '../src/read-mime.js';
import { MIGRATIONS } from '../src/schema.js';
import { bytes, cleanupDirs, openStore, tempDir } from './helpers.js';

afterEach(cleanupDirs);

const tags = (metas: { mimeIndex?: unknown }[]) =>
  metas.map((m) => (m.mimeIndex as { tag?: string } | undefined)?.tag ?? null);

/** Rows of `message_mime` as `mailbox:uid=tag`, read with a separate connection. */
function copies(dir: string): string[] {
  const db = new Database(join(dir, 'mail.db'), { readonly: true });
  try {
    const rows = db
      .prepare('SELECT mailbox_id, uid, mime FROM message_mime ORDER BY mailbox_id, uid')
      .all() as {
      mailbox_id: number;
      uid: number;
      mime: string;
    }[];
    return rows.map((r) => `${r.mailbox_id}:${r.uid}=${(JSON.parse(r.mime) as { tag: string }).tag}`);
  } finally {
    db.close();
  }
}

async function setup(dir: string, options: { mimeCacheEntries?: number } = {}) {
  const store = openStore(dir, options);
  const account = await store.accounts.createAccount({ address: 'ann@example.com' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  return { store, account, inbox };
}

describe('MIME indexes next to the messages (schema version 2)', () => {
  it('migrates a version-1 database: indexes written before read back, new ones too', async () => {
    const dir = tempDir();
    let accountId = '';
    {
      const { store, account, inbox } = await setup(dir);
      accountId = account.id;
      for (let i = 0; i < 4; i++) {
        await store.append(inbox.id, bytes(`Subject: ${i}\r\n\r\nbody ${i}\r\n`), {
          internalDate: 0,
          // Message 3 has no index (appended by a client of the store that did not give one).
          ...(i === 2 ? {} : { mimeIndex: () => ({ version: 1, tag: `old${i}` }) }),
        });
      }
      await store.close();
    }
    // Back to exactly the version-1 schema: what a database written by the previous release holds.
    {
      const db = new Database(join(dir, 'mail.db'));
      db.exec(`DROP TRIGGER message_derived_delete; DROP TABLE message_derived; DROP TRIGGER message_mime_insert; DROP TRIGGER message_mime_delete;
               DROP TRIGGER message_mime_blob; DROP INDEX messages_by_blob; DROP TABLE message_mime;`);
      db.pragma('user_version = 1');
      const v1 = new Database(':memory:');
      v1.exec(MIGRATIONS[0]!);
      const schema = (d: Database.Database) =>
        d
          .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
          .all();
      expect(schema(db)).toEqual(schema(v1));
      v1.close();
      db.close();
    }
    const store = openStore(dir);
    const inbox = (await store.getMailbox(accountId, 'INBOX'))!;
    const metas = await store.fetchMessages(inbox.id, [[1, 4]], { mimeIndex: true });
    expect(tags(metas)).toEqual(['old0', 'old1', null, 'old3']);
    expect(copies(dir)).toEqual([`${inbox.id}:1=old0`, `${inbox.id}:2=old1`, `${inbox.id}:4=old3`]);
    // The message without an index gets one later; a new append carries its own.
    await store.setMimeIndex(metas[2]!.blobId, { version: 1, tag: 'late' });
    await store.append(inbox.id, bytes('Subject: 5\r\n\r\nnew\r\n'), {
      internalDate: 0,
      mimeIndex: () => ({ version: 1, tag: 'new' }),
    });
    expect(tags(await store.fetchMessages(inbox.id, [[1, 5]], { mimeIndex: true }))).toEqual([
      'old0',
      'old1',
      'late',
      'old3',
      'new',
    ]);
    expect(await store.getMimeIndex(metas[2]!.blobId)).toEqual({ version: 1, tag: 'late' });
    await store.close();
    const db = new Database(join(dir, 'mail.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('keeps the copies equal to the blob index through copy, move, expunge, dedup and replacement', async () => {
    const dir = tempDir();
    const { store, account, inbox } = await setup(dir);
    const other = await store.createMailbox(account.id, 'Other');
    const same = bytes('Subject: same\r\n\r\nsame body\r\n');
    await store.append(inbox.id, same, { internalDate: 0, mimeIndex: () => ({ version: 1, tag: 'a' }) });
    await store.append(inbox.id, bytes('Subject: b\r\n\r\nb\r\n'), { internalDate: 0 });
    // The same content again (one blob): it already has an index.
    await store.append(inbox.id, same, { internalDate: 0 });
    expect(tags(await store.fetchMessages(inbox.id, [[1, 3]], { mimeIndex: true }))).toEqual([
      'a',
      null,
      'a',
    ]);

    await store.copy(inbox.id, [1, 2], other.id);
    expect(tags(await store.fetchMessages(other.id, [[1, 2]], { mimeIndex: true }))).toEqual(['a', null]);
    await store.move(inbox.id, [3], other.id);
    expect(tags(await store.fetchMessages(other.id, [[1, 3]], { mimeIndex: true }))).toEqual([
      'a',
      null,
      'a',
    ]);
    expect(copies(dir)).toEqual([`${inbox.id}:1=a`, `${other.id}:1=a`, `${other.id}:3=a`]);

    // A replaced index reaches every message of the blob, in every mailbox.
    const blob = (await store.fetchMessages(inbox.id, [1]))[0]!.blobId;
    await store.setMimeIndex(blob, { version: 1, tag: 'a2' });
    expect(copies(dir)).toEqual([`${inbox.id}:1=a2`, `${other.id}:1=a2`, `${other.id}:3=a2`]);
    expect(tags(await store.fetchMessages(other.id, [[1, 3]], { mimeIndex: true }))).toEqual([
      'a2',
      null,
      'a2',
    ]);
    // An index given to a blob that had none reaches its messages too.
    const b = (await store.fetchMessages(other.id, [2]))[0]!.blobId;
    await store.setMimeIndex(b, { version: 1, tag: 'b' });
    expect(tags(await store.fetchMessages(other.id, [[1, 3]], { mimeIndex: true }))).toEqual([
      'a2',
      'b',
      'a2',
    ]);

    await store.setFlags(other.id, [1], { mode: 'add', flags: ['\\Deleted'] });
    await store.expunge(other.id);
    expect(copies(dir)).toEqual([
      `${inbox.id}:1=a2`,
      `${inbox.id}:2=b`,
      `${other.id}:2=b`,
      `${other.id}:3=a2`,
    ]);
    // Removing the index removes the copies; the messages stay.
    await store.setMimeIndex(blob, undefined);
    expect(copies(dir)).toEqual([`${inbox.id}:2=b`, `${other.id}:2=b`]);
    expect(tags(await store.fetchMessages(other.id, [[1, 3]], { mimeIndex: true }))).toEqual(['b', null]);
    await store.deleteMailbox(account.id, 'Other');
    expect(copies(dir)).toEqual([`${inbox.id}:2=b`]);
    await store.close();
  });

  it('holds at most mimeCacheEntries parsed indexes and serves the right one after eviction', async () => {
    const dir = tempDir();
    const { store, inbox } = await setup(dir, { mimeCacheEntries: 3 });
    for (let i = 0; i < 10; i++) {
      await store.append(inbox.id, bytes(`Subject: ${i}\r\n\r\n${i}\r\n`), {
        internalDate: 0,
        mimeIndex: () => ({ version: 1, tag: `m${i}` }),
      });
    }
    const expected = Array.from({ length: 10 }, (_, i) => `m${i}`);
    for (let pass = 0; pass < 3; pass++) {
      expect(tags(await store.fetchMessages(inbox.id, [[1, 10]], { mimeIndex: true }))).toEqual(expected);
      expect(tags(await store.fetchMessages(inbox.id, [9, 2, 5], { mimeIndex: true }))).toEqual([
        'm1',
        'm4',
        'm8',
      ]);
    }
    await store.close();
  });
});

describe('MimeIndexCache', () => {
  it('never holds more than its bound, and checks each entry against the text it is given', () => {
    const cache = new MimeIndexCache(2);
    const a = cache.get('a', '{"v":1}');
    expect(cache.get('a', '{"v":1}')).toBe(a);
    expect(cache.get('a', '{"v":2}')).toEqual({ v: 2 });
    cache.get('b', '{"v":3}');
    cache.get('c', '{"v":4}');
    expect(cache.size).toBe(2);
    for (let i = 0; i < 100; i++) cache.get(`k${i % 7}`, `{"i":${i}}`);
    expect(cache.size).toBeLessThanOrEqual(2);
    expect(cache.get('k1', null)).toBeUndefined();
    expect(cache.get('k1', '[1]')).toEqual([1]);
  });
});
