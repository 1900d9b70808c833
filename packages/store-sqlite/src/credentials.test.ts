import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeScram, encodeScram, hashPassword, scramKeys, verifyPassword } from './credentials.js';

describe('scrypt password hashes', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const encoded = await hashPassword('correct horse', { N: 1024, r: 8, p: 1 });
    expect(encoded).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse', encoded)).toBe(true);
    expect(await verifyPassword('correct horsf', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('uses N=16384,r=8,p=1 by default and salts every hash', async () => {
    const a = await hashPassword('pw');
    const b = await hashPassword('pw');
    expect(a.startsWith('$scrypt$ln=14,r=8,p=1$')).toBe(true);
    expect(a).not.toBe(b);
    expect(await verifyPassword('pw', b)).toBe(true);
  });

  it('treats garbage as a failed verification, never a throw', async () => {
    for (const bad of [
      '',
      'plain',
      '$scrypt$ln=99,r=8,p=1$AA==$AA==',
      '$scrypt$ln=10,r=8,p=1$AA==$AA==',
      '$2b$10$x',
    ]) {
      expect(await verifyPassword('pw', bad)).toBe(false);
    }
  });
});

describe('SCRAM-SHA-256 stored keys', () => {
  it('match RFC 5802 §3 computed independently', async () => {
    const salt = new Uint8Array(16).fill(7);
    const keys = await scramKeys('pencil', 4096, salt);
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    expect(Buffer.from(keys.storedKey)).toEqual(createHash('sha256').update(clientKey).digest());
    expect(Buffer.from(keys.serverKey)).toEqual(createHmac('sha256', salted).update('Server Key').digest());
    expect(keys.iterations).toBe(4096);
  });

  it('round-trip through their string form', async () => {
    const keys = await scramKeys('pencil', 4096);
    const decoded = decodeScram(encodeScram(keys));
    expect(decoded).toEqual(keys);
    expect(decodeScram('SCRAM-SHA-256$x')).toBeUndefined();
  });
});
