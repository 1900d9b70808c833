import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv6, parseIpv6 } from './ip.js';
import { formatProxyHeader, type ProxyHeader, parseProxyHeader } from './proxy-protocol.js';

const ipv4 = fc.ipV4();
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIpv6);
const port = fc.integer({ min: 0, max: 65535 });
const tlv = fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 40 }) });

const header: fc.Arbitrary<ProxyHeader> = fc
  .oneof(
    fc.record({
      version: fc.constantFrom(1 as const, 2 as const),
      command: fc.constant('proxy' as const),
      protocol: fc.constant('tcp4' as const),
      source: fc.record({ address: ipv4, port }),
      destination: fc.record({ address: ipv4, port }),
    }),
    fc.record({
      version: fc.constantFrom(1 as const, 2 as const),
      command: fc.constant('proxy' as const),
      protocol: fc.constant('tcp6' as const),
      source: fc.record({ address: ipv6, port }),
      destination: fc.record({ address: ipv6, port }),
    }),
    fc.record({
      version: fc.constantFrom(1 as const, 2 as const),
      command: fc.constant('proxy' as const),
      protocol: fc.constant('unknown' as const),
    }),
    fc.record({
      version: fc.constant(2 as const),
      command: fc.constant('local' as const),
      protocol: fc.constant('unknown' as const),
    }),
  )
  .chain((h) =>
    (h.version === 2 ? fc.array(tlv, { maxLength: 4 }) : fc.constant([])).map((tlvs) => ({ ...h, tlvs })),
  );

function normalise(h: ProxyHeader) {
  return { ...h, source: h.source, destination: h.destination };
}

describe('PROXY header properties', () => {
  it('parse(format(h)) = h, with any trailing bytes left alone', () => {
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 20 }), (h, trailer) => {
        const bytes = formatProxyHeader(h);
        const input = new Uint8Array(bytes.length + trailer.length);
        input.set(bytes);
        input.set(trailer, bytes.length);
        const result = parseProxyHeader(input);
        expect(result.status).toBe('complete');
        if (result.status !== 'complete') return;
        expect(result.length).toBe(bytes.length);
        expect(normalise(result.header)).toEqual(normalise(h));
      }),
      { numRuns: 300 },
    );
  });

  it('every strict prefix of a header is incomplete', () => {
    fc.assert(
      fc.property(header, (h) => {
        const bytes = formatProxyHeader(h);
        for (let i = 0; i < bytes.length; i++) {
          expect(parseProxyHeader(bytes.subarray(0, i)).status).toBe('incomplete');
        }
      }),
      { numRuns: 100 },
    );
  });

  it('random bytes never throw and a complete result never claims more than it was given', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          header.chain((h) =>
            fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
              const bytes = formatProxyHeader(h).slice();
              if (bytes.length > 0) bytes[at % bytes.length] = value;
              return bytes;
            }),
          ),
        ),
        (bytes) => {
          const result = parseProxyHeader(bytes);
          if (result.status === 'complete') expect(result.length).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('IPv6 text round trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect([...(parseIpv6(formatIpv6(bytes)) ?? [])]).toEqual([...bytes]);
      }),
      { numRuns: 300 },
    );
  });

  it('fast-check IPv6 addresses parse', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        expect(parseIpv6(text)).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });
});
