/**
 * IMAP command parsing: `@mailwire/imap` (fragmentizer over the raw byte stream + grammar) against
 * WildDuck's imap-core parser and emailjs-imap-handler's `parser()`, on one corpus of the commands
 * clients send most (`imapCommands` in corpus.ts), and on APPENDs carrying a 1 MB literal.
 *
 * Each peer is given exactly what its server hands it in production:
 * - WildDuck (imap-core/lib/imap-command.js): `parser(payload, { literals })`, where `payload` is
 *   the command line as a binary (latin1) string, already cut from the stream by its IMAPStream,
 *   without CRLF; for a literal the line ends with `{n}` + CRLF and the literal's bytes come
 *   separately as a Buffer in `literals` (the parser never walks them). A second row runs
 *   WildDuck's IMAPStream in front of it, fed the raw bytes, as its server does.
 * - emailjs-imap-handler: the whole command as bytes, literals inline, without the final CRLF.
 * - Mailwire: the raw bytes (the 1 MB APPEND in 64 KiB chunks), its literal streamed on as views
 *   as the server session does, or gathered into one buffer.
 *
 * WildDuck is not a dependency (it drags in MongoDB and 100+ packages): its pinned tarball is
 * fetched once with `npm pack` into bench/.cache, and only the three files used are extracted.
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
const LIB = 'package/imap-core/lib';
const HANDLER = `${LIB}/handler`;

type WildDuckParser = (command: string, options: { literals: Buffer[] }) => { command?: string };

/** What IMAPStream hands its `oncommand` (imap-core/lib/imap-stream.js). */
interface StreamCommand {
  value: string;
  final: boolean;
  literal?: NodeJS.ReadableStream;
  readyCallback?: () => void;
}
interface WildDuckStream extends NodeJS.WritableStream {
  oncommand: (command: StreamCommand, callback: () => void) => void;
}
type WildDuckStreamClass = new () => WildDuckStream;

/** Fetches the pinned WildDuck tarball once and loads its imap-core command parser and stream. */
function loadWildDuck(): { parser: WildDuckParser; IMAPStream: WildDuckStreamClass } {
  const cache = resolve(import.meta.dirname, '../.cache');
  // Under a node_modules folder, so that `biome check .` leaves WildDuck's sources alone.
  const dir = join(cache, 'node_modules', WILDDUCK.replace('@', '-'));
  const file = join(dir, HANDLER, 'imap-parser.js');
  const streamFile = join(dir, LIB, 'imap-stream.js');
  if (!existsSync(file) || !existsSync(streamFile)) {
    mkdirSync(dir, { recursive: true });
    const tarball = join(cache, `${WILDDUCK.replace('@', '-')}.tgz`);
    if (!existsSync(tarball)) {
      execFileSync('npm', ['pack', WILDDUCK, '--pack-destination', cache], {
        cwd: cache,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    // imap-formal-syntax.js is the parser's only require, and imap-stream.js (the framing in
    // front of it) needs only node:stream; the package's own package.json (no "type") keeps
    // Node loading them as CommonJS under this ESM workspace.
    execFileSync('tar', [
      '-xzf',
      tarball,
      '-C',
      dir,
      'package/package.json',
      `${HANDLER}/imap-parser.js`,
      `${HANDLER}/imap-formal-syntax.js`,
      `${LIB}/imap-stream.js`,
    ]);
  }
  const require = createRequire(import.meta.url);
  return {
    parser: require(file) as WildDuckParser,
    IMAPStream: (require(streamFile) as { IMAPStream: WildDuckStreamClass }).IMAPStream,
  };
}

const wildduck = loadWildDuck();
const wildduckParser = wildduck.parser;
const emailjsParser = (emailjs as unknown as { parser: (command: Uint8Array) => unknown }).parser;
const encoder = new TextEncoder();
const smallCorpus = imapCommands.map((c) => encoder.encode(c));
// IMAPStream decodes the socket's chunks as 'binary' and cuts lines out of that string.
const wildduckCorpus = imapCommands.map((c) => Buffer.from(c, 'latin1').toString('binary'));
const smallStream = encoder.encode(`${imapCommands.join('\r\n')}\r\n`);

const literal = multipartMessage(1024 * 1024);
/** A socket delivers a large upload in chunks: both stream contenders get it 64 KiB at a time. */
function chunked(bytes: Uint8Array, size = 65536): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}
// Mailwire advertises LITERAL+; WildDuck does not, so its client sends a synchronising `{n}`.
const appendChunks = chunked(
  Buffer.concat([
    encoder.encode(`a20 APPEND INBOX (\\Seen) {${literal.length}+}\r\n`),
    literal,
    encoder.encode('\r\n'),
  ]),
);
const appendChunksSync = chunked(
  Buffer.concat([
    encoder.encode(`a20 APPEND INBOX (\\Seen) {${literal.length}}\r\n`),
    literal,
    encoder.encode('\r\n'),
  ]),
);
const appendBytes = appendChunks.reduce((n, c) => n + c.length, 0);
// emailjs-imap-handler wants the whole command in one buffer without the final CRLF.
const appendForEmailjs = Buffer.concat([
  encoder.encode(`a20 APPEND INBOX (\\Seen) {${literal.length}}\r\n`),
  literal,
]);
// WildDuck: the line up to `{n}`, then (IMAPCommand.append) CRLF, then the (empty) rest of the
// command after the literal; the literal itself arrives as a Buffer.
const appendForWildDuck = `a20 APPEND INBOX (\\Seen) {${literal.length}}\r\n`;

function mailwire(chunks: readonly Uint8Array[], reps: number, expected: number): void {
  let parsed = 0;
  for (let r = 0; r < reps; r++) {
    const f = new Fragmentizer();
    for (const chunk of chunks) {
      f.push(chunk);
      for (let frag = f.next(); frag; frag = f.next()) {
        if (frag.type === 'command' && parseCommand(frag.frame).ok) parsed++;
      }
    }
  }
  if (parsed !== reps * expected) throw new Error(`mailwire parsed ${parsed} of ${reps * expected}`);
}

/**
 * As the Mailwire server runs it (`appendStreamThreshold`, 64 KiB by default): an APPEND literal
 * over 64 KiB is handed out as views of the input chunks (`literal-data`), which the session
 * writes to the store, and is never gathered into one buffer; the rest of the command is parsed.
 */
function mailwireStreaming(chunks: readonly Uint8Array[], reps: number): void {
  let parsed = 0;
  let streamed = 0;
  for (let r = 0; r < reps; r++) {
    const f = new Fragmentizer({ streamAbove: 65536 });
    for (const chunk of chunks) {
      f.push(chunk);
      for (let frag = f.next(); frag; frag = f.next()) {
        if (frag.type === 'literal-start') f.accept();
        else if (frag.type === 'literal-data') streamed += frag.bytes.length;
        else if (frag.type === 'command' && parseCommand(frag.frame).ok) parsed++;
      }
    }
  }
  if (parsed !== reps || streamed !== reps * literal.length)
    throw new Error(`mailwire streamed ${streamed} octets and parsed ${parsed} of ${reps}`);
}

function wildduckSmall(reps: number): void {
  for (let r = 0; r < reps; r++) for (const c of wildduckCorpus) wildduckParser(c, { literals: [] });
}

/**
 * WildDuck as its server runs it: the socket's chunks go into an IMAPStream, and each command is
 * assembled and parsed as IMAPCommand.append/end do (imap-core/lib/imap-command.js: the line
 * text, CRLF after a literal, the literal's bytes gathered from its PassThrough and
 * concatenated), less logging and replies. Resolves once `expected` commands are parsed.
 */
function wildduckStream(chunks: readonly Uint8Array[], expected: number): Promise<void> {
  return new Promise((resolveAll, reject) => {
    const stream = new wildduck.IMAPStream();
    let payload = '';
    let literals: Buffer[] = [];
    let parsed = 0;
    stream.oncommand = (command, callback) => {
      payload += command.value;
      if (command.literal) {
        const parts: Buffer[] = [];
        command.literal.on('data', (part: Buffer) => parts.push(part));
        command.literal.on('end', () => {
          payload += '\r\n';
          literals.push(Buffer.concat(parts));
          command.readyCallback?.();
        });
        callback();
        return;
      }
      try {
        wildduckParser(payload, { literals });
      } catch (error) {
        reject(error);
        return;
      }
      payload = '';
      literals = [];
      if (++parsed === expected) resolveAll();
      callback();
    };
    for (const chunk of chunks) stream.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  });
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
mailwire([smallStream], 1, imapCommands.length);
mailwire(appendChunks, 1, 1);
mailwireStreaming(appendChunks, 1);

const MAILWIRE = 'Mailwire (fragmentizer + parser, from the byte stream)';
const WILDDUCK_STREAM = 'WildDuck imap-core (IMAPStream + parser, from the byte stream)';
const WILDDUCK_SMALL = 'WildDuck imap-core parser (lines pre-cut as strings)';
const EMAILJS_SMALL = 'emailjs-imap-handler (commands pre-cut)';

export async function run(): Promise<string> {
  // Runs of a few hundred milliseconds and 11 of them: the shared machine's load swings less.
  const reps = 5000;
  const smallStreams = new Array<Uint8Array>(reps).fill(smallStream);
  const small = await measure(
    [
      { name: MAILWIRE, run: () => mailwire([smallStream], reps, imapCommands.length) },
      { name: WILDDUCK_SMALL, run: () => wildduckSmall(reps) },
      { name: WILDDUCK_STREAM, run: () => wildduckStream(smallStreams, reps * imapCommands.length) },
      {
        name: EMAILJS_SMALL,
        run: () => {
          for (let r = 0; r < reps; r++) for (const c of smallCorpus) emailjsParser(c);
        },
      },
    ],
    {
      ops: reps * imapCommands.length,
      bytes: reps * smallStream.length,
      baseline: WILDDUCK_SMALL,
      runs: 11,
    },
  );
  const bigReps = 20;
  const MAILWIRE_STREAMING =
    'Mailwire as its server runs it (64 KiB chunks, literal streamed out as views of them)';
  const MAILWIRE_BIG = 'Mailwire (64 KiB chunks, literal gathered into one buffer)';
  const WILDDUCK_STREAM_BIG =
    'WildDuck imap-core (IMAPStream + parser, from the byte stream in 64 KiB chunks)';
  const WILDDUCK_BIG = 'WildDuck imap-core parser (line pre-cut, the 1 MB literal passed apart as a Buffer)';
  const EMAILJS_BIG = 'emailjs-imap-handler (command pre-cut, literal inline)';
  const big = await measure(
    [
      { name: MAILWIRE_STREAMING, run: () => mailwireStreaming(appendChunks, bigReps) },
      { name: MAILWIRE_BIG, run: () => mailwire(appendChunks, bigReps, 1) },
      {
        name: WILDDUCK_STREAM_BIG,
        run: async () => {
          for (let r = 0; r < bigReps; r++) await wildduckStream(appendChunksSync, 1);
        },
      },
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
    { ops: bigReps, bytes: bigReps * appendBytes, baseline: WILDDUCK_STREAM_BIG, runs: 5 },
  );
  return `${table(`A realistic mix of ${imapCommands.length} client commands`, small, 'commands/s')}\n${table('APPEND with a 1 MB literal', big, 'commands/s')}`;
}
