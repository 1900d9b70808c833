/** HMAC (RFC 2104) over SHA-256 and MD5, and PBKDF2 (RFC 8018 §5.2) over HMAC-SHA-256. */

import { UsageError } from '../errors.js';
import { Md5 } from './md5.js';
import { Sha256, sha256Blocks } from './sha256.js';

interface Hash {
  update(data: Uint8Array): Hash;
  digest(): Uint8Array;
}

function hmac(create: () => Hash, key: Uint8Array, message: Uint8Array): Uint8Array {
  // RFC 2104 §2: keys longer than the block size are hashed first; both hashes here use 64-byte blocks.
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? create().update(key).digest() : key);
  const ipad = block.map((b) => b ^ 0x36);
  const opad = block.map((b) => b ^ 0x5c);
  const inner = create().update(ipad).update(message).digest();
  return create().update(opad).update(inner).digest();
}

/** HMAC-SHA-256 (RFC 2104, RFC 4231). */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(() => new Sha256(), key, message);
}

/** HMAC-MD5 (RFC 2104), for CRAM-MD5 only. */
export function hmacMd5(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(() => new Md5(), key, message);
}

const SHA256_IV = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

function stateAfterPad(pad: Uint8Array, w: Int32Array): Int32Array {
  const state = new Int32Array(SHA256_IV);
  sha256Blocks(state, pad, 0, 64, w);
  return state;
}

/**
 * PBKDF2-HMAC-SHA-256 (RFC 8018 §5.2), as SCRAM-SHA-256's `Hi()` (RFC 5802 §2.2) uses it.
 * The inner and outer pad states are computed once, so each iteration costs two compressions.
 *
 * Throws `UsageError` for a non-positive iteration count or key length.
 */
export function pbkdf2Sha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  keyLength: number,
): Uint8Array {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new UsageError(
      'ERR_INVALID_ARGUMENT',
      `PBKDF2 iterations must be a positive integer, got ${iterations}`,
    );
  }
  if (!Number.isSafeInteger(keyLength) || keyLength < 1 || keyLength > 32 * 0xffff) {
    throw new UsageError('ERR_INVALID_ARGUMENT', `PBKDF2 key length out of range: ${keyLength}`);
  }
  const w = new Int32Array(64);
  const block = new Uint8Array(64);
  block.set(password.length > 64 ? new Sha256().update(password).digest() : password);
  const innerState = stateAfterPad(
    block.map((b) => b ^ 0x36),
    w,
  );
  const outerState = stateAfterPad(
    block.map((b) => b ^ 0x5c),
    w,
  );
  // One padded 64-byte block holding a 32-byte digest, after a 64-byte pad: 96 bytes = 768 bits.
  const msg = new Uint8Array(64);
  msg[32] = 0x80;
  msg[62] = 0x03;
  msg[63] = 0x00;
  const state = new Int32Array(8);
  const out = new Uint8Array(keyLength);
  const blocks = Math.ceil(keyLength / 32);
  for (let index = 1; index <= blocks; index++) {
    const counter = new Uint8Array([index >>> 24, index >>> 16, index >>> 8, index]);
    const first = new Uint8Array(salt.length + 4);
    first.set(salt);
    first.set(counter, salt.length);
    let u = hmacSha256(password, first);
    const t = u.slice();
    for (let i = 1; i < iterations; i++) {
      // U_i = HMAC(P, U_{i-1}), with the pad states reused.
      msg.set(u);
      state.set(innerState);
      sha256Blocks(state, msg, 0, 64, w);
      writeState(state, msg);
      state.set(outerState);
      sha256Blocks(state, msg, 0, 64, w);
      u = new Uint8Array(32);
      writeState(state, u);
      for (let j = 0; j < 32; j++) t[j]! ^= u[j]!;
    }
    out.set(t.subarray(0, Math.min(32, keyLength - (index - 1) * 32)), (index - 1) * 32);
  }
  return out;
}

function writeState(state: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
}
