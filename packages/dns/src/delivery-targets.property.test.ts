import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveDeliveryTargets } from './delivery-targets.js';
import { createFakeResolver, type FakeFailure, type FakeZoneEntry } from './fake-resolver.js';

const HOSTS = ['a.example.net', 'b.example.net', 'c.example.net', 'd.example.net', '192.0.2.200', '.'];

const hostEntry: fc.Arbitrary<FakeZoneEntry | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({
    a: fc.array(
      fc.integer({ min: 1, max: 6 }).map((n) => `192.0.2.${n}`),
      { maxLength: 2 },
    ),
    aaaa: fc.array(
      fc.integer({ min: 1, max: 6 }).map((n) => `2001:db8::${n}`),
      { maxLength: 2 },
    ),
  }),
  fc.constantFrom<FakeFailure>('servfail', 'timeout', 'nodata').map((fail) => ({ fail })),
);

const scenario = fc.record({
  mx: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(...HOSTS)), { maxLength: 5 }),
  mxFailure: fc.option(fc.constantFrom<FakeFailure>('servfail', 'nxdomain', 'nodata'), { nil: undefined }),
  domainA: fc.boolean(),
  hosts: fc.tuple(hostEntry, hostEntry, hostEntry, hostEntry),
  family: fc.constantFrom(
    'ipv4-first' as const,
    'ipv6-first' as const,
    'ipv4-only' as const,
    'ipv6-only' as const,
  ),
  seeds: fc.tuple(fc.double({ min: 0, max: 0.999 }), fc.double({ min: 0, max: 0.999 })),
});

describe('resolveDeliveryTargets properties', () => {
  it('any zone: never rejects; order, uniqueness and verdicts follow RFC 5321 §5.1', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const zone: Record<string, FakeZoneEntry> = {};
        const domain: FakeZoneEntry = {
          ...(s.mx.length > 0 ? { mx: s.mx.map(([p, h]) => `${p} ${h}`) } : {}),
          ...(s.domainA ? { a: ['198.51.100.1'] } : { txt: ['x'] }),
          ...(s.mxFailure ? { fail: { MX: s.mxFailure } } : {}),
        };
        zone['example.com'] = domain;
        s.hosts.forEach((entry, i) => {
          if (entry) zone[HOSTS[i]!] = entry;
        });
        let i = 0;
        const random = () => s.seeds[i++ % 2]!;
        const targets = await resolveDeliveryTargets('example.com', createFakeResolver(zone), {
          family: s.family,
          random,
        });
        const mxUsable = s.mxFailure === undefined && s.mx.length > 0;
        if (s.mxFailure === 'servfail') expect(targets).toMatchObject({ ok: false, permanent: false });
        if (s.mxFailure === 'nxdomain') expect(targets).toMatchObject({ ok: false, reason: 'nxdomain' });
        if (mxUsable && s.mx.length === 1 && s.mx[0]![1] === '.') {
          expect(targets).toMatchObject({ ok: false, reason: 'null-mx', reply: { code: 556 } });
        }
        if (!targets.ok) {
          expect(targets.permanent).toBe(targets.reason !== 'temporary');
          return;
        }
        const prefs = targets.hosts.map((h) => h.preference);
        expect(prefs).toEqual([...prefs].sort((a, b) => a - b));
        const all = targets.hosts.flatMap((h) => h.addresses.map((a) => a.address));
        expect(new Set(all).size).toBe(all.length);
        if (mxUsable) {
          expect(targets.source).toBe('mx');
          expect(all).not.toContain('198.51.100.1');
          for (const h of targets.hosts) expect(HOSTS).toContain(h.name);
        }
        for (const h of targets.hosts) {
          expect(h.addresses.length).toBeGreaterThan(0);
          const families = h.addresses.map((a) => a.family);
          if (s.family === 'ipv4-only') expect(families.every((f) => f === 4)).toBe(true);
          if (s.family === 'ipv6-only') expect(families.every((f) => f === 6)).toBe(true);
          if (s.family === 'ipv4-first') expect(families).toEqual([...families].sort());
          if (s.family === 'ipv6-first') expect(families).toEqual([...families].sort().reverse());
        }
      }),
      { numRuns: 200 },
    );
  });
});
