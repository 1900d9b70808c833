import { describe, expect, test } from 'vitest';
import { bodyStructure, isMultipartBody } from './body-structure.js';
import { indexMessage } from './indexer.js';
import { listParts, parseSection, resolvePart, resolveSection } from './section.js';

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

// The example of RFC 9051 §6.4.5, abridged.
const rfc = enc.encode(
  [
    'Subject: top',
    'Content-Type: multipart/mixed; boundary=a',
    '',
    '--a',
    'Content-Type: text/plain',
    '',
    'part1',
    '--a',
    'Content-Type: application/octet-stream',
    '',
    'part2',
    '--a',
    'Content-Type: message/rfc822',
    '',
    'Subject: three',
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    '',
    'part3.1',
    '--b',
    'Content-Type: application/octet-stream',
    '',
    'part3.2',
    '--b--',
    '--a',
    'Content-Type: multipart/mixed; boundary=c',
    '',
    '--c',
    'Content-Type: image/gif',
    '',
    'gif',
    '--c',
    'Content-Type: message/rfc822',
    '',
    'Subject: four-two',
    'Content-Type: multipart/mixed; boundary=d',
    '',
    '--d',
    '',
    'part4.2.1',
    '--d',
    'Content-Type: multipart/alternative; boundary=e',
    '',
    '--e',
    '',
    'part4.2.2.1',
    '--e',
    'Content-Type: text/richtext',
    '',
    'part4.2.2.2',
    '--e--',
    '--d--',
    '--c--',
    '--a--',
    '',
  ].join('\r\n'),
);
const index = indexMessage(rfc);

function section(s: string): string | null {
  const r = resolveSection(index, s);
  return r === null ? null : dec.decode(rfc.subarray(r.start, r.end));
}

describe('resolveSection (RFC 9051 §6.4.5)', () => {
  test('numbered parts', () => {
    expect(section('1')).toBe('part1');
    expect(section('2')).toBe('part2');
    expect(section('3.1')).toBe('part3.1');
    expect(section('3.2')).toBe('part3.2');
    expect(section('4.1')).toBe('gif');
    expect(section('4.2.1')).toBe('part4.2.1');
    expect(section('4.2.2.1')).toBe('part4.2.2.1');
    expect(section('4.2.2.2')).toBe('part4.2.2.2');
  });
  test('HEADER, TEXT, MIME', () => {
    expect(section('')).toBe(dec.decode(rfc));
    expect(section('HEADER')).toBe('Subject: top\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n');
    expect(section('header.fields')).toBe(section('HEADER'));
    expect(section('TEXT')?.startsWith('--a\r\n')).toBe(true);
    expect(section('3.HEADER')).toBe('Subject: three\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n');
    expect(section('3.TEXT')).toMatch(/^--b\r\n\r\npart3\.1.*--b--$/s);
    expect(section('4.1.MIME')).toBe('Content-Type: image/gif\r\n\r\n');
    expect(section('4.2.HEADER.FIELDS.NOT')).toMatch(/^Subject: four-two/);
    expect(section('4.2.2.MIME')).toBe('Content-Type: multipart/alternative; boundary=e\r\n\r\n');
  });
  test('nonexistent or invalid sections are null', () => {
    for (const s of ['5', '1.1', '1.HEADER', '4.TEXT', 'MIME', '0', '1.x', 'FOO', '01', '3.3'])
      expect(section(s)).toBeNull();
  });
  test('a non-multipart message has part 1 (its body)', () => {
    const bytes = enc.encode('Subject: s\r\n\r\nbody');
    const ix = indexMessage(bytes);
    expect(resolveSection(ix, '1')).toEqual({ start: 14, end: 18 });
    expect(resolveSection(ix, '1.MIME')).toEqual({ start: 0, end: 14 });
    expect(resolveSection(ix, '2')).toBeNull();
  });
  test('a multipart without parts has an empty part 1', () => {
    const ix = indexMessage(enc.encode('Content-Type: multipart/mixed\r\n\r\nbody'));
    expect(resolveSection(ix, '1')).toEqual({ start: ix.size, end: ix.size });
    expect(resolvePart(ix, '1')?.type).toBe('text');
  });
  test('parseSection and listParts', () => {
    expect(parseSection('1.2.mime')).toEqual({ path: [1, 2], specifier: 'MIME' });
    expect(parseSection('HEADER.FIELDS.NOT')).toEqual({ path: [], specifier: 'HEADER.FIELDS.NOT' });
    expect(listParts(index).map((p) => p.section)).toEqual([
      '1',
      '2',
      '3',
      '3.1',
      '3.2',
      '4',
      '4.1',
      '4.2',
      '4.2.1',
      '4.2.2',
      '4.2.2.1',
      '4.2.2.2',
    ]);
  });
});

describe('bodyStructure', () => {
  test('RFC 9051 example structure', () => {
    const bs = bodyStructure(index);
    expect(bs.type).toBe('multipart');
    if (!isMultipartBody(bs)) throw new Error('expected multipart');
    expect(bs.parts.map((p) => `${p.type}/${p.subtype}`)).toEqual([
      'text/plain',
      'application/octet-stream',
      'message/rfc822',
      'multipart/mixed',
    ]);
    expect(bs.parts[0]).toEqual({
      type: 'text',
      subtype: 'plain',
      params: [['charset', 'us-ascii']],
      id: null,
      description: null,
      encoding: '7bit',
      size: 5,
      lines: 1,
      md5: null,
      disposition: null,
      language: null,
      location: null,
    });
    const msg = bs.parts[2]!;
    expect(msg.type === 'message' && 'envelope' in msg && msg.envelope?.subject).toBe('three');
    expect(bs.params).toEqual([['boundary', 'a']]);
  });
  test('BODY (non-extensible) has no extension data', () => {
    const bs = bodyStructure(index, { extended: false });
    expect(JSON.stringify(bs)).not.toMatch(/"md5"|"disposition"|"language"|"location"/);
    if (isMultipartBody(bs)) expect(bs.params).toBeUndefined();
  });
  test('empty multipart and opaque message/rfc822 stay grammatical', () => {
    const bs = bodyStructure(indexMessage(enc.encode('Content-Type: multipart/mixed\r\n\r\n')), {
      extended: false,
    });
    expect(bs).toEqual({
      type: 'multipart',
      subtype: 'mixed',
      parts: [
        {
          type: 'text',
          subtype: 'plain',
          params: [['charset', 'us-ascii']],
          id: null,
          description: null,
          encoding: '7bit',
          size: 0,
          lines: 0,
        },
      ],
    });
    const opaque = bodyStructure(
      indexMessage(
        enc.encode('Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nQQ==\r\n'),
      ),
    );
    expect(opaque).toMatchObject({
      type: 'message',
      subtype: 'rfc822',
      encoding: 'base64',
      size: 6,
      lines: 1,
    });
    expect('envelope' in opaque && opaque.envelope?.subject).toBeNull();
  });
});
