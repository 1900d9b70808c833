/**
 * IMAP command parsing: `@mailwire/imap` (fragmentizer over the raw byte stream + grammar) against
 * emailjs-imap-handler's `parser()` (given each command pre-cut, literals included) on one corpus
 * of the commands clients send most, and on APPENDs carrying a 1 MB literal.
 */
import { Fragmentizer, parseCommand } from '@mailwire/imap';
import emailjs from 'emailjs-imap-handler';
import { multipartMessage } from './corpus.js';
import { measure, table } from './harness.js';

const commands = [
  'a1 CAPABILITY',
  'a2 LOGIN "alice@example.test" "correct horse battery staple"',
  'a3 LIST "" "*"',
  'a4 SELECT INBOX',
  'a5 UID FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)',
  'a6 UID FETCH 1200:1250 (UID FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Subject Date Message-ID Content-Type)])',
  'a7 UID SEARCH SINCE 1-Nov-2026 NOT DELETED OR FROM "alice" SUBJECT "report"',
  'a8 UID STORE 1:100,200,300:400 +FLAGS.SILENT (\\Seen \\Flagged)',
  'a9 UID MOVE 17,19:21 "Archive/2026"',
  'a10 STATUS "Sent" (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)',
  'a11 NOOP',
  'a12 IDLE',
];
const emailjsParser = (emailjs as unknown as { parser: (command: Uint8Array) => unknown }).parser;
const encoder = new TextEncoder();
const smallCorpus = commands.map((c) => encoder.encode(c));
const smallStream = encoder.encode(`${commands.join('\r\n')}\r\n`);

const literal = multipartMessage(1024 * 1024);
const appendHead = encoder.encode(`a20 APPEND INBOX (\\Seen) {${literal.length}+}\r\n`);
const appendStream = Buffer.concat([appendHead, literal, encoder.encode('\r\n')]);
// emailjs-imap-handler wants the whole command in one buffer without the final CRLF.
const appendForEmailjs = Buffer.concat([
  encoder.encode(`a20 APPEND INBOX (\\Seen) {${literal.length}}\r\n`),
  literal,
]);

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

export async function run(): Promise<string> {
  const reps = 2000;
  const small = await measure(
    [
      {
        name: 'Mailwire (fragmentizer + parser, from the byte stream)',
        run: () => mailwire(smallStream, reps, commands.length),
      },
      {
        name: 'emailjs-imap-handler (commands pre-cut)',
        run: () => {
          for (let r = 0; r < reps; r++) for (const c of smallCorpus) emailjsParser(c);
        },
      },
    ],
    {
      ops: reps * commands.length,
      bytes: reps * smallStream.length,
      baseline: 'emailjs-imap-handler (commands pre-cut)',
    },
  );
  const bigReps = 20;
  const big = await measure(
    [
      {
        name: 'Mailwire (fragmentizer + parser, from the byte stream)',
        run: () => mailwire(appendStream, bigReps, 1),
      },
      {
        name: 'emailjs-imap-handler (command pre-cut)',
        run: () => {
          for (let r = 0; r < bigReps; r++) emailjsParser(appendForEmailjs);
        },
      },
    ],
    {
      ops: bigReps,
      bytes: bigReps * appendStream.length,
      baseline: 'emailjs-imap-handler (command pre-cut)',
      runs: 5,
    },
  );
  return `${table('A realistic mix of 12 client commands', small, 'commands/s')}\n${table('APPEND with a 1 MB literal', big, 'commands/s')}`;
}
