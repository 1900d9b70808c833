import { generateKeyPairSync } from 'node:crypto';
import { concatBytes, latin1, utf8 } from '@mailwire/core';
import { createFakeResolver } from '@mailwire/dns';
import { describe, expect, it } from 'vitest';
import { createNodeDkimCrypto, dkimPublicKeyRecord } from '../node/index.js';
import { sealArc, verifyArc } from './arc.js';

const crypto = createNodeDkimCrypto();
const listKey = generateKeyPairSync('ed25519').privateKey;
const relayKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const resolver = createFakeResolver({
  'arc._domainkey.lists.example.org': { txt: [dkimPublicKeyRecord(listKey)] },
  'seal._domainkey.relay.example.net': { txt: [dkimPublicKeyRecord(relayKey)] },
});
const message = utf8(
  'From: Ada <ada@example.com>\r\nTo: list@lists.example.org\r\nSubject: Engines\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n' +
    'Message-ID: <m1@example.com>\r\n\r\nThe analytical engine weaves algebraic patterns.\r\n',
);
const now = new Date('2026-11-28T10:00:00Z');

async function hop(
  input: Uint8Array,
  domain: string,
  selector: string,
  privateKey: unknown,
  algorithm: 'ed25519-sha256' | 'rsa-sha256',
) {
  const chain = (await verifyArc(input, { resolver, crypto })).result;
  const fields = await sealArc(input, {
    crypto,
    domain,
    selector,
    privateKey,
    algorithm,
    authservId: domain,
    results: `spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; arc=${chain}`,
    chain,
    timestamp: now,
  });
  return concatBytes([utf8(fields), input]);
}

describe('ARC', () => {
  it('is none without sets, passes after one and two hops', async () => {
    expect(await verifyArc(message, { resolver, crypto })).toEqual({
      result: 'none',
      instances: 0,
      sealers: [],
    });
    const once = await hop(message, 'lists.example.org', 'arc', listKey, 'ed25519-sha256');
    expect(latin1(once)).toMatch(/^ARC-Seal: i=1; a=ed25519-sha256; t=\d+; cv=none;/);
    expect(await verifyArc(once, { resolver, crypto })).toEqual({
      result: 'pass',
      instances: 1,
      sealers: ['lists.example.org'],
    });
    // A hop that rewrites nothing but adds a header keeps the chain; the second seal says cv=pass.
    const twice = await hop(
      concatBytes([utf8('Received: by relay\r\n'), once]),
      'relay.example.net',
      'seal',
      relayKey,
      'rsa-sha256',
    );
    expect(latin1(twice)).toMatch(/cv=pass/);
    expect(await verifyArc(twice, { resolver, crypto })).toEqual({
      result: 'pass',
      instances: 2,
      sealers: ['lists.example.org', 'relay.example.net'],
    });
  });

  it('fails a changed body, a changed earlier set, a missing set member and a wrong cv', async () => {
    const once = await hop(message, 'lists.example.org', 'arc', listKey, 'ed25519-sha256');
    const text = latin1(once);
    const check = async (changed: string) => verifyArc(utf8(changed), { resolver, crypto });
    expect(await check(text.replace('algebraic', 'geometric'))).toMatchObject({
      result: 'fail',
      reason: 'ARC-Message-Signature body hash did not verify',
    });
    expect((await check(text.replace('arc=none', 'arc=pass'))).reason).toBe(
      'ARC-Seal i=1: signature did not verify',
    );
    expect((await check(text.replace('Subject: Engines', 'Subject: Looms'))).reason).toMatch(
      /^ARC-Message-Signature i=1: signature did not verify/,
    );
    expect((await check(text.replace('ARC-Authentication-Results: i=1', 'X-Old: i=1'))).reason).toBe(
      'ARC set 1 is incomplete',
    );
    expect((await check(text.replace('cv=none', 'cv=pass'))).reason).toBe('ARC-Seal i=1 has cv=pass');
  });
});
