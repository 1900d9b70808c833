import { UsageError } from '../errors.js';

/** The one WebCrypto method we need; declared here so core compiles without DOM or Node types. */
interface RandomSource {
  getRandomValues<T extends Uint8Array>(array: T): T;
}

/** `length` random bytes from `globalThis.crypto.getRandomValues` (Node ≥ 20, Deno, Bun, browsers). */
export function defaultRandomBytes(length: number): Uint8Array {
  const source = (globalThis as { crypto?: RandomSource }).crypto;
  if (source === undefined) {
    throw new UsageError('ERR_INVALID_STATE', 'no globalThis.crypto: pass options.randomBytes');
  }
  return source.getRandomValues(new Uint8Array(length));
}
