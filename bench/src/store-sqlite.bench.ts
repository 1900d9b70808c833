/**
 * The embedded default store against the targets: 10,000 appends of distinct 10 KB
 * messages (target < 10 s on 2 cores), and FLAGS of 100,000 messages read without opening a blob.
 *
 * Append workloads, each on a fresh store directory, every message distinct (no dedup), every
 * append durable (acknowledged only after its file, directory and WAL fsyncs) unless stated:
 * - sequential: one append in flight, each awaited before the next starts;
 * - N appenders: N loops each awaiting its own append (like N SMTP sessions delivering at once);
 *   the store's group commit makes the appends in flight durable together;
 * - appendMany: batches of 100 messages, one call (one MULTIAPPEND) after the other;
 * - no fsync: the CPU cost alone (`fsync: false`, `synchronous: 'normal'`), 64 in flight.
 * The disk's fsync latency is measured first, because it bounds every durable append. The
 * concurrent workloads run twice: in this process (libuv's default 4 thread-pool threads, so at
 * most 4 fsyncs at once) and in a child process started with UV_THREADPOOL_SIZE=16 (the variable
 * is read once, when the pool starts, so only a new process can change it).
 * The in-memory reference adapter runs the sequential steps as a ceiling.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { link, open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createMemoryStore, type MailStore } from '@mailwire/store';
import { createScryptHasher } from '@mailwire/store/node';
import { createSqliteStore, type SqliteStoreOptions } from '@mailwire/store-sqlite';

const APPENDS = 10_000;
const FLAGS_MESSAGES = 100_000;

function message(i: number, size = 10 * 1024): Uint8Array {
  const head = `From: a@example.test\r\nTo: b@example.test\r\nSubject: bench ${i}\r\nMessage-ID: <${i}@bench>\r\n\r\n`;
  let text = head;
  while (text.length < size) text += `${'x'.repeat(76)}\r\n`;
  return new TextEncoder().encode(text.slice(0, size));
}

type Mode =
  | { kind: 'sequential' }
  | { kind: 'concurrent'; appenders: number }
  | { kind: 'many'; batch: number };

interface Row {
  name: string;
  seconds: number;
  batches?: number;
  flagsMs?: number;
}

interface GroupStats {
  batches: number;
}

function groupStats(store: MailStore): GroupStats | undefined {
  const committer = (store as { _groupCommit?: { stats: GroupStats } })._groupCommit;
  return committer === undefined ? undefined : { batches: committer.stats.batches };
}

async function appendAll(
  store: MailStore,
  mailboxId: string,
  messages: Uint8Array[],
  mode: Mode,
): Promise<void> {
  const options = { internalDate: 1_700_000_000_000 };
  if (mode.kind === 'sequential') {
    for (const m of messages) await store.append(mailboxId, m, options);
  } else if (mode.kind === 'concurrent') {
    let next = 0;
    const session = async () => {
      while (next < messages.length) await store.append(mailboxId, messages[next++]!, options);
    };
    await Promise.all(Array.from({ length: mode.appenders }, session));
  } else {
    for (let i = 0; i < messages.length; i += mode.batch) {
      const items = messages.slice(i, i + mode.batch).map((source) => ({ source, ...options }));
      await store.appendMany!(mailboxId, items);
    }
  }
}

/** FLAGS of many messages: fills a second mailbox with small messages, then reads metadata only. */
async function measureFlags(store: MailStore, accountId: string): Promise<number> {
  const big = await store.createMailbox(accountId, 'Big');
  const small = new TextEncoder().encode('Subject: s\r\n\r\nx\r\n');
  const batch = 1000;
  for (let i = 0; i < FLAGS_MESSAGES; i += batch) {
    const items = Array.from({ length: Math.min(batch, FLAGS_MESSAGES - i) }, () => ({
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
  if (metas.length !== FLAGS_MESSAGES) throw new Error(`fetched ${metas.length} of ${FLAGS_MESSAGES}`);
  return flagsMs;
}

async function measure(name: string, open: () => MailStore, mode: Mode, flags: boolean): Promise<Row> {
  const store = open();
  try {
    const account = await store.accounts.createAccount({ address: 'bench@example.test' });
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
    const messages = Array.from({ length: APPENDS }, (_, i) => message(i));
    const t0 = performance.now();
    await appendAll(store, inbox.id, messages, mode);
    const seconds = (performance.now() - t0) / 1000;
    const info = (await store.getMailboxById(inbox.id))!;
    if (info.messages !== APPENDS) throw new Error(`${name}: ${info.messages} of ${APPENDS} messages`);
    const row: Row = { name, seconds };
    const stats = groupStats(store);
    if (stats !== undefined) row.batches = stats.batches;
    if (flags) row.flagsMs = await measureFlags(store, account.id);
    console.error(`  ${name}: ${seconds.toFixed(2)} s`);
    return row;
  } finally {
    await store.close();
  }
}

const here = fileURLToPath(import.meta.url);

/** Runs one durable workload in a child process whose thread pool has `pool` threads. */
function measureInChild(name: string, mode: Mode, pool: number): Promise<Row> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=@mailwire/source', '--import', 'tsx', here, JSON.stringify({ name, mode })],
      { env: { ...process.env, UV_THREADPOOL_SIZE: String(pool) }, maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Row);
      },
    );
  });
}

if (process.argv[1] === here && process.argv[2] !== undefined) {
  const { name, mode } = JSON.parse(process.argv[2]) as { name: string; mode: Mode };
  const path = mkdtempSync(join(tmpdir(), 'mailwire-bench-store-'));
  try {
    const hasher = createScryptHasher({ cost: 1024 });
    const row = await measure(name, () => createSqliteStore({ path, hasher }), mode, false);
    console.log(JSON.stringify(row));
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;

/** The disk's fsync latencies, the physical floor under every durable append. */
async function fsyncLatency(dir: string): Promise<{ one: number; parallel64: number; dirs: number }> {
  const body = message(0);
  const write = async (name: string) => {
    const file = await open(join(dir, name), 'wx');
    await file.write(body);
    return file;
  };
  const one: number[] = [];
  const parallel: number[] = [];
  const dirs: number[] = [];
  let k = 0;
  for (let d = 0; d < 64; d++) mkdirSync(join(dir, `d${d}`));
  for (let round = 0; round < 9; round++) {
    const single = await write(`f${k++}`);
    let t = performance.now();
    await single.sync();
    one.push(performance.now() - t);
    await single.close();
    const files = await Promise.all(Array.from({ length: 64 }, () => write(`f${k++}`)));
    t = performance.now();
    await Promise.all(files.map((f) => f.sync()));
    parallel.push(performance.now() - t);
    await Promise.all(files.map((f) => f.close()));
    await Promise.all(
      Array.from({ length: 64 }, (_, i) => link(join(dir, `f${k - 64 + i}`), join(dir, `d${i}`, `l${k}`))),
    );
    t = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const h = await open(join(dir, `d${i}`), 'r');
        await h.sync();
        await h.close();
      }),
    );
    dirs.push(performance.now() - t);
  }
  return { one: median(one), parallel64: median(parallel), dirs: median(dirs) };
}

export async function run(): Promise<string> {
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  const hasher = createScryptHasher({ cost: 1024 });
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailwire-bench-store-'));
    dirs.push(dir);
    return dir;
  };
  const sqlite = (options: Partial<SqliteStoreOptions> = {}) => {
    const path = fresh();
    return () => createSqliteStore({ path, hasher, ...options });
  };
  const rows: Row[] = [];
  let latency: Awaited<ReturnType<typeof fsyncLatency>>;
  try {
    latency = await fsyncLatency(fresh());
    rows.push(
      await measure('sequential (1 in flight), synchronous=full', sqlite(), { kind: 'sequential' }, true),
    );
    rows.push(
      await measure(
        'sequential (1 in flight), synchronous=normal',
        sqlite({ synchronous: 'normal' }),
        { kind: 'sequential' },
        false,
      ),
    );
    for (const appenders of [20, 64]) {
      rows.push(
        await measure(
          `${appenders} appenders in flight, synchronous=full`,
          sqlite(),
          { kind: 'concurrent', appenders },
          false,
        ),
      );
    }
    rows.push(
      await measure(
        'appendMany, batches of 100, synchronous=full',
        sqlite(),
        { kind: 'many', batch: 100 },
        false,
      ),
    );
    const concurrent: [string, Mode][] = [
      ['20 appenders in flight', { kind: 'concurrent', appenders: 20 }],
      ['64 appenders in flight', { kind: 'concurrent', appenders: 64 }],
      ['appendMany, batches of 100', { kind: 'many', batch: 100 }],
    ];
    for (const [name, mode] of concurrent) {
      const row = await measureInChild(`${name}, synchronous=full, UV_THREADPOOL_SIZE=16`, mode, 16);
      console.error(`  ${row.name}: ${row.seconds.toFixed(2)} s`);
      rows.push(row);
    }
    rows.push(
      await measure(
        '64 in flight, no fsync at all (fsync=false, synchronous=normal): CPU cost',
        sqlite({ fsync: false, synchronous: 'normal' }),
        { kind: 'concurrent', appenders: 64 },
        false,
      ),
    );
    rows.push(
      await measure(
        'memory store (reference), sequential',
        () => createMemoryStore({ hasher }),
        { kind: 'sequential' },
        true,
      ),
    );
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  const n = APPENDS.toLocaleString('en-US');
  let out = `| workload | ${n} appends of 10 KB (s) | appends/s | batches (group commits) | FLAGS of ${FLAGS_MESSAGES.toLocaleString('en-US')} messages (ms) |\n|---|---:|---:|---:|---:|\n`;
  for (const r of rows) {
    out += `| ${r.name} | ${r.seconds.toFixed(2)} | ${Math.round(APPENDS / r.seconds).toLocaleString('en-US')} | ${r.batches?.toLocaleString('en-US') ?? '—'} | ${r.flagsMs === undefined ? '—' : r.flagsMs.toFixed(0)} |\n`;
  }
  const pool = process.env.UV_THREADPOOL_SIZE ?? '4 (the default)';
  return `${out}
Every message is distinct (no dedup) and every durable append resolves only after its file, its directory and the WAL commit were fsynced. "N appenders" are N loops each awaiting its own \`append\` (N SMTP sessions delivering at once); appendMany is one MULTIAPPEND of 100 after another. FLAGS is read once, after filling a second mailbox of the first store with 100,000 small messages.

Disk at the time (median of 9): fsync of one new 10 KB file ${latency.one.toFixed(2)} ms; 64 such files fsynced concurrently ${latency.parallel64.toFixed(1)} ms in all; 64 directories fsynced concurrently ${latency.dirs.toFixed(1)} ms. UV_THREADPOOL_SIZE=${pool} in this process; rows marked UV_THREADPOOL_SIZE=16 ran in a child process started with it. Load average before the run: ${loadBefore}.
`;
}
