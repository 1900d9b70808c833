/**
 * Runs benchmark suites and, with `--write`, records their tables in docs/benchmarks.md between
 * `<!-- bench:NAME -->` markers. Usage: `pnpm bench [suite…] [--write]` (all suites by default).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';

const suites: Record<string, () => Promise<{ run: () => Promise<string> }>> = {
  mime: () => import('./mime.bench.js'),
  'imap-parser': () => import('./imap-parser.bench.js'),
  smtp: () => import('./smtp.bench.js'),
  'smtp-session': () => import('./smtp-session.bench.js'),
  'store-sqlite': () => import('./store-sqlite.bench.js'),
  'imap-server': () => import('./imap-server.bench.js'),
  dkim: () => import('./dkim.bench.js'),
};

const args = process.argv.slice(2);
const write = args.includes('--write');
const selected = args.filter((a) => !a.startsWith('--'));
const names = selected.length > 0 ? selected : Object.keys(suites);
const docPath = resolve(import.meta.dirname, '../../docs/benchmarks.md');

const machine = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
for (const name of names) {
  const load = suites[name];
  if (!load) throw new Error(`unknown suite ${name}; known: ${Object.keys(suites).join(', ')}`);
  console.error(`# ${name}`);
  const markdown = `${await (await load()).run()}\n_${machine}; run on ${new Date().toISOString().slice(0, 10)}._\n`;
  console.log(markdown);
  if (write) {
    const doc = readFileSync(docPath, 'utf8');
    const open = `<!-- bench:${name} -->`;
    const close = `<!-- /bench:${name} -->`;
    const start = doc.indexOf(open);
    const end = doc.indexOf(close);
    if (start === -1 || end === -1)
      throw new Error(`docs/benchmarks.md lacks the ${open} … ${close} markers`);
    writeFileSync(docPath, `${doc.slice(0, start + open.length)}\n${markdown}\n${doc.slice(end)}`);
  }
}
