/**
 * The conformance kit: the definition of a correct `MailStore`. Every adapter, ours or yours, runs
 * it from a vitest test file with one call:
 *
 *     import { runStoreConformance } from '@mailwire/store/conformance';
 *     runStoreConformance({ name: 'my-adapter', create: async () => openMyStore(freshDirectory()) });
 *
 * It registers `describe`/`it` suites for the twelve properties of the store issue: UIDVALIDITY,
 * UIDs under concurrency, MODSEQ and `changesSince`, atomic append/copy/move/expunge, flags and
 * keywords, byte fidelity and streaming, dedup, quota, the change feed, the mailbox tree, the POP3
 * maildrop and crash safety, plus the optional fast reads (`listUids`, `fetchFlags`, `readBlobs`) where the
 * adapter implements them. Checks that need a restart, a second store instance, several
 * processes or a crash run only when the adapter supplies the matching hook.
 */
import { describe } from 'vitest';
import { accountsSuite } from './accounts-suite.js';
import { bytesSuite } from './bytes-suite.js';
import { changesSuite } from './changes-suite.js';
import { Harness, type StoreConformanceOptions } from './harness.js';
import { maildropSuite } from './maildrop-suite.js';
import { messagesSuite } from './messages-suite.js';
import { optionalReadsSuite } from './optional-reads-suite.js';

export type {
  ConformanceCapabilities,
  CrashHooks,
  MultiProcessHooks,
  StoreConformanceOptions,
} from './harness.js';
export { conformanceMessage } from './harness.js';

/**
 * Registers the conformance suites for an adapter (call it at the top level of a test file).
 *
 * @example
 * runStoreConformance({
 *   name: 'memory',
 *   create: async () => createMemoryStore({ expungeHistory: 50 }),
 *   capabilities: { expungeHistory: 50, blobsInMemory: true },
 * });
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  describe(`${options.name}: store conformance`, () => {
    const h = new Harness(options);
    accountsSuite(h);
    messagesSuite(h);
    changesSuite(h);
    bytesSuite(h);
    maildropSuite(h);
    optionalReadsSuite(h);
  });
}
