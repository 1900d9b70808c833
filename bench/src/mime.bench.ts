/**
 * MIME parsing: `@mailwire/mime` (one streaming pass that indexes every part with byte offsets,
 * decoding only the headers IMAP needs) against postal-mime and mailparser (which decode every
 * part into memory). Same messages, same process, interleaved runs.
 */
import { bodyStructure, envelope, indexMessage } from '@mailwire/mime';
import { simpleParser } from 'mailparser';
import PostalMime from 'postal-mime';
import { multipartMessage } from './corpus.js';
import { measure, table } from './harness.js';

export async function run(): Promise<string> {
  let out = '';
  for (const [label, size, reps] of [
    ['10 KB', 10 * 1024, 200],
    ['100 KB', 100 * 1024, 40],
    ['5 MB', 5 * 1024 * 1024, 1],
  ] as const) {
    const message = multipartMessage(size);
    const rows = await measure(
      [
        {
          name: 'Mailwire index',
          run: () => {
            for (let i = 0; i < reps; i++) indexMessage(message);
          },
        },
        {
          name: 'Mailwire index + ENVELOPE + BODYSTRUCTURE',
          run: () => {
            for (let i = 0; i < reps; i++) {
              const index = indexMessage(message);
              envelope(index);
              bodyStructure(index, { extended: true });
            }
          },
        },
        {
          name: 'postal-mime',
          run: async () => {
            for (let i = 0; i < reps; i++) await PostalMime.parse(message);
          },
        },
        {
          name: 'mailparser',
          run: async () => {
            for (let i = 0; i < reps; i++) await simpleParser(message);
          },
        },
      ],
      {
        ops: reps,
        bytes: reps * message.length,
        baseline: 'postal-mime',
        warmup: 2,
        runs: size > 1e6 ? 5 : 7,
      },
    );
    out += `${table(`${label} multipart message (${message.length.toLocaleString('en-US')} octets)`, rows, 'messages/s')}\n`;
  }
  return out;
}
