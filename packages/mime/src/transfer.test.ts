import { describe, expect, test } from 'vitest';
import { createDecoder, decodeTransfer, normalizeEncoding } from './transfer.js';

const enc = new TextEncoder();
const latin = (b: Uint8Array) => new TextDecoder('latin1').decode(b);

function decodeSplit(input: string, encoding: string, step: number): string {
  const d = createDecoder(encoding)!;
  const bytes = enc.encode(input);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += step) parts.push(d.write(bytes.subarray(i, i + step)));
  parts.push(d.end());
  return parts.map(latin).join('');
}

describe('createDecoder', () => {
  test('base64 with line breaks, junk and missing padding', () => {
    expect(latin(decodeTransfer(enc.encode('SGVs\r\nbG8g!d29y bGQ'), 'BASE64')!)).toBe('Hello world');
    expect(latin(decodeTransfer(enc.encode('QQ==QkM='), 'base64')!)).toBe('ABC');
    for (const step of [1, 2, 3, 5]) expect(decodeSplit('SGVsbG8=\r\n', 'base64', step)).toBe('Hello');
  });
  test('quoted-printable: escapes, soft breaks, trailing whitespace, malformed', () => {
    const cases: Array<[string, string]> = [
      ['caf=C3=A9 =3d', 'caf\xc3\xa9 ='],
      ['soft=\r\nbreak', 'softbreak'],
      ['soft= \t\r\nbreak', 'softbreak'],
      ['lf=\nonly', 'lfonly'],
      ['trailing   \r\nnext', 'trailing\r\nnext'],
      ['keep  inner\ttabs', 'keep  inner\ttabs'],
      ['bad=ZZ=4', 'bad=ZZ=4'],
      ['end with space  ', 'end with space'],
      ['ends with soft=', 'ends with soft'],
      ['lower=e9', 'lower\xe9'],
    ];
    for (const [input, expected] of cases) {
      for (const step of [1, 2, 3, 100]) expect(decodeSplit(input, 'quoted-printable', step)).toBe(expected);
    }
  });
  test('identity encodings pass chunks through; unknown encodings are refused', () => {
    const chunk = enc.encode('x');
    expect(createDecoder('8bit')!.write(chunk)).toBe(chunk);
    expect(createDecoder(undefined)).toBeDefined();
    expect(createDecoder(' Binary ')).toBeDefined();
    expect(createDecoder('x-uuencode')).toBeUndefined();
    expect(decodeTransfer(chunk, 'x-gzip')).toBeUndefined();
    expect(normalizeEncoding('')).toBe('7bit');
  });
});
