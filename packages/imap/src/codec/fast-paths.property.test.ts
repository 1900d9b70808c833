import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywordTable } from './chars.js';
import { Framer, OVERFLOW } from './framer.js';
import { decodeText, TokenReader } from './reader.js';

/**
 * The parser's fast paths against the plain definitions they shortcut: the open-addressed
 * keyword table against a list search, the one-pass quoted-string reader against
 * `decodeText(quoted())`, and the framer's short-line loop against splitting on LF.
 */

const upperAscii = (bytes: Uint8Array): string =>
  String.fromCharCode(...bytes.map((b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b)));

describe('keyword table', () => {
  const wordChar = fc.constantFrom(
    ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-#[]'.split(''),
  );
  const word = fc.array(wordChar, { minLength: 1, maxLength: 12 }).map((a) => a.join(''));

  it('finds exactly the known word equal to the bytes, ignoring ASCII case', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 60 }), fc.array(word, { maxLength: 20 }), (known, probes) => {
        const upper = known.map((w) => w.toUpperCase());
        const table = new KeywordTable(upper);
        // Known words in any case, and arbitrary probes (mostly unknown).
        for (const probe of [...known, ...probes, ...known.map((w) => w.toLowerCase())]) {
          const bytes = new TextEncoder().encode(`(${probe})`);
          const expected = upper.find((w) => w === upperAscii(bytes.subarray(1, bytes.length - 1)));
          const found = table.lookup(bytes, 1, bytes.length - 1);
          expect(found).toBe(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('tells apart words that share their last 8 bytes (the key) by the bytes before', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    const table = new KeywordTable(['XBODY.PEEK', 'YBODY.PEEK', 'BODY.PEEK', 'ODY.PEEK']);
    for (const word of ['xbody.peek', 'YBODY.peek', 'Body.Peek', 'ody.PEEK'])
      expect(table.lookup(bytes(word), 0, word.length)).toBe(word.toUpperCase());
    for (const word of ['ZBODY.PEEK', 'DY.PEEK', 'BODY.PEEKS', 'ABODY.PEEK', 'A', ''])
      expect(table.lookup(bytes(word), 0, word.length)).toBeUndefined();
    // A word of up to 8 bytes is its own key: only the same bytes match.
    const short = new KeywordTable(['FLAGS', 'UID']);
    expect(short.lookup(bytes('fLaGs'), 0, 5)).toBe('FLAGS');
    // 'U' | 0x80: a byte that differs from 'U' only in its high bit.
    expect(short.lookup(Uint8Array.of(0xd5, 0x49, 0x44), 0, 3)).toBeUndefined();
    expect(short.lookup(Uint8Array.of(0xc6, 0x4c, 0x41, 0x47, 0x53), 0, 5)).toBeUndefined();
  });

  it('takes printable ASCII keywords only', () => {
    expect(() => new KeywordTable(['CAF\u00c9'])).toThrow(RangeError);
  });
});

describe('quoted strings', () => {
  const byte = fc.oneof(
    fc.constantFrom(0x22, 0x5c, 0x0d, 0x0a, 0x00, 0x20, 0x41, 0x61),
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0, max: 255 }),
  );

  function read(line: Uint8Array, fast: boolean): { value?: string; error?: string; next: number } {
    const r = new TokenReader({ lines: [line], literals: [] });
    try {
      const value = fast ? r.quotedText() : decodeText(r.quoted());
      return { value, next: r.peek() };
    } catch (error) {
      return { error: (error as Error).message, next: -2 };
    }
  }

  it('quotedText reads what decodeText(quoted()) reads, and stops at the same place', () => {
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }),
        (inside, after) => {
          const line = Uint8Array.from([0x22, ...inside, 0x22, ...after]);
          expect(read(line, true)).toEqual(read(line, false));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes escapes and UTF-8 the general way', () => {
    const line = new TextEncoder().encode('"a\\"b\\\\c" "caf\u00e9" "x');
    const r = new TokenReader({ lines: [line], literals: [] });
    expect(r.quotedText()).toBe('a"b\\c');
    r.sp();
    expect(r.quotedText()).toBe('caf\u00e9');
    r.sp();
    expect(() => r.quotedText()).toThrow('unterminated quoted string');
  });
});

describe('framer lines', () => {
  it('cuts the same lines as splitting on LF, whatever the line lengths and the input split', () => {
    const maxLineLength = 300;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 420 }), fc.boolean()), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (shape, cuts) => {
          const text = shape
            .map(([n, crlf], i) => `${String.fromCharCode(0x61 + (i % 26)).repeat(n)}${crlf ? '\r\n' : '\n'}`)
            .join('');
          const bytes = new TextEncoder().encode(text);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const framer = new Framer(maxLineLength);
          const got: string[] = [];
          let at = 0;
          for (const p of [...points, bytes.length]) {
            framer.push(bytes.slice(at, p));
            at = p;
            for (let line = framer.line(); line !== undefined; line = framer.line()) {
              got.push(line === OVERFLOW ? '<overflow>' : new TextDecoder().decode(line));
            }
          }
          const expected = text
            .split('\n')
            .slice(0, -1)
            .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
            .map((l) => (l.length > maxLineLength ? '<overflow>' : l));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
