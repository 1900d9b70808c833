import { concatBytes, latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { DataDecoder, dotStuff, dotUnstuff } from './dot-stuffing.js';

function decode(text: string, options?: ConstructorParameters<typeof DataDecoder>[0]) {
  const decoder = new DataDecoder(options);
  const result = decoder.push(utf8(text));
  return {
    message: latin1(concatBytes(result.chunks)),
    done: result.done,
    rest: text.slice(result.consumed),
    bareLf: decoder.bareLf,
    bareCr: decoder.bareCr,
  };
}

describe('DataDecoder', () => {
  it('unstuffs leading dots and stops at CRLF.CRLF', () => {
    expect(decode('a\r\n..b\r\n.c\r\n.\r\nQUIT\r\n')).toEqual({
      message: 'a\r\n.b\r\nc\r\n',
      done: true,
      rest: 'QUIT\r\n',
      bareLf: 0,
      bareCr: 0,
    });
    expect(decode('.\r\n')).toMatchObject({ message: '', done: true });
  });

  it.each([
    ['<LF>.<LF>', 'a\n.\nMAIL FROM:<x@y>\n'],
    ['<CR>.<CR>', 'a\r.\rMAIL FROM:<x@y>\rX'],
    ['<LF>.<CRLF>', 'a\n.\r\nMAIL FROM:<x@y>\r\n'],
    ['<CRLF>.<LF>', 'a\r\n.\nMAIL FROM:<x@y>\r\n'],
    ['<CR>.<CRLF>', 'a\r.\r\nMAIL FROM:<x@y>\r\n'],
  ])('%s never ends the data', (_name, body) => {
    const result = decode(body);
    expect(result.done).toBe(false);
    expect(result.bareLf + result.bareCr).toBeGreaterThan(0);
    const normalized = decode(body, { bareLineEndings: 'normalize' });
    expect(normalized.done).toBe(false);
    expect(normalized.message).not.toMatch(/(^|[^\r])\n|\r(?!\n)/);
  });

  it('finds the end whatever the split', () => {
    const wire = utf8('x\r\n..\r\n.\r\nNOOP\r\n');
    for (let split = 0; split <= wire.length; split++) {
      const decoder = new DataDecoder();
      const a = decoder.push(wire.subarray(0, split));
      const b = a.done ? { chunks: [], consumed: 0 } : decoder.push(wire.subarray(split));
      const consumed = a.done ? a.consumed : split + b.consumed;
      expect(latin1(concatBytes([...a.chunks, ...b.chunks]))).toBe('x\r\n.\r\n');
      expect(latin1(wire.subarray(consumed))).toBe('NOOP\r\n');
    }
  });

  it('counts lines longer than 998 octets', () => {
    const decoder = new DataDecoder();
    decoder.push(utf8(`${'a'.repeat(998)}\r\n.${'.'.repeat(998)}\r\n${'b'.repeat(999)}\r\n.\r\n`));
    expect(decoder.longLines).toBe(1);
  });
});

describe('dotStuff', () => {
  it('stuffs dots at line starts and terminates', () => {
    expect(latin1(dotStuff(utf8('.a\r\nb\r\n.\r\n')))).toBe('..a\r\nb\r\n..\r\n.\r\n');
    expect(latin1(dotStuff(utf8('no newline')))).toBe('no newline\r\n.\r\n');
    expect(latin1(dotStuff(utf8('')))).toBe('.\r\n');
    expect(dotUnstuff(utf8('abc'))).toBeUndefined();
  });
});
