import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOf, run } from '../test/helpers.js';
import type { Pop3ServerSessionOptions } from './index.js';

const OPTIONS: Pop3ServerSessionOptions = {
  allowInsecureAuth: true,
  saslMechanisms: ['PLAIN'],
  apopTimestamp: '<1.2@example>',
  maxErrors: 1000,
  maxAuthFailures: 1000,
};

const line = fc.oneof(
  fc.constantFrom(
    'USER alice',
    'PASS secret',
    'PASS wrong',
    'APOP alice 0123456789abcdef0123456789abcdef',
    'AUTH PLAIN AGFsaWNlAHNlY3JldA==',
    'AUTH PLAIN',
    '*',
    'AUTH',
    'STAT',
    'LIST',
    'UIDL',
    'RSET',
    'NOOP',
    'CAPA',
    'LANG',
    'UTF8',
    'STLS',
    'QUIT',
    '',
    'BOGUS',
    '.',
  ),
  fc
    .tuple(fc.constantFrom('LIST', 'UIDL', 'RETR', 'DELE'), fc.integer({ min: 0, max: 4 }))
    .map(([c, n]) => `${c} ${n}`),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 6 })).map(([n, l]) => `TOP ${n} ${l}`),
);

describe('Pop3ServerSession properties', () => {
  it('any pipelined command sequence, split anywhere, gives the same bytes and a well-formed event stream', () => {
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 25 }),
        fc.array(fc.nat(600), { maxLength: 5 }),
        (lines, cuts) => {
          const input = bytesOf(lines.map((l) => `${l}\r\n`).join(''));
          const whole = run([input], OPTIONS);
          const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
          const pieces: Uint8Array[] = [];
          let start = 0;
          for (const p of points) {
            pieces.push(input.subarray(start, p));
            start = p;
          }
          pieces.push(input.subarray(start));
          const split = run(pieces, OPTIONS);
          expect(split.output).toBe(whole.output);

          const types = whole.events.map((e) => e.type);
          const opened = whole.events.filter((e) => e.type === 'maildrop').length;
          expect(opened).toBeLessThanOrEqual(1);
          const releases = types.filter((t) => t === 'release').length;
          const closed = types.filter((t) => t === 'closed').length;
          expect(closed).toBeLessThanOrEqual(1);
          if (closed === 1) {
            expect(types.at(-1)).toBe('closed');
            expect(releases).toBe(opened);
          } else {
            expect(releases).toBe(0);
          }
          // Only QUIT after login commits.
          const commits = types.filter((t) => t === 'commit').length;
          expect(commits).toBeLessThanOrEqual(opened);
          for (const l of whole.output.split('\r\n').filter((x) => x.startsWith('-') || x.startsWith('+'))) {
            expect(l).toMatch(/^(\+OK|-ERR|\+ )/);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
