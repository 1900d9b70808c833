/**
 * The whole `@mailwire/store` conformance kit against `SqliteStore`, with restart (reopen of the
 * same directory), a peer instance on the same directory, writers in other processes and a writer
 * killed with SIGKILL.
 */
import { runStoreConformance } from '@mailwire/store/conformance';
import { afterAll } from 'vitest';
import { SqliteStore } from '../src/index.js';
import { crash, multiProcess } from './hooks.js';
import { cleanupDirs, openStore, tempDir } from './helpers.js';

afterAll(cleanupDirs);

function dirOf(store: unknown): string {
  if (!(store instanceof SqliteStore)) throw new Error('not a SqliteStore');
  return store.path;
}

const EXPUNGE_HISTORY = 50;

/**
 * The "large message with flat memory" check runs at 64 MiB; `MAILWIRE_BIG_MESSAGE_MIB=1024` runs
 * it at 1 GiB (off by default: it writes and reads 1 GiB). `MAILWIRE_BIG_MESSAGE_BOUND_MIB` sets
 * the memory growth allowed (default: the kit's 32 MiB + size/8).
 */
const BIG_MESSAGE = Number(process.env.MAILWIRE_BIG_MESSAGE_MIB ?? 64) * 1048576;
const BIG_MESSAGE_BOUND = process.env.MAILWIRE_BIG_MESSAGE_BOUND_MIB;

runStoreConformance({
  name: 'sqlite',
  create: async () => openStore(tempDir(), { expungeHistory: EXPUNGE_HISTORY }),
  reopen: async (old) => {
    const dir = dirOf(old);
    await old.close();
    return openStore(dir, { expungeHistory: EXPUNGE_HISTORY });
  },
  openPeer: async (store) => openStore(dirOf(store), { expungeHistory: EXPUNGE_HISTORY }),
  multiProcess,
  crash,
  capabilities: {
    expungeHistory: EXPUNGE_HISTORY,
    bigMessageSize: BIG_MESSAGE,
    ...(BIG_MESSAGE_BOUND === undefined ? {} : { memoryBound: Number(BIG_MESSAGE_BOUND) * 1048576 }),
    concurrency: 100,
  },
});
