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
    bigMessageSize: 64 * 1024 * 1024,
    concurrency: 100,
  },
});
