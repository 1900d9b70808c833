import { describe, expect, it } from 'vitest';
import { domainToAscii, domainToUnicode } from './idna.js';
import { punycodeDecode, punycodeEncode } from './punycode.js';

describe('punycode (RFC 3492 §7.1 samples)', () => {
  it.each([
    [
      '(A) Arabic (Egyptian)',
      '\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639\u0631\u0628\u064A\u061F',
      'egbpdaj6bu4bxfgehfvwxn',
    ],
    [
      '(B) Chinese (simplified)',
      '\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587',
      'ihqwcrb4cv8a8dqg056pqjye',
    ],
    [
      '(E) Hebrew',
      '\u05DC\u05DE\u05D4\u05D4\u05DD\u05E4\u05E9\u05D5\u05D8\u05DC\u05D0\u05DE\u05D3\u05D1\u05E8\u05D9\u05DD\u05E2\u05D1\u05E8\u05D9\u05EA',
      '4dbcagdahymbxekheh6e0a7fei0b',
    ],
    [
      '(I) Russian',
      '\u043F\u043E\u0447\u0435\u043C\u0443\u0436\u0435\u043E\u043D\u0438\u043D\u0435\u0433\u043E\u0432\u043E\u0440\u044F\u0442\u043F\u043E\u0440\u0443\u0441\u0441\u043A\u0438',
      'b1abfaaepdrnnbgefbadotcwatmq2g4l',
    ],
    ['(L) 3年B組金八先生', '3\u5E74B\u7D44\u91D1\u516B\u5148\u751F', '3B-ww4c5e180e575a65lsy2b'],
    ['(P) Japanese', '\u3072\u3068\u3064\u5C4B\u6839\u306E\u4E0B2', '2-u9tlzr9756bt3uc0v'],
    ['(S) -> $1.00 <-', '-> $1.00 <-', '-> $1.00 <--'],
    ['bücher', 'bücher', 'bcher-kva'],
    ['astral', '😀', 'e28h'],
  ])('%s', (_name, unicode, encoded) => {
    expect(punycodeEncode(unicode)).toBe(encoded);
    expect(punycodeDecode(encoded)).toBe(unicode);
  });

  it('refuses invalid input without throwing', () => {
    for (const bad of ['a-!', '9999999999a', 'é-abc', 'a-', '-', 'zzzzzzzzzzzzzzzzzzzzz', 'x'.repeat(2000)]) {
      const decoded = punycodeDecode(bad);
      if (bad === 'a-') expect(decoded).toBe('a');
      else expect(decoded, bad).toBeUndefined();
    }
  });
});

describe('domainToAscii / domainToUnicode', () => {
  it('converts between U-labels and A-labels, lowercased', () => {
    expect(domainToAscii('Bücher.Example')).toEqual({ ok: true, value: 'xn--bcher-kva.example' });
    expect(domainToUnicode('XN--BCHER-KVA.example')).toEqual({ ok: true, value: 'bücher.example' });
    expect(domainToAscii('例子。测试')).toEqual({ ok: true, value: 'xn--fsqu00a.xn--0zwm56d' });
    expect(domainToAscii('example.com')).toEqual({ ok: true, value: 'example.com' });
    // NFC: "u" + COMBINING DIAERESIS composes to "ü".
    expect(domainToAscii('bu\u0308cher.example')).toEqual({ ok: true, value: 'xn--bcher-kva.example' });
  });

  it.each([
    ['', 'empty'],
    ['a..b', 'invalid-domain'],
    ['a.', 'invalid-domain'],
    ['-a.example', 'invalid-domain'],
    ['a_b.example', 'invalid-domain'],
    ['☃.example', 'invalid-idna'],
    ['a b.example', 'invalid-domain'],
    ['\u0308a.example', 'invalid-idna'],
    ['ab--ü.example', 'invalid-idna'],
    ['xn--a.example', 'invalid-idna'],
    ['xn--bcher-kva-.example', 'invalid-domain'],
    ['xn--abc.example', 'invalid-idna'],
    ['a\u200db.example', 'invalid-idna'],
    [`${'a'.repeat(64)}.example`, 'label-too-long'],
    [`${'ü'.repeat(60)}.example`, 'label-too-long'],
    [`${'a'.repeat(63)}.`.repeat(4).slice(0, -1), 'domain-too-long'],
  ])('refuses %j (%s)', (domain, reason) => {
    const result = domainToAscii(domain);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe(reason);
  });
});
