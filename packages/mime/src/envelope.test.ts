import { describe, expect, test } from 'vitest';
import { parseAddressList } from './address.js';
import { envelope } from './envelope.js';
import { indexMessage } from './indexer.js';

const a = (name: string | null, mailbox: string | null, host: string | null, adl: string | null = null) => ({
  name,
  adl,
  mailbox,
  host,
});

describe('parseAddressList', () => {
  test('mailboxes, display names, quoted names, comments', () => {
    expect(
      parseAddressList('"Doe, Jane" <jane@example.com>, bob@x.org (Bob B), =?utf-8?q?J=C3=B6?= <j@y>'),
    ).toEqual([
      a('Doe, Jane', 'jane', 'example.com'),
      a('Bob B', 'bob', 'x.org'),
      a('=?utf-8?q?J=C3=B6?=', 'j', 'y'),
    ]);
  });
  test('groups (RFC 9051 §7.5.2 markers)', () => {
    expect(parseAddressList('undisclosed-recipients:;')).toEqual([
      a(null, 'undisclosed-recipients', null),
      a(null, null, null),
    ]);
    expect(parseAddressList('Team: a@x, b@y; c@z')).toEqual([
      a(null, 'Team', null),
      a(null, 'a', 'x'),
      a(null, 'b', 'y'),
      a(null, null, null),
      a(null, 'c', 'z'),
    ]);
  });
  test('source route, quoted local part, domain literal, missing domain', () => {
    expect(parseAddressList('<@r1,@r2:u@h>')).toEqual([a(null, 'u', 'h', '@r1,@r2')]);
    expect(parseAddressList('"john doe"@x')).toEqual([a(null, '"john doe"', 'x')]);
    expect(parseAddressList('u@[1.2.3.4]')).toEqual([a(null, 'u', '[1.2.3.4]')]);
    expect(parseAddressList('postmaster')).toEqual([a(null, 'postmaster', '')]);
    expect(parseAddressList('John Q. Public <jqp@x>')).toEqual([a('John Q. Public', 'jqp', 'x')]);
  });
  test('garbage gives a list, never a throw', () => {
    expect(parseAddressList('')).toEqual([]);
    expect(parseAddressList(',,,')).toEqual([]);
    expect(parseAddressList('<<<>>>"(((').length).toBeGreaterThanOrEqual(0);
  });
});

describe('envelope', () => {
  test('all members; sender and reply-to default to from', () => {
    const index = indexMessage(
      new TextEncoder().encode(
        [
          'Date: Mon, 7 Feb 1994 21:52:25 -0800',
          'From: Fred <fred@example.com>',
          'Reply-To:',
          'To: a@x',
          'Cc: b@y',
          'Bcc: c@z',
          'Subject: hi',
          'In-Reply-To: <p@x>',
          'Message-ID: <m@x>',
          '',
          'body',
        ].join('\r\n'),
      ),
    );
    const fred = [a('Fred', 'fred', 'example.com')];
    expect(envelope(index)).toEqual({
      date: 'Mon, 7 Feb 1994 21:52:25 -0800',
      subject: 'hi',
      from: fred,
      sender: fred,
      replyTo: fred,
      to: [a(null, 'a', 'x')],
      cc: [a(null, 'b', 'y')],
      bcc: [a(null, 'c', 'z')],
      inReplyTo: '<p@x>',
      messageId: '<m@x>',
    });
  });
  test('nils for an empty header', () => {
    const env = envelope(indexMessage(new TextEncoder().encode('\r\nbody')));
    expect(Object.values(env).every((v) => v === null)).toBe(true);
  });
});
