import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64.js';
import { constantTimeEqual, toHex } from './compare.js';
import { hmacMd5, hmacSha256, pbkdf2Sha256 } from './hmac.js';
import { Md5, md5 } from './md5.js';
import { Sha256, sha256 } from './sha256.js';

const bytes = fc.uint8Array({ maxLength: 300 });

describe('crypto matches node:crypto', () => {
  it('sha256 and md5, whole and in pieces', () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(300), { maxLength: 5 }), (data, cuts) => {
        expect(toHex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
        expect(toHex(md5(data))).toBe(createHash('md5').update(data).digest('hex'));
        const points = [0, ...cuts.map((c) => c % (data.length + 1)).sort((a, b) => a - b), data.length];
        const s = new Sha256();
        const m = new Md5();
        for (let i = 1; i < points.length; i++) {
          s.update(data.subarray(points[i - 1], points[i]));
          m.update(data.subarray(points[i - 1], points[i]));
        }
        expect(toHex(s.digest())).toBe(createHash('sha256').update(data).digest('hex'));
        expect(toHex(m.digest())).toBe(createHash('md5').update(data).digest('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('hmac-sha256 and hmac-md5', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150 }), bytes, (key, data) => {
        expect(toHex(hmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'));
        expect(toHex(hmacMd5(key, data))).toBe(createHmac('md5', key).update(data).digest('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('pbkdf2-sha256', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 80 }),
        (password, salt, iterations, length) => {
          expect(toHex(pbkdf2Sha256(password, salt, iterations, length))).toBe(
            pbkdf2Sync(password, salt, iterations, length, 'sha256').toString('hex'),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('base64', () => {
  it('round trips and matches Node', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        const text = encodeBase64(data);
        expect(text).toBe(Buffer.from(data).toString('base64'));
        expect(decodeBase64(text)).toEqual(data);
      }),
      { numRuns: 300 },
    );
  });

  it('random input never throws; what it accepts is canonical', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 24 }), fc.stringMatching(/^[A-Za-z0-9+/=]{0,16}$/)),
        (text) => {
          const decoded = decodeBase64(text);
          if (decoded !== undefined) expect(encodeBase64(decoded)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('constantTimeEqual agrees with plain equality', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 4 }), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(toHex(a) === toHex(b) && a.length === b.length);
      }),
    );
  });
});
