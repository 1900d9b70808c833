import { latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { parseCommand, parseCommandText, serializeCommand } from './command.js';

function ok(line: string) {
  const result = parseCommandText(line);
  if (!result.ok)
    throw new Error(`expected ${line} to parse, got ${result.reply.code} ${result.reply.lines}`);
  return result.command;
}
function err(line: string) {
  const result = parseCommandText(line);
  if (result.ok) throw new Error(`expected ${line} to fail`);
  return `${result.reply.code} ${result.reply.enhanced}`;
}

describe('parseCommand', () => {
  it('parses EHLO, HELO and LHLO with a domain or address literal', () => {
    expect(ok('EHLO client.example')).toEqual({ verb: 'EHLO', domain: 'client.example' });
    expect(ok('helo [192.0.2.1]')).toEqual({ verb: 'HELO', domain: '[192.0.2.1]' });
    expect(ok('LHLO x')).toEqual({ verb: 'LHLO', domain: 'x' });
    expect(err('EHLO')).toBe('501 5.5.4');
    expect(err('EHLO a b')).toBe('501 5.5.4');
  });

  it('parses MAIL FROM with every known parameter', () => {
    expect(
      ok('MAIL FROM:<a@b.example> SIZE=1000 BODY=8bitmime SMTPUTF8 AUTH=<> RET=HDRS ENVID=QQ+2B1 REQUIRETLS'),
    ).toEqual({
      verb: 'MAIL',
      from: { localPart: 'a', domain: 'b.example', domainType: 'name', utf8: false },
      params: {
        size: 1000,
        body: '8BITMIME',
        smtpUtf8: true,
        auth: null,
        ret: 'HDRS',
        envid: 'QQ+1',
        requireTls: true,
      },
    });
    expect(ok('MAIL FROM:<>')).toEqual({ verb: 'MAIL', from: null, params: {} });
    expect(ok('mail from: <x@y>')).toMatchObject({ from: { localPart: 'x', domain: 'y' } });
    expect(ok('MAIL FROM:<@relay.example,@r2.example:x@y>')).toMatchObject({
      from: { localPart: 'x', domain: 'y' },
    });
    expect(ok('MAIL FROM:<"a b\\"c"@y> AUTH=a+2Bb@c')).toMatchObject({
      from: { localPart: 'a b"c', domain: 'y' },
      params: { auth: { localPart: 'a+b', domain: 'c' } },
    });
  });

  it('refuses malformed MAIL FROM lines with the right code', () => {
    expect(err('MAIL FROM:a@b')).toBe('501 5.5.4');
    expect(err('MAIL TO:<a@b>')).toBe('501 5.5.4');
    expect(err('MAIL FROM:<a@b')).toBe('501 5.5.4');
    expect(err('MAIL FROM:<a@@b>')).toBe('553 5.1.7');
    expect(err('MAIL FROM:<a@b> FOO=bar')).toBe('555 5.5.4');
    expect(err('MAIL FROM:<a@b> SIZE=x')).toBe('501 5.5.4');
    expect(err('MAIL FROM:<a@b> SIZE=1 SIZE=2')).toBe('501 5.5.4');
    expect(err('MAIL FROM:<a@b> BODY=9BIT')).toBe('501 5.5.4');
    expect(err('MAIL FROM:<a@b> ENVID=a+0Ab')).toBe('501 5.5.4');
    expect(err('MAIL FROM:<a@b> ENVID=a+zz')).toBe('501 5.5.4');
    expect(err(`MAIL FROM:<${'x'.repeat(65)}@b>`)).toBe('553 5.1.7');
    expect(err('MAIL FROM:<a\u200b@b>')).toBe('553 5.1.7');
  });

  it('parses RCPT TO with DSN parameters and Postmaster', () => {
    expect(ok('RCPT TO:<u@d> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;u+40d')).toEqual({
      verb: 'RCPT',
      to: { localPart: 'u', domain: 'd', domainType: 'name', utf8: false },
      params: { notify: ['SUCCESS', 'DELAY'], orcpt: { addrType: 'rfc822', address: 'u@d' } },
    });
    expect(ok('RCPT TO:<u@d> NOTIFY=never')).toMatchObject({ params: { notify: [] } });
    expect(ok('RCPT TO:<postmaster>')).toMatchObject({ to: { localPart: 'postmaster', domain: '' } });
    expect(err('RCPT TO:<u@d> NOTIFY=NEVER,SUCCESS')).toBe('501 5.5.4');
    expect(err('RCPT TO:<u@d> ORCPT=rfc822;a+01b')).toBe('501 5.5.4');
    expect(err('RCPT TO:<u>')).toBe('553 5.1.3');
    expect(err('RCPT FROM:<u@d>')).toBe('501 5.5.4');
  });

  it('matches FROM: and TO: in any case, with blanks after the colon, and nothing else', () => {
    const to = { localPart: 'u', domain: 'd.example', domainType: 'name', utf8: false };
    for (const line of [
      'RCPT TO:<u@d.example>',
      'rcpt to:<u@d.example>',
      'Rcpt tO:<u@d.example>',
      'RCPT TO:  <u@d.example>',
    ])
      expect(ok(line)).toEqual({ verb: 'RCPT', to, params: {} });
    for (const line of ['MAIL FROM:<u@d.example>', 'mail from:<u@d.example>', 'MAIL fRoM: <u@d.example>'])
      expect(ok(line)).toEqual({ verb: 'MAIL', from: to, params: {} });
    // Near misses: not the keyword (a letter 0x20 away is not a case variant), no colon, no path.
    for (const line of [
      'RCPT TO<u@d.example>',
      'RCPT T0:<u@d.example>',
      'RCPT TO;<u@d.example>',
      'RCPT TO:',
      'RCPT TO:u@d.example',
      'RCPT tO\x1a<u@d.example>',
    ])
      expect(err(line)).toMatch(/^501 5\.5\.[24]$/);
    expect(err('MAIL FROM\x1a<u@d.example>')).toMatch(/^501 /);
    expect(err('MAIL FRO:<u@d.example>')).toBe('501 5.5.4');
    expect(ok('RCPT TO:<POSTMASTER>')).toMatchObject({ to: { localPart: 'POSTMASTER', domain: '' } });
    expect(err('RCPT TO:<postmaster >')).toBe('553 5.1.3');
  });

  it('accepts UTF-8 addresses (RFC 6531) and refuses invisible characters in them', () => {
    expect(ok('RCPT TO:<用户@例子.广告>')).toMatchObject({ to: { localPart: '用户', domain: '例子.广告' } });
    expect(err('RCPT TO:<a\u202e@b>')).toBe('553 5.1.3');
    expect(err('RCPT TO:<a@b\u00a0c>')).toBe('553 5.1.3');
  });

  it('parses argument-less commands and refuses arguments on them', () => {
    for (const verb of ['DATA', 'RSET', 'QUIT', 'STARTTLS']) {
      expect(ok(verb.toLowerCase())).toEqual({ verb });
      expect(err(`${verb} x`)).toBe('501 5.5.4');
    }
    expect(ok('NOOP')).toEqual({ verb: 'NOOP' });
    expect(ok('NOOP hi')).toEqual({ verb: 'NOOP', argument: 'hi' });
    expect(ok('HELP MAIL')).toEqual({ verb: 'HELP', argument: 'MAIL' });
    expect(ok('VRFY bob')).toEqual({ verb: 'VRFY', argument: 'bob' });
    expect(err('EXPN')).toBe('501 5.5.4');
  });

  it('parses AUTH and BDAT', () => {
    expect(ok('AUTH plain AGEAYg==')).toEqual({
      verb: 'AUTH',
      mechanism: 'PLAIN',
      initialResponse: 'AGEAYg==',
    });
    expect(ok('AUTH LOGIN')).toEqual({ verb: 'AUTH', mechanism: 'LOGIN' });
    expect(ok('AUTH PLAIN =')).toEqual({ verb: 'AUTH', mechanism: 'PLAIN', initialResponse: '=' });
    expect(err('AUTH PLAIN a$b')).toBe('501 5.5.2');
    expect(err('AUTH')).toBe('501 5.5.4');
    expect(ok('BDAT 100 last')).toEqual({ verb: 'BDAT', size: 100, last: true });
    expect(ok('BDAT 0')).toEqual({ verb: 'BDAT', size: 0, last: false });
    expect(err('BDAT x')).toBe('501 5.5.4');
    expect(err('BDAT 1 FIRST')).toBe('501 5.5.4');
  });

  it('answers unknown verbs 500 and unimplemented ones 502', () => {
    expect(err('FOO')).toBe('500 5.5.2');
    expect(err('TURN')).toBe('502 5.5.1');
    expect(err('GET / HTTP/1.1')).toBe('500 5.5.2');
  });

  it('refuses invalid UTF-8 and control characters', () => {
    const result = parseCommand(Uint8Array.of(0x4e, 0x4f, 0x4f, 0x50, 0x20, 0xff));
    expect(result.ok).toBe(false);
    expect(err('NOOP a\x00b')).toBe('501 5.5.2');
  });

  it('serializes commands canonically', () => {
    expect(
      latin1(serializeCommand({ verb: 'MAIL', from: null, params: { size: 5, body: '8BITMIME' } })),
    ).toBe('MAIL FROM:<> SIZE=5 BODY=8BITMIME\r\n');
    expect(
      new TextDecoder().decode(
        serializeCommand({
          verb: 'RCPT',
          to: { localPart: 'a b', domain: 'c', domainType: 'name', utf8: false },
          params: { notify: [], orcpt: { addrType: 'rfc822', address: 'a=b' } },
        }),
      ),
    ).toBe('RCPT TO:<"a b"@c> NOTIFY=NEVER ORCPT=rfc822;a+3Db\r\n');
    expect(parseCommand(utf8('RCPT TO:<"a b"@c>'))).toMatchObject({ ok: true });
  });
});
