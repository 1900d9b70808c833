import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { MailwireError } from '../errors.js';
import {
  formatMailbox,
  formatPath,
  type Mailbox,
  parseMailbox,
  parsePath,
  parseReversePath,
} from './path.js';

function mailboxOf(input: string | Uint8Array, options = {}): Mailbox {
  const result = parsePath(input, options);
  if (!result.ok) throw new Error(`refused: ${result.error.reason} ${result.error.message}`);
  if (result.value.type !== 'mailbox') throw new Error(result.value.type);
  return result.value.mailbox;
}

function reasonOf(input: string | Uint8Array, options = {}): string {
  const result = parsePath(input, options);
  if (result.ok) return 'ok';
  expect(result.error.code).toBe('ERR_ADDRESS_INVALID');
  expect(MailwireError.isInstance(result.error)).toBe(true);
  return result.error.reason;
}

describe('parsePath (RFC 5321 §4.1.2)', () => {
  it('parses a plain path', () => {
    expect(parsePath('<alice@example.com>')).toEqual({
      ok: true,
      value: {
        type: 'mailbox',
        mailbox: { localPart: 'alice', domain: 'example.com', domainType: 'name', utf8: false },
      },
      end: 19,
    });
  });

  it('accepts bytes', () => {
    expect(mailboxOf(utf8('<a.b+tag@Sub.Example.COM>'))).toEqual({
      localPart: 'a.b+tag',
      domain: 'Sub.Example.COM',
      domainType: 'name',
      utf8: false,
    });
  });

  it('null reverse-path only when allowed', () => {
    expect(parseReversePath('<>')).toEqual({ ok: true, value: { type: 'null' }, end: 2 });
    expect(reasonOf('<>')).toBe('null-path');
  });

  it('<Postmaster> only when allowed, case-insensitively', () => {
    expect(parsePath('<postMaster>', { allowPostmaster: true })).toEqual({
      ok: true,
      value: { type: 'postmaster' },
      end: 12,
    });
    expect(reasonOf('<Postmaster>')).toBe('syntax');
    expect(mailboxOf('<Postmaster@example.com>', { allowPostmaster: true }).localPart).toBe('Postmaster');
  });

  it('drops source routes (RFC 5321 Appendix C)', () => {
    expect(mailboxOf('<@relay1.example,@relay2.example:user@example.com>')).toEqual({
      localPart: 'user',
      domain: 'example.com',
      domainType: 'name',
      utf8: false,
    });
    expect(reasonOf('<@relay1.example user@example.com>')).toBe('syntax');
    expect(reasonOf('<@[192.0.2.1]:user@example.com>')).toBe('syntax');
  });

  it('unquotes quoted local parts with escapes', () => {
    expect(mailboxOf('<"john \\"j\\" doe"@example.com>').localPart).toBe('john "j" doe');
    expect(mailboxOf('<"a\\\\b@c"@example.com>').localPart).toBe('a\\b@c');
    expect(mailboxOf('<""@example.com>').localPart).toBe('');
    expect(reasonOf('<"unterminated@example.com>')).toBe('syntax');
    expect(reasonOf('<"tab\there"@example.com>')).toBe('control-character');
  });

  it('checks dot-strings', () => {
    for (const bad of ['<.a@b.c>', '<a.@b.c>', '<a..b@b.c>', '<a b@c.d>', '<@b.c>', '<a(b)@c.d>']) {
      expect(reasonOf(bad), bad).toBe('syntax');
    }
    expect(mailboxOf("<!#$%&'*+-/=?^_`{|}~@example.com>").localPart).toBe("!#$%&'*+-/=?^_`{|}~");
  });

  it('validates domain names', () => {
    for (const bad of [
      '<a@-b.example>',
      '<a@b-.example>',
      '<a@b..example>',
      '<a@example.>',
      '<a@.example>',
    ]) {
      expect(reasonOf(bad), bad).toMatch(/syntax|invalid-domain/);
    }
    expect(reasonOf('<a@under_score.example>')).toBe('syntax');
    expect(reasonOf('<a@xn--zzzzzzz-.example>')).toBe('invalid-domain');
    expect(reasonOf('<a@xn--a.example>')).toBe('invalid-idna');
    expect(mailboxOf('<a@xn--bcher-kva.example>').domain).toBe('xn--bcher-kva.example');
    expect(mailboxOf('<a@localhost>').domain).toBe('localhost');
  });

  it('validates IPv4 and IPv6 address literals (RFC 5321 §4.1.3)', () => {
    expect(mailboxOf('<a@[192.0.2.1]>')).toMatchObject({ domain: '[192.0.2.1]', domainType: 'ipv4' });
    for (const v6 of [
      'IPv6:2001:db8::1',
      'ipv6:2001:db8:0:0:0:0:0:1',
      'IPv6:::1',
      'IPv6:::',
      'IPv6:::ffff:192.0.2.1',
      'IPv6:1:2:3:4:5:6:192.0.2.1',
      'IPv6:1::192.0.2.1',
      'IPv6:1:2:3:4:5:6:7::',
      'IPv6:1:2:3:4:5::192.0.2.1',
    ]) {
      expect(mailboxOf(`<a@[${v6}]>`), v6).toMatchObject({ domain: `[${v6}]`, domainType: 'ipv6' });
    }
    for (const bad of [
      '256.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      'IPv6:1:2:3:4:5:6:7:8:9',
      'IPv6:1:2:3:4:5:6:7',
      'IPv6:1::2::3',
      'IPv6:1:2:3:4:5:6:7:8::',
      'IPv6:12345::',
      'IPv6:1:2:3:4:5:6:7:1.2.3.4',
      'IPv6:::1.2.3.256',
      'x-tag:whatever',
      '',
    ]) {
      expect(reasonOf(`<a@[${bad}]>`), bad).toBe('invalid-domain-literal');
    }
    expect(reasonOf('<a@[1.2.3.4>')).toBe('invalid-domain-literal');
    expect(reasonOf('<a@[1.2.3 .4]>')).toBe('syntax');
  });

  it('enforces the RFC 5321 §4.5.3.1 limits in octets', () => {
    const l64 = 'l'.repeat(64);
    expect(mailboxOf(`<${l64}@example.com>`).localPart).toBe(l64);
    expect(reasonOf(`<${l64}x@example.com>`)).toBe('local-part-too-long');
    expect(reasonOf(`<"${'q'.repeat(62)}x"@example.com>`)).toBe('local-part-too-long');
    const label = 'd'.repeat(63);
    expect(reasonOf(`<a@${label}x.example>`)).toBe('label-too-long');
    const domain255 = [label, label, label, label].join('.');
    expect(domain255.length).toBe(255);
    expect(reasonOf(`<a@${domain255}.x>`)).toBe('domain-too-long');
    // 1 + 64 + 1 + 189 + 1 = 256: allowed; one more is not.
    const domain189 = [label, label, 'd'.repeat(61)].join('.');
    expect(mailboxOf(`<${l64}@${domain189}>`).domain).toBe(domain189);
    expect(reasonOf(`<${l64}@${domain189}d>`)).toBe('path-too-long');
    // UTF-8 counts in octets: 32 × "é" is 64 octets, 33 is 66.
    expect(mailboxOf(`<${'é'.repeat(32)}@example.com>`, { smtputf8: true }).utf8).toBe(true);
    expect(reasonOf(`<${'é'.repeat(33)}@example.com>`, { smtputf8: true })).toBe('local-part-too-long');
  });

  it('allows UTF-8 only with smtputf8 (RFC 6531 §3.3)', () => {
    expect(reasonOf('<jörg@example.com>')).toBe('utf8-not-allowed');
    expect(reasonOf(utf8('<jörg@example.com>'))).toBe('utf8-not-allowed');
    expect(mailboxOf('<jörg@bücher.example>', { smtputf8: true })).toEqual({
      localPart: 'jörg',
      domain: 'bücher.example',
      domainType: 'name',
      utf8: true,
    });
    expect(mailboxOf(utf8('<"用户 名"@例子.测试>'), { smtputf8: true }).localPart).toBe('用户 名');
    expect(mailboxOf('<😀@example.com>', { smtputf8: true }).localPart).toBe('😀');
    expect(reasonOf('<a@bü_cher.example>', { smtputf8: true })).toBe('syntax');
    expect(reasonOf('<a@☃-⌘.example>', { smtputf8: true })).toBe('invalid-idna');
    expect(reasonOf('<a\u0085b@example.com>', { smtputf8: true })).toBe('control-character');
    expect(reasonOf(Uint8Array.from([0x3c, 0xc3, 0x28, 0x40, 0x62, 0x3e]), { smtputf8: true })).toBe(
      'invalid-utf8',
    );
    expect(reasonOf('<\ud800@example.com>', { smtputf8: true })).toBe('invalid-utf8');
  });

  it('refuses control characters precisely', () => {
    expect(reasonOf('<a\u0000b@example.com>')).toBe('control-character');
    expect(reasonOf('<ab@exa\u007fmple.com>')).toBe('control-character');
    expect(reasonOf('<ab@example.com\r>')).toBe('control-character');
  });

  it('reports trailing text, or its position with allowTrailing', () => {
    const result = parsePath('<a@b.example> SIZE=100', { allowTrailing: true });
    expect(result.ok && result.end).toBe(13);
    expect(reasonOf('<a@b.example> SIZE=100')).toBe('syntax');
    const bytes = parsePath(utf8('<é@b.example> X'), { smtputf8: true, allowTrailing: true });
    expect(bytes.ok && bytes.end).toBe(14);
    const r = parsePath('<a@b.example> x');
    expect(!r.ok && r.error.offset).toBe(13);
  });

  it('reports offsets in octets for bytes input', () => {
    const r = parsePath(utf8('<é@b_c>'), { smtputf8: true });
    expect(!r.ok && r.error.offset).toBe(5);
    const s = parsePath('<é@b_c>', { smtputf8: true });
    expect(!s.ok && s.error.offset).toBe(4);
  });

  it('refuses empty input and missing brackets', () => {
    expect(reasonOf('')).toBe('empty');
    expect(reasonOf('a@b.example')).toBe('syntax');
    expect(reasonOf('<a@b.example')).toBe('syntax');
    expect(reasonOf('<a@b.example>>')).toBe('syntax');
  });
});

describe('parseMailbox', () => {
  it('parses a bare mailbox', () => {
    expect(parseMailbox('"john doe"@[192.0.2.1]')).toEqual({
      ok: true,
      value: { localPart: 'john doe', domain: '[192.0.2.1]', domainType: 'ipv4', utf8: false },
    });
    const bad = parseMailbox('john');
    expect(!bad.ok && bad.error.reason).toBe('syntax');
  });
});

describe('formatPath', () => {
  const box = (localPart: string, domain = 'example.com'): Mailbox => ({
    localPart,
    domain,
    domainType: 'name',
    utf8: false,
  });

  it('writes dot-strings as they are and quotes the rest', () => {
    expect(formatPath({ type: 'null' })).toBe('<>');
    expect(formatPath({ type: 'postmaster' })).toBe('<Postmaster>');
    expect(formatPath({ type: 'mailbox', mailbox: box('a.b') })).toBe('<a.b@example.com>');
    expect(formatPath({ type: 'mailbox', mailbox: box('john doe') })).toBe('<"john doe"@example.com>');
    expect(formatPath({ type: 'mailbox', mailbox: box('a"b\\c') })).toBe('<"a\\"b\\\\c"@example.com>');
    expect(formatPath({ type: 'mailbox', mailbox: box('a..b') })).toBe('<"a..b"@example.com>');
    expect(formatPath({ type: 'mailbox', mailbox: box('') })).toBe('<""@example.com>');
    expect(formatMailbox(box('jörg', 'bücher.example'))).toBe('jörg@bücher.example');
  });

  it('refuses what cannot be written, as caller misuse', () => {
    expect(() => formatMailbox(box('a\nb'))).toThrow(/cannot format mailbox/);
    expect(() => formatMailbox(box('a', 'exa mple.com'))).toThrow(MailwireError);
    expect(() => formatMailbox(box('l'.repeat(65)))).toThrow(/64 octets/);
    expect(() =>
      formatPath({
        type: 'mailbox',
        mailbox: box('l'.repeat(64), `${'d'.repeat(63)}.`.repeat(3) + 'd'.repeat(10)),
      }),
    ).toThrow(/256/);
  });
});
