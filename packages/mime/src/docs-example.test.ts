import { expect, test } from 'vitest';
import {
  bodyStructure,
  createDecoder,
  decodeHeaderValue,
  envelope,
  filterHeaderFields,
  isMultipartBody,
  MimeIndexer,
  resolvePart,
  resolveSection,
} from './index.js';

// The example of docs/mime.md, with its comments as assertions.
test('docs/mime.md example', () => {
  const raw = new TextEncoder().encode(
    [
      'From: "Alice" <alice@example.com>',
      'To: bob@example.com',
      'Subject: =?utf-8?Q?caf=C3=A9?=',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello',
      '--b1',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      'AAEC',
      '--b1--',
      '',
    ].join('\r\n'),
  );

  const ix = new MimeIndexer();
  for (let i = 0; i < raw.length; i += 16) ix.write(raw.subarray(i, i + 16));
  const index = ix.end();
  expect(JSON.parse(JSON.stringify(index))).toEqual(index);

  const env = envelope(index);
  expect(env.from?.[0]).toEqual({ name: 'Alice', adl: null, mailbox: 'alice', host: 'example.com' });
  expect(decodeHeaderValue(env.subject ?? '')).toBe('café');

  const bs = bodyStructure(index);
  expect(isMultipartBody(bs) && bs.subtype).toBe('mixed');
  expect(isMultipartBody(bs) && bs.parts[0]).toMatchObject({
    type: 'text',
    subtype: 'plain',
    size: 5,
    lines: 1,
  });

  const r = resolveSection(index, '1')!;
  expect(new TextDecoder().decode(raw.subarray(r.start, r.end))).toBe('Hello');

  const h = resolveSection(index, 'HEADER')!;
  expect(new TextDecoder().decode(filterHeaderFields(raw.subarray(h.start, h.end), ['subject'], false))).toBe(
    'Subject: =?utf-8?Q?caf=C3=A9?=\r\n\r\n',
  );

  const part = resolvePart(index, '2')!;
  const decoder = createDecoder(part.encoding)!;
  expect([...decoder.write(raw.subarray(part.bodyStart, part.bodyEnd)), ...decoder.end()]).toEqual([0, 1, 2]);
});

test('usage errors carry the Mailwire error brand and code', () => {
  const ix = new MimeIndexer();
  ix.end();
  let caught: unknown;
  try {
    ix.end();
  } catch (error) {
    caught = error;
  }
  expect((caught as { code?: string }).code).toBe('ERR_MIME_ENDED');
  expect((caught as Record<symbol, unknown>)[Symbol.for('mailwire.error')]).toBe(true);
});
