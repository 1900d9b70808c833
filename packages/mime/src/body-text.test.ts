import { describe, expect, test } from 'vitest';
import { BodyTextExtractor, textParts } from './body-text.js';
import { indexMessage } from './indexer.js';

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

const message = latin1(
  [
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'caf=E9 au =',
    'lait',
    '--b',
    'Content-Type: image/png',
    'Content-Transfer-Encoding: base64',
    '',
    'iVBORw0KGgo=',
    '--b',
    'Content-Type: message/rfc822',
    '',
    'Subject: inner',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('<p>€ uro</p>').toString('base64'),
    '--b',
    'Content-Type: text/plain; charset=koi8-r',
    '',
    '\xf0\xd2\xc9\xd7\xc5\xd4',
    '--b--',
  ].join('\r\n'),
);

describe('BodyTextExtractor', () => {
  const index = indexMessage(message);
  const expected = 'café au lait\n<p>€ uro</p>\nПривет\n';

  test('decodes the text parts, encapsulated ones included', () => {
    expect(textParts(index).map((p) => p.subtype)).toEqual(['plain', 'html', 'plain']);
    const ex = new BodyTextExtractor(index);
    expect(ex.write(message) + ex.end()).toBe(expected);
  });

  test('the same text at every split', () => {
    for (let cut = 0; cut <= message.length; cut++) {
      const ex = new BodyTextExtractor(index);
      expect(ex.write(message.subarray(0, cut)) + ex.write(message.subarray(cut)) + ex.end()).toBe(expected);
    }
  });

  test('a stream that stops early flushes the parts it reached', () => {
    const first = textParts(index)[0]!;
    const ex = new BodyTextExtractor(index);
    expect(ex.write(message.subarray(0, first.bodyEnd)) + ex.end()).toBe('café au lait\n\n\n');
  });
});
