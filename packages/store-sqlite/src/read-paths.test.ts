import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScryptHasher } from '@mailwire/store/node';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'mailwire-sqlite-read-'));
  dirs.push(dir);
  const store = createSqliteStore({ path: dir, hasher: createScryptHasher({ cost: 1024 }) });
  const account = await store.accounts.createAccount({ address: 'ann@example.com', password: 'pw' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  return { store, inbox, dir };
}

async function text(source: AsyncIterable<Uint8Array>): Promise<string> {
  let out = '';
  for await (const chunk of source) out += Buffer.from(chunk).toString('latin1');
  return out;
}

describe('read paths', () => {
  it('serves a changed MIME index, never the cached parse of the old one', async () => {
    const { store, inbox } = await setup();
    await store.append(inbox.id, new TextEncoder().encode('Subject: a\r\n\r\nhi\r\n'), { internalDate: 0 });
    const [meta] = await store.fetchMessages(inbox.id, [[1, 1]]);
    await store.setMimeIndex(meta!.blobId, { version: 1, tag: 'first' });
    const first = await store.fetchMessages(inbox.id, [[1, 1]], { mimeIndex: true });
    expect(first[0]!.mimeIndex).toEqual({ version: 1, tag: 'first' });
    // Read again: the same answer (from the cache).
    expect((await store.fetchMessages(inbox.id, [[1, 1]], { mimeIndex: true }))[0]!.mimeIndex).toEqual({
      version: 1,
      tag: 'first',
    });
    await store.setMimeIndex(meta!.blobId, { version: 1, tag: 'second' });
    const second = await store.fetchMessages(inbox.id, [[1, 1]], { mimeIndex: true });
    expect(second[0]!.mimeIndex).toEqual({ version: 1, tag: 'second' });
    await store.close();
  });

  it('serves an index another connection replaced, even with a JSON of the same length', async () => {
    const { store, inbox, dir } = await setup();
    await store.append(inbox.id, new TextEncoder().encode('Subject: a\r\n\r\nhi\r\n'), { internalDate: 0 });
    const [meta] = await store.fetchMessages(inbox.id, [[1, 1]]);
    await store.setMimeIndex(meta!.blobId, { version: 1, tag: 'aaaa' });
    expect((await store.fetchMessages(inbox.id, [[1, 1]], { mimeIndex: true }))[0]!.mimeIndex).toEqual({
      version: 1,
      tag: 'aaaa',
    });
    const peer = createSqliteStore({ path: dir, hasher: createScryptHasher({ cost: 1024 }) });
    await peer.setMimeIndex(meta!.blobId, { version: 1, tag: 'bbbb' });
    await peer.close();
    expect((await store.fetchMessages(inbox.id, [[1, 1]], { mimeIndex: true }))[0]!.mimeIndex).toEqual({
      version: 1,
      tag: 'bbbb',
    });
    // And this connection's own change of the same length.
    await store.setMimeIndex(meta!.blobId, { version: 1, tag: 'cccc' });
    expect((await store.fetchMessages(inbox.id, [[1, 1]], { mimeIndex: true }))[0]!.mimeIndex).toEqual({
      version: 1,
      tag: 'cccc',
    });
    await store.setMimeIndex(meta!.blobId, undefined);
    expect(
      (await store.fetchMessages(inbox.id, [[1, 1]], { mimeIndex: true }))[0]!.mimeIndex,
    ).toBeUndefined();
    await store.close();
  });

  it('keeps serving the right index when the cache is smaller than the mailbox (eviction)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailwire-sqlite-read-'));
    dirs.push(dir);
    const store = createSqliteStore({
      path: dir,
      hasher: createScryptHasher({ cost: 1024 }),
      mimeCacheEntries: 2,
    });
    const account = await store.accounts.createAccount({ address: 'bob@example.com' });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    for (let i = 0; i < 5; i++) {
      await store.append(inbox.id, new TextEncoder().encode(`Subject: ${i}\r\n\r\nbody ${i}\r\n`), {
        internalDate: 0,
        mimeIndex: () => ({ version: 1, tag: `m${i}` }),
      });
    }
    for (let pass = 0; pass < 3; pass++) {
      const metas = await store.fetchMessages(inbox.id, [[1, Number.POSITIVE_INFINITY]], { mimeIndex: true });
      expect(metas.map((m) => (m.mimeIndex as { tag: string }).tag)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      // Out of order too: one message at a time, last first.
      for (const uid of [5, 1, 3]) {
        const [meta] = await store.fetchMessages(inbox.id, [uid], { mimeIndex: true });
        expect((meta!.mimeIndex as { tag: string }).tag).toBe(`m${uid - 1}`);
      }
    }
    await store.setMimeIndex((await store.fetchMessages(inbox.id, [2]))[0]!.blobId, {
      version: 1,
      tag: 'new',
    });
    const after = await store.fetchMessages(inbox.id, [[1, 5]], { mimeIndex: true });
    expect(after.map((m) => (m.mimeIndex as { tag: string }).tag)).toEqual(['m0', 'new', 'm2', 'm3', 'm4']);
    await store.close();
  });

  it('reads small ranges (one positioned read) and large ones (streamed) byte for byte', async () => {
    const { store, inbox } = await setup();
    const big = `Subject: big\r\n\r\n${'0123456789abcdef'.repeat(10_000)}\r\n`;
    await store.append(inbox.id, new TextEncoder().encode('Subject: a\r\n\r\nhello\r\n'), {
      internalDate: 0,
    });
    await store.append(inbox.id, new TextEncoder().encode(big), { internalDate: 0 });
    const ref = { mailboxId: inbox.id, uid: 1 };
    expect(await text(await store.readMessage(ref))).toBe('Subject: a\r\n\r\nhello\r\n');
    expect(await text(await store.readMessage(ref, { start: 14, end: 19 }))).toBe('hello');
    expect(await text(await store.readMessage(ref, { start: 5, end: 5 }))).toBe('');
    const ref2 = { mailboxId: inbox.id, uid: 2 };
    expect(await text(await store.readMessage(ref2))).toBe(big);
    expect(await text(await store.readMessage(ref2, { start: 100, end: 100_100 }))).toBe(
      big.slice(100, 100_100),
    );
    await expect(store.readMessage({ mailboxId: inbox.id, uid: 9 })).rejects.toThrow();
    await store.close();
  });
});
