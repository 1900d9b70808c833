/**
 * What the conformance kit does not cover: behaviour specific to PostgreSQL — migrations under
 * concurrent opens, the POP3 lock across nodes and connection death, the change feed across nodes
 * and after the LISTEN connection drops, chunked blobs (dedup, range reads touching only the
 * chunks they need, nothing left by a failed append) and an external BlobStore.
 */
import type { MailboxChange, MailStore } from '@mailwire/store';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BlobStore,
  createDatabaseBlobStore,
  MIGRATIONS,
  migrate,
  type PostgresStore,
  type Queryable,
  type StoredBlob,
} from '../src/index.js';
import { bytes, collect, dropLater, openStore, POSTGRES_URL, settleSchemas, takeSchema } from './helpers.js';

const open: MailStore[] = [];
const schemas = new Set<string>();
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  for (const schema of schemas) dropLater(schema);
  schemas.clear();
});
afterAll(settleSchemas);

async function store(schema: string, options: Parameters<typeof openStore>[1] = {}): Promise<PostgresStore> {
  schemas.add(schema);
  const s = await openStore(schema, options);
  open.push(s);
  return s;
}

async function fresh(options: Parameters<typeof openStore>[1] = {}): Promise<PostgresStore> {
  return store(await takeSchema(), options);
}

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function inboxOf(s: MailStore, address = `u${Math.random().toString(36).slice(2)}@example.com`) {
  const account = await s.accounts.createAccount({ address });
  const inbox = (await s.getMailbox(account.id, 'INBOX'))!;
  return { account, inbox };
}

describe('migrations', () => {
  it('applies each migration once when several nodes open a new schema at the same time', async () => {
    const schema = `mw_test_mig_${Math.random().toString(36).slice(2, 10)}`;
    schemas.add(schema);
    const stores = await Promise.all([store(schema), store(schema), store(schema)]);
    const rows = await sql<{ version: number }>(`SELECT version FROM "${schema}".mailwire_migrations`);
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    const { inbox } = await inboxOf(stores[0]!);
    await stores[1]!.append(inbox.id, bytes('Subject: x\r\n\r\n'), { internalDate: 1 });
    expect((await stores[2]!.getMailboxById(inbox.id))!.messages).toBe(1);
  });

  it('refuses a schema newer than the package, and an outdated one with migrate: false', async () => {
    const schema = await takeSchema();
    schemas.add(schema);
    await sql(`INSERT INTO "${schema}".mailwire_migrations (version) VALUES ($1)`, [MIGRATIONS.length + 1]);
    await expect(openStore(schema)).rejects.toMatchObject({ code: 'ERR_STORE_BACKEND' });
    const empty = `mw_test_empty_${Math.random().toString(36).slice(2, 10)}`;
    await expect(openStore(empty, { migrate: false })).rejects.toMatchObject({ code: 'ERR_STORE_BACKEND' });
    schemas.add(empty);
    // Re-running the migrations on an up-to-date schema changes nothing.
    await sql(`DELETE FROM "${schema}".mailwire_migrations WHERE version > $1`, [MIGRATIONS.length]);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      expect(await migrate(client, schema)).toBe(MIGRATIONS.length);
    } finally {
      await client.end();
    }
  });
});

describe('POP3 maildrop lock across nodes', () => {
  it('is exclusive across store instances and dies with its node', async () => {
    const schema = await takeSchema();
    const a = await store(schema, { config: { application_name: 'mw-pop-a' } });
    const b = await store(schema);
    const { account } = await inboxOf(a);
    const drop = await a.lockMaildrop(account.id);
    await expect(b.lockMaildrop(account.id)).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' });
    await expect(a.lockMaildrop(account.id)).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' });
    // The node's connections die without a release (a crash, a network cut): PostgreSQL ends the
    // sessions and with them the lock.
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mw-pop-a'`);
    const again = await vi.waitFor(() => b.lockMaildrop(account.id), { timeout: 2000, interval: 20 });
    await again.release();
    await drop.release(); // harmless on a dead connection
  });
});

describe('UIDs and quota across nodes', () => {
  it('shows new UIDs in ascending order to an observer while two nodes append', async () => {
    const schema = await takeSchema();
    const [a, b, observer] = await Promise.all([store(schema), store(schema), store(schema)]);
    const { inbox } = await inboxOf(a);
    let done = false;
    let seenMax = 0;
    const seen = new Set<number>();
    const violations: string[] = [];
    const watching = (async () => {
      while (!done) {
        const uids = (await observer.fetchMessages(inbox.id, [[1, Number.POSITIVE_INFINITY]])).map(
          (m) => m.uid,
        );
        for (const uid of uids) {
          if (!seen.has(uid) && uid < seenMax) violations.push(`saw ${uid} after ${seenMax}`);
          seen.add(uid);
        }
        seenMax = Math.max(seenMax, ...uids, 0);
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? a : b).append(inbox.id, bytes(`Subject: ${i}\r\n\r\n`), { internalDate: 1 }),
      ),
    );
    done = true;
    await watching;
    expect(violations).toEqual([]);
    expect(new Set(results.map((r) => r.uid)).size).toBe(60);
    expect(new Set(results.map((r) => r.modseq)).size).toBe(60);
  });

  it('never lets two nodes together exceed a quota', async () => {
    const schema = await takeSchema();
    const [a, b] = await Promise.all([store(schema), store(schema)]);
    const { account, inbox } = await inboxOf(a);
    const other = await a.createMailbox(account.id, 'Other');
    await a.accounts.setQuota(account.id, { storage: 10_000 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) =>
        (i % 2 ? a : b).append(i % 3 ? inbox.id : other.id, new Uint8Array(1000).fill(i), {
          internalDate: 1,
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBe(10);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'ERR_STORE_QUOTA' });
    expect((await b.accounts.getQuota(account.id)).usage).toEqual({ storage: 10_000, messages: 10 });
  });
});

describe('change feed across nodes', () => {
  it('delivers every change of another node in MODSEQ order, rename and delete included', async () => {
    const schema = await takeSchema();
    const a = await store(schema);
    const b = await store(schema);
    const { account } = await inboxOf(a);
    const box = await a.createMailbox(account.id, 'Feed');
    const seen: MailboxChange[] = [];
    b.subscribe(box.id, (c) => seen.push(c));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        a.append(box.id, bytes(`Subject: ${i}\r\n\r\n`), { internalDate: 1 }),
      ),
    );
    await a.setFlags(box.id, [[1, 5]], { mode: 'add', flags: ['\\Seen'] });
    await a.renameMailbox(account.id, 'Feed', 'Fed');
    await a.deleteMailbox(account.id, 'Fed');
    await vi.waitFor(() => expect(seen.length).toBe(23), { timeout: 5000, interval: 10 });
    expect(seen.slice(0, 20).every((c) => c.type === 'exists')).toBe(true);
    expect(seen.slice(20).map((c) => c.type)).toEqual(['flags', 'mailboxRenamed', 'mailboxDeleted']);
    for (let i = 1; i < 21; i++) expect(seen[i]!.modseq).toBeGreaterThan(seen[i - 1]!.modseq);
    const uids = seen.slice(0, 20).flatMap((c) => (c.type === 'exists' ? c.messages.map((m) => m.uid) : []));
    expect(uids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('catches up after its LISTEN connection is killed', async () => {
    const schema = await takeSchema();
    const a = await store(schema, { config: { application_name: 'mw-writer' } });
    const b = await store(schema, { config: { application_name: 'mw-listener' } });
    const { inbox } = await inboxOf(a);
    const seen: MailboxChange[] = [];
    b.subscribe(inbox.id, (c) => seen.push(c));
    await a.append(inbox.id, bytes('Subject: 1\r\n\r\n'), { internalDate: 1 });
    await vi.waitFor(() => expect(seen.length).toBe(1), { timeout: 2000, interval: 10 });
    // Kill the listening session (as a failover or network cut would).
    await sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'mw-listener' AND query LIKE 'LISTEN%'`,
    );
    await a.append(inbox.id, bytes('Subject: 2\r\n\r\n'), { internalDate: 1 });
    await a.append(inbox.id, bytes('Subject: 3\r\n\r\n'), { internalDate: 1 });
    await vi.waitFor(() => expect(seen.length).toBe(3), { timeout: 5000, interval: 20 });
    expect(seen.map((c) => (c.type === 'exists' ? c.messages[0]!.uid : 0))).toEqual([1, 2, 3]);
  });
});

describe('chunked blobs in the database', () => {
  it('stores identical content once, in chunks, and leaves nothing behind a failed append', async () => {
    const s = await fresh();
    const { account, inbox } = await inboxOf(s);
    const body = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 0xff);
    const a = await s.append(inbox.id, body, { internalDate: 1 });
    const b = await s.append(inbox.id, body, { internalDate: 2 });
    expect(b.blobId).toBe(a.blobId);
    const chunks = await sql<{ n: string }>(`SELECT count(*) AS n FROM "${s.schema}".blob_chunks`);
    expect(Number(chunks[0]!.n)).toBe(3); // 128 KiB + 128 KiB + 44 KiB, once
    await s.accounts.setQuota(account.id, { storage: 2 * body.length + 10 });
    await expect(
      s.append(inbox.id, new Uint8Array(150 * 1024).fill(1), { internalDate: 3 }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_QUOTA' });
    const after = await sql<{ n: string }>(`SELECT count(*) AS n FROM "${s.schema}".blob_chunks`);
    expect(Number(after[0]!.n)).toBe(3);
    await s.setFlags(inbox.id, [[1, 2]], { mode: 'add', flags: ['\\Deleted'] });
    await s.expunge(inbox.id);
    const none = await sql<{ n: string }>(`SELECT count(*) AS n FROM "${s.schema}".blob_chunks`);
    expect(Number(none[0]!.n)).toBe(0);
  });

  it('refuses a message over maxMessageSize with ERR_STORE_TOO_LARGE', async () => {
    const s = await fresh({ maxMessageSize: 1000 });
    const { inbox } = await inboxOf(s);
    await expect(s.append(inbox.id, new Uint8Array(1001), { internalDate: 1 })).rejects.toMatchObject({
      code: 'ERR_STORE_TOO_LARGE',
    });
    await s.append(inbox.id, new Uint8Array(1000), { internalDate: 1 });
  });

  it('fetches only the chunks a range overlaps', async () => {
    const s = await fresh();
    const { inbox } = await inboxOf(s);
    const chunkSize = 128 * 1024;
    const body = new Uint8Array(10 * chunkSize + 5).map((_, i) => (i * 13) & 0xff);
    const { blobId } = await s.append(inbox.id, body, { internalDate: 1 });
    const [row] = await sql<{ locator: string }>(`SELECT locator FROM "${s.schema}".blobs WHERE hash = $1`, [
      blobId,
    ]);
    const blobs = createDatabaseBlobStore({ schema: s.schema });
    let fetched = 0;
    const counting: Queryable = {
      query: (async (...args: Parameters<pg.Pool['query']>) => {
        const result = await (s._pool.query as (...a: unknown[]) => Promise<pg.QueryResult>)(...args);
        fetched += result.rows.reduce((n: number, r: { part: Buffer }) => n + r.part.length, 0);
        return result;
      }) as unknown as pg.Pool['query'],
    };
    const start = 3 * chunkSize - 10;
    const end = 4 * chunkSize + 10;
    const read = await collect(blobs.read(row!.locator, start, end, counting));
    expect(Buffer.compare(read, Buffer.from(body.subarray(start, end)))).toBe(0);
    // Only the 32 KiB slices around the range: the last one of chunk 2, chunks 3 whole, the first of 4.
    expect(fetched).toBe(chunkSize + 2 * 32 * 1024);
    const viaStore = await collect(await s.readMessage({ blobId }, { start, end }));
    expect(Buffer.compare(viaStore, read)).toBe(0);
  });
});

describe('an external BlobStore', () => {
  /** Object storage in memory: bytes leave the database, removal happens after COMMIT. */
  function objectStore() {
    const objects = new Map<string, Buffer>();
    let next = 0;
    const store: BlobStore = {
      transactional: false,
      async put(source, maxSize) {
        const parts: Buffer[] = [];
        let size = 0;
        for await (const chunk of source) {
          size += chunk.length;
          if (size > maxSize) throw new Error('too large');
          parts.push(Buffer.from(chunk));
        }
        const data = Buffer.concat(parts);
        const locator = `obj-${++next}`;
        objects.set(locator, data);
        const { createHash } = await import('node:crypto');
        return {
          locator,
          sha256: createHash('sha256').update(data).digest('hex'),
          size,
        } satisfies StoredBlob;
      },
      async *read(locator, start, end) {
        const data = objects.get(locator);
        if (data === undefined) throw new Error('gone');
        yield new Uint8Array(data.subarray(start, end));
      },
      async remove(locators) {
        for (const l of locators) objects.delete(l);
      },
    };
    return { store, objects };
  }

  it('keeps bytes outside, dedups, removes after the last reference and after a failed append', async () => {
    const { store: blobs, objects } = objectStore();
    const s = await fresh({ blobs });
    const { account, inbox } = await inboxOf(s);
    const a = await s.append(inbox.id, bytes('Subject: a\r\n\r\nsame\r\n'), { internalDate: 1 });
    const b = await s.append(inbox.id, bytes('Subject: a\r\n\r\nsame\r\n'), { internalDate: 1 });
    expect(b.blobId).toBe(a.blobId);
    expect(objects.size).toBe(1);
    expect(
      (await collect(await s.readMessage({ mailboxId: inbox.id, uid: b.uid }, { start: 10 }))).toString(),
    ).toBe('\r\n\r\nsame\r\n');
    await s.accounts.setQuota(account.id, { messages: 2 });
    await expect(s.append(inbox.id, bytes('Subject: c\r\n\r\n'), { internalDate: 1 })).rejects.toMatchObject({
      code: 'ERR_STORE_QUOTA',
    });
    expect(objects.size).toBe(1);
    await s.setFlags(inbox.id, [a.uid, b.uid], { mode: 'add', flags: ['\\Deleted'] });
    await s.expunge(inbox.id);
    expect(objects.size).toBe(0);
  });
});
