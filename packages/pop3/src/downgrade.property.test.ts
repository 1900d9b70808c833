import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeaderDowngrader } from './downgrade.js';

function run(input: Uint8Array, cuts: number[], max?: number): Uint8Array {
  const d = new HeaderDowngrader(max);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cuts.map((x) => x % (input.length + 1)).sort((a, b) => a - b), input.length]) {
    parts.push(d.push(input.subarray(at, c)));
    at = c;
  }
  parts.push(d.end());
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** The header section of `bytes`: up to and including the first blank line. */
function headerOf(bytes: Uint8Array): Uint8Array {
  const s = Buffer.from(bytes).toString('latin1');
  if (s.startsWith('\n')) return bytes.subarray(0, 1);
  if (s.startsWith('\r\n')) return bytes.subarray(0, 2);
  const m = /\n\r?\n/.exec(s);
  return m ? bytes.subarray(0, m.index + m[0].length) : bytes;
}

const headerish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'Subject: ',
        'From: ',
        'To: ',
        'Message-ID: ',
        'X-A: ',
        '\r\n',
        '\n',
        ' ',
        ',',
        '<',
        '>',
        '"',
        '\u00e9',
        '\u7528',
        '@',
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'utf8')));

describe('HeaderDowngrader properties', () => {
  it('never throws on random bytes; the header section it sends is 7-bit; chunking does not matter', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), headerish),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.constantFrom(undefined, 32),
        (input, cuts, max) => {
          const whole = run(input, [], max);
          expect(run(input, cuts, max)).toEqual(whole);
          for (const b of headerOf(whole)) expect(b).toBeLessThan(0x80);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the body after the blank line is passed through unchanged', () => {
    fc.assert(
      fc.property(headerish, fc.uint8Array({ maxLength: 100 }), (header, body) => {
        const h = Buffer.from(header).toString('latin1').replace(/\r?\n/g, ' ');
        const input = new Uint8Array([...Buffer.from(`${h}\r\n\r\n`, 'latin1'), ...body]);
        const out = run(input, []);
        expect(Buffer.from(out.subarray(out.length - body.length))).toEqual(Buffer.from(body));
      }),
      { numRuns: 200 },
    );
  });
});
