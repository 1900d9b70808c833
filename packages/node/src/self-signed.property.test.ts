import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv6, parseIpv4, parseIpv6 } from './ip.js';
import { createSelfSignedCertificate } from './self-signed.js';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const dnsName = fc.array(label, { minLength: 1, maxLength: 6 }).map((labels) => labels.join('.'));
const altName = fc.oneof(
  // A name that reads as a dotted quad is an IP address, by design.
  dnsName.filter((name) => parseIpv4(name) === undefined).map((name) => ({ name, shown: `DNS:${name}` })),
  fc.ipV4().map((ip) => ({ name: ip, shown: `IP Address:${ip}` })),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => {
    const words = [...parseIpv6(formatIpv6(bytes))!].reduce<string[]>((out, byte, i) => {
      if (i % 2 === 0) out.push(((byte << 8) | bytes[i + 1]!).toString(16).toUpperCase());
      return out;
    }, []);
    return { name: formatIpv6(bytes), shown: `IP Address:${words.join(':')}` };
  }),
);

describe('createSelfSignedCertificate properties', () => {
  it('any names, any length: node:crypto reads back the subject and every alt name in order', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9 .-]{1,200}$/).filter((s) => s.trim() === s && s.length > 0),
        fc.array(altName, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 20000 }),
        (commonName, names, days) => {
          const pair = createSelfSignedCertificate({ commonName, altNames: names.map((n) => n.name), days });
          const x509 = new X509Certificate(pair.cert);
          expect(x509.subject).toBe(`CN=${commonName}`);
          expect(x509.subjectAltName).toBe(names.map((n) => n.shown).join(', '));
          expect(x509.verify(x509.publicKey)).toBe(true);
          const validDays = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
          expect(Math.abs(validDays - days)).toBeLessThan(1);
        },
      ),
      { numRuns: 40 },
    );
  });
});
