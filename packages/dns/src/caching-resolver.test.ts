import { describe, expect, it } from 'vitest';
import { CachingResolver } from './caching-resolver.js';
import { createFakeResolver } from './fake-resolver.js';
import type { LookupResult, Resolver } from './resolver.js';

function setup(options: Partial<ConstructorParameters<typeof CachingResolver>[1]> = {}) {
  let now = 1_000_000;
  const fake = createFakeResolver(
    {
      'example.com': { mx: ['10 mx.example.com'], a: ['192.0.2.1'], ttl: 60 },
      'zero.example.com': { a: ['192.0.2.2'], ttl: 0 },
      'long.example.com': { a: ['192.0.2.3'], ttl: 10_000_000 },
      'flaky.example.com': { fail: 'servfail' },
    },
    { negativeTtl: 30 },
  );
  const cache = new CachingResolver(fake, { now: () => now, ...options });
  return {
    fake,
    cache,
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}

describe('CachingResolver', () => {
  it('serves a positive answer from the cache with its remaining TTL until it expires', async () => {
    const { fake, cache, advance } = setup();
    expect(await cache.mx('example.com')).toMatchObject({ ok: true, ttl: 60 });
    advance(45);
    expect(await cache.mx('EXAMPLE.com.')).toMatchObject({ ok: true, ttl: 15 });
    expect(fake.queries).toHaveLength(1);
    advance(15);
    expect(await cache.mx('example.com')).toMatchObject({ ok: true, ttl: 60 });
    expect(fake.queries).toHaveLength(2);
  });

  it('keeps types apart', async () => {
    const { fake, cache } = setup();
    await cache.mx('example.com');
    await cache.a('example.com');
    expect(fake.queries.map((q) => q.type)).toEqual(['MX', 'A']);
  });

  it('never caches a TTL of 0', async () => {
    const { fake, cache } = setup();
    await cache.a('zero.example.com');
    await cache.a('zero.example.com');
    expect(fake.queries).toHaveLength(2);
  });

  it('caps TTLs at maxTtl', async () => {
    const { cache, fake, advance } = setup({ maxTtl: 100 });
    expect(await cache.a('long.example.com')).toMatchObject({ ttl: 10_000_000 });
    advance(99);
    expect(await cache.a('long.example.com')).toMatchObject({ ttl: 1 });
    advance(1);
    await cache.a('long.example.com');
    expect(fake.queries).toHaveLength(2);
  });

  it('caches NXDOMAIN and NODATA for the negative TTL (RFC 2308 §5)', async () => {
    const { fake, cache, advance } = setup();
    expect(await cache.a('missing.example.com')).toMatchObject({ kind: 'nxdomain', negativeTtl: 30 });
    expect(await cache.aaaa('example.com')).toMatchObject({ kind: 'nodata', negativeTtl: 30 });
    advance(20);
    expect(await cache.a('missing.example.com')).toMatchObject({ kind: 'nxdomain', negativeTtl: 10 });
    expect(await cache.aaaa('example.com')).toMatchObject({ kind: 'nodata', negativeTtl: 10 });
    expect(fake.queries).toHaveLength(2);
    advance(10);
    await cache.a('missing.example.com');
    expect(fake.queries).toHaveLength(3);
  });

  it('caps negative caching at maxNegativeTtl', async () => {
    const { fake, cache, advance } = setup({ maxNegativeTtl: 5 });
    await cache.a('missing.example.com');
    advance(5);
    await cache.a('missing.example.com');
    expect(fake.queries).toHaveLength(2);
  });

  it('does not cache a negative answer without an SOA (no negativeTtl)', async () => {
    let calls = 0;
    const inner: Resolver = {
      mx: async () => ({ ok: false, kind: 'nxdomain', authenticated: false }),
      a: async () => {
        calls++;
        return { ok: false, kind: 'nodata', authenticated: false };
      },
      aaaa: async () => ({ ok: false, kind: 'nodata', authenticated: false }),
      txt: async () => ({ ok: false, kind: 'nodata', authenticated: false }),
      tlsa: async () => ({ ok: false, kind: 'nodata', authenticated: false }),
    };
    const cache = new CachingResolver(inner, { now: () => 0 });
    await cache.a('x.example');
    await cache.a('x.example');
    expect(calls).toBe(2);
  });

  it('does not cache temporary failures by default; failureTtl caches them at most 300 s (RFC 2308 §7.1)', async () => {
    const plain = setup();
    await plain.cache.a('flaky.example.com');
    await plain.cache.a('flaky.example.com');
    expect(plain.fake.queries).toHaveLength(2);

    const cached = setup({ failureTtl: 3600 });
    await cached.cache.a('flaky.example.com');
    cached.advance(299);
    expect(await cached.cache.a('flaky.example.com')).toMatchObject({ kind: 'temporary' });
    expect(cached.fake.queries).toHaveLength(1);
    cached.advance(1);
    await cached.cache.a('flaky.example.com');
    expect(cached.fake.queries).toHaveLength(2);
  });

  it('evicts the least recently used answer beyond maxEntries', async () => {
    const { fake, cache } = setup({ maxEntries: 2 });
    const zone = ['a', 'b', 'c'];
    for (const n of zone) fake.set(`${n}.example`, { a: ['192.0.2.9'] });
    await cache.a('a.example');
    await cache.a('b.example');
    await cache.a('a.example'); // a is now the most recent
    await cache.a('c.example'); // evicts b
    expect(cache.size).toBe(2);
    const before = fake.queries.length;
    await cache.a('a.example');
    expect(fake.queries.length).toBe(before);
    await cache.a('b.example');
    expect(fake.queries.length).toBe(before + 1);
  });

  it('shares one upstream query among concurrent look-ups', async () => {
    let calls = 0;
    let release: (value: LookupResult<{ address: string }>) => void = () => {};
    const slow: Resolver = {
      ...createFakeResolver({}),
      a: () => {
        calls++;
        return new Promise((resolve) => {
          release = resolve;
        });
      },
    };
    const cache = new CachingResolver(slow, { now: () => 0 });
    const first = cache.a('x.example');
    const second = cache.a('X.example.');
    release({ ok: true, records: [{ address: '192.0.2.1' }], ttl: 10, authenticated: false });
    expect(await first).toEqual(await second);
    expect(calls).toBe(1);
  });

  it('clear() forgets everything', async () => {
    const { fake, cache } = setup();
    await cache.a('example.com');
    cache.clear();
    await cache.a('example.com');
    expect(fake.queries).toHaveLength(2);
  });

  it('needs a clock', () => {
    expect(() => new CachingResolver(createFakeResolver({}), {} as never)).toThrow(/now\(\)/);
  });
});
