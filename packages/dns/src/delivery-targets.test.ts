import { describe, expect, it } from 'vitest';
import { resolveDeliveryTargets } from './delivery-targets.js';
import { createFakeResolver } from './fake-resolver.js';

/** A deterministic random source: cycles through the given values. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** A small seeded PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const names = (targets: Awaited<ReturnType<typeof resolveDeliveryTargets>>) =>
  targets.ok ? targets.hosts.map((h) => h.name) : [];

describe('resolveDeliveryTargets (RFC 5321 §5.1)', () => {
  it('sorts MX records by preference, lowest first', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['30 c.example.net', '10 a.example.net', '20 b.example.net'] },
      'a.example.net': { a: ['192.0.2.1'] },
      'b.example.net': { a: ['192.0.2.2'] },
      'c.example.net': { a: ['192.0.2.3'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(targets).toMatchObject({ ok: true, source: 'mx', domain: 'example.com' });
    expect(names(targets)).toEqual(['a.example.net', 'b.example.net', 'c.example.net']);
    expect(targets.ok && targets.hosts.map((h) => h.preference)).toEqual([10, 20, 30]);
  });

  it('shuffles equal preferences with the injected random source, keeping preference order', async () => {
    const zone = {
      'example.com': { mx: ['10 a.example.net', '10 b.example.net', '10 c.example.net', '20 d.example.net'] },
      'a.example.net': { a: ['192.0.2.1'] },
      'b.example.net': { a: ['192.0.2.2'] },
      'c.example.net': { a: ['192.0.2.3'] },
      'd.example.net': { a: ['192.0.2.4'] },
    };
    // Fisher–Yates from the end: random 0 swaps i with 0 each time.
    const first = await resolveDeliveryTargets('example.com', createFakeResolver(zone), {
      random: sequence(0),
    });
    expect(names(first)).toEqual(['b.example.net', 'c.example.net', 'a.example.net', 'd.example.net']);
    const second = await resolveDeliveryTargets('example.com', createFakeResolver(zone), {
      random: sequence(0.99),
    });
    expect(names(second)).toEqual(['a.example.net', 'b.example.net', 'c.example.net', 'd.example.net']);
    const seen = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const random = mulberry32(seed);
      const t = await resolveDeliveryTargets('example.com', createFakeResolver(zone), { random });
      const order = names(t);
      expect(order[3]).toBe('d.example.net');
      seen.add(order.slice(0, 3).join(','));
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it('uses the implicit MX (A/AAAA of the domain, preference 0) when the domain exists without MX', async () => {
    const resolver = createFakeResolver({ 'example.com': { a: ['192.0.2.10'], aaaa: ['2001:db8::10'] } });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(targets).toMatchObject({
      ok: true,
      source: 'implicit',
      hosts: [
        {
          name: 'example.com',
          preference: 0,
          addresses: [
            { address: '192.0.2.10', family: 4 },
            { address: '2001:db8::10', family: 6 },
          ],
        },
      ],
    });
  });

  it('reads an empty MX answer from a resolver as NODATA: implicit MX', async () => {
    const fake = createFakeResolver({ 'example.com': { a: ['192.0.2.10'] } });
    const resolver = {
      ...fake,
      mx: async () => ({ ok: true as const, records: [], ttl: 60, authenticated: false }),
    };
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(targets).toMatchObject({ ok: true, source: 'implicit', hosts: [{ name: 'example.com' }] });
  });

  it('never uses the domain A record when MX records exist', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['10 mx.example.com'], a: ['192.0.2.99'] },
      'mx.example.com': { a: ['192.0.2.1'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(targets.ok && targets.hosts.flatMap((h) => h.addresses.map((a) => a.address))).toEqual([
      '192.0.2.1',
    ]);
    expect(resolver.queries).not.toContainEqual({ type: 'A', name: 'example.com' });
  });

  it('NXDOMAIN for MX is a permanent failure, and no implicit MX is tried', async () => {
    const resolver = createFakeResolver({});
    const targets = await resolveDeliveryTargets('nowhere.example', resolver);
    expect(targets).toMatchObject({
      ok: false,
      permanent: true,
      reason: 'nxdomain',
      reply: { code: 550, enhanced: '5.1.2' },
    });
    expect(resolver.queries).toEqual([{ type: 'MX', name: 'nowhere.example' }]);
  });

  it('null MX (a single "0 .") is a permanent 556 5.1.10 and no address is looked up (RFC 7505)', async () => {
    const resolver = createFakeResolver({ 'example.com': { mx: ['0 .'], a: ['192.0.2.1'] } });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(targets).toMatchObject({
      ok: false,
      permanent: true,
      reason: 'null-mx',
      reply: { code: 556, enhanced: '5.1.10' },
    });
    expect(resolver.queries).toEqual([{ type: 'MX', name: 'example.com' }]);
  });

  it('a "." mixed with other MX records is ignored, the others are used', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['0 .', '10 mx.example.com'] },
      'mx.example.com': { a: ['192.0.2.1'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(names(targets)).toEqual(['mx.example.com']);
  });

  it('MX targets written as IP addresses are skipped by default', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['5 192.0.2.7', '10 mx.example.com'] },
      'mx.example.com': { a: ['192.0.2.1'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(names(targets)).toEqual(['mx.example.com']);
    expect(targets.ok && targets.skipped).toMatchObject([{ name: '192.0.2.7', error: 'ip-target' }]);
  });

  it('an MX pointing only at an IP address is a permanent "no addresses" failure', async () => {
    const resolver = createFakeResolver({ 'example.com': { mx: ['10 192.0.2.7'] } });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(targets).toMatchObject({ ok: false, permanent: true, reason: 'no-addresses' });
  });

  it('allowMxToIp uses an IP-address MX target as is', async () => {
    const resolver = createFakeResolver({ 'example.com': { mx: ['10 192.0.2.7'] } });
    const targets = await resolveDeliveryTargets('example.com', resolver, { allowMxToIp: true });
    expect(targets).toMatchObject({
      ok: true,
      hosts: [{ addresses: [{ address: '192.0.2.7', family: 4 }] }],
    });
  });

  it('tolerates a CNAME at the MX target', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['10 alias.example.com'] },
      'alias.example.com': { cname: 'real.example.net' },
      'real.example.net': { a: ['192.0.2.5'], aaaa: ['2001:db8::5'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(targets).toMatchObject({
      ok: true,
      hosts: [
        { name: 'alias.example.com', addresses: [{ address: '192.0.2.5' }, { address: '2001:db8::5' }] },
      ],
    });
  });

  it('follows a CNAME at the domain itself (RFC 5321 §5.1)', async () => {
    const resolver = createFakeResolver({
      'example.com': { cname: 'mail.example.org' },
      'mail.example.org': { mx: ['10 mx.example.org'] },
      'mx.example.org': { a: ['192.0.2.8'] },
    });
    expect(names(await resolveDeliveryTargets('example.com', resolver))).toEqual(['mx.example.org']);
  });

  it('converts IDN domains to A-labels before asking DNS', async () => {
    const resolver = createFakeResolver({
      'xn--bcher-kva.example': { mx: ['10 mx.xn--bcher-kva.example'] },
      'mx.xn--bcher-kva.example': { a: ['192.0.2.9'] },
    });
    const targets = await resolveDeliveryTargets('Bücher.example', resolver);
    expect(targets).toMatchObject({ ok: true, domain: 'xn--bcher-kva.example' });
    expect(resolver.queries[0]).toEqual({ type: 'MX', name: 'xn--bcher-kva.example' });
  });

  it('refuses an invalid domain permanently without asking DNS', async () => {
    const resolver = createFakeResolver({});
    const targets = await resolveDeliveryTargets('a..b', resolver);
    expect(targets).toMatchObject({ ok: false, permanent: true, reason: 'invalid-domain' });
    expect(resolver.queries).toEqual([]);
  });

  it('uses an IPv4 address literal directly', async () => {
    const resolver = createFakeResolver({});
    const targets = await resolveDeliveryTargets('[192.0.2.1]', resolver);
    expect(targets).toMatchObject({
      ok: true,
      source: 'literal',
      hosts: [{ name: '[192.0.2.1]', addresses: [{ address: '192.0.2.1', family: 4 }] }],
    });
    expect(resolver.queries).toEqual([]);
  });

  it('uses an IPv6 address literal directly, in canonical form', async () => {
    const targets = await resolveDeliveryTargets('[IPv6:2001:DB8:0:0:0:0:0:1]', createFakeResolver({}));
    expect(targets).toMatchObject({
      ok: true,
      hosts: [{ addresses: [{ address: '2001:db8::1', family: 6 }] }],
    });
  });

  it('refuses a malformed address literal permanently', async () => {
    for (const literal of ['[300.0.0.1]', '[IPv6:2001:db8::g]', '[192.0.2.1', '[foo:bar]']) {
      const targets = await resolveDeliveryTargets(literal, createFakeResolver({}));
      expect(targets).toMatchObject({ ok: false, permanent: true, reason: 'invalid-domain' });
    }
  });

  describe('address family preference', () => {
    const zone = {
      'example.com': { mx: ['10 mx.example.com'] },
      'mx.example.com': { a: ['192.0.2.1', '192.0.2.2'], aaaa: ['2001:db8::1'] },
    };
    const addresses = async (family?: 'ipv4-first' | 'ipv6-first' | 'ipv4-only' | 'ipv6-only') => {
      const resolver = createFakeResolver(zone);
      const t = await resolveDeliveryTargets('example.com', resolver, family ? { family } : {});
      return { list: t.ok ? t.hosts[0]!.addresses.map((a) => a.address) : [], queries: resolver.queries };
    };
    it('ipv4-first is the default', async () => {
      expect((await addresses()).list).toEqual(['192.0.2.1', '192.0.2.2', '2001:db8::1']);
    });
    it('ipv6-first', async () => {
      expect((await addresses('ipv6-first')).list).toEqual(['2001:db8::1', '192.0.2.1', '192.0.2.2']);
    });
    it('ipv4-only does not ask for AAAA', async () => {
      const { list, queries } = await addresses('ipv4-only');
      expect(list).toEqual(['192.0.2.1', '192.0.2.2']);
      expect(queries.some((q) => q.type === 'AAAA')).toBe(false);
    });
    it('ipv6-only does not ask for A', async () => {
      const { list, queries } = await addresses('ipv6-only');
      expect(list).toEqual(['2001:db8::1']);
      expect(queries.some((q) => q.type === 'A')).toBe(false);
    });
    it('a host with only IPv6 under ipv4-only is unusable: permanent', async () => {
      const resolver = createFakeResolver({
        'example.com': { mx: ['10 mx.example.com'] },
        'mx.example.com': { aaaa: ['2001:db8::1'] },
      });
      const t = await resolveDeliveryTargets('example.com', resolver, { family: 'ipv4-only' });
      expect(t).toMatchObject({
        ok: false,
        permanent: true,
        reason: 'no-addresses',
        reply: { code: 550, enhanced: '5.4.4' },
      });
    });
  });

  describe('permanent versus temporary', () => {
    it('a temporary MX failure is temporary (451 4.4.3), not an implicit MX', async () => {
      const resolver = createFakeResolver({ 'example.com': { fail: { MX: 'servfail' }, a: ['192.0.2.1'] } });
      const targets = await resolveDeliveryTargets('example.com', resolver);
      expect(targets).toMatchObject({
        ok: false,
        permanent: false,
        reason: 'temporary',
        reply: { code: 451, enhanced: '4.4.3' },
      });
      expect(resolver.queries).toEqual([{ type: 'MX', name: 'example.com' }]);
    });

    it('MX timeout is temporary', async () => {
      const resolver = createFakeResolver({ 'example.com': { fail: 'timeout' } });
      expect(await resolveDeliveryTargets('example.com', resolver)).toMatchObject({ permanent: false });
    });

    it('implicit MX with neither A nor AAAA is permanent "no addresses"', async () => {
      const resolver = createFakeResolver({ 'example.com': { txt: ['v=spf1 -all'] } });
      const targets = await resolveDeliveryTargets('example.com', resolver);
      expect(targets).toMatchObject({ ok: false, permanent: true, reason: 'no-addresses' });
    });

    it('implicit MX where AAAA fails temporarily and A is NODATA is temporary', async () => {
      const resolver = createFakeResolver({ 'example.com': { txt: ['x'], fail: { AAAA: 'timeout' } } });
      const targets = await resolveDeliveryTargets('example.com', resolver);
      expect(targets).toMatchObject({ ok: false, permanent: false, reason: 'temporary' });
    });

    it('implicit MX where AAAA fails temporarily but A answers is usable', async () => {
      const resolver = createFakeResolver({
        'example.com': { a: ['192.0.2.1'], fail: { AAAA: 'servfail' } },
      });
      const targets = await resolveDeliveryTargets('example.com', resolver);
      expect(targets).toMatchObject({ ok: true, hosts: [{ addresses: [{ address: '192.0.2.1' }] }] });
    });

    it('MX hosts that do not exist are skipped; the others are used', async () => {
      const resolver = createFakeResolver({
        'example.com': { mx: ['10 gone.example.com', '20 mx.example.com'] },
        'mx.example.com': { a: ['192.0.2.1'] },
      });
      const targets = await resolveDeliveryTargets('example.com', resolver);
      expect(names(targets)).toEqual(['mx.example.com']);
      expect(targets.ok && targets.skipped).toMatchObject([{ name: 'gone.example.com', error: 'nxdomain' }]);
    });

    it('all MX hosts nonexistent or without addresses is permanent', async () => {
      const resolver = createFakeResolver({
        'example.com': { mx: ['10 gone.example.com', '20 empty.example.com'] },
        'empty.example.com': { txt: ['nothing here'] },
      });
      const targets = await resolveDeliveryTargets('example.com', resolver);
      expect(targets).toMatchObject({ ok: false, permanent: true, reason: 'no-addresses' });
      expect(!targets.ok && targets.skipped.map((h) => h.error)).toEqual(['nxdomain', 'nodata']);
    });

    it('no usable host but one failed temporarily is temporary (the queue retries)', async () => {
      const resolver = createFakeResolver({
        'example.com': { mx: ['10 gone.example.com', '20 flaky.example.com'] },
        'flaky.example.com': { fail: 'servfail' },
      });
      const targets = await resolveDeliveryTargets('example.com', resolver);
      expect(targets).toMatchObject({ ok: false, permanent: false, reason: 'temporary' });
    });

    it('a temporary failure at one MX host does not matter when another has addresses', async () => {
      const resolver = createFakeResolver({
        'example.com': { mx: ['10 flaky.example.com', '20 mx.example.com'] },
        'flaky.example.com': { fail: 'refused' },
        'mx.example.com': { a: ['192.0.2.1'] },
      });
      const targets = await resolveDeliveryTargets('example.com', resolver);
      expect(targets).toMatchObject({
        ok: true,
        skipped: [{ name: 'flaky.example.com', error: 'temporary' }],
      });
    });
  });

  it('drops our own MX and every MX of equal or higher preference (RFC 5321 §5.1)', async () => {
    const resolver = createFakeResolver({
      'example.com': {
        mx: ['10 backup.example.com', '20 me.example.net', '20 peer.example.com', '5 primary.example.com'],
      },
      'primary.example.com': { a: ['192.0.2.1'] },
      'backup.example.com': { a: ['192.0.2.2'] },
      'peer.example.com': { a: ['192.0.2.3'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver, {
      localNames: ['ME.example.net.'],
    });
    expect(names(targets)).toEqual(['primary.example.com', 'backup.example.com']);
  });

  it('is a loop when this host is the best MX', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['10 me.example.net', '20 other.example.com'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver, { localNames: ['me.example.net'] });
    expect(targets).toMatchObject({
      ok: false,
      permanent: true,
      reason: 'mx-loop',
      reply: { enhanced: '5.4.6' },
    });
  });

  it('lists an address only once when two MX hosts share it', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['10 a.example.com', '20 b.example.com'] },
      'a.example.com': { a: ['192.0.2.1'] },
      'b.example.com': { a: ['192.0.2.1', '192.0.2.2'] },
    });
    const targets = await resolveDeliveryTargets('example.com', resolver);
    expect(targets.ok && targets.hosts.map((h) => h.addresses.map((a) => a.address))).toEqual([
      ['192.0.2.1'],
      ['192.0.2.2'],
    ]);
  });

  it('expands at most maxHosts MX hosts', async () => {
    const zone: Record<string, { mx?: string[]; a?: string[] }> = { 'example.com': { mx: [] } };
    for (let i = 0; i < 40; i++) {
      zone['example.com']!.mx!.push(`${i} mx${i}.example.com`);
      zone[`mx${i}.example.com`] = { a: [`192.0.2.${i + 1}`] };
    }
    const resolver = createFakeResolver(zone);
    const targets = await resolveDeliveryTargets('example.com', resolver, { maxHosts: 3 });
    expect(names(targets)).toEqual(['mx0.example.com', 'mx1.example.com', 'mx2.example.com']);
    expect(resolver.queries.length).toBe(1 + 3 * 2);
  });

  it('reports the AD bit of the MX answer', async () => {
    const resolver = createFakeResolver({
      'example.com': { mx: ['10 mx.example.com'], authenticated: true },
      'mx.example.com': { a: ['192.0.2.1'], authenticated: true },
    });
    const targets = await resolveDeliveryTargets('example.com.', resolver);
    expect(targets).toMatchObject({ ok: true, authenticated: true, hosts: [{ authenticated: true }] });
  });
});
