import { latin1, UsageError, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { acceptAll, type Handler, run, runSplit, runTranscript, types } from './testing/index.js';
import type { SmtpServerEvent } from './server-events.js';
import { SmtpServerSession, type SmtpServerOptions } from './server-session.js';

const host = { hostname: 'mx.example' } satisfies SmtpServerOptions;
const EHLO_REPLY = `S: 250-mx.example greets client.example
S: 250-PIPELINING
S: 250-SIZE 26214400
S: 250-8BITMIME
S: 250-SMTPUTF8
S: 250-ENHANCEDSTATUSCODES
S: 250-CHUNKING
S: 250-BINARYMIME
S: 250 DSN`;

const MAIN = `
S: 220 mx.example ESMTP
C: EHLO client.example
${EHLO_REPLY}
C: MAIL FROM:<alice@client.example> SIZE=20 BODY=8BITMIME
S: 250 2.1.0 OK
C: RCPT TO:<bob@mx.example> NOTIFY=FAILURE ORCPT=rfc822;bob@mx.example
S: 250 2.1.5 OK
C: RCPT TO:<carol@mx.example>
S: 250 2.1.5 OK
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Subject: hi
C:
C: ..dot
C: .
S: 250 2.0.0 OK: message accepted
C: NOOP
S: 250 2.0.0 OK
C: VRFY bob
S: 252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery
C: RSET
S: 250 2.0.0 OK
C: QUIT
S: 221 2.0.0 mx.example closing connection
`;

function collectMessage(events: readonly SmtpServerEvent[]): string {
  return events.map((e) => (e.type === 'data' ? latin1(e.chunk) : '')).join('');
}

describe('SmtpServerSession: main transcript', () => {
  it('answers a whole session byte for byte', () => {
    const { output, expected, events, session } = runTranscript(host, MAIN);
    expect(output).toBe(expected);
    expect(collectMessage(events)).toBe('Subject: hi\r\n\r\n.dot\r\n');
    expect(types(events)).toEqual([
      'connect',
      'helo',
      'mailFrom',
      'rcptTo',
      'rcptTo',
      'dataStart',
      ...events.filter((e) => e.type === 'data').map(() => 'data'),
      'dataEnd',
      'closed',
    ]);
    expect(session.state).toBe('closing');
    const mail = events.find((e) => e.type === 'mailFrom');
    expect(mail).toMatchObject({
      from: { localPart: 'alice', domain: 'client.example' },
      params: { size: 20, body: '8BITMIME' },
    });
    const rcpt = events.find((e) => e.type === 'rcptTo');
    expect(rcpt).toMatchObject({
      params: { notify: ['FAILURE'], orcpt: { addrType: 'rfc822', address: 'bob@mx.example' } },
    });
  });

  it('gives the same replies and message when the input is split at every byte', () => {
    const { expected, events } = runTranscript(host, MAIN);
    const total = utf8(
      MAIN.split('\n')
        .filter((l) => l.trim().startsWith('C:'))
        .map((l) => `${l.trim().slice(3)}\r\n`)
        .join(''),
    ).length;
    for (let at = 0; at <= total; at++) {
      const collected: SmtpServerEvent[] = [];
      const handler: Handler = (event, session) => {
        collected.push(event);
        acceptAll(event, session);
      };
      expect(runSplit(host, MAIN, at, handler)).toBe(expected);
      expect(collectMessage(collected)).toBe(collectMessage(events));
    }
  });
});

describe('SmtpServerSession: sequence and syntax', () => {
  it.each([
    ['MAIL before EHLO', 'C: MAIL FROM:<a@b>', 'S: 503 5.5.1 Send EHLO/HELO first'],
    ['RCPT before MAIL', 'C: EHLO c\nC: RCPT TO:<a@b>', 'S: 503 5.5.1 Need MAIL command'],
    ['DATA before MAIL', 'C: EHLO c\nC: DATA', 'S: 503 5.5.1 Need MAIL command'],
    ['DATA before RCPT', 'C: EHLO c\nC: MAIL FROM:<>\nC: DATA', 'S: 503 5.5.1 Need RCPT command'],
    ['nested MAIL', 'C: EHLO c\nC: MAIL FROM:<>\nC: MAIL FROM:<>', 'S: 503 5.5.1 Nested MAIL command'],
    ['unknown command', 'C: FOO', 'S: 500 5.5.2 Command unrecognized'],
    ['unimplemented', 'C: TURN', 'S: 502 5.5.1 Command not implemented'],
    ['bad syntax', 'C: EHLO', 'S: 501 5.5.4 Syntax: EHLO hostname'],
    ['STARTTLS not offered', 'C: EHLO c\nC: STARTTLS', 'S: 502 5.5.1 STARTTLS not available'],
    ['AUTH not offered', 'C: EHLO c\nC: AUTH PLAIN', 'S: 502 5.5.1 AUTH not available'],
    ['LHLO in SMTP', 'C: LHLO c', 'S: 500 5.5.1 Command unrecognized'],
    [
      'params after HELO',
      'C: HELO c\nC: MAIL FROM:<a@b> SIZE=1',
      'S: 555 5.5.4 Unsupported parameter (parameters need EHLO)',
    ],
    [
      'declared SIZE too big',
      'C: EHLO c\nC: MAIL FROM:<a@b> SIZE=26214401',
      'S: 552 5.3.4 Message size exceeds fixed maximum message size',
    ],
    [
      'UTF-8 sender without SMTPUTF8',
      'C: EHLO c\nC: MAIL FROM:<ü@b>',
      'S: 553 5.6.7 Non-ASCII address needs SMTPUTF8',
    ],
    [
      'REQUIRETLS without TLS',
      'C: EHLO c\nC: MAIL FROM:<a@b> REQUIRETLS',
      'S: 555 5.5.4 Unsupported parameter REQUIRETLS',
    ],
    [
      'BINARYMIME with DATA',
      'C: EHLO c\nC: MAIL FROM:<a@b> BODY=BINARYMIME\nC: RCPT TO:<c@d>\nC: DATA',
      'S: 503 5.5.1 BODY=BINARYMIME requires BDAT',
    ],
  ])('%s', (_name, client, last) => {
    const { output, events } = run(host, [
      client
        .split('\n')
        .map((l) => `${l.slice(3)}\r\n`)
        .join(''),
    ]);
    const lines = output.trimEnd().split('\r\n');
    expect(lines.at(-1)).toBe(last.slice(3));
    expect(types(events)).toContain('protocolError');
  });

  it('answers HELO without extensions and accepts UTF-8 with SMTPUTF8', () => {
    const { output, expected } = runTranscript(
      host,
      `S: 220 mx.example ESMTP
       C: HELO c
       S: 250 mx.example
       C: RSET
       S: 250 2.0.0 OK
       C: EHLO c
       ${EHLO_REPLY.replace('client.example', 'c')}
       C: MAIL FROM:<ü@b> SMTPUTF8
       S: 250 2.1.0 OK
       C: RCPT TO:<用户@例子.广告>
       S: 250 2.1.5 OK
       C: HELP
       S: 214 2.0.0 See RFC 5321`,
    );
    expect(output).toBe(expected);
  });

  it('resets the transaction on RSET and EHLO', () => {
    const { output, events } = run(host, [
      'EHLO c\r\nMAIL FROM:<>\r\nRSET\r\nRCPT TO:<a@b>\r\nMAIL FROM:<>\r\nEHLO c\r\nRCPT TO:<a@b>\r\n',
    ]);
    expect(output.match(/^503 .*$/gm)).toEqual([
      '503 5.5.1 Need MAIL command',
      '503 5.5.1 Need MAIL command',
    ]);
    expect(types(events).filter((t) => t === 'transactionReset')).toHaveLength(2);
  });

  it('closes with 421 after too many errors', () => {
    const { output, events } = run({ ...host, maxErrors: 3 }, ['FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n']);
    expect(output).toMatch(
      /500 5.5.2 Command unrecognized\r\n421 4.7.0 mx.example Too many errors, mx.example closing connection\r\n$/,
    );
    expect(output).not.toContain('250');
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'errors' });
  });

  it('answers an overlong command line 500 and goes on', () => {
    const { output } = run(host, [`NOOP ${'x'.repeat(3000)}\r\nNOOP\r\n`]);
    expect(output).toContain('500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n');
  });

  describe('command line limits (RFC 5321 §4.5.3.1.4 plus extension allowances)', () => {
    const line = (prefix: string, octets: number) => `${prefix}${'x'.repeat(octets - prefix.length - 2)}\r\n`;

    it('takes a 512-octet NOOP and refuses a 513-octet one', () => {
      expect(line('NOOP ', 512)).toHaveLength(512);
      const { output } = run(host, [line('NOOP ', 512), line('NOOP ', 513)]);
      expect(output.match(/^(250 2\.0\.0 OK|500 5\.5\.2 Line too long)\r$/gm)).toEqual([
        '250 2.0.0 OK\r',
        '500 5.5.2 Line too long\r',
      ]);
    });

    it('gives MAIL the allowances of SIZE, BODY, SMTPUTF8, DSN, AUTH= and REQUIRETLS', () => {
      const local = 'a'.repeat(60);
      const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.example`;
      const auth = `AUTH=${'u'.repeat(60)}@${domain}`;
      const mail = `MAIL FROM:<${local}@${domain}> SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=${'i'.repeat(90)} ${auth}`;
      expect(mail.length).toBeGreaterThan(510);
      const options = { ...host, auth: { mechanisms: ['PLAIN'], allowInsecure: true } };
      const { output } = run(options, [`EHLO c\r\n${mail}\r\n`]);
      expect(output).toMatch(/250 2\.1\.0 OK\r\n$/);
      // Without AUTH offered, the AUTH= allowance is gone and the same line is too long for DSN off too.
      const narrow = run({ ...host, extensions: { dsn: false } }, [
        `EHLO c\r\nMAIL FROM:<a@b> SIZE=1 ${'X-P='.padEnd(700, 'p')}\r\n`,
      ]);
      expect(narrow.output).toMatch(/500 5\.5\.2 Line too long\r\n$/);
      const tooLong = run(options, [
        `EHLO c\r\n${line('MAIL FROM:<a@b> SIZE=1 ', 512 + 26 + 16 + 10 + 100 + 500 + 11 + 1)}`,
      ]);
      expect(tooLong.output).toMatch(/500 5\.5\.2 Line too long\r\n$/);
    });

    it('gives RCPT 500 more octets only with DSN (NOTIFY, ORCPT)', () => {
      const long = `${'l'.repeat(60)}@${['a', 'b', 'c'].map((c) => c.repeat(60)).join('.')}.example`;
      const rcpt = `RCPT TO:<${long}> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;${long}`;
      expect(rcpt.length).toBeGreaterThan(510);
      const { output } = run(host, [`EHLO c\r\nMAIL FROM:<a@b>\r\n${rcpt}\r\n`]);
      expect(output).toMatch(/250 2\.1\.5 [^\r]*\r\n$/);
      const noDsn = run({ ...host, extensions: { dsn: false } }, [
        `EHLO c\r\nMAIL FROM:<a@b>\r\n${rcpt}\r\n`,
      ]);
      expect(noDsn.output).toMatch(/500 5\.5\.2 Line too long\r\n$/);
    });

    it('lets an AUTH initial response run to 12288 octets (OAuth tokens)', () => {
      const token = btoa(`user=a@b\x01auth=Bearer ${'t'.repeat(3000)}\x01\x01`);
      const options = { ...host, auth: { mechanisms: ['XOAUTH2'], allowInsecure: true } };
      const { output } = run(options, [`EHLO c\r\nAUTH XOAUTH2 ${token}\r\n`]);
      expect(output).not.toContain('Line too long');
      expect(output).toMatch(/\r\n(235|535|334) [^\r]*\r\n$/);
      const huge = run(options, [`EHLO c\r\nAUTH XOAUTH2 ${'A'.repeat(12300)}\r\nNOOP\r\n`]);
      expect(huge.output).toContain('500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n');
    });

    it('applies one limit to every command when maxCommandLine is set', () => {
      const { output } = run({ ...host, maxCommandLine: 1000 }, [line('NOOP ', 900), line('NOOP ', 1100)]);
      expect(output.match(/^(250 2\.0\.0 OK|500 5\.5\.2 Line too long)\r$/gm)).toEqual([
        '250 2.0.0 OK\r',
        '500 5.5.2 Line too long\r',
      ]);
    });
  });

  it('answers an HTTP request line with 421 and closes', () => {
    const { output, events } = run(host, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(output).toContain('421 4.7.0');
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'http' });
  });
});

describe('SmtpServerSession: connect decision', () => {
  it('greets with custom text', () => {
    const { output } = run(host, [], (e, s) =>
      e.type === 'connect' ? e.decision.accept('hello') : acceptAll(e, s),
    );
    expect(output).toBe('220 mx.example hello\r\n');
  });

  it('refuses with 554 and answers 503 until QUIT (RFC 5321 §3.1)', () => {
    const { output, events } = run(host, ['EHLO c\r\nQUIT\r\n'], (e, s) =>
      e.type === 'connect' ? e.decision.reject() : acceptAll(e, s),
    );
    expect(output).toBe(
      '554 mx.example No SMTP service here\r\n503 5.5.1 Service refused; only QUIT is accepted\r\n221 2.0.0 mx.example closing connection\r\n',
    );
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'quit' });
  });

  it('drops with 421', () => {
    const { output, events } = run(host, [], (e, s) =>
      e.type === 'connect' ? e.decision.reject(421, '4.3.2', 'busy') : acceptAll(e, s),
    );
    expect(output).toBe('421 4.3.2 mx.example busy\r\n');
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'refused' });
  });

  it('refuses early talkers when asked, and only then', () => {
    const early = new SmtpServerSession({ ...host, rejectEarlyTalkers: true });
    early.receive(utf8('EHLO c\r\n'));
    const connect = early.next();
    if (connect?.type !== 'connect') throw new Error('no connect');
    connect.decision.accept();
    expect(early.next()).toMatchObject({ type: 'protocolError', code: 'ERR_SMTP_EARLY_TALKER' });
    expect(early.next()).toEqual({ type: 'closed', reason: 'earlyTalker' });
    expect(latin1(early.output()!)).toMatch(/^220 .*\r\n554 5.5.1/);
    const honest = run({ ...host, rejectEarlyTalkers: true }, ['EHLO c\r\n']);
    expect(honest.output).toContain('250-mx.example');
  });
});

describe('SmtpServerSession: decisions and pipelining', () => {
  it('queues pipelined commands while a decision is pending and replies in order', () => {
    const session = new SmtpServerSession(host);
    const pending: SmtpServerEvent[] = [];
    const step = () => {
      for (let e = session.next(); e; e = session.next()) {
        if (e.type === 'rcptTo' || e.type === 'mailFrom') pending.push(e);
        else acceptAll(e, session);
      }
    };
    step();
    session.receive(utf8('EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nRCPT TO:<bad@y>\r\nDATA\r\n'));
    step();
    expect(session.waiting).toBe(true);
    const mail = pending.shift();
    expect(mail?.type).toBe('mailFrom');
    expect(session.next()).toBeUndefined();
    if (mail?.type === 'mailFrom') mail.decision.accept();
    step();
    const rcpt1 = pending.shift();
    if (rcpt1?.type !== 'rcptTo') throw new Error('expected rcptTo');
    expect(pending).toHaveLength(0);
    rcpt1.decision.reject(550, '5.1.1', 'No such user');
    step();
    const rcpt2 = pending.shift();
    if (rcpt2?.type !== 'rcptTo') throw new Error('expected rcptTo');
    rcpt2.decision.reject(550, '5.1.1', 'No such user');
    step();
    const out = latin1(session.output()!);
    expect(out.split('\r\n').slice(-5)).toEqual([
      '250 2.1.0 OK',
      '550 5.1.1 No such user',
      '550 5.1.1 No such user',
      // RFC 2920 §3.1: DATA after every RCPT was refused.
      '554 5.5.1 No valid recipients',
      '',
    ]);
    expect(() => rcpt2.decision.accept()).toThrow(UsageError);
  });

  it('refuses a reject() with a non-error code as caller misuse', () => {
    const session = new SmtpServerSession(host);
    const e = session.next();
    if (e?.type !== 'connect') throw new Error();
    e.decision.accept();
    session.receive(utf8('EHLO c\r\n'));
    const helo = session.next();
    if (helo?.type !== 'helo') throw new Error();
    expect(() => helo.decision.reject(250, '2.0.0', 'x')).toThrow(UsageError);
    expect(helo.decision.settled).toBe(false);
  });
});

describe('SmtpServerSession: limits', () => {
  it('answers 452 beyond maxRecipients (RFC 5321 §4.5.3.1.10)', () => {
    const rcpts = Array.from({ length: 4 }, (_, i) => `RCPT TO:<u${i}@d>\r\n`).join('');
    const { output } = run({ ...host, maxRecipients: 3 }, [`EHLO c\r\nMAIL FROM:<>\r\n${rcpts}`]);
    expect(output.match(/^(250 2.1.5|452).*$/gm)).toEqual([
      '250 2.1.5 OK',
      '250 2.1.5 OK',
      '250 2.1.5 OK',
      '452 4.5.3 Too many recipients',
    ]);
  });

  it('discards an oversized message as it streams and answers 552 after the end (RFC 1870)', () => {
    const body = `${'x'.repeat(100)}\r\n`.repeat(20);
    const { output, events } = run({ ...host, maxMessageSize: 1000 }, [
      'EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n',
      body.slice(0, 500),
      body.slice(500),
      '.\r\nNOOP\r\n',
    ]);
    expect(output).toContain('354 End data');
    expect(output).toMatch(/552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 OK\r\n$/);
    const delivered = events
      .filter((e) => e.type === 'data')
      .reduce((n, e) => n + (e.type === 'data' ? e.chunk.length : 0), 0);
    expect(delivered).toBeLessThanOrEqual(1000);
    expect(types(events)).toContain('dataRejected');
    expect(types(events)).not.toContain('dataEnd');
  });

  it('rejects over-long text lines only with the reject policy', () => {
    const packets = [
      'EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n',
      `${'y'.repeat(1200)}\r\n.\r\n`,
    ];
    expect(run(host, packets).output).toContain('250 2.0.0 OK: message accepted');
    expect(run({ ...host, textLinePolicy: 'reject' }, packets).output).toContain('550 5.3.4');
  });

  it('closes with 421 on timeout, shutdown, deadline and slow data', () => {
    const open = (options: SmtpServerOptions = host) => {
      const r = run(options, ['EHLO c\r\n']);
      return r;
    };
    const a = open();
    a.session.timeout();
    expect(latin1(a.session.output()!)).toMatch(/^421 4.4.2/);
    const b = open();
    b.session.shutdown();
    expect(latin1(b.session.output()!)).toMatch(/^421 4.3.2/);
    const c = open({ ...host, sessionDeadlineMs: 1000 });
    c.session.tick(500);
    expect(c.session.output()).toBeUndefined();
    c.session.tick(501);
    expect(latin1(c.session.output()!)).toMatch(/^421 4.4.2 .*Session time limit/);
    const d = run(host, ['EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n', 'x']);
    d.session.output();
    for (let i = 0; i < 29; i++) d.session.tick(1000);
    expect(d.session.output()).toBeUndefined();
    d.session.tick(1000);
    expect(latin1(d.session.output()!)).toMatch(/^421 4.4.2 .*Data rate too low/);
    const events: string[] = [];
    for (let e = d.session.next(); e; e = d.session.next()) events.push(e.type);
    expect(events.at(-1)).toBe('closed');
  });

  it('waits for the transaction to end before a shutdown 421', () => {
    const r = run(host, ['EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nabc\r\n']);
    r.session.shutdown();
    r.session.receive(utf8('.\r\n'));
    const events: string[] = [];
    for (let e = r.session.next(); e; e = r.session.next()) {
      events.push(e.type);
      if (e.type === 'dataEnd') e.decision.accept();
    }
    expect(latin1(r.session.output()!)).toMatch(/250 2.0.0 OK: message accepted\r\n421 4.3.2/);
    expect(events).toEqual(['dataEnd', 'closed']);
  });

  it('emits exactly one closed event, also when the peer goes away', () => {
    const r = run(host, ['EHLO c\r\nQUIT\r\n']);
    r.session.close();
    r.session.close();
    expect(r.session.next()).toBeUndefined();
    expect(types(r.events).filter((t) => t === 'closed')).toHaveLength(1);
    const s = run(host, ['EHLO c\r\nMAIL FROM:<a@b>\r\n'], (e, session) =>
      e.type === 'mailFrom' ? undefined : acceptAll(e, session),
    );
    s.session.close();
    expect(s.session.next()).toEqual({ type: 'closed', reason: 'peer' });
    const mail = s.events.find((e) => e.type === 'mailFrom');
    if (mail?.type !== 'mailFrom') throw new Error();
    mail.decision.accept(); // settling after the peer left is harmless
    expect(s.session.output()).toBeUndefined();
  });
});

describe('SmtpServerSession: extensions', () => {
  it('advertises only what is enabled and refuses the parameters of disabled extensions with 555', () => {
    const { output } = run(
      {
        ...host,
        extensions: {
          pipelining: false,
          size: false,
          eightBitMime: false,
          smtpUtf8: false,
          chunking: false,
          dsn: false,
        },
      },
      [
        'EHLO c\r\nMAIL FROM:<a@b> BODY=8BITMIME\r\nMAIL FROM:<a@b> SIZE=1\r\nMAIL FROM:<a@b> RET=FULL\r\nMAIL FROM:<a@b> SMTPUTF8\r\nBDAT 1 LAST\r\nx',
      ],
    );
    expect(output).toContain('250-mx.example greets c\r\n250 ENHANCEDSTATUSCODES\r\n');
    expect(output.match(/^555 .*$/gm)).toHaveLength(4);
    expect(output).toMatch(/502 5.5.1 BDAT not available\r\n$/);
  });

  it('hands DSN and SMTPUTF8 parameters to the application', () => {
    const { events } = run(host, [
      'EHLO c\r\nMAIL FROM:<ü@b> SMTPUTF8 RET=HDRS ENVID=id+2B1\r\nRCPT TO:<ö@d> NOTIFY=SUCCESS,FAILURE\r\n',
    ]);
    expect(events.find((e) => e.type === 'mailFrom')).toMatchObject({
      params: { smtpUtf8: true, ret: 'HDRS', envid: 'id+1' },
    });
    expect(events.find((e) => e.type === 'rcptTo')).toMatchObject({
      to: { localPart: 'ö' },
      params: { notify: ['SUCCESS', 'FAILURE'] },
    });
  });
});
