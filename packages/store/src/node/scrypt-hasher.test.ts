import { describe, expect, it } from 'vitest';
import { deriveScramKeys } from '@mailwire/core';
import { createMemoryStore } from '../memory/memory-store.js';
import { createScryptHasher } from './scrypt-hasher.js';

describe('createScryptHasher', () => {
  const hasher = createScryptHasher({ cost: 1024 });

  it('hashes with fresh salt and verifies only the right password', async () => {
    const encoded = await hasher.hash('correct horse');
    expect(encoded).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(await hasher.hash('correct horse')).not.toBe(encoded);
    expect(await hasher.verify('correct horse', encoded)).toBe(true);
    expect(await hasher.verify('correct horsE', encoded)).toBe(false);
    expect(await hasher.verify('correct horse', encoded.replace('ln=10', 'ln=11'))).toBe(false);
    expect(await hasher.verify('correct horse', 'nonsense')).toBe(false);
  });

  it('derives SCRAM keys that match the RFC 5802 definition', async () => {
    const keys = (await hasher.deriveScramKeys!('pencil'))!;
    expect(keys.iterations).toBe(4096);
    expect(keys).toEqual(deriveScramKeys('pencil', keys.salt, 4096));
    expect(await hasher.deriveScramKeys!('bell\u0007')).toBeUndefined();
  });

  it('plugs into a store', async () => {
    const store = createMemoryStore({ hasher });
    await store.accounts.createAccount({ address: 'n@example.com', password: 'pw' });
    expect(await store.accounts.verifyPassword('n@example.com', 'pw')).toBeDefined();
  });

  it('refuses a cost that is not a power of two', () => {
    expect(() => createScryptHasher({ cost: 1000 })).toThrow();
  });
});
