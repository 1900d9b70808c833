import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeScram, defaultHasher, encodeScram } from './credentials.js';

describe('credentials', () => {
  it('hashes with scrypt N=16384,r=8,p=1 by default, salted, verifying only the right password', async () => {
    const hasher = defaultHasher();
    const a = await hasher.hash('correct horse');
    expect(a).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await hasher.hash('correct horse')).not.toBe(a);
    expect(await hasher.verify('correct horse', a)).toBe(true);
    expect(await hasher.verify('correct horsf', a)).toBe(false);
    expect(await hasher.verify('correct horse', 'garbage')).toBe(false);
  });

  it('derives SCRAM-SHA-256 keys as RFC 5802 §3 defines them, round-tripping through the column', async () => {
    const keys = (await defaultHasher().deriveScramKeys!('pencil'))!;
    const salted = pbkdf2Sync('pencil', keys.salt, keys.iterations, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    expect(Buffer.from(keys.storedKey)).toEqual(createHash('sha256').update(clientKey).digest());
    expect(Buffer.from(keys.serverKey)).toEqual(createHmac('sha256', salted).update('Server Key').digest());
    expect(keys.iterations).toBe(4096);
    expect(decodeScram(encodeScram(keys))).toEqual(keys);
    expect(decodeScram('SCRAM-SHA-256$x')).toBeUndefined();
  });
});
