import { createFakeResolver } from '@mailwire/dns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHelo, checkHost } from './check-host.js';
import { expandMacros } from './macro.js';
import { receivedSpf } from './received-spf.js';

const resolver = createFakeResolver({
  'example.com': {
    txt: ['v=spf1 ip4:192.0.2.0/24 include:_spf.partner.example -all exp=why.example.com'],
    a: ['198.51.100.9'],
  },
  '_spf.partner.example': { txt: ['v=spf1 ip6:2001:db8::/32 ~all'] },
  'why.example.com': { txt: ['%{i} may not send for %{d}'] },
  'soft.example.com': { txt: ['v=spf1 a ~all'], a: ['198.51.100.9'] },
  'down.example.com': { fail: 'timeout' },
});

describe('checkHost', () => {
  it('passes, fails with the explanation, and follows include', async () => {
    expect((await checkHost('192.0.2.7', 'example.com', 'a@example.com', { resolver })).result).toBe('pass');
    const fail = await checkHost('203.0.113.1', 'example.com', 'a@example.com', { resolver });
    expect(fail).toMatchObject({
      result: 'fail',
      mechanism: '-all',
      explanation: '203.0.113.1 may not send for example.com',
    });
    expect((await checkHost('2001:db8::5', 'example.com', 'a@example.com', { resolver })).result).toBe(
      'pass',
    );
    expect(
      (await checkHost('198.51.100.9', 'soft.example.com', 'b@soft.example.com', { resolver })).result,
    ).toBe('pass');
    expect(
      (await checkHost('198.51.100.8', 'soft.example.com', 'b@soft.example.com', { resolver })).result,
    ).toBe('softfail');
  });

  it('checks the HELO identity', async () => {
    const zone = createFakeResolver({ 'mx.example.com': { txt: ['v=spf1 a -all'], a: ['192.0.2.25'] } });
    expect((await checkHelo('192.0.2.25', 'mx.example.com', { resolver: zone })).result).toBe('pass');
    expect((await checkHelo('192.0.2.26', 'mx.example.com', { resolver: zone })).result).toBe('fail');
    expect((await checkHelo('192.0.2.26', '[192.0.2.26]', { resolver: zone })).result).toBe('none');
  });

  it('reports none, temperror, and refuses a bad IP as caller misuse', async () => {
    expect(
      (await checkHost('192.0.2.7', 'nothing.example.com', 'a@nothing.example.com', { resolver })).result,
    ).toBe('none');
    expect(
      (await checkHost('192.0.2.7', 'down.example.com', 'a@down.example.com', { resolver })).result,
    ).toBe('temperror');
    await expect(checkHost('not-an-ip', 'example.com', 'a@example.com', { resolver })).rejects.toThrow(
      /not an IP/,
    );
  });

  it('expands macros as RFC 7208 §7.4 shows', async () => {
    const ip = new Uint8Array([192, 0, 2, 3]);
    const context = {
      sender: 'strong-bad@email.example.com',
      domain: 'email.example.com',
      ip,
      helo: 'mx.example.org',
    };
    const cases: [string, string][] = [
      ['%{s}', 'strong-bad@email.example.com'],
      ['%{o}', 'email.example.com'],
      ['%{d4}', 'email.example.com'],
      ['%{d2}', 'example.com'],
      ['%{d1}', 'com'],
      ['%{dr}', 'com.example.email'],
      ['%{d2r}', 'example.email'],
      ['%{l}', 'strong-bad'],
      ['%{l-}', 'strong.bad'],
      ['%{lr}', 'strong-bad'],
      ['%{lr-}', 'bad.strong'],
      ['%{l1r-}', 'strong'],
      ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
      ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
      ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
    ];
    for (const [macro, expected] of cases)
      expect(await expandMacros(macro, context)).toEqual({ ok: true, value: expected });
    const v6 = await expandMacros('%{ir}.%{v}._spf.%{d2}', {
      ...context,
      ip: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x01]),
    });
    expect(v6).toEqual({
      ok: true,
      value: '1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com',
    });
  });

  it('never throws whatever the record says', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              'a',
              'mx',
              'ptr',
              'all',
              '-all',
              'include:x.example',
              'exists:%{i}.x.example',
              'redirect=x.example',
              'ip4:192.0.2.0/24',
              'ip6:::1',
              '%{',
              'exp=%{l}',
              'a/24//64',
            ),
            fc.string({ maxLength: 12 }),
          ),
          { maxLength: 8 },
        ),
        async (terms) => {
          const zone = createFakeResolver({
            'x.example': { txt: [`v=spf1 ${terms.join(' ')}`], a: ['192.0.2.1'], mx: ['10 x.example'] },
          });
          const verdict = await checkHost('192.0.2.1', 'x.example', 'u@x.example', { resolver: zone });
          expect(['none', 'neutral', 'pass', 'fail', 'softfail', 'temperror', 'permerror']).toContain(
            verdict.result,
          );
          expect(verdict.lookups).toBeLessThanOrEqual(11);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('receivedSpf', () => {
  it('builds the RFC 7208 §9.1 field', async () => {
    const verdict = await checkHost('192.0.2.7', 'example.com', 'a@example.com', { resolver });
    expect(
      receivedSpf(verdict, {
        clientIp: '192.0.2.7',
        envelopeFrom: 'a@example.com',
        helo: 'mx.example.com',
        receiver: 'in.example.net',
      }),
    ).toBe(
      'Received-SPF: pass (example.com: domain of a@example.com designates 192.0.2.7 as permitted sender)\r\n' +
        '\tclient-ip=192.0.2.7;\r\n\tenvelope-from=a@example.com;\r\n\thelo=mx.example.com;\r\n\treceiver=in.example.net;\r\n' +
        '\tmechanism=ip4:192.0.2.0/24;\r\n\tidentity=mailfrom\r\n',
    );
  });
});
