import { describe, expect, it } from 'vitest';
import { deriveScramKeys } from '@mailwire/core';
import { createPbkdf2Hasher } from './pbkdf2-hasher.js';

const salt = new Uint8Array(16).fill(7);

describe('createPbkdf2Hasher', () => {
  it('hashes to a self-describing string and verifies only the right password', async () => {
    const hasher = createPbkdf2Hasher({ iterations: 100, randomBytes: (n) => salt.slice(0, n) });
    const encoded = await hasher.hash('pässwörd');
    expect(encoded).toMatch(/^\$pbkdf2-sha256\$i=100\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(encoded).not.toContain('pässwörd');
    expect(await hasher.verify('pässwörd', encoded)).toBe(true);
    // NFC: the decomposed spelling is the same password.
    expect(await hasher.verify('pa\u0308sswo\u0308rd', encoded)).toBe(true);
    expect(await hasher.verify('passwort', encoded)).toBe(false);
    expect(await hasher.verify('pässwörd', encoded.replace('i=100', 'i=101'))).toBe(false);
    expect(await hasher.verify('pässwörd', 'garbage')).toBe(false);
    expect(await hasher.verify('pässwörd', '$pbkdf2-sha256$i=100$AAAA$AAAA')).toBe(false);
  });

  it('uses fresh salt per hash', async () => {
    const hasher = createPbkdf2Hasher({ iterations: 10 });
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('derives the SCRAM-SHA-256 keys of RFC 5802 §3', async () => {
    const hasher = createPbkdf2Hasher({ iterations: 10, randomBytes: (n) => salt.slice(0, n) });
    const keys = await hasher.deriveScramKeys!('pencil');
    expect(keys).toEqual(deriveScramKeys('pencil', salt, 4096));
    const none = createPbkdf2Hasher({ iterations: 10, scramIterations: 0 });
    expect(await none.deriveScramKeys!('pencil')).toBeUndefined();
    // SASLprep (RFC 4013) prohibits control characters: no SCRAM keys, but no failure either.
    expect(await hasher.deriveScramKeys!('bad\u0007')).toBeUndefined();
  });

  it('refuses nonsense options', () => {
    expect(() => createPbkdf2Hasher({ iterations: 0 })).toThrow();
    expect(() => createPbkdf2Hasher({ scramIterations: -1 })).toThrow();
  });
});
