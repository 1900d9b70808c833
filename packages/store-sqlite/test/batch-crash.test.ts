/**
 * A group-commit batch interrupted (SIGKILL) after its files were made durable and linked, before
 * its transaction: no message of it is visible, and what it left on disk breaks nothing.
 */
import { fork } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { bytes, cleanupDirs, collect, openStore, tempDir } from './helpers.js';

afterEach(cleanupDirs);

const here = dirname(fileURLToPath(import.meta.url));

function finalFiles(dir: string): string[] {
  const shards = readdirSync(join(dir, 'blobs')).filter((d) => /^[0-9a-f]{2}$/.test(d));
  return shards.flatMap((d) => readdirSync(join(dir, 'blobs', d)).map((f) => d + f));
}

function runWorker(job: {
  path: string;
  mailboxId: string;
  count: number;
}): Promise<{ signal: string | null; survived: boolean }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'batch-crash-worker.ts'), [], {
      cwd: join(here, '..'),
      execArgv: ['--conditions=@mailwire/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let survived = false;
    child.on('message', () => {
      survived = true;
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ signal, survived }));
    child.send(job);
  });
}

it('leaves no visible message and no harmful leftovers when a batch dies before its commit', async () => {
  const dir = tempDir();
  let store = openStore(dir);
  const account = await store.accounts.createAccount({ address: 'c@example.com' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  const kept = await store.append(inbox.id, bytes('Subject: kept\r\n\r\nkept\r\n'), { internalDate: 1 });
  await store.close();

  const run = await runWorker({ path: dir, mailboxId: inbox.id, count: 8 });
  expect(run).toEqual({ signal: 'SIGKILL', survived: false });
  // The batch got as far as durable files under their final names (10 orphans) and temp files.
  const orphans = finalFiles(dir).filter((h) => h !== kept.blobId);
  expect(orphans).toHaveLength(10);
  expect(readdirSync(join(dir, 'blobs', 'tmp')).length).toBeGreaterThan(0);

  // Reopen (default sweep 'safe'): nothing of the batch is visible, the store is consistent.
  store = openStore(dir);
  expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
  const info = (await store.getMailboxById(inbox.id))!;
  expect(info.messages).toBe(1);
  expect(info.uidNext).toBe(2);
  expect((await store.fetchMessages(inbox.id, [[1, 100]])).map((m) => m.uid)).toEqual([1]);
  expect(await store.verify()).toEqual({ missing: [], damaged: [], counters: [] });
  expect((await store.accounts.getQuota(account.id)).usage.messages).toBe(1);

  // An orphan is complete and correct: the same message appended again reuses it and reads back.
  const text = 'Subject: lost 3\r\n\r\nnever acknowledged 3\r\n';
  const again = await store.append(inbox.id, bytes(text), { internalDate: 3 });
  expect(again.uid).toBe(2);
  expect(orphans).toContain(again.blobId);
  expect((await collect(await store.readMessage({ mailboxId: inbox.id, uid: again.uid }))).toString()).toBe(
    text,
  );
  // New appends work as before.
  const fresh = await store.append(inbox.id, bytes('Subject: fresh\r\n\r\n'), { internalDate: 4 });
  expect(fresh.uid).toBe(3);
  await store.close();

  // sweep 'full' deletes the orphans no row names, and only those.
  store = openStore(dir, { sweep: 'full' });
  const left = finalFiles(dir);
  expect(left.sort()).toEqual([kept.blobId, again.blobId, fresh.blobId].sort());
  for (const blobId of left)
    expect(existsSync(join(dir, 'blobs', blobId.slice(0, 2), blobId.slice(2)))).toBe(true);
  expect(await store.verify()).toEqual({ missing: [], damaged: [], counters: [] });
  await store.close();
});
