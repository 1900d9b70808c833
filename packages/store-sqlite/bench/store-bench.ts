/**
 * Measurements for docs/store-sqlite.md (not a timed test). Run from packages/store-sqlite:
 *
 *     node --conditions=@mailwire/source --import tsx bench/store-bench.ts [appends] [flagsMessages] [sequential|concurrent]
 *
 * (`flagsMessages` 0 skips part 2; `UV_THREADPOOL_SIZE=16` lets more fsyncs run at once.)
 *
 * 1. N appends (default 10,000) of distinct 10 KB messages, one after the other, with
 *    synchronous=FULL (the default) and NORMAL, then with 16 appends in flight.
 * 2. FETCH FLAGS of M messages (default 100,000) in one mailbox, with the blob directory renamed
 *    away during the read to prove no blob is opened.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScryptHasher } from '@mailwire/store/node';
import { createSqliteStore, type SqliteStoreOptions } from '../src/index.js';

const appends = Number(process.argv[2] ?? 10_000);
const flagsMessages = Number(process.argv[3] ?? 100_000);
const hasher = createScryptHasher({ cost: 1024 });

function message(i: number, size = 10 * 1024): Uint8Array {
  const head = `From: a@example.com\r\nTo: b@example.com\r\nSubject: bench ${i}\r\nMessage-ID: <${i}@bench>\r\n\r\n`;
  const body = `${'x'.repeat(76)}\r\n`;
  let text = head;
  while (text.length < size) text += body;
  return new TextEncoder().encode(text.slice(0, size));
}

async function setup(options: Partial<SqliteStoreOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mailwire-bench-'));
  const store = createSqliteStore({ path: dir, hasher, ...options });
  const account = await store.accounts.createAccount({ address: 'bench@example.com' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  return { dir, store, account, inbox };
}

async function appendRun(
  label: string,
  options: Partial<SqliteStoreOptions>,
  inFlight: number,
): Promise<void> {
  const { dir, store, inbox } = await setup(options);
  const messages = Array.from({ length: appends }, (_, i) => message(i));
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < appends) {
        const i = next++;
        await store.append(inbox.id, messages[i]!, { internalDate: 1_700_000_000_000 });
      }
    }),
  );
  const ms = performance.now() - start;
  const info = (await store.getMailboxById(inbox.id))!;
  if (info.messages !== appends) throw new Error(`expected ${appends} messages, got ${info.messages}`);
  console.log(
    `${label}: ${appends} appends of 10 KB in ${(ms / 1000).toFixed(2)} s (${((appends / ms) * 1000).toFixed(0)}/s, ${(ms / appends).toFixed(3)} ms each)`,
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

async function flagsRun(): Promise<void> {
  const { dir, store, account, inbox } = await setup({ synchronous: 'normal' });
  const seedCount = 1000;
  for (let i = 0; i < seedCount; i += 100) {
    await store.appendMany(
      inbox.id,
      Array.from({ length: 100 }, (_, j) => ({
        source: message(i + j, 2048),
        internalDate: 1_700_000_000_000,
        flags: (i + j) % 3 === 0 ? ['\\Seen'] : [],
      })),
    );
  }
  const big = await store.createMailbox(account.id, 'Big');
  const fillStart = performance.now();
  while ((await store.getMailboxById(big.id))!.messages < flagsMessages) {
    await store.copy(inbox.id, [[1, Number.POSITIVE_INFINITY]], big.id);
  }
  const fillMs = performance.now() - fillStart;
  const count = (await store.getMailboxById(big.id))!.messages;
  const blobs = join(dir, 'blobs');
  renameSync(blobs, `${blobs}.away`);
  try {
    await store.fetchMessages(big.id, [[1, 1000]]);
    const start = performance.now();
    const metas = await store.fetchMessages(big.id, [[1, Number.POSITIVE_INFINITY]]);
    const ms = performance.now() - start;
    const seen = metas.filter((m) => m.flags.includes('\\Seen')).length;
    const statusStart = performance.now();
    const status = (await store.getMailboxById(big.id))!;
    const statusMs = performance.now() - statusStart;
    console.log(
      `FLAGS of ${metas.length} messages (blobs directory moved away): ${ms.toFixed(0)} ms (${((metas.length / ms) * 1000).toFixed(0)}/s); ${seen} \\Seen`,
    );
    console.log(
      `STATUS (counters, no scan): ${statusMs.toFixed(2)} ms — messages ${status.messages}, unseen ${status.unseen}, size ${status.size}`,
    );
    console.log(`(filled ${count} messages by COPY in ${(fillMs / 1000).toFixed(1)} s)`);
  } finally {
    renameSync(`${blobs}.away`, blobs);
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

/** The disk's fsync latency right now (the floor under every durable append). */
function fsyncProbe(): number {
  const dir = mkdtempSync(join(tmpdir(), 'mailwire-fsync-'));
  const data = new Uint8Array(10 * 1024);
  const n = 200;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const fd = openSync(join(dir, String(i)), 'w');
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
  }
  const ms = (performance.now() - start) / n;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const os = await import('node:os');
console.log(
  `node ${process.version}, ${os.cpus().length} CPUs, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(`fsync of a new 10 KB file: ${fsyncProbe().toFixed(2)} ms`);
const only = process.argv[4];
console.log(`UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
if (only === undefined || only === 'sequential') {
  await appendRun('synchronous=FULL, sequential', {}, 1);
  await appendRun('synchronous=NORMAL, sequential', { synchronous: 'normal' }, 1);
}
if (only === undefined || only === 'concurrent') {
  await appendRun('synchronous=FULL, 16 in flight', {}, 16);
  await appendRun('synchronous=FULL, 64 in flight', {}, 64);
  await appendRun(
    'no fsync at all (CPU cost only), 16 in flight',
    { synchronous: 'normal', fsync: false },
    16,
  );
}
if (flagsMessages > 0) await flagsRun();
