/**
 * Group commit seen through the store: appends in flight share batches, and each keeps its own
 * outcome (quota), its UID order, its EXISTS event and its dedup.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MailboxChange } from '@mailwire/store';
import { afterEach, describe, expect, it } from 'vitest';
import { bytes, cleanupDirs, collect, openStore, tempDir } from './helpers.js';

afterEach(cleanupDirs);

function messageFiles(dir: string): number {
  const shards = readdirSync(join(dir, 'blobs')).filter((d) => /^[0-9a-f]{2}$/.test(d));
  return shards.reduce((n, d) => n + readdirSync(join(dir, 'blobs', d)).length, 0);
}

async function setup(quota?: { messages?: number; storage?: number }) {
  const dir = tempDir();
  const store = openStore(dir);
  const account = await store.accounts.createAccount({
    address: 'g@example.com',
    ...(quota === undefined ? {} : { quota }),
  });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  return { dir, store, account, inbox };
}

describe('group commit', () => {
  it('commits 40 appends in flight in a few batches, EXISTS events in UID order', async () => {
    const { store, inbox } = await setup();
    const events: MailboxChange[] = [];
    store.subscribe(inbox.id, (change) => events.push(change));
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.append(inbox.id, bytes(`Subject: ${i}\r\n\r\n${i}\r\n`), { internalDate: i }),
      ),
    );
    expect(store._groupCommit.stats.batches).toBeLessThan(10);
    expect(store._groupCommit.stats.jobs).toBe(40);
    expect(new Set(results.map((r) => r.uid)).size).toBe(40);
    const uids = events.flatMap((e) => (e.type === 'exists' ? e.messages.map((m) => m.uid) : []));
    expect(uids).toEqual([...uids].sort((a, b) => a - b));
    expect(uids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const modseqs = events.map((e) => e.modseq);
    expect(modseqs).toEqual([...modseqs].sort((a, b) => a - b));
    await store.close();
  });

  it('answers each append with its own message', async () => {
    const { store, inbox } = await setup();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.append(inbox.id, bytes(`Subject: n${i}\r\n\r\nbody ${i}\r\n`), { internalDate: i }),
      ),
    );
    for (const [i, r] of results.entries()) {
      const text = (await collect(await store.readMessage({ mailboxId: inbox.id, uid: r.uid }))).toString();
      expect(text).toBe(`Subject: n${i}\r\n\r\nbody ${i}\r\n`);
    }
    await store.close();
  });

  it('fails only the message over quota in a shared batch, with the quota error', async () => {
    const body = (i: number) => bytes(`Subject: q\r\n\r\n${String(i).padStart(3, '0')}${'x'.repeat(96)}`);
    const { dir, store, inbox } = await setup({ storage: 1000 });
    // 100 bytes each: nine fit (900), the tenth (1000) fits exactly, the rest do not.
    const size = body(0).length;
    const results = await Promise.allSettled(
      Array.from({ length: 14 }, (_, i) => store.append(inbox.id, body(i), { internalDate: i })),
    );
    const fitting = Math.floor(1000 / size);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(fitting);
    for (const r of results)
      if (r.status === 'rejected')
        expect(r.reason).toMatchObject({ code: 'ERR_STORE_QUOTA', resource: 'STORAGE' });
    expect(store._groupCommit.stats.batches).toBeLessThan(14);
    expect((await store.getMailboxById(inbox.id))!.messages).toBe(fitting);
    expect(messageFiles(dir)).toBe(fitting);
    expect(await store.verify()).toEqual({ missing: [], damaged: [], counters: [] });
    await store.close();
  });

  it('commits appendMany whole in one batch beside single appends, its UIDs consecutive', async () => {
    const { store, inbox } = await setup();
    const many = Array.from({ length: 30 }, (_, i) => ({
      source: bytes(`Subject: m${i}\r\n\r\n`),
      internalDate: i,
    }));
    const [singles, batch] = await Promise.all([
      Promise.all(
        Array.from({ length: 10 }, (_, i) => store.append(inbox.id, bytes(`s${i}`), { internalDate: i })),
      ),
      store.appendMany(inbox.id, many),
    ]);
    const uids = batch.map((r) => r.uid);
    expect(uids).toEqual(Array.from({ length: 30 }, (_, i) => uids[0]! + i));
    expect(new Set([...uids, ...singles.map((r) => r.uid)]).size).toBe(40);
    await store.close();
  });

  it('refuses an appendMany over quota whole while the appends beside it succeed', async () => {
    const { dir, store, inbox } = await setup({ messages: 12 });
    const many = Array.from({ length: 10 }, (_, i) => ({ source: bytes(`many ${i}`), internalDate: i }));
    const [singles, batch] = await Promise.allSettled([
      Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          store.append(inbox.id, bytes(`single ${i}`), { internalDate: i }),
        ),
      ),
      // Submitted after the singles, so it is checked after them: 5 + 10 > 12.
      new Promise((resolve) => setImmediate(resolve)).then(() => store.appendMany(inbox.id, many)),
    ]);
    expect(singles.status).toBe('fulfilled');
    expect(batch.status).toBe('rejected');
    expect((batch as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_STORE_QUOTA' });
    expect((await store.getMailboxById(inbox.id))!.messages).toBe(5);
    expect(messageFiles(dir)).toBe(5);
    await store.close();
  });

  it('stores identical messages appended together once', async () => {
    const { dir, store, inbox } = await setup();
    const body = bytes('Subject: same\r\n\r\nsame\r\n');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => store.append(inbox.id, body.slice(), { internalDate: i })),
    );
    expect(new Set(results.map((r) => r.blobId)).size).toBe(1);
    expect(messageFiles(dir)).toBe(1);
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
    // A later identical append (its data fsync skipped: the name exists) still reads back.
    const again = await store.append(inbox.id, body.slice(), { internalDate: 99 });
    expect(again.blobId).toBe(results[0]!.blobId);
    expect((await collect(await store.readMessage({ mailboxId: inbox.id, uid: again.uid }))).toString()).toBe(
      'Subject: same\r\n\r\nsame\r\n',
    );
    await store.close();
  });
});
