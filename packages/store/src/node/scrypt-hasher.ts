/**
 * A `PasswordHasher` over `node:crypto`: scrypt (RFC 7914), memory-hard and native, as
 * self-describing `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` strings (the layout
 * `@mailwire/store-sqlite` uses too), plus SCRAM-SHA-256 stored keys (RFC 5802 §3, RFC 7677).
 */
import { createHash, createHmac, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { saslprep, SCRAM_DEFAULT_ITERATIONS, UsageError } from '@mailwire/core';
import type { PasswordHasher, ScramStoredKeys } from '../types.js';

export interface ScryptHasherOptions {
  /** CPU/memory cost N, a power of two (default 2^15 = 32768, 32 MiB with r = 8). */
  readonly cost?: number;
  /** Block size r (default 8). */
  readonly blockSize?: number;
  /** Parallelisation p (default 1). */
  readonly parallelization?: number;
  /** Iterations for the SCRAM keys (default 4096, RFC 7677 §4's minimum); `0` stores no SCRAM keys. */
  readonly scramIterations?: number;
}

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const PATTERN =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(
  password: string,
  salt: Uint8Array,
  n: number,
  r: number,
  p: number,
  length: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      length,
      { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    );
  });
}

/**
 * @example
 * import { createScryptHasher } from '@mailwire/store/node';
 * const store = createMemoryStore({ hasher: createScryptHasher() });
 */
export function createScryptHasher(options: ScryptHasherOptions = {}): PasswordHasher {
  const n = options.cost ?? 2 ** 15;
  const r = options.blockSize ?? 8;
  const p = options.parallelization ?? 1;
  const scramIterations = options.scramIterations ?? SCRAM_DEFAULT_ITERATIONS;
  const ln = Math.log2(n);
  if (!Number.isInteger(ln) || ln < 1 || ln > 30)
    throw new UsageError('ERR_INVALID_ARGUMENT', 'cost must be a power of two');
  if (!Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1) {
    throw new UsageError('ERR_INVALID_ARGUMENT', 'blockSize and parallelization must be positive integers');
  }
  return {
    async hash(password) {
      const salt = randomBytes(SALT_LENGTH);
      const key = await derive(password, salt, n, r, p, KEY_LENGTH);
      return `$scrypt$ln=${ln},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
    },
    async verify(password, encoded) {
      const m = PATTERN.exec(encoded);
      if (m === null) return false;
      const [lnText, rText, pText, saltText, hashText] = m.slice(1) as [
        string,
        string,
        string,
        string,
        string,
      ];
      const cost = 2 ** Number(lnText);
      const expected = Buffer.from(hashText, 'base64');
      if (
        Number(lnText) < 1 ||
        Number(lnText) > 30 ||
        Number(rText) < 1 ||
        Number(pText) < 1 ||
        expected.length < 16
      ) {
        return false;
      }
      const key = await derive(
        password,
        Buffer.from(saltText, 'base64'),
        cost,
        Number(rText),
        Number(pText),
        expected.length,
      );
      return timingSafeEqual(key, expected);
    },
    async deriveScramKeys(password): Promise<ScramStoredKeys | undefined> {
      if (scramIterations === 0) return undefined;
      // RFC 5802 §2.2: Normalize(str) is SASLprep (RFC 4013) with stored-string rules.
      const prepared = saslprep(password, { stored: true });
      if (prepared === undefined) return undefined;
      const salt = randomBytes(SALT_LENGTH);
      const salted = await new Promise<Buffer>((resolve, reject) =>
        pbkdf2(prepared, salt, scramIterations, 32, 'sha256', (error, key) =>
          error === null ? resolve(key) : reject(error),
        ),
      );
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      return {
        salt: new Uint8Array(salt),
        iterations: scramIterations,
        storedKey: new Uint8Array(createHash('sha256').update(clientKey).digest()),
        serverKey: new Uint8Array(createHmac('sha256', salted).update('Server Key').digest()),
      };
    },
  };
}
