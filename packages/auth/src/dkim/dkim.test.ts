import { decodeBase64, encodeBase64, latin1, utf8 } from '@mailwire/core';
import { createFakeResolver } from '@mailwire/dns';
import { describe, expect, it } from 'vitest';
import { ED25519_SEED_BASE64, KEY_RECORDS, RSA_PRIVATE_PEM, SIGNED, UNSIGNED } from '../../test/rfc8463.js';
import { createNodeDkimCrypto, ed25519PrivateKeyFromSeed } from '../node/index.js';
import { relaxedHeader, simpleHeader, splitHeaderFields } from '../header.js';
import { DkimBodyHasher } from './body-hasher.js';
import { signedHeaderData } from './header-hash.js';
import { parseDkimKeyRecord, parseDkimSignature, withoutSignatureValue } from './signature.js';
import { signDkim } from './sign.js';
import { verifyDkim } from './verify.js';
import { coreSha256 } from '../crypto.js';

const crypto = createNodeDkimCrypto();
const now = new Date('2026-11-28T10:00:00Z');
const resolver = () => createFakeResolver(KEY_RECORDS);

/** The canonical form a body hasher feeds to its hash, captured. */
function canonicalBody(body: string, canon: 'simple' | 'relaxed'): string {
  const parts: Uint8Array[] = [];
  const hasher = new DkimBodyHasher(canon, {
    hash: {
      update: (data) => parts.push(data.slice()),
      digest: () => new Uint8Array(0),
    },
  });
  hasher.update(utf8(body));
  hasher.digest();
  return parts.map((part) => latin1(part)).join('');
}

describe('RFC 6376 §3.4.5 canonicalization examples', () => {
  const header = 'A: X\r\nB : Y\t\r\n\tZ  \r\n';
  const body = ' C \r\nD \t E\r\n\r\n\r\n';
  it('relaxed header', () => {
    expect(splitHeaderFields(header).map(relaxedHeader).join('')).toBe('a:X\r\nb:Y Z\r\n');
  });
  it('simple header', () => {
    expect(splitHeaderFields(header).map(simpleHeader).join('')).toBe(header);
  });
  it('relaxed body', () => {
    expect(canonicalBody(body, 'relaxed')).toBe(' C\r\nD E\r\n');
  });
  it('simple body', () => {
    expect(canonicalBody(body, 'simple')).toBe(' C \r\nD \t E\r\n');
  });
  it('empty bodies (§3.4.3, §3.4.4)', () => {
    expect(canonicalBody('', 'simple')).toBe('\r\n');
    expect(canonicalBody('', 'relaxed')).toBe('');
    expect(canonicalBody('\r\n\r\n', 'simple')).toBe('\r\n');
    expect(canonicalBody('\r\n \r\n', 'relaxed')).toBe('');
  });
  it('adds the missing final CRLF and reads bare LF as CRLF', () => {
    expect(canonicalBody('a  b \t', 'relaxed')).toBe('a b\r\n');
    expect(canonicalBody('x\n\ny\n\n', 'simple')).toBe('x\r\n\r\ny\r\n');
  });
  it('known SHA-256 of empty bodies', () => {
    const simple = new DkimBodyHasher('simple');
    expect(encodeBase64(simple.digest())).toBe('frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=');
    const relaxed = new DkimBodyHasher('relaxed', { hash: coreSha256() });
    expect(encodeBase64(relaxed.digest())).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });
});

describe('RFC 8463 Appendix A', () => {
  it('verifies both published signatures', async () => {
    const results = await verifyDkim(utf8(SIGNED), { resolver: resolver(), crypto, now });
    expect(results.map((r) => [r.result, r.selector, r.reason])).toEqual([
      ['pass', 'brisbane', undefined],
      ['pass', 'test', undefined],
    ]);
    expect(results[0]!.identity).toBe('@football.example.com');
  });

  it('reproduces the published b= values from the published keys', async () => {
    const fields = splitHeaderFields(SIGNED.slice(0, SIGNED.indexOf('\r\n\r\n') + 2));
    const message = fields.slice(2);
    const keys = {
      'ed25519-sha256': ed25519PrivateKeyFromSeed(decodeBase64(ED25519_SEED_BASE64)!),
      'rsa-sha256': RSA_PRIVATE_PEM,
    } as const;
    for (const field of fields.slice(0, 2)) {
      const parsed = parseDkimSignature(field.raw.slice(field.raw.indexOf(':') + 1));
      if (!parsed.ok) throw new Error(parsed.reason);
      const { algorithm, signedHeaders, rawSignature } = parsed.signature;
      const data = signedHeaderData(message, signedHeaders, 'relaxed', {
        name: field.name,
        raw: withoutSignatureValue(field.raw),
      });
      const signature = await crypto.sign(algorithm, keys[algorithm], data);
      expect(encodeBase64(signature)).toBe(rawSignature);
    }
  });

  it('signs like the RFC: same bh=, same h= layout, no l=, and verifies with the published keys', async () => {
    const common = {
      crypto,
      domain: 'football.example.com',
      identity: '@football.example.com',
      headers: ['from', 'to', 'subject', 'date', 'message-id'],
      oversign: ['from', 'subject', 'date'],
      timestamp: new Date(1528637909 * 1000),
    };
    const ed = await signDkim(utf8(UNSIGNED), {
      ...common,
      selector: 'brisbane',
      algorithm: 'ed25519-sha256',
      privateKey: ed25519PrivateKeyFromSeed(decodeBase64(ED25519_SEED_BASE64)!),
    });
    const rsa = await signDkim(utf8(UNSIGNED), {
      ...common,
      selector: 'test',
      algorithm: 'rsa-sha256',
      privateKey: RSA_PRIVATE_PEM,
      headerCanonicalization: 'simple',
      bodyCanonicalization: 'simple',
    });
    for (const field of [ed, rsa]) {
      const parsed = parseDkimSignature(field.slice(field.indexOf(':') + 1));
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(parsed.signature.signedHeaders.join(':')).toBe(
        'from:to:subject:date:message-id:from:subject:date',
      );
      expect(field).not.toMatch(/(^|;)\s*l=/);
      expect(field.split('\r\n').every((line) => line.length <= 78)).toBe(true);
    }
    expect(ed).toContain('bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=');
    const results = await verifyDkim(utf8(rsa + ed + UNSIGNED), { resolver: resolver(), crypto, now });
    expect(results.map((r) => r.result)).toEqual(['pass', 'pass']);
  });

  it('fails a changed body, a changed signed field, and an added From', async () => {
    const check = async (message: string) =>
      (await verifyDkim(utf8(message), { resolver: resolver(), crypto, now })).map((r) => [
        r.result,
        r.reason,
      ]);
    expect(await check(SIGNED.replace('hungry', 'angry'))).toEqual([
      ['fail', 'body hash did not verify'],
      ['fail', 'body hash did not verify'],
    ]);
    expect(await check(SIGNED.replace('dinner', 'lunch'))).toEqual([
      ['fail', 'signature did not verify'],
      ['fail', 'signature did not verify'],
    ]);
    expect(await check(SIGNED.replace('From: Joe', 'From: Mallory <m@evil.example>\r\nFrom: Joe'))).toEqual([
      ['fail', 'signature did not verify'],
      ['fail', 'signature did not verify'],
    ]);
    // An unsigned field may be added; whitespace changes survive relaxed canonicalization.
    expect(await check(SIGNED.replace('Message-ID:', 'X-Mailer: any\r\nMessage-ID:'))).toEqual([
      ['pass', undefined],
      ['pass', undefined],
    ]);
    expect(await check(SIGNED.replace('Are you', 'Are   you  ').replaceAll('\r\n', '\n'))).toEqual([
      ['pass', undefined],
      ['pass', undefined],
    ]);
  });

  it('reports keys: missing, revoked, wrong type, unreachable, strict', async () => {
    const message = utf8(SIGNED);
    const run = async (zone: Parameters<typeof createFakeResolver>[0]) =>
      (await verifyDkim(message, { resolver: createFakeResolver(zone), crypto, now }))[0]!;
    expect(await run({})).toMatchObject({ result: 'permerror', reason: 'no key record' });
    expect(
      await run({ 'brisbane._domainkey.football.example.com': { txt: ['v=DKIM1; k=ed25519; p='] } }),
    ).toMatchObject({ result: 'permerror', reason: 'key revoked' });
    expect(
      await run({
        'brisbane._domainkey.football.example.com': KEY_RECORDS['test._domainkey.football.example.com'],
      }),
    ).toMatchObject({ result: 'permerror', reason: 'key type does not match the algorithm' });
    expect(await run({ 'brisbane._domainkey.football.example.com': { fail: 'timeout' } })).toMatchObject({
      result: 'temperror',
    });
    const strict = await verifyDkim(utf8(SIGNED.replace('i=@football', 'i=@sub.football')), {
      resolver: createFakeResolver({
        'brisbane._domainkey.football.example.com': {
          txt: ['v=DKIM1; k=ed25519; t=s; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo='],
        },
      }),
      crypto,
      now,
    });
    expect(strict[0]).toMatchObject({ result: 'permerror', reason: 'key t=s forbids a subdomain in i=' });
  });

  it('refuses l= by default, expired signatures, rsa-sha1 and signatures without From', async () => {
    const first = async (message: string, allowBodyLength = false) =>
      (await verifyDkim(utf8(message), { resolver: resolver(), crypto, now, allowBodyLength }))[0]!;
    expect(await first(SIGNED.replace('s=brisbane;', 'l=10; s=brisbane;'))).toMatchObject({
      result: 'policy',
      reason: 'body length limit (l=) not accepted',
    });
    // Allowed, but the signature no longer matches since l= was added after signing.
    expect((await first(SIGNED.replace('s=brisbane;', 'l=10; s=brisbane;'), true)).result).toBe('fail');
    expect(await first(SIGNED.replace('t=1528637909;', 't=1528637909; x=1528637999;'))).toMatchObject({
      result: 'policy',
      reason: 'signature expired',
    });
    expect((await first(SIGNED.replace('a=ed25519-sha256', 'a=rsa-sha1'))).result).toBe('neutral');
    expect(
      await first(
        SIGNED.replace(
          'h=from : to :\r\n subject : date : message-id : from : subject : date;',
          'h=to : subject;',
        ),
      ),
    ).toMatchObject({
      result: 'permerror',
      reason: 'h= does not sign From',
    });
    expect((await first(SIGNED.replace('s=brisbane;', 's=brisbane; s=x;'))).reason).toBe('duplicate tag "s"');
  });

  it('returns no results for an unsigned message', async () => {
    expect(await verifyDkim(utf8(UNSIGNED), { resolver: resolver(), crypto, now })).toEqual([]);
  });
});

describe('key records', () => {
  it('parses tags and refuses bad ones', () => {
    expect(parseDkimKeyRecord('v=DKIM1; p=AQAB')).toMatchObject({
      ok: true,
      key: { keyType: 'rsa', strict: false },
    });
    expect(parseDkimKeyRecord('v=DKIM1; k=ed25519; t=y:s; p=AQAB')).toMatchObject({
      ok: true,
      key: { keyType: 'ed25519', strict: true, testing: true },
    });
    for (const bad of [
      'v=DKIM2; p=AQAB',
      'p=AQAB; v=DKIM1',
      'v=DKIM1; h=sha1; p=AQAB',
      'v=DKIM1; s=tlsrpt; p=AQAB',
      'v=DKIM1; k=dsa; p=AQAB',
      'v=DKIM1',
    ]) {
      expect(parseDkimKeyRecord(bad).ok, bad).toBe(false);
    }
  });
});
