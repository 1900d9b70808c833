/**
 * Self-signed certificates with `node:crypto` only: a key pair from `generateKeyPairSync`, an
 * X.509 v3 TBSCertificate written with the small DER encoder in `der.ts`, signed with
 * `crypto.sign`. For development servers and tests; production should use a CA-issued certificate.
 */

import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { UsageError } from '@mailwire/core';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  nullValue,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';
import { parseIpv4, parseIpv6 } from './ip.js';

export interface SelfSignedOptions {
  /** Subject and issuer common name. Default `localhost`. */
  readonly commonName?: string;
  /** DNS names and IP addresses for subjectAltName. Default `['localhost', '127.0.0.1', '::1']`. */
  readonly altNames?: readonly string[];
  /** Validity in days from now. Default 365. */
  readonly days?: number;
  /** `ec` (P-256, default) or `rsa` (2048 bits). */
  readonly keyType?: 'ec' | 'rsa';
}

export interface CertificatePair {
  /** PKCS#8 private key, PEM. */
  readonly key: string;
  /** X.509 certificate, PEM. */
  readonly cert: string;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

/**
 * Creates a key pair and a self-signed certificate for it.
 *
 * @example
 * const { key, cert } = createSelfSignedCertificate({ commonName: 'mail.test', altNames: ['mail.test', '127.0.0.1'] });
 * const server = await listen({ port: 0, tls: { key, cert }, onConnection });
 */
export function createSelfSignedCertificate(options: SelfSignedOptions = {}): CertificatePair {
  const commonName = options.commonName ?? 'localhost';
  const altNames = options.altNames ?? ['localhost', '127.0.0.1', '::1'];
  const days = options.days ?? 365;
  if (!(days > 0)) throw new UsageError('ERR_INVALID_ARGUMENT', 'days must be positive');
  const rsa = options.keyType === 'rsa';
  const { privateKey, publicKey } = rsa
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const algorithm = rsa ? sequence(oid(OID.sha256WithRsa), nullValue()) : sequence(oid(OID.ecdsaWithSha256));
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
  const now = Date.now();
  // An hour of slack for clocks that are a little behind ours.
  const notBefore = new Date(now - 3600_000);
  const notAfter = new Date(now + days * 86_400_000);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets.

  const generalNames = altNames.map((entry) => {
    const ip = parseIpv4(entry) ?? parseIpv6(entry);
    if (ip) return implicit(7, ip); // iPAddress [7]
    if (!/^[\x21-\x7e]+$/.test(entry)) throw new UsageError('ERR_INVALID_ARGUMENT', `bad alt name ${entry}`);
    return implicit(2, new TextEncoder().encode(entry)); // dNSName [2] IA5String
  });
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value.
  const keyId = createHash('sha1').update(publicKeyBits(spki)).digest();
  const extension = (id: string, critical: boolean, value: Uint8Array) =>
    critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
  // keyUsage bits (RFC 5280 §4.2.1.3): digitalSignature (0) always, keyEncipherment (2) for RSA.
  const keyUsage = rsa ? Uint8Array.of(0x05, 0xa0) : Uint8Array.of(0x07, 0x80);
  const extensions = sequence(
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, new Uint8Array([0x03, keyUsage.length, ...keyUsage])),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
    // RFC 5280 §4.2.1.6: with a non-empty subject the extension is not critical.
    extension(OID.subjectAltName, false, sequence(...generalNames)),
  );
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, algorithm, bitString(new Uint8Array(signature)));
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: pem('CERTIFICATE', certificate),
  };
}

/** The contents of the subjectPublicKey BIT STRING inside a DER SubjectPublicKeyInfo. */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  // SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip the outer header and the first element.
  let offset = headerLength(spki, 0);
  offset += elementLength(spki, offset);
  const bits = offset + headerLength(spki, offset);
  return spki.subarray(bits + 1); // skip the unused-bits octet
}

function headerLength(der: Uint8Array, offset: number): number {
  const first = der[offset + 1]!;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function elementLength(der: Uint8Array, offset: number): number {
  const first = der[offset + 1]!;
  if (first < 0x80) return 2 + first;
  let n = 0;
  for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + der[offset + 2 + i]!;
  return 2 + (first & 0x7f) + n;
}

function pem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
