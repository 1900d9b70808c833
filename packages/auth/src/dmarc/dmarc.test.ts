import { createFakeResolver } from '@mailwire/dns';
import { describe, expect, it } from 'vitest';
import { authenticationResults } from '../authentication-results.js';
import { splitHeaderFields } from '../header.js';
import { aligned, evaluateDmarc } from './evaluate.js';
import { fromDomain } from './from-domain.js';
import { discoverDmarc, organizationalDomain, parseDmarcRecord } from './record.js';

const resolver = createFakeResolver({
  '_dmarc.example.com': { txt: ['v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:dmarc@example.com'] },
  '_dmarc.relaxed.example': { txt: ['v=DMARC1; p=quarantine; pct=50'] },
  '_dmarc.two.example': { txt: ['v=DMARC1; p=none', 'v=DMARC1; p=reject'] },
  '_dmarc.down.example': { fail: 'servfail' },
  '_dmarc.sub.example.co.uk': { txt: ['v=DMARC1; p=none'] },
  '_dmarc.example.co.uk': { txt: ['v=DMARC1; p=reject'] },
});

describe('DMARC records', () => {
  it('parses tags with RFC 7489 defaults', () => {
    expect(parseDmarcRecord('v=DMARC1; p=reject')).toMatchObject({
      ok: true,
      record: {
        policy: 'reject',
        dkimAlignment: 'r',
        spfAlignment: 'r',
        percent: 100,
        reportInterval: 86400,
      },
    });
    expect(parseDmarcRecord('v=DMARC1; p=bogus; rua=mailto:a@example.com')).toMatchObject({
      ok: true,
      record: { policy: 'none' },
    });
    expect(parseDmarcRecord('v=DMARC1; p=bogus').ok).toBe(false);
    expect(parseDmarcRecord('p=reject; v=DMARC1').ok).toBe(false);
  });

  it('finds the organizational domain with the Public Suffix List', () => {
    expect(organizationalDomain('mail.sub.example.co.uk')).toBe('example.co.uk');
    expect(organizationalDomain('a.b.example.com')).toBe('example.com');
    expect(organizationalDomain('Example.COM.')).toBe('example.com');
  });

  it('discovers at the From domain, then at the organizational domain', async () => {
    expect(await discoverDmarc('sub.example.co.uk', { resolver })).toMatchObject({
      status: 'found',
      recordDomain: 'sub.example.co.uk',
    });
    expect(await discoverDmarc('deep.other.example', { resolver })).toMatchObject({ status: 'none' });
    expect(await discoverDmarc('x.example.co.uk', { resolver })).toMatchObject({
      status: 'found',
      recordDomain: 'example.co.uk',
    });
    expect(await discoverDmarc('two.example', { resolver })).toMatchObject({
      status: 'none',
      reason: 'several DMARC records at _dmarc.two.example',
    });
    expect(await discoverDmarc('down.example', { resolver })).toMatchObject({ status: 'temperror' });
  });
});

describe('DMARC evaluation', () => {
  it('aligns relaxed and strict', () => {
    expect(aligned('mail.example.com', 'example.com', 'r')).toBe(true);
    expect(aligned('mail.example.com', 'example.com', 's')).toBe(false);
    expect(aligned('example.net', 'example.com', 'r')).toBe(false);
  });

  it('passes on aligned SPF, or on aligned DKIM, and applies p=, sp= and pct=', async () => {
    const spfPass = { result: 'pass' as const, domain: 'bounces.example.com' };
    expect(await evaluateDmarc({ fromDomain: 'example.com', spf: spfPass }, { resolver })).toMatchObject({
      result: 'pass',
      policy: 'none',
      spfAligned: true,
    });
    // adkim=s: a subdomain signature does not align.
    const subdomainDkim = [{ result: 'pass' as const, domain: 'mail.example.com' }];
    expect(
      await evaluateDmarc({ fromDomain: 'example.com', dkim: subdomainDkim }, { resolver }),
    ).toMatchObject({
      result: 'fail',
      policy: 'reject',
      dkimAligned: false,
    });
    expect(
      await evaluateDmarc(
        { fromDomain: 'example.com', dkim: [{ result: 'pass', domain: 'example.com' }] },
        { resolver },
      ),
    ).toMatchObject({ result: 'pass', dkimAligned: true, dkimDomain: 'example.com' });
    // A subdomain without its own record gets sp=.
    expect(
      await evaluateDmarc(
        { fromDomain: 'news.example.com', spf: { result: 'fail', domain: 'news.example.com' } },
        { resolver },
      ),
    ).toMatchObject({
      result: 'fail',
      policy: 'quarantine',
      requestedPolicy: 'quarantine',
    });
    // pct=50: sampled out, the next policy down.
    const failing = {
      fromDomain: 'relaxed.example',
      spf: { result: 'softfail' as const, domain: 'relaxed.example' },
    };
    expect((await evaluateDmarc(failing, { resolver, sample: 0.2 })).policy).toBe('quarantine');
    expect((await evaluateDmarc(failing, { resolver, sample: 0.7 })).policy).toBe('none');
    expect((await evaluateDmarc({ fromDomain: 'nothing.example' }, { resolver })).result).toBe('none');
    expect((await evaluateDmarc({ fromDomain: 'down.example' }, { resolver })).result).toBe('temperror');
  });

  it('reads the single author domain', () => {
    const fields = (text: string) => splitHeaderFields(text);
    expect(fromDomain(fields('From: Ada <ada@Example.COM>\r\n'))).toEqual({
      ok: true,
      domain: 'example.com',
    });
    expect(fromDomain(fields('From: a@x.example, b@y.example\r\n'))).toEqual({
      ok: false,
      reason: 'multiple-authors',
    });
    expect(fromDomain(fields('From: a@x.example\r\nFrom: b@y.example\r\n'))).toEqual({
      ok: false,
      reason: 'multiple-from',
    });
    expect(fromDomain(fields('To: a@x.example\r\n'))).toEqual({ ok: false, reason: 'no-from' });
  });
});

describe('Authentication-Results', () => {
  it('writes spf, dkim and dmarc results (RFC 8601)', async () => {
    const dmarc = await evaluateDmarc(
      { fromDomain: 'example.com', dkim: [{ result: 'pass', domain: 'example.com' }] },
      { resolver },
    );
    const header = authenticationResults('mx.example.net', {
      spf: { verdict: { result: 'softfail', domain: 'example.com', lookups: 1 }, mailFrom: 'a@example.com' },
      dkim: [
        {
          result: 'pass',
          domain: 'example.com',
          selector: 's1',
          identity: '@example.com',
          algorithm: 'ed25519-sha256',
          signaturePrefix: 'abcd1234',
        },
        { result: 'fail', reason: 'body hash did not verify', domain: 'list.example', selector: 'x' },
      ],
      dmarc,
      arc: { result: 'pass', instances: 1, sealers: ['lists.example.org'] },
    });
    expect(header).toBe(
      'Authentication-Results: mx.example.net;\r\n' +
        '\tspf=softfail smtp.mailfrom=a@example.com;\r\n' +
        '\tdkim=pass header.i=@example.com header.d=example.com header.s=s1 header.a=ed25519-sha256 header.b=abcd1234;\r\n' +
        '\tdkim=fail (body hash did not verify) header.d=list.example header.s=x;\r\n' +
        '\tdmarc=pass (p=reject dis=none) header.from=example.com;\r\n' +
        '\tarc=pass\r\n',
    );
    expect(authenticationResults('mx.example.net', {})).toBe(
      'Authentication-Results: mx.example.net; none\r\n',
    );
  });
});
