import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailwireError } from '@mailwire/core';
import { normalizeFlag } from './flags.js';
import { normalizeMailboxName } from './names.js';

function attempt<T>(fn: () => T): T | MailwireError {
  try {
    return fn();
  } catch (error) {
    expect(MailwireError.isInstance(error), String(error)).toBe(true);
    return error as MailwireError;
  }
}

describe('names and flags (property)', () => {
  it('normalise idempotently or refuse with a typed error, for any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('inbox/a', 'a/b/', 'Ü/x')),
        (raw) => {
          const name = attempt(() => normalizeMailboxName(raw));
          if (typeof name === 'string') {
            expect(normalizeMailboxName(name)).toBe(name);
            expect(name.split('/').every((part) => part.length > 0)).toBe(true);
          }
          const flag = attempt(() => normalizeFlag(raw));
          if (typeof flag === 'string') expect(normalizeFlag(flag)).toBe(flag);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuse non-strings with a typed error', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        if (typeof value === 'string') return;
        attempt(() => normalizeMailboxName(value as never));
        attempt(() => normalizeFlag(value as never));
      }),
      { numRuns: 100 },
    );
  });
});
