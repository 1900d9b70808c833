/**
 * The inbound flow of docs/auth.md end to end against an in-memory zone: a message signed by
 * the sender's domain arrives from an address its SPF allows; SPF, DKIM and DMARC pass and the
 * Authentication-Results field says so. A forged copy from elsewhere fails DMARC with p=reject.
 */

import { generateKeyPairSync } from 'node:crypto';
import { concatBytes, latin1, utf8 } from '@mailwire/core';
import { createFakeResolver } from '@mailwire/dns';
import { describe, expect, it } from 'vitest';
import {
  authenticationResults,
  checkHost,
  DkimSigner,
  DkimVerifier,
  evaluateDmarc,
  fromDomain,
  splitHeaderFields,
} from '../src/index.js';
import { createNodeDkimCrypto, dkimPublicKeyRecord } from '../src/node/index.js';

const crypto = createNodeDkimCrypto();
const key = generateKeyPairSync('ed25519').privateKey;
const resolver = createFakeResolver({
  'example.com': { txt: ['v=spf1 ip4:192.0.2.0/24 -all'] },
  'mail2026._domainkey.example.com': { txt: [dkimPublicKeyRecord(key)] },
  '_dmarc.example.com': { txt: ['v=DMARC1; p=reject; rua=mailto:dmarc@example.com'] },
});
const now = new Date('2026-11-28T10:00:00Z');
const message = utf8(
  'From: Ada <ada@example.com>\r\nTo: bob@example.net\r\nSubject: Notes\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n' +
    'Message-ID: <n1@example.com>\r\n\r\nSee the attached notes.\r\n',
);

async function judge(ip: string, bytes: Uint8Array) {
  const spf = await checkHost(ip, 'example.com', 'ada@example.com', { resolver, helo: 'mx.example.com' });
  const verifier = new DkimVerifier({ resolver, crypto, now });
  for (let i = 0; i < bytes.length; i += 17) verifier.update(bytes.subarray(i, i + 17));
  const dkim = await verifier.finish();
  const text = latin1(bytes);
  const author = fromDomain(splitHeaderFields(text.slice(0, text.indexOf('\r\n\r\n') + 2)));
  if (!author.ok) throw new Error(author.reason);
  const dmarc = await evaluateDmarc(
    { fromDomain: author.domain, spf: { result: spf.result, domain: spf.domain }, dkim },
    { resolver },
  );
  return {
    dmarc,
    header: authenticationResults('mx.example.net', {
      spf: { verdict: spf, mailFrom: 'ada@example.com' },
      dkim,
      dmarc,
    }),
  };
}

describe('judging inbound mail', () => {
  it('passes signed mail from an allowed address and rejects a forgery', async () => {
    const signer = new DkimSigner({
      crypto,
      domain: 'example.com',
      selector: 'mail2026',
      privateKey: key,
      algorithm: 'ed25519-sha256',
      timestamp: now,
    });
    signer.update(message);
    const signed = concatBytes([utf8(await signer.finish()), message]);

    const good = await judge('192.0.2.10', signed);
    expect(good.dmarc).toMatchObject({ result: 'pass', policy: 'none', spfAligned: true, dkimAligned: true });
    expect(good.header).toMatch(
      /^Authentication-Results: mx\.example\.net;\r\n\tspf=pass smtp\.mailfrom=ada@example\.com;\r\n\tdkim=pass header\.i=@example\.com header\.d=example\.com header\.s=mail2026 header\.a=ed25519-sha256 header\.b=\S{8};\r\n\tdmarc=pass \(p=reject dis=none\) header\.from=example\.com\r\n$/,
    );

    const forged = await judge('203.0.113.5', message);
    expect(forged.dmarc).toMatchObject({ result: 'fail', policy: 'reject' });
    expect(forged.header).toContain('spf=fail');
  });
});
