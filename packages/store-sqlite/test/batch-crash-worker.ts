/**
 * A writer that dies inside a group-commit batch: its files are fsynced and linked under their
 * final names, then SIGKILL arrives right before the batch's transaction. Started with `fork()`;
 * the parent sends `{ path, mailboxId, count }` and expects the process to die by SIGKILL.
 */
import { createSqliteStore } from '../src/index.js';

process.once('message', async (job: { path: string; mailboxId: string; count: number }) => {
  const store = createSqliteStore({ path: job.path });
  store._groupCommit.beforeCommit = () => process.kill(process.pid, 'SIGKILL');
  const appends = Array.from({ length: job.count }, (_, i) =>
    store.append(
      job.mailboxId,
      new TextEncoder().encode(`Subject: lost ${i}\r\n\r\nnever acknowledged ${i}\r\n`),
      {
        internalDate: i,
      },
    ),
  );
  const many = store.appendMany(job.mailboxId, [
    { source: new TextEncoder().encode('Subject: many 1\r\n\r\n'), internalDate: 1 },
    { source: new TextEncoder().encode('Subject: many 2\r\n\r\n'), internalDate: 2 },
  ]);
  await Promise.allSettled([...appends, many]);
  // Not reached: the batch never commits.
  process.send!({ survived: true });
});
