import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDnsServer, reply, startFakeDnsServer } from '../../test/fake-dns-server.js';
import type { Resolver } from '../resolver.js';
import { RecordType } from '../wire/types.js';
import { createNodeDnsResolver } from './node-dns-resolver.js';

let server: FakeDnsServer;
let resolver: Resolver;

beforeAll(async () => {
  server = await startFakeDnsServer((q) => {
    const { name, type } = q.questions[0]!;
    const soa = {
      name: 'example.com',
      class: 1,
      ttl: 60,
      type: 'SOA' as const,
      mname: 'ns.example.com',
      rname: 'h.example.com',
      serial: 1,
      refresh: 1,
      retry: 1,
      expire: 1,
      minimum: 60,
    };
    if (name === 'example.com' && type === RecordType.A) {
      return [
        reply(q, {
          answers: [
            { name, class: 1, ttl: 42, type: 'A', address: '192.0.2.1' },
            { name, class: 1, ttl: 40, type: 'A', address: '192.0.2.2' },
          ],
        }),
      ];
    }
    if (name === 'example.com' && type === RecordType.MX) {
      return [
        reply(q, {
          answers: [{ name, class: 1, ttl: 999, type: 'MX', preference: 5, exchange: 'mx.example.com' }],
        }),
      ];
    }
    if (name === 'nullmx.example.com' && type === RecordType.MX) {
      return [
        reply(q, { answers: [{ name, class: 1, ttl: 999, type: 'MX', preference: 0, exchange: '.' }] }),
      ];
    }
    if (name === 'example.com' && type === RecordType.TXT) {
      const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
      return [
        reply(q, {
          answers: [{ name, class: 1, ttl: 9, type: 'TXT', strings: [ascii('v=spf1 '), ascii('-all')] }],
        }),
      ];
    }
    if (name === 'broken.example.com') return [reply(q, { rcode: 2 })];
    if (name === 'gone.example.com') return [reply(q, { rcode: 3, authorities: [soa] })];
    return [reply(q, { authorities: [soa] })];
  });
  resolver = createNodeDnsResolver({
    servers: [`127.0.0.1:${server.port}`],
    timeoutMs: 500,
    tries: 1,
    fallbackTtl: 77,
  });
});
afterAll(() => server.close());

describe('createNodeDnsResolver', () => {
  it('A with the real TTL (smallest of the set)', async () => {
    expect(await resolver.a('example.com')).toEqual({
      ok: true,
      records: [{ address: '192.0.2.1' }, { address: '192.0.2.2' }],
      ttl: 40,
      authenticated: false,
    });
  });

  it('MX with the fallback TTL (node:dns gives none)', async () => {
    expect(await resolver.mx('example.com')).toEqual({
      ok: true,
      records: [{ preference: 5, exchange: 'mx.example.com' }],
      ttl: 77,
      authenticated: false,
    });
  });

  it('a null MX exchange comes back as "."', async () => {
    expect(await resolver.mx('nullmx.example.com')).toMatchObject({ ok: true, records: [{ exchange: '.' }] });
  });

  it('TXT strings and their concatenation', async () => {
    expect(await resolver.txt('example.com')).toMatchObject({
      ok: true,
      records: [{ strings: ['v=spf1 ', '-all'], text: 'v=spf1 -all' }],
    });
  });

  it('NXDOMAIN and NODATA, without a negative TTL', async () => {
    expect(await resolver.a('gone.example.com')).toEqual({
      ok: false,
      kind: 'nxdomain',
      authenticated: false,
    });
    expect(await resolver.aaaa('example.com')).toEqual({ ok: false, kind: 'nodata', authenticated: false });
  });

  it('SERVFAIL is temporary', async () => {
    expect(await resolver.a('broken.example.com')).toMatchObject({
      ok: false,
      kind: 'temporary',
      reason: 'servfail',
    });
  });

  it('TLSA: answered where node:dns supports it, else temporary "unsupported"', async () => {
    const result = await resolver.tlsa('_25._tcp.example.com');
    if (result.ok || result.kind !== 'temporary') expect(result).toMatchObject({ ok: false, kind: 'nodata' });
    else expect(result.reason).toBe('unsupported');
  });
});
