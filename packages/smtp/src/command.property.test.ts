import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommandGeneral, parseCommandText } from './command.js';

/** Mixes the case of ASCII letters at random. */
const anyCase = (text: string) =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) => [...text].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

describe('parseCommandText fast path for MAIL FROM/RCPT TO', () => {
  it('agrees with the general parser on everyday paths and their near misses', () => {
    const verb = fc.oneof(
      anyCase('RCPT TO:'),
      anyCase('MAIL FROM:'),
      fc.constantFrom('RCPT TO', 'MAIL FROM;'),
    );
    const local = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9.+_-]{1,12}$/),
      fc.constantFrom('postmaster', 'a..b', '.a', 'l'.repeat(65), '"q"', 'ü'),
    );
    const domain = fc.oneof(
      fc.stringMatching(/^[a-z0-9.-]{1,20}$/),
      fc.constantFrom('example.org', 'xn--bcher-kva.example', '123', 'a-.b', '[192.0.2.1]', 'exämple.org'),
    );
    const open = fc.constantFrom('<', ' <', '  <', '', '<<');
    const close = fc.constantFrom('>', '', '> ', '> SIZE=10', '> NOTIFY=NEVER', '>>', '>\x01');
    fc.assert(
      fc.property(verb, open, local, domain, close, (v, o, l, d, c) => {
        const line = `${v}${o}${l}@${d}${c}`;
        expect(parseCommandText(line)).toEqual(parseCommandGeneral(line));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees on bare <Postmaster>, the null path and missing domains', () => {
    for (const line of [
      'RCPT TO:<Postmaster>',
      'MAIL FROM:<>',
      'RCPT TO:<a@>',
      'RCPT TO:<@b.example>',
      'MAIL FROM:<a@b.example>',
      'rcpt to:<A.B+c@Sub.Example.ORG>',
    ])
      expect(parseCommandText(line)).toEqual(parseCommandGeneral(line));
  });
});
