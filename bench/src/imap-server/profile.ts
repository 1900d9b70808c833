/**
 * Profiling driver for the IMAP server benchmark (not a suite): fills a SQLite store once
 * (kept in the directory given, reused when it exists), starts the Mailwire server in a child
 * process with `--cpu-prof` (profiles in `<dir>/prof`), and runs each benchmark command a few
 * times against it, printing the median per command.
 *
 * Usage: node --conditions=@mailwire/source --import tsx src/imap-server/profile.ts <dir> [messages] [runs]
 * Open the `.cpuprofile` in Chrome DevTools (Performance) or speedscope.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RawImapClient } from './client.js';
import { SEARCH_WORD } from './mailbox.js';
import { PASSWORD, populateSqlite, USER } from './populate.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: profile.ts <dir> [messages] [runs]');
const count = Number(process.argv[3] ?? 10_000);
const runs = Number(process.argv[4] ?? 5);
const storeDir = join(dir, `sqlite-${count}`);
if (!existsSync(join(storeDir, 'mail.db'))) {
  mkdirSync(storeDir, { recursive: true });
  const t = performance.now();
  await populateSqlite(storeDir, count);
  console.error(`populated ${count} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const profDir = join(dir, 'prof');
mkdirSync(profDir, { recursive: true });
const child = spawn(
  process.execPath,
  [
    '--conditions=@mailwire/source',
    '--import',
    'tsx',
    ...(process.env.NO_PROF === '1' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`]),
    resolve(import.meta.dirname, 'mailwire-imap.ts'),
    storeDir,
  ],
  { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise<number>((ok) => {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /(\d+)\n/.exec(out);
    if (m) ok(Number(m[1]));
  });
});
const client = await RawImapClient.connect(port);
await client.command(`LOGIN "${USER}" "${PASSWORD}"`);
const commands = (
  process.env.COMMANDS?.split(';') ?? [
    'SELECT INBOX',
    'FETCH 1:* (FLAGS)',
    `UID SEARCH SUBJECT "${SEARCH_WORD}"`,
    'FETCH 1:1000 BODY.PEEK[]',
    'FETCH 1:* (ENVELOPE BODYSTRUCTURE)',
  ]
).map((c) => c.trim());
await client.command('SELECT INBOX');
for (const command of commands) {
  const times: number[] = [];
  let reply: Awaited<ReturnType<RawImapClient['command']>> | undefined;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    reply = await client.command(command);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${command.padEnd(40)} median ${times[times.length >> 1]!.toFixed(1)} ms  min ${times[0]!.toFixed(1)}  (${reply!.status}, fetches ${reply!.fetches}, hits ${reply!.searchHits}, ${Math.round(reply!.bytes / 1024)} KB)`,
  );
}
await client.close();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
