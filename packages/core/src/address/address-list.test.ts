import { describe, expect, it } from 'vitest';
import { MailwireError } from '../errors.js';
import { type AddressListEntry, formatAddressList, parseAddressList } from './address-list.js';

function parsed(text: string): AddressListEntry[] {
  const result = parseAddressList(text);
  if (!result.ok)
    throw new Error(`refused: ${result.error.reason} at ${result.error.offset}: ${result.error.message}`);
  return result.value;
}

function reason(text: string): string {
  const result = parseAddressList(text);
  return result.ok ? 'ok' : result.error.reason;
}

const m = (name: string, localPart: string, domain: string, address = `${localPart}@${domain}`) => ({
  type: 'mailbox',
  name,
  localPart,
  domain,
  address,
});

describe('parseAddressList (RFC 5322 §3.4)', () => {
  it('parses addr-specs and name-addrs', () => {
    expect(parsed('alice@example.com')).toEqual([m('', 'alice', 'example.com')]);
    expect(parsed('Alice Liddell <alice@example.com>, bob@example.org')).toEqual([
      m('Alice Liddell', 'alice', 'example.com'),
      m('', 'bob', 'example.org'),
    ]);
    expect(parsed('<alice@example.com>')).toEqual([m('', 'alice', 'example.com')]);
  });

  it('unquotes quoted display names and local parts', () => {
    expect(parsed('"Doe, John \\"JD\\"" <"john doe"@example.com>')).toEqual([
      m('Doe, John "JD"', 'john doe', 'example.com', '"john doe"@example.com'),
    ]);
    expect(parsed('"john".doe@example.com')).toEqual([m('', 'john.doe', 'example.com')]);
  });

  it('parses groups, including empty ones (RFC 5322 §3.4, Appendix A.1.3)', () => {
    expect(parsed('A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;')).toEqual([
      {
        type: 'group',
        name: 'A Group',
        members: [m('Ed Jones', 'c', 'a.test'), m('', 'joe', 'where.test'), m('John', 'jdoe', 'one.test')],
      },
    ]);
    expect(parsed('Undisclosed recipients:;')).toEqual([
      { type: 'group', name: 'Undisclosed recipients', members: [] },
    ]);
    expect(parsed('Team: a@b.example, c@d.example;, x@y.example')).toHaveLength(2);
    expect(reason('Team: a@b.example')).toBe('syntax');
    expect(reason('Outer: Inner: a@b.example;;')).toBe('syntax');
  });

  it('skips nested comments and folding white space', () => {
    expect(
      parsed(
        'Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>,\r\n (a (nested) comment) mary@x.test',
      ),
    ).toEqual([m('Pete', 'pete', 'silly.test'), m('', 'mary', 'x.test')]);
    expect(parsed('"folded\r\n name" <a@b.example>')[0]).toMatchObject({ name: 'folded name' });
    expect(reason('(unterminated <a@b.example>')).toBe('syntax');
    expect(reason('((a) <a@b.example>')).toBe('syntax');
  });

  it('tolerates obsolete forms (RFC 5322 §4.4)', () => {
    expect(parsed('John Q. Public <JQP@x.test>')).toEqual([m('John Q. Public', 'JQP', 'x.test')]);
    expect(parsed(', a@b.example,, c@d.example,')).toEqual([
      m('', 'a', 'b.example'),
      m('', 'c', 'd.example'),
    ]);
    expect(parsed('Joe <@route1.test,@route2.test:joe@where.test>')).toEqual([m('Joe', 'joe', 'where.test')]);
    expect(parsed('john . doe @ example . com')).toEqual([m('', 'john.doe', 'example.com')]);
  });

  it('keeps encoded words and domain literals as written', () => {
    expect(parsed('=?UTF-8?Q?J=C3=B6rg?= <jorg@example.com>')[0]).toMatchObject({
      name: '=?UTF-8?Q?J=C3=B6rg?=',
    });
    expect(parsed('x@[192.0.2.1]')).toEqual([m('', 'x', '[192.0.2.1]')]);
  });

  it('accepts UTF-8 (RFC 6532)', () => {
    expect(parsed('Jörg Müller <jörg@bücher.example>')).toEqual([m('Jörg Müller', 'jörg', 'bücher.example')]);
  });

  it.each([
    ['', 'empty'],
    [' , ', 'empty'],
    ['alice', 'syntax'],
    ['alice@', 'syntax'],
    ['@example.com', 'syntax'],
    ['Alice <alice@example.com', 'syntax'],
    ['Alice alice@example.com', 'syntax'],
    ['a@b.example c@d.example', 'syntax'],
    ['<>', 'syntax'],
    ['"unterminated <a@b.example>', 'syntax'],
    ['a@[1.2.3.4', 'syntax'],
    ['a\u0000b@example.com', 'control-character'],
    ['Alice\r\n<alice@example.com>', 'control-character'],
    ['Alice\n <alice@example.com>', 'control-character'],
    ['"a\u0007" <a@b.example>', 'control-character'],
    ['a\u0085@b.example', 'control-character'],
    ['a\ud800@b.example', 'invalid-utf8'],
  ])('refuses %j (%s)', (text, expected) => {
    const result = parseAddressList(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe(expected);
      expect(result.error.code).toBe('ERR_ADDRESS_INVALID');
    }
  });

  it('refuses input over maxLength', () => {
    expect(parseAddressList('a@b.example', { maxLength: 5 })).toMatchObject({
      ok: false,
      error: { reason: 'too-long' },
    });
  });
});

describe('formatAddressList', () => {
  it('writes names as atoms or quoted strings, and groups', () => {
    expect(
      formatAddressList([
        { type: 'mailbox', name: 'Alice Liddell', localPart: 'alice', domain: 'example.com' },
        { type: 'mailbox', name: 'Doe, John', localPart: 'john doe', domain: 'example.com' },
        { type: 'mailbox', localPart: 'bob', domain: 'example.org' },
        { type: 'group', name: 'Team', members: [{ type: 'mailbox', localPart: 'a', domain: 'b.example' }] },
        { type: 'group', name: 'Undisclosed recipients', members: [] },
      ]),
    ).toBe(
      'Alice Liddell <alice@example.com>, "Doe, John" <"john doe"@example.com>, bob@example.org, Team: a@b.example;, Undisclosed recipients: ;',
    );
  });

  it('round-trips what it writes', () => {
    const text = formatAddressList([
      { type: 'mailbox', name: 'Jörg "JM" Müller', localPart: 'a\\b', domain: '[192.0.2.1]' },
    ]);
    expect(text).toBe('"Jörg \\"JM\\" Müller" <"a\\\\b"@[192.0.2.1]>');
    expect(parsed(text)).toEqual([m('Jörg "JM" Müller', 'a\\b', '[192.0.2.1]', '"a\\\\b"@[192.0.2.1]')]);
  });

  it('refuses what cannot be written, as caller misuse', () => {
    expect(() =>
      formatAddressList([{ type: 'mailbox', name: 'a\r\nb', localPart: 'a', domain: 'b.example' }]),
    ).toThrow(/line break/);
    expect(() => formatAddressList([{ type: 'mailbox', localPart: 'a', domain: 'b example' }])).toThrow(
      MailwireError,
    );
    expect(() => formatAddressList([{ type: 'mailbox', localPart: 'a\u0000', domain: 'b.example' }])).toThrow(
      /control character/,
    );
  });
});
