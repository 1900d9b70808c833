import { indexMessage } from '@mailwire/mime';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { serializeFetchItem } from '../codec/response.js';
import { bodyStructureOf, envelopeOf, structureItemBytes } from './message.js';

/** The general path: value tree, then the response writer. */
function reference(index: ReturnType<typeof indexMessage>, item: 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY') {
  const value = item === 'ENVELOPE' ? envelopeOf(index) : bodyStructureOf(index, item === 'BODYSTRUCTURE');
  return serializeFetchItem({ item, value });
}

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

// Header text with what changes the wire form: quotes, backslashes, 8-bit octets (valid UTF-8
// and not), encoded-words, commas and angle brackets of address lists, NUL.
const unit = fc.constantFrom(
  'a',
  'Z',
  ' ',
  '"',
  '\\',
  ',',
  '<',
  '>',
  '@',
  '(',
  ')',
  ';',
  ':',
  '.',
  '\xc3\xa9',
  '\xe9',
  '\x00',
  '=?UTF-8?B?w6k=?=',
  'bob@example.com',
  '"Ann, B" <ann@x.example>',
);
const value = fc.oneof(
  fc.string({ unit, maxLength: 24 }),
  // Structured values that shape BODYSTRUCTURE: media types (a multipart without a boundary has no
  // parts), dispositions with parameters, language lists, encodings.
  fc.constantFrom(
    'multipart/mixed',
    'multipart/alternative; boundary=zz',
    'message/rfc822',
    'message/global',
    'text/html; charset="x\\"y"; format=flowed',
    'image/png; name=a.png',
    'attachment; filename="r\xc3\xa9sum\xc3\xa9.pdf"; size=3',
    'inline',
    'en, de-CH',
    'base64',
    'quoted-printable',
    'Q2hlY2s=',
    'http://example.com/a',
  ),
  // Past the longest quoted string: a literal.
  fc.string({ unit: fc.constantFrom('x', ' ', 'y'), minLength: 1020, maxLength: 1100 }),
);
const field = fc.tuple(
  fc.constantFrom(
    'From',
    'Sender',
    'Reply-To',
    'To',
    'Cc',
    'Bcc',
    'Subject',
    'Date',
    'Message-ID',
    'In-Reply-To',
    'Content-Type',
    'Content-Disposition',
    'Content-Language',
    'Content-ID',
    'Content-Description',
    'Content-MD5',
    'Content-Location',
    'Content-Transfer-Encoding',
  ),
  value,
);
const bodyKind = fc.constantFrom('plain', 'multipart', 'rfc822');

function message(fields: [string, string][], kind: string, inner: [string, string][]): string {
  const header = fields.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  const innerHeader = inner.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  if (kind === 'multipart') {
    return `${header}Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n${innerHeader}\r\none\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n${innerHeader}\r\ntwo\r\n--b--\r\n`;
  }
  if (kind === 'rfc822') return `${header}Content-Type: message/rfc822\r\n\r\n${innerHeader}\r\nbody\r\n`;
  return `${header}\r\nbody\r\n`;
}

describe('ENVELOPE / BODYSTRUCTURE wire bytes', () => {
  test('are byte for byte what the general response writer writes', () => {
    fc.assert(
      fc.property(
        fc.array(field, { maxLength: 8 }),
        bodyKind,
        fc.array(field, { maxLength: 4 }),
        (fields, kind, inner) => {
          const index = indexMessage(bytesOf(message(fields, kind, inner)));
          for (const item of ['ENVELOPE', 'BODYSTRUCTURE', 'BODY'] as const) {
            expect(structureItemBytes(index, item)).toEqual(reference(index, item));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('the same address header in many messages gives the same bytes each time (memo)', () => {
    const raw = 'From: "Ann \\"A\\" B" <ann@x.example>, =?UTF-8?Q?J=C3=B6rg?= <j@y.example>\r\n';
    const first = structureItemBytes(indexMessage(bytesOf(`${raw}\r\nx\r\n`)), 'ENVELOPE');
    for (let i = 0; i < 5000; i++) {
      // Past the memo's bound: it is cleared and refilled, never wrong.
      structureItemBytes(indexMessage(bytesOf(`From: u${i}@x.example\r\n\r\nx\r\n`)), 'ENVELOPE');
    }
    const index = indexMessage(bytesOf(`${raw}\r\nx\r\n`));
    expect(structureItemBytes(index, 'ENVELOPE')).toEqual(first);
    expect(first).toEqual(reference(index, 'ENVELOPE'));
  });
});
