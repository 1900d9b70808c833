/**
 * A runtime-neutral `PasswordHasher`: PBKDF2-HMAC-SHA-256 (RFC 8018 §5.2) from `@mailwire/core`,
 * plus SCRAM-SHA-256 stored keys (RFC 5802 §3, RFC 7677). Pure TypeScript, so it runs anywhere
 * `globalThis.crypto.getRandomValues` exists. On Node, prefer the scrypt hasher of
 * `@mailwire/store/node` (memory-hard, native speed).
 */
import {
  constantTimeEqual,
  decodeBase64,
  deriveScramKeys,
  encodeBase64,
  pbkdf2Sha256,
  SCRAM_DEFAULT_ITERATIONS,
  UsageError,
  utf8,
} from '@mailwire/core';
import type { PasswordHasher, ScramStoredKeys } from './types.js';

export interface Pbkdf2HasherOptions {
  /** PBKDF2 iterations for the password hash (default 100,000; OWASP suggests 600,000 for SHA-256). */
  readonly iterations?: number;
  /** Iterations for the SCRAM keys (default 4096, RFC 7677 §4's minimum); `0` stores no SCRAM keys. */
  readonly scramIterations?: number;
  /** Source of salt bytes; defaults to `globalThis.crypto.getRandomValues`. */
  readonly randomBytes?: (length: number) => Uint8Array;
}

interface RandomSource {
  getRandomValues<T extends Uint8Array>(array: T): T;
}

const PREFIX = '$pbkdf2-sha256$';
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function defaultRandomBytes(length: number): Uint8Array {
  const source = (globalThis as { crypto?: RandomSource }).crypto;
  if (source === undefined)
    throw new UsageError('ERR_INVALID_STATE', 'no globalThis.crypto: pass randomBytes');
  return source.getRandomValues(new Uint8Array(length));
}

/**
 * Hashes as `$pbkdf2-sha256$i=<iterations>$<salt base64>$<key base64>`.
 *
 * @example
 * const store = createMemoryStore({ hasher: createPbkdf2Hasher({ iterations: 1000 }) });
 */
export function createPbkdf2Hasher(options: Pbkdf2HasherOptions = {}): PasswordHasher {
  const iterations = options.iterations ?? 100_000;
  const scramIterations = options.scramIterations ?? SCRAM_DEFAULT_ITERATIONS;
  const randomBytes = options.randomBytes ?? defaultRandomBytes;
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new UsageError('ERR_INVALID_ARGUMENT', 'iterations must be a positive integer');
  }
  if (!Number.isSafeInteger(scramIterations) || scramIterations < 0) {
    throw new UsageError('ERR_INVALID_ARGUMENT', 'scramIterations must be a non-negative integer');
  }
  return {
    async hash(password: string): Promise<string> {
      const salt = randomBytes(SALT_LENGTH);
      const key = pbkdf2Sha256(utf8(password.normalize('NFC')), salt, iterations, KEY_LENGTH);
      return `${PREFIX}i=${iterations}$${encodeBase64(salt)}$${encodeBase64(key)}`;
    },
    async verify(password: string, encoded: string): Promise<boolean> {
      const m = /^\$pbkdf2-sha256\$i=(\d{1,9})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(
        encoded,
      );
      if (m === null) return false;
      const salt = decodeBase64(m[2]!);
      const expected = decodeBase64(m[3]!);
      const rounds = Number(m[1]);
      if (salt === undefined || expected === undefined || expected.length < 16 || rounds < 1) return false;
      const key = pbkdf2Sha256(utf8(password.normalize('NFC')), salt, rounds, expected.length);
      return constantTimeEqual(key, expected);
    },
    async deriveScramKeys(password: string): Promise<ScramStoredKeys | undefined> {
      if (scramIterations === 0) return undefined;
      try {
        return deriveScramKeys(password, randomBytes(SALT_LENGTH), scramIterations);
      } catch (error) {
        // SASLprep prohibits a character of this password: it cannot be used with SCRAM.
        if (UsageError.isInstance(error)) return undefined;
        throw error;
      }
    },
  };
}
