/** File-system plumbing: atomic replace, directory fsync, lock files and an async mutex. */
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BackendError, LockedError } from '@mailwire/store';

/** fsync a directory, so a rename or unlink inside it is durable. */
export async function fsyncDir(path: string, enabled = true): Promise<void> {
  if (!enabled) return;
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

let tmpSequence = 0;

/** Writes `data` to `path` atomically: a temp file beside it, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, sync = true): Promise<void> {
  const tmp = `${path}.${process.pid}.${++tmpSequence}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await fsyncDir(dirname(path), sync);
}

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return false;
    throw error;
  }
}

export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** Wraps an unexpected I/O failure as `ERR_STORE_BACKEND` (store errors pass through). */
export function backend(error: unknown, what: string): Error {
  if (
    typeof error === 'object' &&
    error !== null &&
    String((error as { code?: unknown }).code).startsWith('ERR_STORE_')
  )
    return error as Error;
  return new BackendError(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isCode(error, 'EPERM');
  }
}

/**
 * A lock file created with `O_EXCL` (holding `<pid>`), the way Maildir tools lock a uidlist
 * (Dovecot's `dovecot-uidlist.lock`). A lock whose process is gone, or older than `staleMs`, is
 * broken. With `wait`, retries for up to `waitMs`; otherwise fails with `ERR_STORE_LOCKED`.
 */
export async function acquireLockFile(
  path: string,
  options: { readonly wait: boolean; readonly waitMs?: number; readonly staleMs?: number } = { wait: true },
): Promise<() => Promise<void>> {
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  const staleMs = options.staleMs ?? 60_000;
  for (let attempt = 0; ; attempt++) {
    try {
      // Written aside and hard-linked into place, so the lock file never exists without its pid
      // (a process killed between create and write would leave a lock nobody could judge).
      const aside = `${path}.${process.pid}.${++tmpSequence}.tmp`;
      await writeFile(aside, `${process.pid}\n`, { mode: 0o600 });
      try {
        await link(aside, path);
      } catch (error) {
        if (isCode(error, 'EEXIST')) throw error;
        // No hard links here: an exclusive create, pid written right after.
        const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
        try {
          await handle.writeFile(`${process.pid}\n`);
        } finally {
          await handle.close();
        }
      } finally {
        await unlink(aside).catch(() => undefined);
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw backend(error, `lock ${path}`);
    }
    // Someone holds it: break it when its owner is dead or it is stale.
    try {
      const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      const pid = Number.parseInt(text, 10);
      const dead = Number.isInteger(pid) && pid > 0 && !alive(pid);
      // A lock without a pid (written by another program) goes stale after a few seconds.
      const age = Date.now() - info.mtimeMs;
      if (dead || age > staleMs || (!(pid > 0) && age > 5000)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw backend(error, `lock ${path}`);
      continue;
    }
    if (!options.wait || Date.now() > deadline) throw new LockedError(`Locked: ${path}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, 2 + attempt * 2)));
  }
}

/** A FIFO async mutex. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export { join };
