import { describe, expect, test } from 'vitest';
import { decodeText, createTextDecoder, isKnownCharset } from './charset.js';
import { decodeEncodedWords, decodeHeaderValue, encodeEncodedWords } from './encoded-word.js';
import { decodeParams } from './params.js';

const binary = (s: string) => String.fromCharCode(...new TextEncoder().encode(s));

describe('RFC 2047 encoded-words', () => {
  test('B and Q in the common charsets', () => {
    expect(decodeEncodedWords('=?UTF-8?B?Y2Fmw6k=?=')).toBe('café');
    expect(decodeEncodedWords('=?iso-8859-1?q?caf=E9_au_lait?=')).toBe('café au lait');
    expect(decodeEncodedWords('=?windows-1252?Q?=80?=')).toBe('€');
    expect(decodeEncodedWords('=?us-ascii?Q?a=3Db?=')).toBe('a=b');
    expect(decodeEncodedWords('=?koi8-r?B?8NLJ18XU?=')).toBe('Привет');
  });
  test('whitespace between adjacent words is dropped, other text kept', () => {
    expect(decodeEncodedWords('=?utf-8?q?a?= \r\n =?utf-8?q?b?= c =?utf-8?q?d?=')).toBe('ab c d');
    expect(decodeEncodedWords('x=?utf-8?q?a?=y')).toBe('xay');
  });
  test('a character split across two words survives', () => {
    expect(decodeEncodedWords('=?utf-8?Q?=E2=82?= =?utf-8?Q?=AC?=')).toBe('€');
  });
  test('unknown charsets and malformed words are left as written', () => {
    expect(decodeEncodedWords('=?x-unknown?q?abc?= =?utf-8?q?d?=')).toBe('=?x-unknown?q?abc?= d');
    expect(decodeEncodedWords('=?utf-8?x?abc?=')).toBe('=?utf-8?x?abc?=');
    expect(decodeEncodedWords('=?utf-8?q?=ZZ?=')).toBe('=ZZ');
    expect(decodeEncodedWords('=?utf-8*en?q?hi?=')).toBe('hi');
  });
  test('decodeHeaderValue: raw UTF-8, windows-1252 fallback, folding', () => {
    expect(decodeHeaderValue(binary('Grüße'))).toBe('Grüße');
    expect(decodeHeaderValue('caf\xe9')).toBe('café');
    expect(decodeHeaderValue('a\r\n =?utf-8?q?b?=')).toBe('a b');
  });
  test('encode', () => {
    expect(encodeEncodedWords('plain text')).toBe('plain text');
    expect(encodeEncodedWords('café')).toBe('=?utf-8?Q?caf=C3=A9?=');
    expect(encodeEncodedWords('café', 'B')).toBe('=?utf-8?B?Y2Fmw6k=?=');
    for (const w of encodeEncodedWords('ü'.repeat(100)).split(' ')) expect(w.length).toBeLessThanOrEqual(75);
  });
});

describe('RFC 2231 parameters', () => {
  test('continuations, charset, language', () => {
    expect(
      decodeParams([
        ['filename*1*', '%A9t%C3%A9'],
        ['filename*0*', "utf-8'fr'%C3"],
        ['filename*2', '.txt'],
        ['name', 'x'],
      ]),
    ).toEqual([
      ['filename', 'été.txt'],
      ['name', 'x'],
    ]);
    expect(decodeParams([['title*', "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"]])).toEqual([
      ['title', 'This is ***fun***'],
    ]);
  });
  test('the RFC 2231 form wins; encoded-words and raw UTF-8 in plain values', () => {
    expect(
      decodeParams([
        ['filename', 'fallback.txt'],
        ['filename*', "utf-8''%E2%82%AC.txt"],
      ]),
    ).toEqual([['filename', '€.txt']]);
    expect(decodeParams([['name', '=?utf-8?B?4oKsLnR4dA==?=']])).toEqual([['name', '€.txt']]);
    expect(decodeParams([['name', binary('€.txt')]])).toEqual([['name', '€.txt']]);
  });
  test('malformed: bad percent escapes, unknown charset, no quotes', () => {
    expect(decodeParams([['a*', "x-unknown''%41%zz"]])).toEqual([['a', 'A%zz']]);
    expect(decodeParams([['a*', '%41']])).toEqual([['a', 'A']]);
    expect(decodeParams(undefined)).toEqual([]);
  });
});

describe('charset text', () => {
  test('known, unknown and missing charsets', () => {
    expect(decodeText(Uint8Array.of(0xe9), 'iso-8859-1')).toBe('é');
    expect(decodeText(new TextEncoder().encode('é'), undefined)).toBe('é');
    expect(decodeText(new TextEncoder().encode('é'), 'x-nope')).toBe('é');
    expect(decodeText(Uint8Array.of(0x80), '"windows-1252"')).toBe('€');
    expect(isKnownCharset('Shift_JIS')).toBe(true);
    expect(isKnownCharset('x-nope')).toBe(false);
  });
  test('streaming keeps split multibyte characters', () => {
    const d = createTextDecoder('utf-8');
    const bytes = new TextEncoder().encode('€');
    expect(d.write(bytes.subarray(0, 1)) + d.write(bytes.subarray(1)) + d.end()).toBe('€');
  });
});
