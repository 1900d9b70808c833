import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore, BlobTooLargeError } from './blob-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mailwire-blob-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function* chunks(data: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.byteLength; i += size) yield data.subarray(i, i + size);
}

describe('BlobStore', () => {
  it('stages a streamed message under its SHA-256 and reads ranges back', async () => {
    const root = join(tempDir(), 'blobs');
    const blobs = new BlobStore(root);
    const data = new Uint8Array(100_000).map((_, i) => (i * 31) % 256);
    const staged = await blobs.stage(chunks(data, 4099));
    expect(staged.hash).toBe(createHash('sha256').update(data).digest('hex'));
    expect(staged.size).toBe(data.byteLength);
    await blobs.prepare(staged);
    blobs.ensure(staged);
    blobs.discard(staged);
    expect(existsSync(staged.tmpPath)).toBe(false);
    expect(readFileSync(blobs.path(staged.hash))).toEqual(Buffer.from(data));
    expect(await collect(blobs.read(staged.hash, 10, 19))).toEqual(Buffer.from(data.subarray(10, 20)));
    expect((await collect(blobs.read(staged.hash, 5, 4))).byteLength).toBe(0);
  });

  it('leaves nothing behind when the message is over the limit', async () => {
    const root = join(tempDir(), 'blobs');
    const blobs = new BlobStore(root);
    await expect(blobs.stage(new Uint8Array(11), 10)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('links the final name again inside the transaction when it vanished after prepare()', async () => {
    const blobs = new BlobStore(join(tempDir(), 'blobs'));
    const staged = await blobs.stage(new TextEncoder().encode('raced'));
    await blobs.prepare(staged);
    blobs.purge(blobs.retire(staged.hash));
    blobs.ensure(staged);
    blobs.discard(staged);
    expect(readFileSync(blobs.path(staged.hash), 'utf8')).toBe('raced');
  });

  it('retires to trash, restores on rollback and purges on commit', async () => {
    const blobs = new BlobStore(join(tempDir(), 'blobs'));
    const staged = await blobs.stage(new TextEncoder().encode('hello'));
    await blobs.prepare(staged);
    const trash = blobs.retire(staged.hash);
    expect(existsSync(blobs.path(staged.hash))).toBe(false);
    blobs.restore(staged.hash, trash);
    expect(readFileSync(blobs.path(staged.hash), 'utf8')).toBe('hello');
    blobs.purge(blobs.retire(staged.hash));
    expect(existsSync(blobs.path(staged.hash))).toBe(false);
  });

  it('sweeps crash garbage: dead temp files, trash, orphans; restores referenced trash', async () => {
    const root = join(tempDir(), 'blobs');
    const blobs = new BlobStore(root);
    const kept = await blobs.stage(new TextEncoder().encode('kept'));
    await blobs.prepare(kept);
    blobs.discard(kept);
    const orphan = await blobs.stage(new TextEncoder().encode('orphan'));
    await blobs.prepare(orphan);
    blobs.discard(orphan);
    const uncommitted = blobs.retire(kept.hash);
    writeFileSync(join(root, 'tmp', '999999999-dead-1'), 'partial');
    const result = blobs.sweep((h) => h === kept.hash, true);
    expect(result).toEqual({ removed: 2, restored: 1 });
    expect(existsSync(uncommitted)).toBe(false);
    expect(readFileSync(blobs.path(kept.hash), 'utf8')).toBe('kept');
    expect(existsSync(blobs.path(orphan.hash))).toBe(false);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });
});
