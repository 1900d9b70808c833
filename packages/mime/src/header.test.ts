import { describe, expect, test } from 'vitest';
import {
  cleanValue,
  filterHeaderFields,
  getParam,
  parseHeaderFields,
  parseStructured,
  unfold,
} from './header.js';

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

describe('parseHeaderFields', () => {
  test('splits fields with folding, stops at the blank line', () => {
    const bytes = enc.encode('Subject: hi\r\n there\r\nX-A : 1\nbad line\r\n\tcont\r\n\r\nBody: no\r\n');
    const fields = parseHeaderFields(bytes);
    expect(fields.map((f) => [f.name, f.value])).toEqual([
      ['Subject', ' hi\r\n there'],
      ['X-A', ' 1'],
    ]);
    expect(dec.decode(bytes.subarray(fields[0]!.start, fields[0]!.end))).toBe('Subject: hi\r\n there\r\n');
  });

  test('a last field without a line break', () => {
    expect(parseHeaderFields(enc.encode('A: 1\r\nB: 2')).map((f) => f.value)).toEqual([' 1', ' 2']);
  });

  test('unfold and cleanValue', () => {
    expect(unfold('a\r\n b\n\tc')).toBe('a b\tc');
    expect(unfold('a\r\nb')).toBe('a\r\nb');
    expect(cleanValue('  x\r\n y  ')).toBe('x y');
  });
});

describe('filterHeaderFields', () => {
  const header = enc.encode('From: a\r\nSubject: s\r\n  more\r\nTo: b\r\nnonsense\r\n\r\n');
  test('HEADER.FIELDS keeps the named fields and the blank line', () => {
    expect(dec.decode(filterHeaderFields(header, ['subject', 'TO'], false))).toBe(
      'Subject: s\r\n  more\r\nTo: b\r\n\r\n',
    );
  });
  test('HEADER.FIELDS.NOT keeps the others', () => {
    expect(dec.decode(filterHeaderFields(header, ['Subject'], true))).toBe(
      'From: a\r\nTo: b\r\nnonsense\r\n\r\n',
    );
  });
  test('no blank line in, none out', () => {
    expect(dec.decode(filterHeaderFields(enc.encode('A: 1\r\nB: 2'), ['b'], false))).toBe('B: 2');
    expect(filterHeaderFields(new Uint8Array(0), ['b'], false).length).toBe(0);
  });
});

describe('parseStructured', () => {
  test('content-type with quoted, unquoted and commented parameters', () => {
    expect(
      parseStructured(
        ' Text/HTML (c) ; Charset="utf-8" ; name="a \\"b\\".txt"; boundary=----=_Part_1 (x);junk;x=y',
      ),
    ).toEqual({
      value: 'text/html',
      params: [
        ['charset', 'utf-8'],
        ['name', 'a "b".txt'],
        ['boundary', '----=_Part_1'],
        ['x', 'y'],
      ],
    });
  });
  test('folded values and spaces around the slash', () => {
    expect(parseStructured('multipart/mixed;\r\n\tboundary="b"').params).toEqual([['boundary', 'b']]);
    expect(parseStructured('text / plain').value).toBe('text/plain');
  });
  test('disposition and garbage never throw', () => {
    expect(parseStructured('attachment; filename=x.pdf')).toEqual({
      value: 'attachment',
      params: [['filename', 'x.pdf']],
    });
    expect(parseStructured(';;=;"').value).toBe('');
    expect(parseStructured('a; b="unterminated').params).toEqual([['b', 'unterminated']]);
  });
  test('getParam', () => {
    expect(getParam([['charset', 'x']], 'CHARSET')).toBe('x');
    expect(getParam(undefined, 'a')).toBeUndefined();
  });
});
