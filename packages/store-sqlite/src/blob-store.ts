/**
 * Content-addressed message files beside the database.
 *
 * Layout: `<dir>/blobs/<first two hex digits>/<remaining 62 hex digits>` named by the SHA-256 of the
 * message bytes; `<dir>/blobs/tmp/` holds files being written and `<dir>/blobs/trash/` files whose
 * last reference is being dropped.
 *
 * Theory of operation (the crash-safety argument, see docs/store-sqlite.md):
 *
 * 1. `stage()` streams the message into `tmp/` while hashing it; the file is fsynced (by `stage()`
 *    itself, or with `{ sync: false }` later by `syncStaged()`, which the group committer runs for
 *    a whole batch at once) before it gets a final name. Nothing refers to it yet; a crash here
 *    leaves garbage in `tmp/` that `sweep()` removes.
 * 2. `prepare()` (or `linkStaged()` + `syncDirAsync()`, once per directory for a batch), still
 *    outside any lock, hard-links the temp file to its final name (unless that name exists: same
 *    hash, same bytes) and fsyncs the shard directory. The temp name is kept.
 * 3. Inside the metadata write transaction (which holds SQLite's write lock, so nothing in any
 *    process can retire a file meanwhile) `ensure()` checks the final name once more and links it
 *    again from the kept temp file if a concurrent expunge retired it between 2 and 3. The row
 *    commits only when the file it names is durable. After COMMIT the temp name is dropped.
 * 4. Dropping a last reference moves the file to `trash/` inside the same transaction that deletes
 *    the row (`retire()`); after COMMIT the trash file is unlinked (`purge()`); on ROLLBACK it is
 *    moved back (`restore()`). A crash between the two leaves a trash file that `sweep()` either
 *    restores (its row still exists: the transaction never committed) or deletes.
 *
 * Invariant: a `blobs` row with a positive reference count always has its file in place. A final
 * file without a row is harmless garbage (complete and correct, since it was fsynced under its
 * hash before it got its name); `sweep(…, true)` removes it, and an append of the same bytes
 * reuses it.
 */

import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  linkSync,
  existsSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
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
    options: { readonly sync?: boolean } = {},
  ): Promise<StagedBlob> {
    const tmpPath = join(this.#tmp, `${this.#prefix}-${++this.#counter}`);
    const hasher = createHash('sha256');
    if (source instanceof Uint8Array && source.byteLength <= SMALL_STAGE && options.sync === false) {
      // Small message already in memory: one synchronous write costs less than three round trips
      // through libuv's thread pool (open, write, close), which queue behind other fsyncs.
      if (source.byteLength > maxSize) throw new BlobTooLargeError(maxSize);
      writeFileSync(tmpPath, source, { flag: 'wx' });
      return { hash: hasher.update(source).digest('hex'), size: source.byteLength, tmpPath };
    }
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
      if (this.#fsync && options.sync !== false) await file.sync();
      ok = true;
    } finally {
      await file.close();
      if (!ok) rmSync(tmpPath, { force: true });
    }
    return { hash: hasher.digest('hex'), size, tmpPath };
  }

  /**
   * fsyncs a file staged with `{ sync: false }` (the group committer's first step). Skipped when
   * the final name exists: a final name is only ever created from a file already fsynced (here,
   * `prepare()`, `ensure()`), so identical content is durable already; `ensure()` fsyncs the
   * temp file itself if it has to link it after all.
   */
  async syncStaged(staged: StagedBlob): Promise<void> {
    if (!this.#fsync || existsSync(this.path(staged.hash))) return;
    await fsyncPath(staged.tmpPath);
  }

  /**
   * Gives a staged, fsynced file its final name unless that name exists (same hash, same bytes),
   * without making the name durable: returns the shard directory to fsync (`syncDirs`). Also when
   * the name existed, since it may be another writer's link whose directory fsync is still running.
   */
  linkStaged(staged: StagedBlob): string {
    try {
      linkSync(staged.tmpPath, this.path(staged.hash));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.#makeShard(staged.hash);
        return this.linkStaged(staged);
      }
      if (code !== 'EEXIST') throw error;
    }
    return join(this.root, staged.hash.slice(0, 2));
  }

  /** fsyncs one directory (asynchronously, in libuv's thread pool). */
  async syncDirAsync(dir: string): Promise<void> {
    if (this.#fsync) await fsyncPath(dir);
  }

  /** Outside any lock: gives the staged file its final name (if missing) and makes that durable. */
  async prepare(staged: StagedBlob): Promise<void> {
    await this.syncDirAsync(await this.linkStaged(staged));
  }

  /**
   * Inside the write transaction, before inserting the row: the final file exists (links it again
   * from the kept temp file, durably, if something removed it since `prepare()`).
   */
  ensure(staged: StagedBlob): void {
    const dest = this.path(staged.hash);
    if (existsSync(dest)) return;
    this.#makeShard(staged.hash);
    // The temp file may have skipped its fsync (`syncStaged` does when the name existed then).
    this.#syncFile(staged.tmpPath);
    linkSync(staged.tmpPath, dest);
    this.#syncDir(join(this.root, staged.hash.slice(0, 2)));
  }

  /** Inside a write transaction: removes a final file no row references (a failed append's). */
  unlinkUnreferenced(hash: string): void {
    rmSync(this.path(hash), { force: true });
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
      for (const shard of readdirSync(this.root)) {
        if (!/^[0-9a-f]{2}$/.test(shard)) continue;
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

  /** Shard directories are made on first use (and the new entry made durable). */
  #makeShard(hash: string): void {
    const shard = join(this.root, hash.slice(0, 2));
    if (existsSync(shard)) return;
    mkdirSync(shard, { recursive: true });
    this.#syncDir(this.root);
  }

  #syncFile(path: string): void {
    this.#syncDir(path);
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

/** Messages up to this size given as bytes are written synchronously by `stage()`. */
const SMALL_STAGE = 256 * 1024;

/**
 * fsyncs a file or directory: only the fsync itself goes to libuv's thread pool (open and close are
 * cheap and run here), so concurrent calls queue one pool job each.
 */
function fsyncPath(path: string): Promise<void> {
  const fd = openSync(path, 'r');
  return new Promise<void>((resolve, reject) => {
    fsync(fd, (error) => {
      try {
        closeSync(fd);
      } catch {
        // The fsync's answer is what matters; a failed close leaks nothing (the fd is gone).
      }
      if (error) reject(error);
      else resolve();
    });
  });
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
