/**
 * The whole `@mailwire/store` conformance kit against `PostgresStore`: restart (reopen of the same
 * schema), a peer instance on the same schema (another node), writers in other processes and a
 * writer killed with SIGKILL. Each store gets a fresh schema, dropped after its test.
 */
import { runStoreConformance } from '@mailwire/store/conformance';
import { afterAll } from 'vitest';
import { crash, multiProcess } from './hooks.js';
import { dropLater, openStore, schemaOf, settleSchemas, takeSchema } from './helpers.js';

afterAll(settleSchemas);

const EXPUNGE_HISTORY = 50;

runStoreConformance({
  name: 'postgres',
  create: async () => openStore(await takeSchema(), { expungeHistory: EXPUNGE_HISTORY }),
  reopen: async (old) => {
    const schema = schemaOf(old);
    await old.close();
    return openStore(schema, { expungeHistory: EXPUNGE_HISTORY });
  },
  openPeer: async (store) => openStore(schemaOf(store), { expungeHistory: EXPUNGE_HISTORY }),
  destroy: async (store) => {
    await store.close();
    dropLater(schemaOf(store));
  },
  multiProcess,
  crash,
  capabilities: {
    expungeHistory: EXPUNGE_HISTORY,
    bigMessageSize: 64 * 1024 * 1024,
    // The pg client's row buffers plus GC timing in a loaded CI run reached 45 MB once against the
    // kit's default 40 MiB; 56 MiB still fails any adapter that holds the 64 MiB message whole.
    memoryBound: 56 * 1024 * 1024,
    concurrency: 100,
  },
});
