import { concatBytes } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataDecoder } from './dot-stuffing.js';

const CR = 13;
const LF = 10;
const DOT = 46;

/**
 * The plain one-octet-at-a-time state machine of RFC 5321 §4.5.2 (the decoder's first version),
 * kept as the reference the optimised decoder must agree with.
 */
class ReferenceDecoder {
  size = 0;
  bareLf = 0;
  bareCr = 0;
  longLines = 0;
  private state: 'start' | 'dot' | 'dotCr' | 'mid' | 'cr' = 'start';
  private lineLength = 0;
  done = false;
  constructor(
    private readonly normalize: boolean,
    private readonly max: number,
  ) {}

  push(chunk: Uint8Array): { out: number[]; consumed: number } {
    const out: number[] = [];
    if (this.done) return { out, consumed: 0 };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      for (;;) {
        if (this.state === 'start') {
          this.lineLength = 0;
          if (b === DOT) {
            this.state = 'dot';
            break;
          }
          this.state = 'mid';
          continue;
        }
        if (this.state === 'dot') {
          if (b === CR) {
            this.state = 'dotCr';
            break;
          }
          this.state = 'mid';
          continue;
        }
        if (this.state === 'dotCr') {
          if (b === LF) {
            this.done = true;
            this.size += out.length;
            return { out, consumed: i + 1 };
          }
          this.bareCr++;
          out.push(...(this.normalize ? [CR, LF] : [CR]));
          this.lineLength = 0;
          this.state = 'mid';
          continue;
        }
        if (this.state === 'cr') {
          if (b === LF) {
            if (this.lineLength > this.max) this.longLines++;
            out.push(CR, LF);
            this.state = 'start';
            break;
          }
          this.bareCr++;
          out.push(...(this.normalize ? [CR, LF] : [CR]));
          if (this.lineLength > this.max) this.longLines++;
          this.lineLength = 0;
          this.state = 'mid';
          continue;
        }
        // mid
        if (b === CR) this.state = 'cr';
        else if (b === LF) {
          this.bareLf++;
          out.push(...(this.normalize ? [CR, LF] : [LF]));
          if (this.lineLength > this.max) this.longLines++;
          this.lineLength = 0;
        } else {
          this.lineLength++;
          out.push(b);
        }
        break;
      }
    }
    // A CR held at the end of a chunk is emitted once its successor is known.
    this.size += out.length;
    return { out, consumed: chunk.length };
  }

  /** Bytes the reference holds back (a pending CR) that the real decoder emitted already. */
  get heldCr(): boolean {
    return this.state === 'cr';
  }
}

// Short pieces and long runs of ordinary octets (the decoder skips those four at a time).
const wireBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(CR, LF, DOT, 0x61, 0x20, 0x09, 0x00, 0x0e).map((b) => [b]),
      fc.nat(40).map((n) => Array.from({ length: n }, () => 0x78)),
      fc.constant([CR, LF, DOT, CR, LF]),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.flat());

describe('DataDecoder agrees with the one-octet-at-a-time state machine', () => {
  it.each(['keep', 'normalize'] as const)('bare line endings: %s, any input, any split', (mode) => {
    fc.assert(
      fc.property(
        wireBytes,
        fc.array(fc.nat(400), { maxLength: 4 }),
        fc.integer({ min: 0, max: 12 }),
        (bytes, cuts, max) => {
          const wire = Uint8Array.from(bytes);
          const points = [...new Set(cuts.map((c) => Math.min(c, wire.length)))].sort((a, b) => a - b);
          const decoder = new DataDecoder({ bareLineEndings: mode, maxLineLength: max });
          const got: Uint8Array[] = [];
          let consumed = 0;
          let previous = 0;
          for (const end of [...points, wire.length]) {
            const r = decoder.push(wire.subarray(previous, end));
            got.push(...r.chunks);
            consumed = previous + r.consumed;
            previous = end;
            if (r.done) break;
          }
          const reference = new ReferenceDecoder(mode === 'normalize', max);
          const want = reference.push(wire);
          // The real decoder passes a trailing CR through at once (keep mode) or after the next
          // octet; compare once both have seen the same octets.
          const gotBytes = Array.from(concatBytes(got));
          const wantBytes = reference.heldCr ? [...want.out, CR] : want.out;
          if (decoder.done) {
            expect(gotBytes).toEqual(wantBytes);
            expect(consumed).toBe(want.consumed);
            expect(decoder.size).toBe(reference.size);
          } else {
            expect(reference.done).toBe(false);
            expect(gotBytes.slice(0, want.out.length)).toEqual(want.out);
          }
          expect(decoder.done).toBe(reference.done);
          expect(decoder.bareLf).toBe(reference.bareLf);
          expect(decoder.bareCr).toBe(reference.bareCr);
          expect(decoder.longLines).toBe(reference.longLines);
        },
      ),
      { numRuns: 300 },
    );
  });
});
