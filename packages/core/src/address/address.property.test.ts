import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { formatAddressList, type MailboxInput, parseAddressList } from './address-list.js';
import { domainToAscii, domainToUnicode } from './idna.js';
import { formatPath, type Mailbox, type Path, parseMailbox, parsePath } from './path.js';
import { punycodeDecode, punycodeEncode } from './punycode.js';

const NUM_RUNS = 300;

// --- generators -------------------------------------------------------------------------------

const atextChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".split(
  '',
);
const atom = fc.string({ unit: fc.constantFrom(...atextChars), minLength: 1, maxLength: 8 });
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 12,
});
const unicodeText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...atextChars),
    fc.constantFrom('é', 'ü', 'ß', 'ж', '中', '文', '😀', ' ', '"', '\\', '.', '@', '<', '>', ',', ';', ':'),
  ),
  maxLength: 10,
});

const localPart = (utf: boolean) =>
  fc.oneof(
    fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join('.')),
    printable,
    ...(utf ? [unicodeText] : []),
  );

const ldhLabel = fc
  .stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/)
  .filter((l) => l.slice(2, 4) !== '--');
const uLabel = fc
  .string({ unit: fc.constantFrom('a', 'b', 'ü', 'é', 'ж', '中', '文', '1'), minLength: 1, maxLength: 6 })
  .filter((l) => /[^\x00-\x7f]/.test(l));
const domainName = (utf: boolean) =>
  fc
    .array(utf ? fc.oneof(ldhLabel, uLabel) : ldhLabel, { minLength: 1, maxLength: 4 })
    .map((l) => l.join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => `[${p.join('.')}]`);
const ipv6 = fc.ipV6().map((a) => `[IPv6:${a}]`);

const mailbox: fc.Arbitrary<Mailbox> = fc.boolean().chain((utf) =>
  fc
    .tuple(
      localPart(utf),
      fc.oneof(
        domainName(utf).map((d) => ({ domain: d, type: 'name' as const })),
        ipv4.map((d) => ({ domain: d, type: 'ipv4' as const })),
        ipv6.map((d) => ({ domain: d, type: 'ipv6' as const })),
      ),
    )
    .map(([lp, d]) => ({
      localPart: lp,
      domain: d.domain,
      domainType: d.type,
      utf8: /[^\x00-\x7f]/.test(lp + d.domain),
    })),
);

const withinLimits = (m: Mailbox) =>
  utf8(m.localPart).length <= 60 && utf8(m.domain).length <= 180 && !/\p{Cs}/u.test(m.localPart);

const path: fc.Arbitrary<Path> = fc.oneof(
  fc.constant({ type: 'null' } as const),
  fc.constant({ type: 'postmaster' } as const),
  mailbox.filter(withinLimits).map((mb) => ({ type: 'mailbox' as const, mailbox: mb })),
);

// RFC 5322 values: names and local parts with anything printable or UTF-8 but line breaks.
const name = fc.oneof(
  fc.constant(''),
  fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join(' ')),
  printable,
  unicodeText,
);
const mailboxInput: fc.Arbitrary<MailboxInput> = fc.record({
  type: fc.constant('mailbox' as const),
  name,
  localPart: fc.oneof(localPart(true)),
  domain: fc.oneof(domainName(true), ipv4),
});
const addressList = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: mailboxInput },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('group' as const),
        name,
        members: fc.array(mailboxInput, { maxLength: 3 }),
      }),
    },
  ),
  { minLength: 1, maxLength: 4 },
);

const strip = (m: MailboxInput) => ({
  type: 'mailbox',
  name: m.name ?? '',
  localPart: m.localPart,
  domain: m.domain,
});

// --- properties -------------------------------------------------------------------------------

describe('RFC 5321 paths', () => {
  it('parse(format(path)) = path', () => {
    fc.assert(
      fc.property(path, (p) => {
        const text = formatPath(p);
        const result = parsePath(utf8(text), { smtputf8: true, allowNull: true, allowPostmaster: true });
        expect(result).toEqual({ ok: true, value: p, end: utf8(text).length });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('random strings and bytes never throw: a value or an ERR_ADDRESS_INVALID', () => {
    const pathish = fc.string({
      unit: fc.oneof(
        fc.constantFrom('<', '>', '@', '"', '\\', '.', ',', ':', '[', ']', 'a', 'IPv6:', ' ', '\u0000', 'é'),
        fc.string({ maxLength: 1 }),
      ),
      maxLength: 40,
    });
    fc.assert(
      fc.property(
        fc.oneof(pathish, fc.string(), fc.uint8Array({ maxLength: 60 })),
        fc.boolean(),
        (input, smtputf8) => {
          for (const result of [
            parsePath(input, { smtputf8, allowNull: true, allowTrailing: true }),
            parsePath(input, { smtputf8, allowPostmaster: true }),
            parseMailbox(input, { smtputf8 }),
          ]) {
            if (!result.ok) {
              expect(result.error.code).toBe('ERR_ADDRESS_INVALID');
              expect(result.error.offset).toBeGreaterThanOrEqual(0);
              expect(result.error.offset).toBeLessThanOrEqual(input.length);
            }
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('what parses, formats and parses again to the same value', () => {
    const near = fc
      .tuple(
        fc.oneof(localPart(true), unicodeText),
        fc.oneof(domainName(true), ipv4, ipv6, fc.string({ maxLength: 8 })),
      )
      .map(([l, d]) => `<${l}@${d}>`);
    fc.assert(
      fc.property(near, (text) => {
        const first = parsePath(text, { smtputf8: true });
        if (!first.ok) return;
        const again = parsePath(formatPath(first.value), { smtputf8: true });
        expect(again.ok && again.value).toEqual(first.value);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('RFC 5322 address lists', () => {
  it('parse(format(list)) = list', () => {
    fc.assert(
      fc.property(addressList, (list) => {
        const result = parseAddressList(formatAddressList(list));
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(
          result.value.map((e) =>
            e.type === 'group' ? { type: 'group', name: e.name, members: e.members.map(strip) } : strip(e),
          ),
        ).toEqual(
          list.map((e) =>
            e.type === 'group' ? { type: 'group', name: e.name, members: e.members.map(strip) } : strip(e),
          ),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('random text never throws', () => {
    const listish = fc.string({
      unit: fc.oneof(
        fc.constantFrom(
          '<',
          '>',
          '@',
          '"',
          '\\',
          '.',
          ',',
          ';',
          ':',
          '(',
          ')',
          '[',
          ']',
          'a',
          ' ',
          '\r\n',
          '\r\n ',
          '\t',
          'é',
          '\u0000',
        ),
        fc.string({ maxLength: 1 }),
      ),
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.oneof(listish, fc.string({ unit: 'binary' })), (text) => {
        const result = parseAddressList(text);
        if (!result.ok) {
          expect(result.error.code).toBe('ERR_ADDRESS_INVALID');
          expect(result.error.offset).toBeLessThanOrEqual(text.length);
        } else {
          expect(parseAddressList(formatAddressList(result.value))).toMatchObject({ ok: true });
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('punycode and IDNA', () => {
  it('punycodeDecode(punycodeEncode(s)) = s', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        const encoded = punycodeEncode(s);
        expect(encoded).toMatch(/^[\x00-\x7f]*$/);
        expect(punycodeDecode(encoded!)).toBe(s);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('punycodeDecode never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const decoded = punycodeDecode(s);
        if (decoded !== undefined) expect(punycodeDecode(punycodeEncode(decoded)!)).toBe(decoded);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('toUnicode(toAscii(d)) and toAscii(toUnicode(d)) are stable', () => {
    fc.assert(
      fc.property(fc.oneof(domainName(true), fc.string({ maxLength: 20 })), (domain) => {
        const ascii = domainToAscii(domain);
        if (!ascii.ok) {
          expect(ascii.error.code).toBe('ERR_ADDRESS_INVALID');
          return;
        }
        expect(ascii.value).toMatch(/^[a-z0-9.-]+$/);
        const unicode = domainToUnicode(ascii.value);
        expect(unicode.ok).toBe(true);
        if (!unicode.ok) return;
        expect(domainToAscii(unicode.value)).toEqual(ascii);
        expect(domainToUnicode(domain)).toEqual(unicode);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
