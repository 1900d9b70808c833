import { generateKeyPairSync } from 'node:crypto';
import { concatBytes, utf8 } from '@mailwire/core';
import { createFakeResolver } from '@mailwire/dns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNodeDkimCrypto, dkimPublicKeyRecord } from '../node/index.js';
import { coreSha256 } from '../crypto.js';
import { DkimBodyHasher } from './body-hasher.js';
import { DkimSigner } from './sign.js';
import { DkimVerifier, verifyDkim } from './verify.js';

const crypto = createNodeDkimCrypto();
const now = new Date('2026-11-28T10:00:00Z');
const ed = generateKeyPairSync('ed25519').privateKey;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const resolver = createFakeResolver({
  'ed._domainkey.example.com': { txt: [dkimPublicKeyRecord(ed)] },
  'rsa._domainkey.example.com': { txt: [dkimPublicKeyRecord(rsa)] },
});

/** Bodies rich in the octets canonicalisation cares about. */
const body = fc
  .array(fc.constantFrom('a', 'b', ' ', '\t', '\r', '\n', '\r\n', '\r\n\r\n', 'é', '.', 'x y'), {
    maxLength: 200,
  })
  .map((parts) => utf8(parts.join('')));

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const point of points) {
    out.push(bytes.subarray(last, point));
    last = point;
  }
  out.push(bytes.subarray(last));
  return out;
}

const header = utf8(
  'From: Ada <ada@example.com>\r\nTo: b@example.org\r\nSubject:  hi  there\r\n\tfolded\r\n\r\n',
);

describe('DKIM properties', () => {
  it('the body hash does not depend on how the body is split', () => {
    fc.assert(
      fc.property(
        body,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom('simple', 'relaxed'),
        (bytes, cuts, canon) => {
          const whole = new DkimBodyHasher(canon);
          whole.update(bytes);
          const pieces = new DkimBodyHasher(canon);
          for (const piece of split(bytes, cuts)) pieces.update(piece);
          expect(pieces.digest()).toEqual(whole.digest());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sign → verify passes for any body, split anywhere, both algorithms and canonicalizations', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.constantFrom('ed', 'rsa'),
        fc.constantFrom('simple', 'relaxed'),
        fc.constantFrom('simple', 'relaxed'),
        async (bytes, cuts, which, headerCanonicalization, bodyCanonicalization) => {
          const message = concatBytes([header, bytes]);
          const signer = new DkimSigner({
            crypto,
            domain: 'example.com',
            selector: which,
            privateKey: which === 'ed' ? ed : rsa,
            algorithm: which === 'ed' ? 'ed25519-sha256' : 'rsa-sha256',
            headerCanonicalization,
            bodyCanonicalization,
            timestamp: now,
          });
          for (const piece of split(message, cuts)) signer.update(piece);
          const signed = concatBytes([utf8(await signer.finish()), message]);
          const verifier = new DkimVerifier({ resolver, crypto, now });
          for (const piece of split(
            signed,
            cuts.map((cut) => cut * 7),
          ))
            verifier.update(piece);
          const results = await verifier.finish();
          expect(results.map((r) => r.result)).toEqual(['pass']);
          // Appending to the body breaks it (no l=).
          const tampered = await verifyDkim(concatBytes([signed, utf8('more\r\n')]), {
            resolver,
            crypto,
            now,
          });
          expect(tampered[0]!.result).toBe('fail');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('random bytes never throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 60 }),
            fc.constantFrom(
              utf8('DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AAAA; b=AAAA\r\n'),
              utf8('\r\n'),
              utf8(':'),
            ),
          ),
          { maxLength: 8 },
        ),
        async (chunks) => {
          const results = await verifyDkim(chunks, { resolver, crypto, now });
          for (const result of results) expect(result.result).not.toBe('pass');
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** RFC 6376 §3.4.3/§3.4.4 written the obvious way, on a latin1 string, for comparison. */
function referenceCanonicalBody(text: string, canon: 'simple' | 'relaxed'): string {
  const parts = text.split(/\r?\n/);
  const rest = parts.pop()!;
  const lines = parts.map((line) =>
    canon === 'relaxed' ? line.replace(/[ \t]+/g, ' ').replace(/ $/, '') : line,
  );
  const last = canon === 'relaxed' ? rest.replace(/[ \t]+/g, ' ').replace(/ $/, '') : rest;
  if (last !== '') lines.push(last);
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return canon === 'simple' ? '\r\n' : '';
  return `${lines.join('\r\n')}\r\n`;
}

describe('body canonicalisation against a reference', () => {
  it('matches the obvious implementation for any body, split anywhere', () => {
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    fc.assert(
      fc.property(
        fc
          .array(
            fc.constantFrom('ab', 'x y', ' ', '  ', '\t', '\r', '\n', '\r\n', '\r\n\r\n', 'é', 'line\r\n'),
            {
              maxLength: 60,
            },
          )
          .map((parts) => parts.join('')),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom('simple' as const, 'relaxed' as const),
        (text, cuts, canon) => {
          const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
          const hasher = new DkimBodyHasher(canon);
          for (const piece of split(bytes, cuts)) hasher.update(piece);
          const expected = coreSha256();
          expected.update(new Uint8Array(Buffer.from(referenceCanonicalBody(text, canon), 'latin1')));
          expect(hex(hasher.digest())).toBe(hex(expected.digest()));
        },
      ),
      { numRuns: 300 },
    );
  });
});
