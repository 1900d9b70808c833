import { describe, expect, test } from 'vitest';
import { MimeIndexer, indexMessage } from './indexer.js';
import type { MimeIndex, MimePart } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

function crlf(lines: string[]): Uint8Array {
  return enc.encode(lines.join('\r\n'));
}

function text(bytes: Uint8Array, start: number, end: number): string {
  return dec.decode(bytes.subarray(start, end));
}

function body(bytes: Uint8Array, part: MimePart): string {
  return text(bytes, part.bodyStart, part.bodyEnd);
}

function header(bytes: Uint8Array, part: MimePart): string {
  return text(bytes, part.headerStart, part.headerEnd);
}

/** Indexes byte by byte: the index must not depend on how the input is split. */
function indexBytewise(bytes: Uint8Array): MimeIndex {
  const ix = new MimeIndexer();
  for (let i = 0; i < bytes.length; i++) ix.write(bytes.subarray(i, i + 1));
  return ix.end();
}

const simple = crlf([
  'From: a@example.com',
  'Subject: hello',
  'Content-Type: multipart/mixed; boundary="XX"',
  '',
  'preamble',
  '--XX',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'line one',
  'line two',
  '',
  '--XX',
  'Content-Type: application/pdf; name="a.pdf"',
  'Content-Disposition: attachment; filename="a.pdf"',
  'Content-Transfer-Encoding: base64',
  'Content-ID: <id1@x>',
  'Content-Description: a  file',
  'Content-Language: en, de (German)',
  'Content-Location: http://x/',
  '  a.pdf',
  'Content-MD5: Q2hlY2s=',
  '',
  'QUJD',
  '--XX--',
  'epilogue',
  '',
]);

describe('MimeIndexer', () => {
  test('records header and body ranges of every part', () => {
    const index = indexMessage(simple);
    expect(index.size).toBe(simple.length);
    const root = index.root;
    expect(root.type).toBe('multipart');
    expect(root.subtype).toBe('mixed');
    expect(header(simple, root)).toMatch(/^From: a@example.com\r\n.*boundary="XX"\r\n\r\n$/s);
    expect(body(simple, root)).toMatch(/^preamble\r\n--XX\r\n.*epilogue\r\n$/s);
    const [p1, p2] = root.parts!;
    expect(header(simple, p1!)).toBe(
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
    );
    expect(body(simple, p1!)).toBe('line one\r\nline two\r\n');
    expect(p1!.lines).toBe(2);
    expect(p1!.encoding).toBe('quoted-printable');
    expect(p1!.params).toEqual([['charset', 'utf-8']]);
    expect(body(simple, p2!)).toBe('QUJD');
    expect(p2!).toMatchObject({
      type: 'application',
      subtype: 'pdf',
      params: [['name', 'a.pdf']],
      disposition: { type: 'attachment', params: [['filename', 'a.pdf']] },
      encoding: 'base64',
      id: '<id1@x>',
      description: 'a  file',
      language: ['en', 'de'],
      location: 'http://x/a.pdf',
      md5: 'Q2hlY2s=',
      lines: 1,
    });
    expect(root.envelope).toEqual({ from: 'a@example.com', subject: 'hello' });
    expect(index.limits).toBeUndefined();
  });

  test('is JSON-serialisable and split-independent', () => {
    const whole = indexMessage(simple);
    expect(JSON.parse(JSON.stringify(whole))).toEqual(whole);
    expect(indexBytewise(simple)).toEqual(whole);
  });

  test('LF-only line endings', () => {
    const bytes = enc.encode(
      'Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\nthere\n--b--\n',
    );
    const index = indexMessage(bytes);
    const p = index.root.parts![0]!;
    expect(header(bytes, p)).toBe('Content-Type: text/plain\n\n');
    expect(body(bytes, p)).toBe('hi\nthere');
    expect(p.lines).toBe(2);
    expect(indexBytewise(bytes)).toEqual(index);
  });

  test('non-multipart message: defaults, lines, missing blank line', () => {
    const a = enc.encode('Subject: x\r\n\r\nbody\r\nmore');
    const ia = indexMessage(a);
    expect(ia.root).toMatchObject({
      type: 'text',
      subtype: 'plain',
      params: [['charset', 'us-ascii']],
      lines: 2,
    });
    expect(body(a, ia.root)).toBe('body\r\nmore');
    const b = enc.encode('Subject: only a header\r\n');
    const ib = indexMessage(b);
    expect(ib.root.headerEnd).toBe(b.length);
    expect(ib.root.bodyStart).toBe(ib.root.bodyEnd);
    expect(ib.root.envelope).toEqual({ subject: 'only a header' });
    const empty = indexMessage(new Uint8Array(0));
    expect(empty.root).toMatchObject({ headerStart: 0, headerEnd: 0, bodyEnd: 0, lines: 0, type: 'text' });
  });

  test('missing closing boundary: the last part runs to the end', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      '',
      'one',
      '--b',
      '',
      'two',
      'x',
    ]);
    const index = indexMessage(bytes);
    expect(index.root.parts!.map((p) => body(bytes, p))).toEqual(['one', 'two\r\nx']);
    expect(index.root.parts![1]!.lines).toBe(2);
  });

  test('boundaries that are prefixes of each other', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=ab',
      '',
      '--ab',
      'Content-Type: multipart/alternative; boundary=abc',
      '',
      '--abc',
      '',
      'inner',
      '--abcd',
      '--abc--',
      '--ab',
      '',
      'second',
      '--ab--',
    ]);
    const index = indexMessage(bytes);
    const [alt, second] = index.root.parts!;
    expect(alt!.parts!.map((p) => body(bytes, p))).toEqual(['inner\r\n--abcd']);
    expect(body(bytes, second!)).toBe('second');
  });

  test('nested multipart with an identical boundary has no parts of its own', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: multipart/alternative; boundary=b',
      '',
      'x',
      '--b',
      '',
      'two',
      '--b--',
    ]);
    const index = indexMessage(bytes);
    const [nested, two] = index.root.parts!;
    expect(nested!.parts).toEqual([]);
    expect(body(bytes, nested!)).toBe('x');
    expect(body(bytes, two!)).toBe('two');
  });

  test('transport padding after a delimiter; text after it is no delimiter', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b \t',
      '',
      'a',
      '--b x',
      '--b--  ',
      'e',
    ]);
    const index = indexMessage(bytes);
    expect(index.root.parts!.map((p) => body(bytes, p))).toEqual(['a\r\n--b x']);
  });

  test('a part without a blank line: the header runs to the delimiter', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: text/html',
      '--b--',
    ]);
    const p = indexMessage(bytes).root.parts![0]!;
    expect(p.subtype).toBe('html');
    expect(header(bytes, p)).toBe('Content-Type: text/html');
    expect(p.bodyStart).toBe(p.bodyEnd);
  });

  test('an encapsulated message cut short by a delimiter stays inside its part', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: message/rfc822',
      '',
      'Subject: x',
      '--b--',
    ]);
    const p = indexMessage(bytes).root.parts![0]!;
    expect(body(bytes, p)).toBe('Subject: x');
    expect(header(bytes, p.message!)).toBe('Subject: x');
    expect(p.message!.bodyEnd).toBe(p.bodyEnd);
    expect(p.message!.envelope).toEqual({ subject: 'x' });
  });

  test('message/rfc822 parts carry their own envelope and structure', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=o',
      '',
      '--o',
      'Content-Type: message/rfc822',
      '',
      'From: inner@example.com',
      'Subject: inner',
      '',
      'inner body',
      '--o--',
    ]);
    const p = indexMessage(bytes).root.parts![0]!;
    expect(p.message!.envelope).toEqual({ from: 'inner@example.com', subject: 'inner' });
    expect(body(bytes, p)).toBe('From: inner@example.com\r\nSubject: inner\r\n\r\ninner body');
    expect(body(bytes, p.message!)).toBe('inner body');
    expect(p.lines).toBe(4);
  });

  test('multipart/digest parts default to message/rfc822', () => {
    const bytes = crlf([
      'Content-Type: multipart/digest; boundary=d',
      '',
      '--d',
      '',
      'Subject: s',
      '',
      'b',
      '--d--',
    ]);
    const p = indexMessage(bytes).root.parts![0]!;
    expect(p.type).toBe('message');
    expect(p.subtype).toBe('rfc822');
    expect(p.message!.envelope).toEqual({ subject: 's' });
  });

  test('an empty part keeps its blank line; the delimiter line break is not body', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      '--b--',
    ]);
    const p = indexMessage(bytes).root.parts![0]!;
    expect(header(bytes, p)).toBe('Content-Type: text/plain\r\n\r\n');
    expect(p.bodyStart).toBe(p.bodyEnd);
    expect(p.lines).toBe(0);
  });

  test('top-level message/rfc822 and message/global are parsed in place', () => {
    for (const subtype of ['rfc822', 'global']) {
      const bytes = crlf([`Content-Type: message/${subtype}`, '', 'Subject: inside', '', 'text']);
      const root = indexMessage(bytes).root;
      expect(root.message!.envelope).toEqual({ subject: 'inside' });
      expect(body(bytes, root.message!)).toBe('text');
      expect(root.envelope).toEqual({});
    }
  });

  test('multipart/digest inside multipart/mixed', () => {
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=m',
      '',
      '--m',
      'Content-Type: multipart/digest; boundary=d',
      '',
      '--d',
      '',
      'Subject: one',
      '',
      'first',
      '--d',
      'Content-Type: text/plain',
      '',
      'not a message',
      '--d--',
      '--m--',
    ]);
    const digest = indexMessage(bytes).root.parts![0]!;
    const [one, two] = digest.parts!;
    expect(one!.message!.envelope).toEqual({ subject: 'one' });
    expect(body(bytes, one!.message!)).toBe('first');
    expect(two!.type).toBe('text');
    expect(body(bytes, two!)).toBe('not a message');
  });

  test('base64 message/rfc822 stays opaque', () => {
    const bytes = crlf([
      'Content-Type: message/rfc822',
      'Content-Transfer-Encoding: base64',
      '',
      'U3ViamVjdDogeA==',
    ]);
    expect(indexMessage(bytes).root.message).toBeUndefined();
  });

  test('invalid or missing Content-Type defaults to text/plain', () => {
    for (const ct of ['Content-Type: garbage', 'Content-Type: /x', 'Content-Type: text/', 'X: y']) {
      const root = indexMessage(crlf([ct, '', 'b'])).root;
      expect(root).toMatchObject({ type: 'text', subtype: 'plain', params: [['charset', 'us-ascii']] });
    }
    expect(indexMessage(crlf(['Content-Type: multipart/mixed', '', 'b'])).root.parts).toEqual([]);
  });

  test('8-bit headers are kept byte for byte', () => {
    const bytes = enc.encode('Subject: café ✓\r\n\r\n');
    const subject = indexMessage(bytes).root.envelope!.subject!;
    expect(new TextDecoder().decode(Uint8Array.from(subject, (c) => c.charCodeAt(0)))).toBe('café ✓');
  });

  test('folded envelope headers are unfolded, the first occurrence wins', () => {
    const bytes = crlf([
      'Subject: a',
      ' b',
      'To: x@y,',
      '\tz@w',
      'Subject: second',
      'Message-ID: <m@x>',
      '',
      '',
    ]);
    expect(indexMessage(bytes).root.envelope).toEqual({
      subject: 'a b',
      to: 'x@y,\tz@w',
      messageId: '<m@x>',
    });
  });

  test('depth limit: deeper entities become opaque bodies', () => {
    const lines: string[] = [];
    for (let d = 0; d < 10; d++) lines.push(`Content-Type: multipart/mixed; boundary=b${d}`, '', `--b${d}`);
    lines.push('', 'leaf');
    const index = indexMessage(crlf(lines), { maxDepth: 3 });
    expect(index.limits).toEqual(['depth']);
    let part = index.root;
    let depth = 0;
    while (part.parts?.[0]) {
      part = part.parts[0];
      depth++;
    }
    expect(depth).toBe(3);
  });

  test('parts limit: the rest is opaque body of the last part', () => {
    const lines = ['Content-Type: multipart/mixed; boundary=b', ''];
    for (let i = 0; i < 20; i++) lines.push('--b', '', `p${i}`);
    const index = indexMessage(crlf(lines), { maxParts: 5 });
    expect(index.limits).toEqual(['parts']);
    expect(index.root.parts!.length).toBe(4);
    expect(index.root.parts![3]!.bodyEnd).toBe(index.size);
  });

  test('header limit: fields past it are dropped, offsets stay exact', () => {
    const bytes = crlf(['Subject: s', `X-Long: ${'a'.repeat(200)}`, 'From: late@x', '', 'body']);
    const index = indexMessage(bytes, { maxHeaderSize: 100 });
    expect(index.limits).toEqual(['header']);
    expect(index.root.envelope).toEqual({ subject: 's' });
    expect(body(bytes, index.root)).toBe('body');
    expect(indexBytewise(bytes)).toEqual(indexMessage(bytes));
  });

  test('overlong boundary: the multipart has no parts', () => {
    const b = 'x'.repeat(300);
    const index = indexMessage(crlf([`Content-Type: multipart/mixed; boundary=${b}`, '', `--${b}`, '', 'a']));
    expect(index.root.parts).toEqual([]);
    expect(index.limits).toEqual(['boundary']);
  });

  test('long lines cut by chunk edges: same index at every split', () => {
    const pad = ' '.repeat(300);
    const bytes = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      `X-Long: ${'h'.repeat(150)}`,
      '',
      `--b${pad}`,
      '',
      `x${'-'.repeat(400)}`,
      `--b ${' '.repeat(20)}`,
      `Subject: ${'s'.repeat(120)}`,
      '',
      `--${'b'.repeat(100)}`,
      '--b--',
    ]);
    const options = { maxHeaderSize: 100, maxBoundaryLength: 10 };
    const whole = indexMessage(bytes, options);
    // The padded delimiter is too long to be one (padding is capped), the short one is.
    expect(whole.root.parts!.length).toBe(1);
    expect(body(bytes, whole.root.parts![0]!)).toBe(`--${'b'.repeat(100)}`);
    expect(whole.root.parts![0]!.envelope).toBeUndefined();
    expect(whole.limits).toEqual(['header']);
    for (let cut = 1; cut < bytes.length; cut++) {
      const ix = new MimeIndexer(options);
      ix.write(bytes.subarray(0, cut));
      ix.write(bytes.subarray(cut));
      expect(ix.end()).toEqual(whole);
    }
  });

  test('caller misuse throws', () => {
    const ix = new MimeIndexer();
    ix.end();
    expect(() => ix.write(new Uint8Array(1))).toThrow(/after end/);
    expect(() => ix.end()).toThrow();
  });
});
