import { parsePath as coreParsePath } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePath } from './path.js';

/** What the full parser (no fast path) makes of `text`. */
function general(text: string) {
  const core = coreParsePath(text, { smtputf8: true });
  return core.ok && core.value.type === 'mailbox' ? core.value.mailbox : undefined;
}

describe('parsePath fast path', () => {
  it('agrees with the full parser on ASCII paths', () => {
    const atom = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,70}$/);
    const domain = fc.stringMatching(/^[A-Za-z0-9.-]{1,80}$/);
    fc.assert(
      fc.property(atom, domain, (local, dom) => {
        const text = `<${local}@${dom}>`;
        expect(parsePath(text)).toEqual(general(text));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the full parser near every limit (label and local-part lengths, hyphens, digits)', () => {
    // Labels from a small alphabet so that hyphen runs, digit-only labels and "xn--" shapes are common.
    const label = fc.oneof(
      fc.stringMatching(/^[a9-]{1,6}$/),
      fc.constantFrom('xn--abc', 'ab--c', 'a-b', '123', 'A', 'x'.repeat(63), 'y'.repeat(64), 'a-', '-a'),
    );
    const domain = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.'));
    const local = fc.oneof(
      fc.stringMatching(/^[a.+]{1,8}$/),
      fc.constantFrom('l'.repeat(64), 'l'.repeat(65), 'a..b', '.a', 'a.'),
    );
    const wrap = fc.constantFrom(['<', '>'], ['', '>'], ['<', ''], ['<', '> '], ['<<', '>']);
    fc.assert(
      fc.property(local, domain, wrap, (l, d, [open, close]) => {
        const text = `${open}${l}@${d}${close}`;
        expect(parsePath(text)).toEqual(general(text));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the full parser on paths up to and over 256 octets', () => {
    for (const length of [250, 253, 254, 255, 256, 257]) {
      const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(length - 183 - 4)}.com`;
      for (const text of [`<a@${domain}>`, `<ab@${domain}>`]) expect(parsePath(text)).toEqual(general(text));
    }
  });
});
