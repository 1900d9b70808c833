import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CachingResolver } from './caching-resolver.js';
import { createFakeResolver } from './fake-resolver.js';

const NAMES = ['a.example', 'b.example', 'c.example', 'd.example'];

const step = fc.oneof(
  fc.record({ op: fc.constant('advance' as const), seconds: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ op: fc.constant('query' as const), name: fc.constantFrom(...NAMES) }),
  fc.record({
    op: fc.constant('change' as const),
    name: fc.constantFrom(...NAMES),
    ttl: fc.integer({ min: 0, max: 20 }),
    last: fc.integer({ min: 1, max: 250 }),
    gone: fc.boolean(),
  }),
);

describe('CachingResolver properties', () => {
  it('serves only unexpired answers with the TTL left, asks upstream otherwise, holds at most maxEntries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        async (steps, max) => {
          let now = 0;
          const fake = createFakeResolver({}, { negativeTtl: 10 });
          const cache = new CachingResolver(fake, { now: () => now, maxEntries: max });
          // The current truth, and the last upstream answer per name.
          const fetched = new Map<string, { at: number; ttl: number; answer: string }>();
          const truth = new Map<string, string | undefined>();
          for (const s of steps) {
            if (s.op === 'advance') now += s.seconds * 1000;
            else if (s.op === 'change') {
              if (s.gone) {
                fake.delete(s.name);
                truth.set(s.name, undefined);
              } else {
                fake.set(s.name, { a: [`192.0.2.${s.last}`], ttl: s.ttl });
                truth.set(s.name, `192.0.2.${s.last}`);
              }
            } else {
              const asked = fake.queries.length;
              const result = await cache.a(s.name);
              const fromCache = fake.queries.length === asked;
              const ttlOf = (r: typeof result) =>
                r.ok ? r.ttl : r.kind === 'temporary' ? 0 : (r.negativeTtl ?? 0);
              if (fromCache) {
                // Served from the cache: the fetch it came from has not expired, and the TTL is what is left.
                const fetch = fetched.get(s.name);
                expect(fetch).toBeDefined();
                const expires = fetch!.at + fetch!.ttl * 1000;
                expect(now).toBeLessThan(expires);
                expect(ttlOf(result)).toBe(Math.floor((expires - now) / 1000));
                expect(result.ok ? result.records[0]!.address : result.kind).toBe(fetch!.answer);
              } else {
                const current = truth.get(s.name);
                expect(result.ok ? result.records[0]!.address : undefined).toBe(current);
                fetched.set(s.name, {
                  at: now,
                  ttl: ttlOf(result),
                  answer: result.ok ? result.records[0]!.address : result.kind,
                });
              }
            }
            expect(cache.size).toBeLessThanOrEqual(max);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
