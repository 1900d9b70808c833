/**
 * The IMAP server against Dovecot, side by side in one run, on the same mailbox:
 * - Dovecot (Debian `dovecot-imapd`) on a Maildir written directly, with a throwaway config in a
 *   temp dir, plaintext LOGIN on 127.0.0.1 (src/imap-server/servers.ts);
 * - Mailwire: `@mailwire/imap` serve() over `@mailwire/node` listen() on the SQLite store, in a
 *   child process (src/imap-server/mailwire-imap.ts).
 * Servers run pinned to core 0, this process (the client) to core 1. A raw-socket client
 * (src/imap-server/client.ts) logs in, SELECTs (the first SELECT lets Dovecot build its index and
 * is not timed), then times each command: warm-up runs, then runs interleaved between the two
 * servers, median in milliseconds. Both servers must return the same number of messages.
 *
 * 10,000 messages by default (MAILWIRE_BENCH_IMAP_MESSAGES to change it); set
 * MAILWIRE_BENCH_IMAP_LARGE=1 to add a 100,000-message mailbox.
 * The Mailwire server runs with the store's default options; MAILWIRE_BENCH_MIME_CACHE sets its
 * mimeCacheEntries (to compare).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RawImapClient, type Reply } from './imap-server/client.js';
import { SEARCH_WORD } from './imap-server/mailbox.js';
import { PASSWORD, USER, populateMaildir, populateSqlite } from './imap-server/populate.js';
import {
  dovecotInstalled,
  dovecotMailUser,
  pinSelf,
  type RunningServer,
  startDovecot,
  startMailwire,
} from './imap-server/servers.js';

interface Operation {
  readonly name: string;
  readonly command: string;
  /** What both servers must agree on. */
  readonly count: (reply: Reply) => number;
}

const operations: Operation[] = [
  { name: 'SELECT INBOX', command: 'SELECT INBOX', count: (r) => r.exists },
  { name: 'FETCH 1:* (FLAGS)', command: 'FETCH 1:* (FLAGS)', count: (r) => r.fetches },
  {
    name: `UID SEARCH SUBJECT "${SEARCH_WORD}"`,
    command: `UID SEARCH SUBJECT "${SEARCH_WORD}"`,
    count: (r) => r.searchHits,
  },
  { name: 'FETCH 1:1000 BODY.PEEK[]', command: 'FETCH 1:1000 BODY.PEEK[]', count: (r) => r.fetches },
  {
    name: 'FETCH 1:* (ENVELOPE BODYSTRUCTURE)',
    command: 'FETCH 1:* (ENVELOPE BODYSTRUCTURE)',
    count: (r) => r.fetches,
  },
];

interface Contender {
  readonly name: string;
  readonly client: RawImapClient;
}

interface Timed {
  readonly ms: number;
  readonly reply: Reply;
}

async function timed(client: RawImapClient, command: string): Promise<Timed> {
  const start = performance.now();
  const reply = await client.command(command);
  const ms = performance.now() - start;
  if (reply.status !== 'OK') throw new Error(`${command}: ${reply.text}`);
  return { ms, reply };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function ms(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
}

async function login(port: number): Promise<RawImapClient> {
  const client = await RawImapClient.connect(port);
  const reply = await client.command(`LOGIN "${USER}" "${PASSWORD}"`);
  if (reply.status !== 'OK') throw new Error(`LOGIN: ${reply.text}`);
  return client;
}

async function benchMailbox(count: number, runs: number, warmup: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mailwire-bench-imap-'));
  const servers: RunningServer[] = [];
  const clients: RawImapClient[] = [];
  try {
    const mailUser = dovecotMailUser();
    let t = performance.now();
    populateMaildir(join(dir, 'Maildir'), count, mailUser.uid, mailUser.gid);
    const maildirSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await populateSqlite(join(dir, 'sqlite'), count);
    const sqliteSeconds = (performance.now() - t) / 1000;

    const dovecot = await startDovecot(dir);
    servers.push(dovecot);
    const mailwire = await startMailwire(join(dir, 'sqlite'));
    servers.push(mailwire);
    const contenders: Contender[] = [
      { name: 'Dovecot', client: await login(dovecot.port) },
      { name: 'Mailwire', client: await login(mailwire.port) },
    ];
    for (const c of contenders) clients.push(c.client);
    // The first SELECT: Dovecot scans the Maildir and builds its index here.
    const firstSelect = new Map<string, number>();
    for (const c of contenders) {
      const r = await timed(c.client, 'SELECT INBOX');
      if (r.reply.exists !== count)
        throw new Error(`${c.name}: ${r.reply.exists} messages, expected ${count}`);
      firstSelect.set(c.name, r.ms);
    }

    const loadBefore = loadavg()[0]!;
    let out = `#### ${count.toLocaleString('en-US')} messages\n\n`;
    out +=
      '| operation | Dovecot ms | Mailwire ms | ratio (Mailwire / Dovecot) | first run ms (Dovecot / Mailwire) | messages | KB received (Dovecot / Mailwire) |\n';
    out += '|---|---:|---:|---:|---:|---:|---:|\n';
    const problems: string[] = [];
    for (const op of operations) {
      const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
      const first = new Map<string, Timed>();
      const last = new Map<string, Timed>();
      for (const c of contenders) {
        for (let i = 0; i < warmup; i++) {
          const r = await timed(c.client, op.command);
          if (i === 0) first.set(c.name, r);
        }
      }
      for (let run = 0; run < runs; run++) {
        for (const c of contenders) {
          const r = await timed(c.client, op.command);
          samples.get(c.name)!.push(r.ms);
          last.set(c.name, r);
        }
      }
      const d = median(samples.get('Dovecot')!);
      const m = median(samples.get('Mailwire')!);
      const dr = last.get('Dovecot')!.reply;
      const mr = last.get('Mailwire')!.reply;
      const same = op.count(dr) === op.count(mr);
      if (!same) problems.push(`${op.name}: Dovecot ${op.count(dr)}, Mailwire ${op.count(mr)}`);
      const firstD = op.name === 'SELECT INBOX' ? firstSelect.get('Dovecot')! : first.get('Dovecot')!.ms;
      const firstM = op.name === 'SELECT INBOX' ? firstSelect.get('Mailwire')! : first.get('Mailwire')!.ms;
      out += `| \`${op.name}\` | ${ms(d)} | ${ms(m)} | ${(m / d).toFixed(2)}× | ${ms(firstD)} / ${ms(firstM)} | ${
        same ? op.count(dr).toLocaleString('en-US') : `**differ: ${op.count(dr)} / ${op.count(mr)}**`
      } | ${Math.round(dr.bytes / 1024).toLocaleString('en-US')} / ${Math.round(mr.bytes / 1024).toLocaleString('en-US')} |\n`;
    }
    out += `\nMedian of ${runs} runs after ${warmup} warm-up runs, interleaved; one connection per server, client and servers on separate cores. `;
    out += `"first run" is the first warm-up run (for SELECT: the first SELECT of the session, when Dovecot indexes the Maildir). `;
    out += `Setup: Maildir written in ${maildirSeconds.toFixed(1)} s; SQLite store filled with appendMany (MIME index computed at append) in ${sqliteSeconds.toFixed(1)} s. `;
    out += `Machine load (1-minute average) ${loadBefore.toFixed(1)} before the timed runs, ${loadavg()[0]!.toFixed(1)} after.\n`;
    if (problems.length > 0) out += `\n**Count mismatches:** ${problems.join('; ')}\n`;
    return out;
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of servers) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<string> {
  if (!dovecotInstalled()) {
    return '_skipped: Dovecot not installed (`apt-get install dovecot-imapd`)._\n';
  }
  if (process.getuid?.() !== 0) {
    return '_skipped: the throwaway Dovecot instance needs root (it switches to the `dovecot` user)._\n';
  }
  pinSelf('1');
  try {
    const count = Number(process.env.MAILWIRE_BENCH_IMAP_MESSAGES ?? 10_000);
    let out =
      'Ratio = Mailwire / Dovecot, lower is better; the target is ≤ 1.5× on every command. The Mailwire server ' +
      "runs with the SQLite store's default options (its cache of parsed MIME indexes holds 20,000, a fifth of the " +
      'large mailbox; src/imap-server/mailwire-imap.ts). The bench checks that both servers ' +
      'return the same number of messages; the KB columns show the octets each sent. The 100,000-message tables need ' +
      '`MAILWIRE_BENCH_IMAP_LARGE=1` (about 10 minutes, 2 GB of temporary files).\n\n';
    out += await benchMailbox(count, 7, 2);
    if (process.env.MAILWIRE_BENCH_IMAP_LARGE === '1') out += `\n${await benchMailbox(100_000, 7, 2)}`;
    return out;
  } finally {
    pinSelf(`0-${cpus().length - 1}`);
  }
}
