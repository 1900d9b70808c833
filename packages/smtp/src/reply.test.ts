import { latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { ReplyParser, reply, serializeReply } from './reply.js';

describe('serializeReply', () => {
  it('writes single and multi-line replies with enhanced codes on every line', () => {
    expect(latin1(serializeReply(reply(250, '2.1.0', 'OK')))).toBe('250 2.1.0 OK\r\n');
    expect(latin1(serializeReply(reply(250, undefined, 'mx\nPIPELINING\nSIZE 10')))).toBe(
      '250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n',
    );
    expect(latin1(serializeReply(reply(550, '5.7.1', 'a\nb')))).toBe('550-5.7.1 a\r\n550 5.7.1 b\r\n');
    expect(latin1(serializeReply(reply(354, undefined, '')))).toBe('354\r\n');
  });

  it('throws on caller misuse', () => {
    expect(() => serializeReply(reply(99, undefined, 'x'))).toThrow(RangeError);
    expect(() => serializeReply(reply(250, '2.x.0', 'x'))).toThrow(RangeError);
    expect(() => serializeReply({ code: 250, lines: ['a\r\nb'] })).toThrow(RangeError);
  });
});

describe('ReplyParser', () => {
  it('parses multi-line replies split anywhere', () => {
    const wire = utf8('250-mx.example\r\n250-SIZE 100\r\n250 8BITMIME\r\n550 5.1.1 no such user\r\n');
    for (let split = 0; split <= wire.length; split++) {
      const parser = new ReplyParser();
      parser.push(wire.subarray(0, split));
      const out = [];
      for (let r = parser.next(); r; r = parser.next()) out.push(r);
      parser.push(wire.subarray(split));
      for (let r = parser.next(); r; r = parser.next()) out.push(r);
      expect(out).toEqual([
        {
          type: 'reply',
          reply: { code: 250, enhanced: undefined, lines: ['mx.example', 'SIZE 100', '8BITMIME'] },
        },
        { type: 'reply', reply: { code: 550, enhanced: '5.1.1', lines: ['no such user'] } },
      ]);
    }
  });

  it('reports malformed replies as typed errors and resynchronises', () => {
    const parser = new ReplyParser();
    parser.push(utf8('hello\r\n250-a\r\n251 b\r\n220 ok\r\n'));
    expect(parser.next()).toMatchObject({ type: 'error', code: 'ERR_SMTP_REPLY_SYNTAX' });
    expect(parser.next()).toMatchObject({ type: 'error', code: 'ERR_SMTP_REPLY_CODE_MISMATCH' });
    expect(parser.next()).toMatchObject({ type: 'reply', reply: { code: 220 } });
  });

  it('does not take an enhanced code whose class differs from the reply', () => {
    const parser = new ReplyParser();
    parser.push(utf8('250 5.0.0 odd\r\n'));
    expect(parser.next()).toMatchObject({ reply: { enhanced: undefined, lines: ['5.0.0 odd'] } });
  });
});
