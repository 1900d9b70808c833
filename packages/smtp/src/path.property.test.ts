import { parsePath as coreParsePath } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePath } from './path.js';

describe('parsePath fast path', () => {
  it('agrees with the full parser on ASCII paths', () => {
    const atom = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,70}$/);
    const domain = fc.stringMatching(/^[A-Za-z0-9.-]{1,80}$/);
    fc.assert(
      fc.property(atom, domain, (local, dom) => {
        const text = `<${local}@${dom}>`;
        const core = coreParsePath(text, { smtputf8: true });
        const expected = core.ok && core.value.type === 'mailbox' ? core.value.mailbox : undefined;
        expect(parsePath(text)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
