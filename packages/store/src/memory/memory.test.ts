import { runStoreConformance } from '../conformance/index.js';
import { conformanceMessage } from '../conformance/index.js';
import { createPbkdf2Hasher } from '../pbkdf2-hasher.js';
import type { MailStore } from '../types.js';
import { createMemoryStore } from './memory-store.js';

// A cheap hasher keeps the account tests fast; the default (4096 iterations) is tested elsewhere.
const hasher = createPbkdf2Hasher({ iterations: 16, scramIterations: 4096 });

runStoreConformance({
  name: 'memory',
  create: async () => createMemoryStore({ hasher, expungeHistory: 50 }),
  capabilities: { expungeHistory: 50, blobsInMemory: true },
});

async function target(store: MailStore, address: string, mailbox: string): Promise<string> {
  const account = await store.accounts.lookup(address);
  return (await store.getMailbox(account!.id, mailbox))!.id;
}

// The restart, peer, multi-process and crash hooks, simulated in one process, so the kit's own
// checks behind them run here too (real adapters pass real processes).
runStoreConformance({
  name: 'memory with simulated hooks',
  create: async () => createMemoryStore({ hasher }),
  reopen: async (old) => old,
  openPeer: async (store) => store,
  multiProcess: {
    async appendConcurrently({ store, address, mailbox, processes, perProcess }) {
      const id = await target(store, address, mailbox);
      const workers = Array.from({ length: processes }, async (_, w) => {
        const uids: number[] = [];
        for (let i = 0; i < perProcess; i++) {
          uids.push(
            (await store.append(id, conformanceMessage(w * perProcess + i), { internalDate: 0 })).uid,
          );
        }
        return uids;
      });
      return (await Promise.all(workers)).flat();
    },
  },
  crash: {
    async appendAndKill({ store, address, mailbox, count, seed }) {
      const id = await target(store, address, mailbox);
      const killAt = seed % count;
      const acknowledged: { index: number; uid: number }[] = [];
      for (let index = 0; index < killAt; index++) {
        const { uid } = await store.append(id, conformanceMessage(index), { internalDate: 0 });
        acknowledged.push({ index, uid });
      }
      // The append in flight at the kill landed but was never acknowledged.
      await store.append(id, conformanceMessage(killAt), { internalDate: 0 });
      return acknowledged;
    },
  },
  capabilities: { bigMessageSize: 0, concurrency: 20 },
});
