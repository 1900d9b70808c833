/**
 * IMAP command parsing: `@mailwire/imap` (fragmentizer over the raw byte stream + grammar) against
 * emailjs-imap-handler's `parser()` and WildDuck's imap-core parser, on one corpus of the commands
 * clients send most (`imapCommands` in corpus.ts), and on APPENDs carrying a 1 MB literal.
 *
 * Each peer is given exactly what its server hands it in production:
 * - WildDuck (imap-core/lib/imap-command.js): `parser(payload, { literals })`, where `payload` is
 *   the command line as a binary (latin1) string, already cut from the stream by its IMAPStream,
 *   without CRLF; for a literal the line ends with `{n}` + CRLF and the literal's bytes come
 *   separately as a Buffer in `literals` (the parser never walks them).
 * - emailjs-imap-handler: the whole command as bytes, literals inline, without the final CRLF.
 *
 * WildDuck is not a dependency (it drags in MongoDB and 100+ packages): its pinned tarball is
 * fetched once with `npm pack` into bench/.cache, and only the parser's two files are extracted.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Fragmentizer, parseCommand } from '@mailwire/imap';
import emailjs from 'emailjs-imap-handler';
import { imapCommands, multipartMessage } from './corpus.js';
import { measure, table } from './harness.js';

const WILDDUCK = 'wildduck@1.46.1';
const HANDLER = 'package/imap-core/lib/handler';

type WildDuckParser = (command: string, options: { literals: Buffer[] }) => { command?: string };

/** Fetches the pinned WildDuck tarball once and loads its imap-core command parser. */
function loadWildDuckParser(): WildDuckParser {
  const cache = resolve(import.meta.dirname, '../.cache');
  const dir = join(cache, WILDDUCK.replace('@', '-'));
  const file = join(dir, HANDLER, 'imap-parser.js');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tarball = join(cache, `${WILDDUCK.replace('@', '-')}.tgz`);
    if (!existsSync(tarball)) {
      execFileSync('npm', ['pack', WILDDUCK, '--pack-destination', cache], {
        cwd: cache,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    // imap-formal-syntax.js is the parser's only require.
    execFileSync('tar', [
      '-xzf',
      tarball,
      '-C',
      dir,
      `${HANDLER}/imap-parser.js`,
      `${HANDLER}/imap-formal-syntax.js`,
    ]);
  }
  return createRequire(import.meta.url)(file) as WildDuckParser;
}

const wildduckParser = loadWildDuckParser();
const emailjsParser = (emailjs as unknown as { parser: (command: Uint8Array) => unknown }).parser;
const encoder = new TextEncoder();
const smallCorpus = imapCommands.map((c) => encoder.encode(c));
// IMAPStream decodes the socket's chunks as 'binary' and cuts lines out of that string.
const wildduckCorpus = imapCommands.map((c) => Buffer.from(c, 'latin1').toString('binary'));
const smallStream = encoder.encode(`${imapCommands.join('\r\n')}\r\n`);

const literal = multipartMessage(1024 * 1024);
const appendHead = encoder.encode(`a20 APPEND INBOX (\\Seen) {${literal.length}+}\r\n`);
const appendStream = Buffer.concat([appendHead, literal, encoder.encode('\r\n')]);
// emailjs-imap-handler wants the whole command in one buffer without the final CRLF.
const appendForEmailjs = Buffer.concat([
  encoder.encode(`a20 APPEND INBOX (\\Seen) {${literal.length}}\r\n`),
  literal,
]);
// WildDuck: the line up to `{n}`, then (IMAPCommand.append) CRLF, then the (empty) rest of the
// command after the literal; the literal itself arrives as a Buffer (it has no LITERAL+).
const appendForWildDuck = `a20 APPEND INBOX (\\Seen) {${literal.length}}\r\n`;

function mailwire(stream: Uint8Array, reps: number, expected: number): void {
  let parsed = 0;
  for (let r = 0; r < reps; r++) {
    const f = new Fragmentizer();
    f.push(stream);
    for (let frag = f.next(); frag; frag = f.next()) {
      if (frag.type === 'command' && parseCommand(frag.frame).ok) parsed++;
    }
  }
  if (parsed !== reps * expected) throw new Error(`mailwire parsed ${parsed} of ${reps * expected}`);
}

function wildduckSmall(reps: number): void {
  for (let r = 0; r < reps; r++) for (const c of wildduckCorpus) wildduckParser(c, { literals: [] });
}

// Every contender must understand every command of the corpus before anything is timed.
for (const c of wildduckCorpus) {
  if (!wildduckParser(c, { literals: [] }).command) throw new Error(`WildDuck failed on ${c}`);
}
{
  const parsed = wildduckParser(appendForWildDuck, { literals: [literal] }) as {
    attributes?: { value?: unknown }[];
  };
  if ((parsed.attributes?.[2]?.value as Buffer | undefined)?.length !== literal.length)
    throw new Error('WildDuck did not take the APPEND literal');
}
mailwire(smallStream, 1, imapCommands.length);

const MAILWIRE = 'Mailwire (fragmentizer + parser, from the byte stream)';
const WILDDUCK_SMALL = 'WildDuck imap-core (lines pre-cut as strings, literals apart)';
const EMAILJS_SMALL = 'emailjs-imap-handler (commands pre-cut)';

export async function run(): Promise<string> {
  const reps = 2000;
  const small = await measure(
    [
      { name: MAILWIRE, run: () => mailwire(smallStream, reps, imapCommands.length) },
      { name: WILDDUCK_SMALL, run: () => wildduckSmall(reps) },
      {
        name: EMAILJS_SMALL,
        run: () => {
          for (let r = 0; r < reps; r++) for (const c of smallCorpus) emailjsParser(c);
        },
      },
    ],
    { ops: reps * imapCommands.length, bytes: reps * smallStream.length, baseline: WILDDUCK_SMALL },
  );
  const bigReps = 20;
  const WILDDUCK_BIG = 'WildDuck imap-core (line pre-cut, 1 MB literal passed apart as a Buffer)';
  const EMAILJS_BIG = 'emailjs-imap-handler (command pre-cut, literal inline)';
  const big = await measure(
    [
      { name: MAILWIRE, run: () => mailwire(appendStream, bigReps, 1) },
      {
        name: WILDDUCK_BIG,
        run: () => {
          for (let r = 0; r < bigReps; r++) wildduckParser(appendForWildDuck, { literals: [literal] });
        },
      },
      {
        name: EMAILJS_BIG,
        run: () => {
          for (let r = 0; r < bigReps; r++) emailjsParser(appendForEmailjs);
        },
      },
    ],
    { ops: bigReps, bytes: bigReps * appendStream.length, baseline: EMAILJS_BIG, runs: 5 },
  );
  return `${table(`A realistic mix of ${imapCommands.length} client commands`, small, 'commands/s')}\n${table('APPEND with a 1 MB literal', big, 'commands/s')}`;
}
