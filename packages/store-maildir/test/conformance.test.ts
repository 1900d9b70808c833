/**
 * The whole `@mailwire/store` conformance kit against `MaildirStore`, with restart (reopen of the
 * same root), a peer instance on the same root, writers in other processes and a writer killed with SIGKILL.
 */
import { runStoreConformance } from '@mailwire/store/conformance';
import { afterAll } from 'vitest';
import { MaildirStore } from '../src/index.js';
import { cleanupDirs, openStore, tempDir } from './helpers.js';
import { crash, multiProcess } from './hooks.js';

afterAll(cleanupDirs);

function dirOf(store: unknown): string {
  if (!(store instanceof MaildirStore)) throw new Error('not a MaildirStore');
  return store.path;
}

const EXPUNGE_HISTORY = 50;

runStoreConformance({
  name: 'maildir',
  create: async () => openStore(tempDir(), { expungeHistory: EXPUNGE_HISTORY }),
  reopen: async (old) => {
    const dir = dirOf(old);
    await old.close();
    return openStore(dir, { expungeHistory: EXPUNGE_HISTORY });
  },
  openPeer: async (store) => openStore(dirOf(store), { expungeHistory: EXPUNGE_HISTORY }).opened(),
  multiProcess,
  crash,
  capabilities: {
    expungeHistory: EXPUNGE_HISTORY,
    bigMessageSize: 32 * 1024 * 1024,
  },
});
