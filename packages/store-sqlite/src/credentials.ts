/**
 * Password storage with `node:crypto`: scrypt hashes as self-describing PHC-style strings and
 * SCRAM-SHA-256 stored keys (RFC 5802 §3, RFC 7677). The password itself is never stored.
 */

import { createHash, createHmac, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { PasswordHasher, ScramStoredKeys } from '@mailwire/store';

export interface ScryptParams {
  /** CPU/memory cost, a power of two (default 16384 = 2^14). */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };

/** RFC 7677 §4: at least 4096 iterations. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

const KEY_LENGTH = 32;
const PREFIX = '$scrypt$';

/** `$scrypt$ln=14,r=8,p=1$<salt base64>$<hash base64>` */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const ln = Math.log2(params.N);
  if (!Number.isInteger(ln) || ln < 1 || ln > 30) throw new RangeError('scrypt N must be a power of two');
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return `${PREFIX}ln=${ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** Checks a password against a string made by `hashPassword()`; false for anything unparseable. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseScrypt(encoded);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.hash.byteLength);
  return key.byteLength === parsed.hash.byteLength && timingSafeEqual(key, parsed.hash);
}

function parseScrypt(
  encoded: string,
): { params: ScryptParams; salt: Uint8Array; hash: Uint8Array } | undefined {
  const m =
    /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(
      encoded,
    );
  if (m === null) return undefined;
  const ln = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  if (ln < 1 || ln > 30 || r < 1 || p < 1) return undefined;
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (hash.byteLength < 16) return undefined;
  return { params: { N: 2 ** ln, r, p }, salt, hash };
}

function derive(
  password: string,
  salt: Uint8Array,
  params: ScryptParams,
  length = KEY_LENGTH,
): Promise<Buffer> {
  const options = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * SCRAM-SHA-256 keys for a password (RFC 5802 §3): SaltedPassword = Hi(password, salt, i),
 * StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key").
 * The password should already be SASLprep-ed by the caller; NFC is applied here as a close
 * approximation for the common case.
 */
export async function scramKeys(
  password: string,
  iterations = DEFAULT_SCRAM_ITERATIONS,
  salt: Uint8Array = randomBytes(16),
): Promise<ScramStoredKeys> {
  const salted = await new Promise<Buffer>((resolve, reject) => {
    pbkdf2(password.normalize('NFC'), salt, iterations, 32, 'sha256', (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return {
    salt: new Uint8Array(salt),
    iterations,
    storedKey: new Uint8Array(storedKey),
    serverKey: new Uint8Array(serverKey),
  };
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (the layout PostgreSQL uses). */
export function encodeScram(keys: ScramStoredKeys): string {
  return `SCRAM-SHA-256$${keys.iterations}:${b64(keys.salt)}$${b64(keys.storedKey)}:${b64(keys.serverKey)}`;
}

export function decodeScram(encoded: string): ScramStoredKeys | undefined {
  const m =
    /^SCRAM-SHA-256\$(\d{1,9}):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/.exec(
      encoded,
    );
  if (m === null) return undefined;
  return {
    iterations: Number(m[1]),
    salt: new Uint8Array(Buffer.from(m[2]!, 'base64')),
    storedKey: new Uint8Array(Buffer.from(m[3]!, 'base64')),
    serverKey: new Uint8Array(Buffer.from(m[4]!, 'base64')),
  };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export interface ScryptHasherOptions {
  readonly scrypt?: ScryptParams;
  /** SCRAM-SHA-256 iterations; 0 disables SCRAM keys (default 4096, RFC 7677 §4). */
  readonly scramIterations?: number;
}

/**
 * The default `PasswordHasher`: scrypt (N=16384, r=8, p=1) and SCRAM-SHA-256 keys (PBKDF2, 4096
 * iterations), both computed in libuv's thread pool so the event loop stays free.
 */
export function createScryptHasher(options: ScryptHasherOptions = {}): PasswordHasher {
  const params = options.scrypt ?? DEFAULT_SCRYPT;
  const iterations = options.scramIterations ?? DEFAULT_SCRAM_ITERATIONS;
  const hasher: PasswordHasher = {
    hash: (password) => hashPassword(password, params),
    verify: (password, encoded) => verifyPassword(password, encoded),
  };
  if (iterations > 0) {
    return { ...hasher, deriveScramKeys: (password) => scramKeys(password, iterations) };
  }
  return hasher;
}
