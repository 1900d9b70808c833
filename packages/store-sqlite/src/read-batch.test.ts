import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScryptHasher } from '@mailwire/store/node';
import { afterEach, describe, expect, it } from 'vitest';
import { stopBlobReader } from './blob-reader.js';
import { OFF_THREAD_MIN, readBlobFiles, readBlobFilesHere } from './read-batch.js';
import { createSqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory of files named like blobs: `contents[i]` under the hash of `i` (`null`: no file). */
function blobDir(contents: readonly (Uint8Array | null)[]) {
  const dir = mkdtempSync(join(tmpdir(), 'mailwire-sqlite-blobs-'));
  dirs.push(dir);
  const ids = contents.map((_, i) => createHash('sha256').update(String(i)).digest('hex'));
  contents.forEach((bytes, i) => {
    if (bytes !== null) writeFileSync(join(dir, ids[i]!), bytes);
  });
  return { ids, pathOf: (hash: string) => join(dir, hash) };
}

/** Deterministic bytes of one length, different per seed. */
function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Files of sizes around every boundary the readers have (slab room, slab size, thread size). */
const SIZES = [
  0,
  1,
  4095,
  4096,
  65535,
  65536,
  65537,
  200_000,
  1024 * 1024 - 1,
  1024 * 1024,
  1024 * 1024 + 1,
  3_000_000,
];

const readers = [
  [
    'on the caller thread',
    async (ids: readonly string[], pathOf: (h: string) => string) => readBlobFilesHere(ids, pathOf),
  ],
  ['through readBlobFiles', readBlobFiles],
] as const;

describe.each(readers)('reading blob files %s', (_name, read) => {
  it('returns each file whole, in the order asked, whatever its size', async () => {
    // Many files, so that several share a slab and later ones start new slabs.
    const contents = [...SIZES, ...Array.from({ length: 60 }, (_, i) => 30_000 + i * 997)].map((n, i) =>
      bytesOf(n, i),
    );
    const { ids, pathOf } = blobDir(contents);
    const order = ids.map((_, i) => i).reverse();
    const out = await read(
      order.map((i) => ids[i]!),
      pathOf,
    );
    expect(out).toHaveLength(ids.length);
    order.forEach((i, k) => {
      expect(out[k]?.length).toBe(contents[i]!.length);
      expect(Buffer.from(out[k]!).equals(Buffer.from(contents[i]!))).toBe(true);
    });
  });

  it('gives undefined for a missing file or an id that is not a blob hash, without reading it', async () => {
    const contents = Array.from({ length: OFF_THREAD_MIN + 4 }, (_, i) =>
      i % 5 === 2 ? null : bytesOf(100 + i, i),
    );
    const { ids, pathOf } = blobDir(contents);
    const asked = [...ids, '../../etc/passwd', 'A'.repeat(64), 42 as unknown as string];
    const out = await read(asked, pathOf);
    expect(out).toHaveLength(asked.length);
    contents.forEach((bytes, i) => {
      if (bytes === null) expect(out[i]).toBeUndefined();
      else expect(Buffer.from(out[i]!).equals(Buffer.from(bytes))).toBe(true);
    });
    expect(out.slice(ids.length)).toEqual([undefined, undefined, undefined]);
  });

  it('hands out buffers that do not overlap: writing one changes no other', async () => {
    const contents = Array.from({ length: OFF_THREAD_MIN * 2 }, (_, i) => bytesOf(500 + i, i));
    const { ids, pathOf } = blobDir(contents);
    const out = await read(ids, pathOf);
    for (const bytes of out) bytes!.fill(0xff);
    const again = await read(ids, pathOf);
    again.forEach((bytes, i) => {
      expect(Buffer.from(bytes!).equals(Buffer.from(contents[i]!))).toBe(true);
    });
    out.forEach((bytes, i) => {
      expect(bytes!.length).toBe(contents[i]!.length);
    });
  });

  it('reads through any file layout pathOf gives (sharded, or not a plain concatenation)', async () => {
    const contents = Array.from({ length: OFF_THREAD_MIN + 2 }, (_, i) => bytesOf(700 + i, i));
    const { ids, pathOf } = blobDir(contents);
    for (const id of ids) {
      mkdirSync(join(pathOf(''), id.slice(0, 2)), { recursive: true });
      writeFileSync(join(pathOf(''), id.slice(0, 2), id.slice(2)), Buffer.from(contents[ids.indexOf(id)]!));
      writeFileSync(
        join(pathOf(''), `${id.slice(0, 2)}-${id.slice(2).toUpperCase()}`),
        Buffer.from([ids.indexOf(id)]),
      );
    }
    const sharded = await read(ids, (h) => join(pathOf(''), h.slice(0, 2), h.slice(2)));
    sharded.forEach((bytes, i) => {
      expect(Buffer.from(bytes!).equals(Buffer.from(contents[i]!))).toBe(true);
    });
    const odd = await read(ids, (h) => join(pathOf(''), `${h.slice(0, 2)}-${h.slice(2).toUpperCase()}`));
    expect(odd.map((bytes) => [...bytes!])).toEqual(ids.map((_, i) => [i]));
  });

  it('fails with the file system error (code kept) for anything but a missing file', async () => {
    const contents = Array.from({ length: OFF_THREAD_MIN + 1 }, (_, i) => bytesOf(10, i));
    const { ids, pathOf } = blobDir(contents);
    // A directory where a blob file should be.
    unlinkSync(pathOf(ids[3]!));
    mkdirSync(pathOf(ids[3]!));
    await expect(read(ids, pathOf)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('the blob reader thread', () => {
  it('when stopped in the middle of a read, the read finishes on the caller thread', async () => {
    const contents = Array.from({ length: 200 }, (_, i) => bytesOf(20_000 + i, i));
    const { ids, pathOf } = blobDir(contents);
    const reading = readBlobFiles(ids, pathOf);
    await stopBlobReader();
    const out = await reading;
    out.forEach((bytes, i) => {
      expect(Buffer.from(bytes!).equals(Buffer.from(contents[i]!))).toBe(true);
    });
    // And a new thread serves the next read.
    const next = await readBlobFiles(ids.slice(0, OFF_THREAD_MIN), pathOf);
    expect(Buffer.from(next[0]!).equals(Buffer.from(contents[0]!))).toBe(true);
  });

  it('reads serve concurrent callers, each its own files', async () => {
    const contents = Array.from({ length: 64 }, (_, i) => bytesOf(3000 + i * 11, i));
    const { ids, pathOf } = blobDir(contents);
    const groups = [ids.slice(0, 20), ids.slice(20, 40), ids.slice(40)];
    const outs = await Promise.all(groups.map((g) => readBlobFiles(g, pathOf)));
    outs.flat().forEach((bytes, i) => {
      expect(Buffer.from(bytes!).equals(Buffer.from(contents[i]!))).toBe(true);
    });
  });
});

describe('SqliteStore.readBlobs', () => {
  it('returns what readMessage streams, undefined once a blob file is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailwire-sqlite-readblobs-'));
    dirs.push(dir);
    const store = createSqliteStore({ path: dir, hasher: createScryptHasher({ cost: 1024 }) });
    const account = await store.accounts.createAccount({ address: 'ann@example.com', password: 'pw' });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    const bodies = Array.from(
      { length: OFF_THREAD_MIN + 3 },
      (_, i) => `Subject: ${i}\r\n\r\n${'y'.repeat(i * 400)}\r\n`,
    );
    for (const body of bodies)
      await store.append(inbox.id, new TextEncoder().encode(body), { internalDate: 0 });
    const metas = await store.fetchMessages(inbox.id, [[1, bodies.length]]);
    const few = await store.readBlobs!(metas.slice(0, 2).map((m) => m.blobId));
    expect(few.map((b) => Buffer.from(b!).toString('latin1'))).toEqual(bodies.slice(0, 2));
    const all = await store.readBlobs!(metas.map((m) => m.blobId));
    expect(all.map((b) => Buffer.from(b!).toString('latin1'))).toEqual(bodies);
    // The file of message 4 removed behind the store's back (as if collected meanwhile).
    const blobs = join(dir, 'blobs');
    const hash = metas[3]!.blobId;
    rmSync(join(blobs, hash.slice(0, 2), hash.slice(2)));
    const after = await store.readBlobs!(metas.map((m) => m.blobId));
    expect(after[3]).toBeUndefined();
    expect(Buffer.from(after[4]!).toString('latin1')).toBe(bodies[4]);
    await store.close();
    await expect(store.readBlobs!([metas[0]!.blobId])).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
  });
});
