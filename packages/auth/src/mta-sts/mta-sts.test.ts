import { createFakeResolver } from '@mailwire/dns';
import { describe, expect, it } from 'vitest';
import {
  type CachedMtaStsPolicy,
  discoverMtaSts,
  type MtaStsFetchResponse,
  mxMatchesPolicy,
  parseMtaStsPolicy,
  parseMtaStsRecord,
} from './mta-sts.js';
import { parseTlsRptRecord } from './tls-rpt.js';

const POLICY =
  'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n';

describe('MTA-STS', () => {
  it('parses the RFC 8461 examples', () => {
    expect(parseMtaStsRecord('v=STSv1; id=20160831085700Z;')).toEqual({
      ok: true,
      value: { id: '20160831085700Z' },
    });
    expect(parseMtaStsRecord('v=STSv2; id=1').ok).toBe(false);
    expect(parseMtaStsRecord('v=STSv1;').ok).toBe(false);
    const policy = parseMtaStsPolicy(POLICY);
    expect(policy).toEqual({
      ok: true,
      value: {
        mode: 'enforce',
        mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'],
        maxAge: 604800,
      },
    });
    expect(parseMtaStsPolicy('version: STSv1\nmode: enforce\nmax_age: 10\n').ok).toBe(false);
    expect(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 10\n').ok).toBe(true);
  });

  it('matches MX hosts (RFC 8461 §4.1)', () => {
    const policy = { mode: 'enforce' as const, mx: ['mail.example.com', '*.example.net'], maxAge: 1 };
    expect(mxMatchesPolicy('MAIL.example.com.', policy)).toBe(true);
    expect(mxMatchesPolicy('mx1.example.net', policy)).toBe(true);
    expect(mxMatchesPolicy('a.b.example.net', policy)).toBe(false);
    expect(mxMatchesPolicy('example.net', policy)).toBe(false);
  });

  it('discovers, caches by id and max_age, and refetches when the id changes', async () => {
    const resolver = createFakeResolver({ '_mta-sts.example.com': { txt: ['v=STSv1; id=1'] } });
    const fetched: string[] = [];
    const fetch = async (url: string): Promise<MtaStsFetchResponse> => {
      fetched.push(url);
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: POLICY };
    };
    const store = new Map<string, CachedMtaStsPolicy>();
    const cache = {
      get: (d: string) => store.get(d),
      set: (d: string, e: CachedMtaStsPolicy) => void store.set(d, e),
    };
    const now = new Date('2026-11-28T10:00:00Z');
    expect(await discoverMtaSts('example.com', { resolver, fetch, cache, now })).toMatchObject({
      status: 'policy',
      fromCache: false,
    });
    expect(await discoverMtaSts('example.com', { resolver, fetch, cache, now })).toMatchObject({
      status: 'policy',
      fromCache: true,
    });
    expect(fetched).toEqual(['https://mta-sts.example.com/.well-known/mta-sts.txt']);
    resolver.set('_mta-sts.example.com', { txt: ['v=STSv1; id=2'] });
    expect(await discoverMtaSts('example.com', { resolver, fetch, cache, now })).toMatchObject({
      status: 'policy',
      fromCache: false,
      id: '2',
    });
    // Record gone: the cached policy still applies until it expires (§5.1).
    resolver.delete('_mta-sts.example.com');
    expect(await discoverMtaSts('example.com', { resolver, fetch, cache, now })).toMatchObject({
      status: 'policy',
      fromCache: true,
    });
    const later = new Date(now.getTime() + 604801 * 1000);
    expect(await discoverMtaSts('example.com', { resolver, fetch, cache, now: later })).toMatchObject({
      status: 'none',
    });
    // A wrong media type is not a policy.
    const html = async (): Promise<MtaStsFetchResponse> => ({
      status: 200,
      contentType: 'text/html',
      body: POLICY,
    });
    resolver.set('_mta-sts.example.org', { txt: ['v=STSv1; id=9'] });
    expect(await discoverMtaSts('example.org', { resolver, fetch: html, now })).toMatchObject({
      status: 'temperror',
    });
  });
});

describe('TLS-RPT', () => {
  it('parses RFC 8460 records', () => {
    expect(parseTlsRptRecord('v=TLSRPTv1;rua=mailto:reports@example.com')).toEqual({
      ok: true,
      record: { reportUris: ['mailto:reports@example.com'] },
    });
    expect(
      parseTlsRptRecord('v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt,mailto:a@example.com').ok,
    ).toBe(true);
    expect(parseTlsRptRecord('v=TLSRPTv1; rua=ftp://x').ok).toBe(false);
    expect(parseTlsRptRecord('v=TLSRPTv1;').ok).toBe(false);
  });
});
