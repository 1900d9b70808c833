import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeEncodedWords, decodeHeaderValue, encodeEncodedWords } from './encoded-word.js';
import { decodeParams } from './params.js';
import { createDecoder } from './transfer.js';

/** A straightforward RFC 2045 §6.7 encoder: binary-safe (CR, LF encoded), soft breaks at 76. */
function encodeQp(bytes: Uint8Array, eol: string): string {
  const tokens: string[] = [];
  bytes.forEach((b, i) => {
    const last = i === bytes.length - 1;
    const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
    tokens.push(literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`);
  });
  let out = '';
  let line = 0;
  for (const t of tokens) {
    if (line + t.length > 75) {
      // Whitespace must not end a line: a soft break after it is fine (`=` follows).
      out += `=${eol}`;
      line = 0;
    }
    out += t;
    line += t.length;
  }
  return out;
}

/** Text mode: hard line breaks kept, trailing whitespace encoded. */
function encodeQpText(lines: string[], eol: string): string {
  return lines
    .map((line) =>
      line.replace(/[ \t]$/, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`),
    )
    .join(eol);
}

function decodeSplit(input: Uint8Array, encoding: string, cuts: number[]): Uint8Array {
  const dec = createDecoder(encoding)!;
  const out: Uint8Array[] = [];
  let last = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const at = Math.min(Math.max(cut, last), input.length);
    out.push(dec.write(input.subarray(last, at)));
    last = at;
  }
  out.push(dec.write(input.subarray(last)));
  out.push(dec.end());
  return Uint8Array.from(out.flatMap((chunk) => [...chunk]));
}

const ascii = (s: string) => new TextEncoder().encode(s);
const cutsArb = fc.array(fc.nat(2000), { maxLength: 10 });

describe('transfer decoder round trips', () => {
  test('base64', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom('\r\n', '\n'),
        cutsArb,
        (bytes, eol, cuts) => {
          const encoded = (
            Buffer.from(bytes)
              .toString('base64')
              .match(/.{1,76}/g) ?? []
          ).join(eol);
          expect(decodeSplit(ascii(encoded), 'base64', cuts)).toEqual(bytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('quoted-printable, binary-safe', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom('\r\n', '\n'),
        cutsArb,
        (bytes, eol, cuts) => {
          expect(decodeSplit(ascii(encodeQp(bytes, eol)), 'quoted-printable', cuts)).toEqual(bytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('quoted-printable text with hard line breaks', () => {
    const line = fc.string({ unit: fc.constantFrom('a', ' ', '\t', 'z', '.', '!'), maxLength: 40 });
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 6 }),
        fc.constantFrom('\r\n', '\n'),
        cutsArb,
        (lines, eol, cuts) => {
          const decoded = new TextDecoder().decode(
            decodeSplit(ascii(encodeQpText(lines, eol)), 'quoted-printable', cuts),
          );
          expect(decoded).toBe(lines.join(eol));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('random input never throws and is split-independent', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('base64', 'quoted-printable', '8bit'),
        cutsArb,
        (bytes, encoding, cuts) => {
          expect(decodeSplit(bytes, encoding, cuts)).toEqual(decodeSplit(bytes, encoding, []));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('header decoding round trips', () => {
  test('encoded-words: decode(encode(text)) = text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.constantFrom('B' as const, 'Q' as const),
        (text, mode) => {
          const encoded = encodeEncodedWords(text, mode);
          for (const word of encoded.split(' '))
            if (word.startsWith('=?')) expect(word.length).toBeLessThanOrEqual(75);
          expect(decodeEncodedWords(encoded)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('RFC 2231 continuations: any split of a percent-encoded value decodes back', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(200), { maxLength: 4 }),
        (text, cuts) => {
          const encoded = [...new TextEncoder().encode(text)]
            .map((b) => `%${b.toString(16).padStart(2, '0')}`)
            .join('');
          const points = [...new Set(cuts.map((c) => (c % (encoded.length / 3)) * 3))].sort((a, b) => a - b);
          const pieces: string[] = [];
          let last = 0;
          for (const p of [...points, encoded.length]) {
            if (p > last) pieces.push(encoded.slice(last, p));
            last = Math.max(last, p);
          }
          const params = pieces.map((piece, i): [string, string] => [
            `filename*${i}*`,
            i === 0 ? `utf-8'en'${piece}` : piece,
          ]);
          expect(decodeParams(params.reverse())).toEqual([['filename', text]]);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('header decoding never throws on random binary strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const s = String.fromCharCode(...bytes);
        decodeHeaderValue(s);
        decodeHeaderValue(`=?utf-8?b?${s}?= =?x?q?${s}?=`);
        decodeParams([
          [`a*0*`, s],
          ['a*1', s],
          ['b', s],
        ]);
      }),
      { numRuns: 200 },
    );
  });
});
