/**
 * Content-addressed message files beside the database.
 *
 * Layout: `<dir>/blobs/<first two hex digits>/<remaining 62 hex digits>` named by the SHA-256 of the
 * message bytes; `<dir>/blobs/tmp/` holds files being written and `<dir>/blobs/trash/` files whose
 * last reference is being dropped.
 *
 * Theory of operation (the crash-safety argument, see docs/store-sqlite.md):
 *
 * 1. `stage()` streams the message into `tmp/` while hashing it, then fsyncs the file. Nothing
 *    refers to it yet; a crash here leaves garbage in `tmp/` that `sweep()` removes.
 * 2. Inside the metadata write transaction (which holds SQLite's write lock, so no other writer in
 *    any process runs the same step at the same time) `place()` either drops the staged file
 *    because the blob is already referenced (dedup), or renames it to its final name and fsyncs
 *    the shard directory, so the file is durable before the row that names it commits.
 * 3. Dropping a last reference moves the file to `trash/` inside the same transaction that deletes
 *    the row (`retire()`); after COMMIT the trash file is unlinked (`purge()`); on ROLLBACK it is
 *    moved back (`restore()`). A crash between the two leaves a trash file that `sweep()` either
 *    restores (its row still exists: the transaction never committed) or deletes.
 *
 * Invariant: a `blobs` row with a positive reference count always has its file in place.
 */

import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/** A message written to `tmp/`, hashed and fsynced, not yet referenced. */
export interface StagedBlob {
  readonly hash: string;
  readonly size: number;
  readonly tmpPath: string;
}

/** Thrown by `stage()` when the source yields more than `maxSize` bytes; the temp file is removed. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxSize: number) {
    super(`message larger than ${maxSize} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

export interface BlobStoreOptions {
  /** fsync files and directories (default true). Turning it off trades power-loss safety for speed. */
  readonly fsync?: boolean;
}

const HEX = /^[0-9a-f]{64}$/;

export class BlobStore {
  readonly root: string;
  readonly #tmp: string;
  readonly #trash: string;
  readonly #fsync: boolean;
  #counter = 0;
  readonly #prefix = `${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(root: string, options: BlobStoreOptions = {}) {
    this.root = root;
    this.#tmp = join(root, 'tmp');
    this.#trash = join(root, 'trash');
    this.#fsync = options.fsync ?? true;
    let created = false;
    for (const d of [root, this.#tmp, this.#trash]) {
      if (!existsSync(d)) {
        mkdirSync(d, { recursive: true });
        created = true;
      }
    }
    for (let i = 0; i < 256; i++) {
      const shard = join(root, i.toString(16).padStart(2, '0'));
      if (!existsSync(shard)) {
        mkdirSync(shard);
        created = true;
      }
    }
    if (created) this.#syncDir(root);
  }

  /** The final path of a blob. */
  path(hash: string): string {
    return join(this.root, hash.slice(0, 2), hash.slice(2));
  }

  /**
   * Streams `source` into a temp file, hashing as it goes (the message is never held whole), and
   * fsyncs it. Rejects with `BlobTooLargeError` past `maxSize` bytes, leaving nothing behind.
   */
  async stage(
    source: AsyncIterable<Uint8Array> | Uint8Array,
    maxSize = Number.POSITIVE_INFINITY,
  ): Promise<StagedBlob> {
    const tmpPath = join(this.#tmp, `${this.#prefix}-${++this.#counter}`);
    const hasher = createHash('sha256');
    const file = await open(tmpPath, 'wx');
    let size = 0;
    let ok = false;
    try {
      const write = async (chunk: Uint8Array) => {
        if (chunk.byteLength === 0) return;
        size += chunk.byteLength;
        if (size > maxSize) throw new BlobTooLargeError(maxSize);
        hasher.update(chunk);
        let offset = 0;
        while (offset < chunk.byteLength) {
          const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
          offset += bytesWritten;
        }
      };
      if (source instanceof Uint8Array) await write(source);
      else for await (const chunk of source) await write(chunk);
      if (this.#fsync) await file.sync();
      ok = true;
    } finally {
      await file.close();
      if (!ok) rmSync(tmpPath, { force: true });
    }
    return { hash: hasher.digest('hex'), size, tmpPath };
  }

  /**
   * Makes a staged blob the file of its hash. Call inside the write transaction, only when no row
   * references the hash (otherwise call `discard()`): renames, then fsyncs the shard directory.
   */
  place(staged: StagedBlob): void {
    const dest = this.path(staged.hash);
    renameSync(staged.tmpPath, dest);
    this.#syncDir(join(this.root, staged.hash.slice(0, 2)));
  }

  /** Removes a staged file that will not be used (dedup hit, failed append). */
  discard(staged: StagedBlob): void {
    rmSync(staged.tmpPath, { force: true });
  }

  /** Moves a blob whose last reference is going away to `trash/`; returns the trash path. */
  retire(hash: string): string {
    const trashPath = join(this.#trash, `${hash}.${this.#prefix}-${++this.#counter}`);
    renameSync(this.path(hash), trashPath);
    return trashPath;
  }

  /** After COMMIT: the retired file is gone for good. */
  purge(trashPath: string): void {
    rmSync(trashPath, { force: true });
  }

  /** After ROLLBACK: puts a retired file back. */
  restore(hash: string, trashPath: string): void {
    renameSync(trashPath, this.path(hash));
  }

  /** Streams bytes `start`..`end` (inclusive, like `fs.createReadStream`) of a blob. */
  read(hash: string, start: number, end: number): AsyncIterable<Uint8Array> {
    if (end < start) return emptyIterable();
    return createReadStream(this.path(hash), { start, end, highWaterMark: 64 * 1024 });
  }

  /**
   * Crash recovery, run while holding the database write lock: deletes temp files, restores trash
   * files whose hash is still referenced (their transaction never committed), deletes the rest,
   * and with `orphans` deletes final files no row references. Returns what it removed.
   */
  sweep(isReferenced: (hash: string) => boolean, orphans: boolean): { removed: number; restored: number } {
    let removed = 0;
    let restored = 0;
    for (const name of readdirSync(this.#tmp)) {
      // A temp file of a live process may be an append in flight in another process: keep it.
      const pid = Number.parseInt(name, 10);
      if (pid !== process.pid && isAlive(pid)) continue;
      if (pid === process.pid && name.startsWith(this.#prefix)) continue;
      rmSync(join(this.#tmp, name), { force: true });
      removed++;
    }
    for (const name of readdirSync(this.#trash)) {
      const hash = name.slice(0, 64);
      const p = join(this.#trash, name);
      if (HEX.test(hash) && isReferenced(hash) && !existsSync(this.path(hash))) {
        renameSync(p, this.path(hash));
        restored++;
      } else {
        unlinkSync(p);
        removed++;
      }
    }
    if (orphans) {
      for (let i = 0; i < 256; i++) {
        const shard = i.toString(16).padStart(2, '0');
        for (const rest of readdirSync(join(this.root, shard))) {
          const hash = shard + rest;
          if (HEX.test(hash) && !isReferenced(hash)) {
            unlinkSync(join(this.root, shard, rest));
            removed++;
          }
        }
      }
    }
    return { removed, restored };
  }

  #syncDir(dir: string): void {
    if (!this.#fsync) return;
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function* emptyIterable(): AsyncIterable<Uint8Array> {}
