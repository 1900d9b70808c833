/**
 * The cryptography DKIM needs, injected by the caller so that this package stays free of
 * `node:crypto` (and of any runtime's crypto). `@mailwire/auth/node` has the Node implementation,
 * `createNodeDkimCrypto()`; a WebCrypto or pure-JS one fits the same interface.
 */

import { Sha256 } from '@mailwire/core';

/** The signing algorithms DKIM defines today: RFC 6376 §3.3 (rsa-sha1 is refused, RFC 8301 §3.1). */
export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

/** The key type of a DKIM key record (`k=`). */
export type DkimKeyType = 'rsa' | 'ed25519';

/** An incremental SHA-256. */
export interface DkimHash {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

export interface DkimCrypto {
  /** A fresh incremental SHA-256, used for body hashes (RFC 6376 §3.7). */
  sha256(): DkimHash;
  /**
   * Signs the canonicalised header data: `rsa-sha256` is RSASSA-PKCS1-v1_5 with SHA-256 over
   * `data` (RFC 6376 §3.3.1); `ed25519-sha256` is PureEdDSA over SHA-256(`data`) (RFC 8463 §3).
   * `privateKey` is whatever the implementation accepts (the Node one: PEM, DER or a KeyObject).
   */
  sign(algorithm: DkimAlgorithm, privateKey: unknown, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * Verifies `signature` over `data` (same meaning as for `sign`). `publicKey` is the decoded
   * `p=` of the key record: a SubjectPublicKeyInfo (or PKCS#1 RSAPublicKey) for RSA, 32 raw bytes
   * for Ed25519 (RFC 8463 §4). Throws (or rejects) when the key is unusable — too short an RSA key
   * (RFC 8301 §3.2: under 1024 bits) or not a key at all; the verifier reports that as `permerror`.
   */
  verify(
    algorithm: DkimAlgorithm,
    publicKey: Uint8Array,
    data: Uint8Array,
    signature: Uint8Array,
  ): boolean | Promise<boolean>;
}

/** The pure-TypeScript SHA-256 of `@mailwire/core`, for callers whose crypto has no incremental hash. */
export function coreSha256(): DkimHash {
  const hash = new Sha256();
  return {
    update(data) {
      hash.update(data);
    },
    digest: () => hash.digest(),
  };
}

export function keyTypeOf(algorithm: DkimAlgorithm): DkimKeyType {
  return algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
}
