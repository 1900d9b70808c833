import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6, ipFamily, parseIpv4, parseIpv6 } from './ip.js';

describe('IP addresses', () => {
  it('parses dotted quads, refusing leading zeros and out-of-range parts', () => {
    expect(parseIpv4('192.0.2.1')).toEqual(new Uint8Array([192, 0, 2, 1]));
    for (const bad of ['192.0.2', '192.0.2.1.5', '256.0.0.1', '01.2.3.4', '1.2.3.a', '', '1..2.3']) {
      expect(parseIpv4(bad)).toBeUndefined();
    }
  });

  it('parses IPv6 forms of RFC 4291 §2.2', () => {
    expect(formatIpv6(parseIpv6('2001:DB8:0:0:8:800:200C:417A')!)).toBe('2001:db8::8:800:200c:417a');
    expect(formatIpv6(parseIpv6('::')!)).toBe('::');
    expect(formatIpv6(parseIpv6('::1')!)).toBe('::1');
    expect(formatIpv6(parseIpv6('fe80::')!)).toBe('fe80::');
    expect(formatIpv6(parseIpv6('::ffff:192.0.2.1')!)).toBe('::ffff:c000:201');
    for (const bad of [
      '1::2::3',
      ':::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      'g::',
      '::1.2.3',
      '1:2:3:4:5:6:7::8:9',
    ]) {
      expect(parseIpv6(bad)).toBeUndefined();
    }
  });

  it('formats as RFC 5952 §4: the longest zero run compressed, the first of equal runs, no single-group "::"', () => {
    expect(formatIpv6(parseIpv6('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('2001:0:0:1:0:0:0:1')!)).toBe('2001:0:0:1::1');
    expect(formatIpv6(parseIpv6('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
  });

  it('tells the family', () => {
    expect(ipFamily('192.0.2.1')).toBe(4);
    expect(ipFamily('2001:db8::1')).toBe(6);
    expect(ipFamily('mx.example.com')).toBeUndefined();
  });

  it('round-trips any address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(parseIpv6(formatIpv6(bytes))).toEqual(bytes);
        expect(parseIpv4(formatIpv4(bytes.subarray(0, 4)))).toEqual(bytes.slice(0, 4));
      }),
      { numRuns: 200 },
    );
  });
});
