import { describe, expect, it } from 'vitest';
import { createFakeResolver } from './fake-resolver.js';

describe('createFakeResolver', () => {
  const resolver = createFakeResolver(
    {
      'Example.COM.': {
        mx: ['10 mx.example.com.', { preference: 20, exchange: 'backup.example.com' }],
        a: ['192.0.2.1'],
        txt: ['v=spf1 -all', ['v=DKIM1; k=rsa; ', 'p=AAAA']],
        ttl: 60,
      },
      'www.example.com': { cname: 'example.com', ttl: 30 },
      'loop1.example.com': { cname: 'loop2.example.com' },
      'loop2.example.com': { cname: 'loop1.example.com' },
      'a.b.example.com': { a: ['192.0.2.2'] },
      '_25._tcp.mx.example.com': {
        tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: new Uint8Array([1, 2, 3]) }],
        authenticated: true,
      },
      'broken.example.com': { a: ['192.0.2.3'], fail: { MX: 'refused', TXT: 'nxdomain' } },
    },
    { negativeTtl: 120 },
  );

  it('answers records with their TTL, names case-insensitively and with or without the dot', async () => {
    expect(await resolver.mx('EXAMPLE.com.')).toEqual({
      ok: true,
      records: [
        { preference: 10, exchange: 'mx.example.com' },
        { preference: 20, exchange: 'backup.example.com' },
      ],
      ttl: 60,
      authenticated: false,
    });
    expect(await resolver.a('example.com')).toMatchObject({ ok: true, records: [{ address: '192.0.2.1' }] });
  });

  it('gives TXT records as strings and as their concatenation', async () => {
    const txt = await resolver.txt('example.com');
    expect(txt.ok && txt.records).toEqual([
      { strings: ['v=spf1 -all'], text: 'v=spf1 -all' },
      { strings: ['v=DKIM1; k=rsa; ', 'p=AAAA'], text: 'v=DKIM1; k=rsa; p=AAAA' },
    ]);
  });

  it('tells NXDOMAIN from NODATA, with the negative TTL', async () => {
    expect(await resolver.a('missing.example.com')).toEqual({
      ok: false,
      kind: 'nxdomain',
      negativeTtl: 120,
      authenticated: false,
    });
    expect(await resolver.aaaa('example.com')).toMatchObject({ ok: false, kind: 'nodata', negativeTtl: 120 });
  });

  it('answers NODATA for an empty non-terminal (RFC 8020)', async () => {
    expect(await resolver.a('b.example.com')).toMatchObject({ ok: false, kind: 'nodata' });
  });

  it('follows CNAMEs, with the smallest TTL and the canonical name', async () => {
    expect(await resolver.a('www.example.com')).toEqual({
      ok: true,
      records: [{ address: '192.0.2.1' }],
      ttl: 30,
      authenticated: false,
      canonicalName: 'example.com',
    });
  });

  it('a CNAME loop is a temporary failure, not a hang', async () => {
    expect(await resolver.a('loop1.example.com')).toMatchObject({
      ok: false,
      kind: 'temporary',
      reason: 'cname-chain',
    });
  });

  it('forces failures per type', async () => {
    expect(await resolver.mx('broken.example.com')).toMatchObject({
      ok: false,
      kind: 'temporary',
      reason: 'refused',
    });
    expect(await resolver.txt('broken.example.com')).toMatchObject({ ok: false, kind: 'nxdomain' });
    expect(await resolver.a('broken.example.com')).toMatchObject({ ok: true });
  });

  it('answers TLSA with the AD bit', async () => {
    expect(await resolver.tlsa('_25._tcp.mx.example.com')).toMatchObject({
      ok: true,
      authenticated: true,
      records: [{ usage: 3, selector: 1, matchingType: 1 }],
    });
  });

  it('logs questions and can change the zone', async () => {
    const r = createFakeResolver({});
    expect(await r.a('new.example')).toMatchObject({ kind: 'nxdomain' });
    r.set('new.example', { a: ['192.0.2.50'] });
    expect(await r.a('new.example')).toMatchObject({ ok: true });
    r.delete('NEW.example');
    expect(await r.a('new.example')).toMatchObject({ kind: 'nxdomain' });
    expect(r.queries).toEqual([
      { type: 'A', name: 'new.example' },
      { type: 'A', name: 'new.example' },
      { type: 'A', name: 'new.example' },
    ]);
  });

  it('throws UsageError for a zone that is not valid', () => {
    expect(() => createFakeResolver({ 'a..b': {} })).toThrow(/invalid domain name/);
    const r = createFakeResolver({ 'x.example': { a: ['2001:db8::1'] } });
    return expect(r.a('x.example')).rejects.toThrow(/not an A address/);
  });
});
