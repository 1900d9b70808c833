import { runStoreConformance } from '../conformance/index.js';
import { createPbkdf2Hasher } from '../pbkdf2-hasher.js';
import { createMemoryStore } from './memory-store.js';

// A cheap hasher keeps the account tests fast; the default (4096 iterations) is tested elsewhere.
const hasher = createPbkdf2Hasher({ iterations: 16, scramIterations: 4096 });

runStoreConformance({
  name: 'memory',
  create: async () => createMemoryStore({ hasher, expungeHistory: 50 }),
  capabilities: { expungeHistory: 50, blobsInMemory: true },
});
