/**
 * Password storage with `node:crypto`: scrypt hashes as self-describing PHC-style strings and
 * SCRAM-SHA-256 stored keys (RFC 5802 §3, RFC 7677). The password itself is never stored.
 */

import { createHash, createHmac, pbkdf2Sync, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { ScramStoredKeys } from '@mailwire/core';

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
export function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): string {
  const ln = Math.log2(params.N);
  if (!Number.isInteger(ln) || ln < 1 || ln > 30) throw new RangeError('scrypt N must be a power of two');
  const salt = randomBytes(16);
  const key = derive(password, salt, params);
  return `${PREFIX}ln=${ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** Checks a password against a string made by `hashPassword()`; false for anything unparseable. */
export function verifyPassword(password: string, encoded: string): boolean {
  const parsed = parseScrypt(encoded);
  if (parsed === undefined) return false;
  const key = derive(password, parsed.salt, parsed.params, parsed.hash.byteLength);
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

function derive(password: string, salt: Uint8Array, params: ScryptParams, length = KEY_LENGTH): Buffer {
  return scryptSync(password.normalize('NFC'), salt, length, {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  });
}

/**
 * SCRAM-SHA-256 keys for a password (RFC 5802 §3): SaltedPassword = Hi(password, salt, i),
 * StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key").
 * The password should already be SASLprep-ed by the caller; NFC is applied here as a close
 * approximation for the common case.
 */
export function scramKeys(
  password: string,
  iterations = DEFAULT_SCRAM_ITERATIONS,
  salt: Uint8Array = randomBytes(16),
): ScramStoredKeys {
  const salted = pbkdf2Sync(password.normalize('NFC'), salt, iterations, 32, 'sha256');
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
