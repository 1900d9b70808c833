/**
 * `DkimCrypto` over `node:crypto`: RSASSA-PKCS1-v1_5/SHA-256 and Ed25519 (RFC 8463: PureEdDSA
 * over the SHA-256 of the header data), and an incremental SHA-256.
 */

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import type { DkimAlgorithm, DkimCrypto } from '../crypto.js';

// DER prefixes wrapping a raw 32-byte Ed25519 key (RFC 8410 §4, §7).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** RFC 8301 §3.2: verifiers MUST NOT consider signatures using RSA keys under 1024 bits valid. */
export const MIN_RSA_BITS = 1024;

/** An Ed25519 private key from its 32-byte seed (the form RFC 8463 appendix A prints). */
export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte public key (the `p=` of an `k=ed25519` record) or the RSA SPKI DER, base64. */
export function dkimPublicKeyRecord(privateKey: KeyObject | string): string {
  const key = createPublicKey(privateKey);
  if (key.asymmetricKeyType === 'ed25519') {
    const der = key.export({ format: 'der', type: 'spki' });
    return `v=DKIM1; k=ed25519; p=${der.subarray(ED25519_SPKI_PREFIX.length).toString('base64')}`;
  }
  return `v=DKIM1; k=rsa; p=${key.export({ format: 'der', type: 'spki' }).toString('base64')}`;
}

const pemKeys = new Map<string, KeyObject>();

function privateKeyOf(key: unknown): KeyObject {
  if (typeof key === 'string') {
    // Parsing a PEM costs about as much as an Ed25519 signature: keep the last few.
    let parsed = pemKeys.get(key);
    if (parsed === undefined) {
      parsed = createPrivateKey(key);
      if (pemKeys.size >= 16) pemKeys.clear();
      pemKeys.set(key, parsed);
    }
    return parsed;
  }
  if (Buffer.isBuffer(key)) return createPrivateKey(key);
  if (key instanceof Uint8Array)
    return createPrivateKey({ key: Buffer.from(key), format: 'der', type: 'pkcs8' });
  return key as KeyObject;
}

function publicKeyOf(algorithm: DkimAlgorithm, raw: Uint8Array): KeyObject {
  const bytes = Buffer.from(raw);
  if (algorithm === 'ed25519-sha256') {
    if (bytes.length !== 32) throw new Error('an Ed25519 key is 32 bytes');
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch {
    key = createPublicKey({ key: bytes, format: 'der', type: 'pkcs1' });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new Error(`RSA key of ${bits} bits is too short`);
  return key;
}

/**
 * @example
 * import { createNodeDkimCrypto } from '@mailwire/auth/node';
 * const crypto = createNodeDkimCrypto();
 */
export function createNodeDkimCrypto(): DkimCrypto {
  const publicKeys = new Map<string, KeyObject>();
  const cachedPublicKey = (algorithm: DkimAlgorithm, raw: Uint8Array): KeyObject => {
    const id = `${algorithm}:${Buffer.from(raw).toString('base64')}`;
    let key = publicKeys.get(id);
    if (key === undefined) {
      key = publicKeyOf(algorithm, raw);
      if (publicKeys.size > 1000) publicKeys.clear();
      publicKeys.set(id, key);
    }
    return key;
  };
  return {
    sha256() {
      const hash = createHash('sha256');
      return {
        update(data) {
          hash.update(data);
        },
        digest: () => new Uint8Array(hash.digest()),
      };
    },
    sign(algorithm, privateKey, data) {
      const key = privateKeyOf(privateKey);
      if (algorithm === 'ed25519-sha256') {
        const digest = createHash('sha256').update(data).digest();
        return new Uint8Array(nodeSign(null, digest, key));
      }
      return new Uint8Array(nodeSign('sha256', data, key));
    },
    verify(algorithm, publicKey, data, signature) {
      const key = cachedPublicKey(algorithm, publicKey);
      if (algorithm === 'ed25519-sha256') {
        const digest = createHash('sha256').update(data).digest();
        return nodeVerify(null, digest, key, signature);
      }
      return nodeVerify('sha256', data, key, signature);
    },
  };
}
