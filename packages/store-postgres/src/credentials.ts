/**
 * Credentials as columns. Hashing is `@mailwire/store/node`'s scrypt `PasswordHasher`
 * (`node:crypto`, N = 16384, r = 8, p = 1 unless the caller passes its own hasher); SCRAM-SHA-256
 * stored keys (RFC 5802 §3, RFC 7677) are kept in one self-describing column, in the layout
 * PostgreSQL itself uses for `pg_authid.rolpassword`.
 */

import type { PasswordHasher, ScramStoredKeys } from '@mailwire/store';
import { createScryptHasher } from '@mailwire/store/node';

/** scrypt N = 2^14, r = 8, p = 1: ~16 MiB and tens of ms per login on a small server. */
export const DEFAULT_SCRYPT_COST = 16384;

export function defaultHasher(): PasswordHasher {
  return createScryptHasher({ cost: DEFAULT_SCRYPT_COST, blockSize: 8, parallelization: 1 });
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64). */
export function encodeScram(keys: ScramStoredKeys): string {
  return `SCRAM-SHA-256$${keys.iterations}:${b64(keys.salt)}$${b64(keys.storedKey)}:${b64(keys.serverKey)}`;
}

/** The keys of a column written by `encodeScram()`, or `undefined` for anything else. */
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
