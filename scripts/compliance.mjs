#!/usr/bin/env node
// Builds docs/compliance.md from the "## Compliance" section of each package's page, so the
// RFC/extension matrix is written once, next to the code it describes.
// Usage: node scripts/compliance.mjs [--check]   (--check exits 1 when the file is out of date)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const pages = [
  ['core', '@mailwire/core'],
  ['node', '@mailwire/node'],
  ['smtp', '@mailwire/smtp'],
  ['delivery', '@mailwire/delivery (and the SMTP client)'],
  ['dns', '@mailwire/dns'],
  ['auth', '@mailwire/auth'],
  ['imap', '@mailwire/imap'],
  ['mime', '@mailwire/mime'],
  ['pop3', '@mailwire/pop3'],
  ['store', '@mailwire/store'],
  ['store-sqlite', '@mailwire/store-sqlite'],
  ['store-maildir', '@mailwire/store-maildir'],
  ['store-postgres', '@mailwire/store-postgres'],
];

export function build() {
  let out = `# RFC and extension compliance

What each package implements, section by section, with an honest status: **full**, **partial**
(what is missing is said), or **not yet**. Each table lives in its package's page and is gathered
here by \`node scripts/compliance.mjs\`; a test fails when this file is out of date.

`;
  for (const [page, title] of pages) {
    const file = join(docs, `${page}.md`);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const start = text.search(/^## Compliance.*$/m);
    if (start === -1) continue;
    const rest = text.slice(start);
    const body = rest.replace(/^## Compliance.*\n/, '');
    const next = body.search(/^## /m);
    const section = (next === -1 ? body : body.slice(0, next)).trim();
    out += `## ${title}\n\nFrom [${page}.md](${page}.md).\n\n${section.replace(/^### /gm, '#### ')}\n\n`;
  }
  return `${out.trimEnd()}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = join(docs, 'compliance.md');
  const content = build();
  if (process.argv.includes('--check')) {
    const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
    if (current !== content) {
      console.error('docs/compliance.md is out of date: run node scripts/compliance.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(target, content);
  }
}
