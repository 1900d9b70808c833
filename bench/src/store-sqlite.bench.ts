/**
 * The embedded default store against the targets: 10,000 appends of distinct 10 KB
 * messages (target < 10 s on 2 cores), and FLAGS of 100,000 messages read without opening a blob.
 * The in-memory reference adapter runs the same steps as a ceiling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMemoryStore, type MailStore } from '@mailwire/store';
import { createScryptHasher } from '@mailwire/store/node';
import { createSqliteStore } from '@mailwire/store-sqlite';

function message(i: number, size = 10 * 1024): Uint8Array {
  const head = `From: a@example.test\r\nTo: b@example.test\r\nSubject: bench ${i}\r\nMessage-ID: <${i}@bench>\r\n\r\n`;
  let text = head;
  while (text.length < size) text += `${'x'.repeat(76)}\r\n`;
  return new TextEncoder().encode(text.slice(0, size));
}

interface Row {
  name: string;
  appendSeconds: number;
  flagsMs: number;
}

async function measureStore(
  name: string,
  open: () => MailStore,
  appends: number,
  flagsMessages: number,
): Promise<Row> {
  let store = open();
  const account = await store.accounts.createAccount({ address: 'bench@example.test' });
  const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
  const messages = Array.from({ length: appends }, (_, i) => message(i));
  const t0 = performance.now();
  for (const m of messages) await store.append(inbox.id, m, { internalDate: 1_700_000_000_000 });
  const appendSeconds = (performance.now() - t0) / 1000;
  // FLAGS of many messages: fill a second mailbox with small messages, then read metadata only.
  const big = await store.createMailbox(account.id, 'Big');
  const small = new TextEncoder().encode('Subject: s\r\n\r\nx\r\n');
  const batch = 1000;
  for (let i = 0; i < flagsMessages; i += batch) {
    const items = Array.from({ length: Math.min(batch, flagsMessages - i) }, () => ({
      source: small,
      internalDate: 1_700_000_000_000,
      flags: ['\\Seen'],
    }));
    if (store.appendMany) await store.appendMany(big.id, items);
    else for (const item of items) await store.append(big.id, item.source, item);
  }
  const t1 = performance.now();
  const metas = await store.fetchMessages(big.id, [[1, Number.POSITIVE_INFINITY]]);
  const flagsMs = performance.now() - t1;
  if (metas.length !== flagsMessages) throw new Error(`${name}: fetched ${metas.length} of ${flagsMessages}`);
  await store.close();
  store = undefined as unknown as MailStore;
  return { name, appendSeconds, flagsMs };
}

export async function run(): Promise<string> {
  const appends = 10_000;
  const flagsMessages = 100_000;
  const hasher = createScryptHasher({ cost: 1024 });
  const dirs: string[] = [];
  const rows: Row[] = [];
  try {
    for (const synchronous of ['full', 'normal'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'mailwire-bench-store-'));
      dirs.push(dir);
      rows.push(
        await measureStore(
          `SQLite store, synchronous=${synchronous}`,
          () => createSqliteStore({ path: dir, hasher, synchronous }),
          appends,
          flagsMessages,
        ),
      );
    }
    rows.push(
      await measureStore(
        'memory store (reference)',
        () => createMemoryStore({ hasher }),
        appends,
        flagsMessages,
      ),
    );
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  let out = `| store | ${appends.toLocaleString('en-US')} appends of 10 KB (s) | appends/s | FLAGS of ${flagsMessages.toLocaleString('en-US')} messages (ms) |\n|---|---:|---:|---:|\n`;
  for (const r of rows) {
    out += `| ${r.name} | ${r.appendSeconds.toFixed(2)} | ${Math.round(appends / r.appendSeconds).toLocaleString('en-US')} | ${r.flagsMs.toFixed(0)} |\n`;
  }
  return `${out}\nAppends are sequential (one in flight), each durable before the next starts; every message is distinct (no dedup).\n`;
}
