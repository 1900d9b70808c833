import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Frame, LineReader } from './line-reader.js';

function run(chunks: Uint8Array[], max: number): string[] {
  const reader = new LineReader({ maxLineLength: max });
  const out: string[] = [];
  const drain = () => {
    for (let f: Frame | undefined = reader.next(); f; f = reader.next()) {
      out.push(f.type === 'line' ? `L${f.terminator}:${Array.from(f.bytes).join(',')}` : `${f.type}`);
    }
  };
  for (const chunk of chunks) {
    reader.push(chunk);
    drain();
  }
  return out;
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    parts.push(bytes.slice(last, p));
    last = p;
  }
  parts.push(bytes.slice(last));
  return parts;
}

const streamBytes = fc
  .uint8Array({ maxLength: 400 })
  .map((b) => b.map((x) => (x % 7 === 0 ? 10 : x % 11 === 0 ? 13 : x)));

describe('LineReader properties', () => {
  it('any split of any byte stream frames to the same lines', () => {
    fc.assert(
      fc.property(
        streamBytes,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        (bytes, cuts, max) => {
          expect(run(split(bytes, cuts), max)).toEqual(run([bytes.slice()], max));
        },
      ),
    );
  });

  it('never holds more than maxLineLength + 2 octets of a partial line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 50 }),
        (chunks, max) => {
          const reader = new LineReader({ maxLineLength: max });
          for (const chunk of chunks) {
            reader.push(chunk);
            while (reader.next());
            expect(reader.buffered).toBeLessThanOrEqual(max + 2 + 200);
            if (reader.buffered > 0) expect(reader.buffered).toBeLessThanOrEqual(max + 2 + 200);
          }
        },
      ),
    );
  });
});
