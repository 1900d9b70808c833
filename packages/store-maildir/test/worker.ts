/**
 * A writer in another process, for the multi-process and crash conformance checks. Started with
 * `fork()` (IPC, structured-clone serialisation). The parent sends
 * `{ path, address, mailbox, messages: { index, bytes }[] }`; the worker appends them and reports
 * `{ index, uid }` after each acknowledged append, then `{ done: true }`.
 */
import { createMaildirStore } from '../src/index.js';

interface Job {
  readonly path: string;
  readonly address: string;
  readonly mailbox: string;
  readonly messages: readonly { index: number; bytes: Uint8Array }[];
  /** Several appends in flight at once instead of one after another. */
  readonly parallel?: boolean;
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

process.once('message', async (job: Job) => {
  const store = createMaildirStore({ path: job.path });
  try {
    const account = await store.accounts.lookup(job.address);
    const mailbox = account && (await store.getMailbox(account.id, job.mailbox));
    if (mailbox === undefined) throw new Error(`no mailbox ${job.mailbox} for ${job.address}`);
    const one = async (m: { index: number; bytes: Uint8Array }) => {
      const result = await store.append(mailbox.id, m.bytes, { internalDate: 1_700_000_000_000 });
      await send({ index: m.index, uid: result.uid });
    };
    if (job.parallel === true) await Promise.all(job.messages.map(one));
    else for (const m of job.messages) await one(m);
    await store.close();
    await send({ done: true });
  } catch (error) {
    await send({ error: error instanceof Error ? error.stack : String(error) });
  }
  process.disconnect();
});
