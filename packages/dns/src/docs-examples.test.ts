/** The examples of docs/dns.md, run as written (against the fake resolver). */
import { describe, expect, it } from 'vitest';
import {
  CachingResolver,
  createFakeResolver,
  decodeMessage,
  encodeQuery,
  resolveDeliveryTargets,
} from './index.js';

describe('docs/dns.md examples', () => {
  it('delivery targets from an in-memory zone', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['10 mx1.example.com', '10 mx2.example.com', '20 backup.example.net'] },
      'mx1.example.com': { a: ['192.0.2.1'], aaaa: ['2001:db8::1'] },
      'mx2.example.com': { a: ['192.0.2.2'] },
      'backup.example.net': { fail: 'servfail' },
      'nomail.example': { mx: ['0 .'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver, { random: () => 0.99 });
    expect(targets).toMatchObject({
      ok: true,
      hosts: [
        {
          name: 'mx1.example.com',
          addresses: [
            { address: '192.0.2.1', family: 4 },
            { address: '2001:db8::1', family: 6 },
          ],
        },
        { name: 'mx2.example.com', addresses: [{ address: '192.0.2.2', family: 4 }] },
      ],
      skipped: [{ name: 'backup.example.net', error: 'temporary' }],
    });
    const nullMx = await resolveDeliveryTargets('nomail.example', resolver);
    expect(nullMx).toMatchObject({
      ok: false,
      permanent: true,
      reason: 'null-mx',
      reply: { code: 556, enhanced: '5.1.10', text: 'Recipient address has null MX' },
    });
  });

  it('quick start shape, with a caching resolver', async () => {
    let now = 0;
    const resolver = new CachingResolver(
      createFakeResolver({
        'example.com': { mx: ['10 mx.example.com'] },
        'mx.example.com': { a: ['192.0.2.1'] },
      }),
      { now: () => now },
    );
    const targets = await resolveDeliveryTargets('example.com', resolver, { family: 'ipv4-first' });
    const tried: string[] = [];
    if (targets.ok)
      for (const host of targets.hosts) for (const { address } of host.addresses) tried.push(address);
    expect(tried).toEqual(['192.0.2.1']);
    now += 1000;
    expect(await resolver.mx('example.com')).toMatchObject({ ok: true, ttl: 299 });
  });

  it('wire codec', () => {
    const query = encodeQuery({
      id: 0x1234,
      name: 'example.com',
      type: 'MX',
      edns: { udpSize: 1232, dnssecOk: true },
    });
    const result = decodeMessage(query);
    expect(result.ok && result.message.edns).toEqual({
      udpSize: 1232,
      version: 0,
      dnssecOk: true,
      options: [],
    });
    expect(decodeMessage(query.slice(0, 20))).toMatchObject({
      ok: false,
      error: { code: 'ERR_DNS_MALFORMED' },
    });
  });
});
