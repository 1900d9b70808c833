import { latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import type { SmtpClientEvent } from './client-events.js';
import { SMTP_CLIENT_TIMEOUTS, SmtpClientSession, type SmtpClientOptions } from './client-session.js';

/**
 * Replays a transcript: `S:` lines are fed to the session (each S: block at once, or byte by
 * byte), `C:` lines must be exactly what the session wrote since the previous S: block.
 * `body` answers a body event with the given text.
 */
function replay(
  script: string,
  options: Partial<SmtpClientOptions> & {
    body?: string;
    split?: boolean;
    onReady?: (s: SmtpClientSession) => void;
  } = {},
) {
  const session = new SmtpClientSession({ hostname: 'client.example', ...options });
  const events: SmtpClientEvent[] = [];
  const lines = script
    .trim()
    .split('\n')
    .map((l) => l.trim().replace(/^([CS]):$/, '$1: '));
  let written = '';
  const pump = () => {
    for (let e = session.next(); e; e = session.next()) {
      events.push(e);
      if (e.type === 'ready') options.onReady?.(session);
      if (e.type === 'body') {
        session.writeBody(utf8(options.body ?? 'Subject: t\r\n\r\nhi\r\n'));
        session.endBody();
      }
    }
    for (let o = session.output(); o; o = session.output()) written += latin1(o);
  };
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.startsWith('S: ')) {
      let block = '';
      while (i < lines.length && lines[i]!.startsWith('S: ')) block += `${lines[i++]!.slice(3)}\r\n`;
      const bytes = utf8(block);
      if (options.split)
        for (const b of bytes) {
          session.receive(Uint8Array.of(b));
          pump();
        }
      else session.receive(bytes);
      pump();
    } else {
      let expected = '';
      while (i < lines.length && lines[i]!.startsWith('C: ')) expected += `${lines[i++]!.slice(3)}\r\n`;
      pump();
      expect(written).toBe(expected);
      written = '';
    }
  }
  pump();
  return { session, events, rest: written };
}

const results = (events: SmtpClientEvent[]) =>
  events.flatMap((e) =>
    e.type === 'result' ? [e.result.recipients.map((r) => `${r.to} ${r.status} ${r.reply.code}`)] : [],
  );

const send = (s: SmtpClientSession) =>
  s.send({ from: 'alice@example.org', to: ['bob@example.com', 'nobody@example.com'], size: 21 });

const PIPELINED = `
  S: 220 mx.example.com ESMTP
  C: EHLO client.example
  S: 250-mx.example.com
  S: 250-PIPELINING
  S: 250-SIZE 1000
  S: 250-8BITMIME
  S: 250 DSN
  C: MAIL FROM:<alice@example.org> SIZE=21
  C: RCPT TO:<bob@example.com>
  C: RCPT TO:<nobody@example.com>
  C: DATA
  S: 250 2.1.0 OK
  S: 250 2.1.5 OK
  S: 550 5.1.1 No such user
  S: 354 Go ahead
  C: Subject: t
  C:
  C: hi
  C: .
  S: 250 2.0.0 Queued as 1
  C: QUIT
  S: 221 2.0.0 Bye
`;

describe('SmtpClientSession', () => {
  for (const split of [false, true]) {
    it(`pipelines MAIL, RCPT and DATA and reports each recipient${split ? ' (split at every byte)' : ''}`, () => {
      let sent = 0;
      const { events, session } = replay(PIPELINED, {
        split,
        onReady: (s) => (sent++ === 0 ? send(s) : s.quit()),
      });
      expect(results(events)).toEqual([['bob@example.com sent 250', 'nobody@example.com permanent 550']]);
      expect(events.at(-1)).toEqual({ type: 'closed', reason: 'quit', tls: undefined });
      expect(session.state).toBe('closed');
    });
  }

  it('sends one command at a time without PIPELINING', () => {
    const { events } = replayNonPipelined();
    expect(results(events)).toEqual([['bob@example.com temporary 451', 'nobody@example.com sent 250']]);
  });

  it('falls back to HELO when EHLO is not known (RFC 5321 §3.2)', () => {
    const { events } = replay(
      `
      S: 220 old.example SMTP
      C: EHLO client.example
      S: 502 Command not implemented
      C: HELO client.example
      S: 250 old.example
      C: MAIL FROM:<>
      S: 250 OK
      C: RCPT TO:<bob@example.com>
      S: 250 OK
      C: DATA
      S: 354 go
      C: ..line
      C: ..
      C: .
      S: 250 OK`,
      { onReady: (s) => s.send({ from: '', to: ['bob@example.com'] }), body: '.line\r\n.' },
    );
    expect(results(events)).toEqual([['bob@example.com sent 250']]);
  });

  it('upgrades with STARTTLS, drops what followed the 220, and says EHLO again (RFC 3207 §4.2)', () => {
    const session = new SmtpClientSession({ hostname: 'c.example' });
    session.receive(utf8('220 mx\r\n'));
    expect(latin1(session.output()!)).toBe('EHLO c.example\r\n');
    session.receive(utf8('250-mx\r\n250-STARTTLS\r\n250 PIPELINING\r\n'));
    expect(latin1(session.output()!)).toBe('STARTTLS\r\n');
    session.receive(utf8('220 go ahead\r\n250 injected\r\n'));
    expect(session.next()).toEqual({ type: 'starttls' });
    expect(session.state).toBe('tls');
    session.receive(utf8('250 more injected\r\n'));
    session.tlsStarted({ protocol: 'TLSv1.3' });
    expect(latin1(session.output()!)).toBe('EHLO c.example\r\n');
    session.receive(utf8('250-mx\r\n250 8BITMIME\r\n'));
    expect(session.next()).toMatchObject({ type: 'ready' });
    expect(session.isSecure).toBe(true);
    expect([...session.extensions.keys()]).toEqual(['8BITMIME']);
  });

  it("fails with 451 4.7.0 and quits when tls: 'required' and STARTTLS is not offered", () => {
    const { events } = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250 PIPELINING
      C: QUIT
      S: 221 bye`,
      { tls: 'required' },
    );
    expect(events.some((e) => e.type === 'ready')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'closed', reason: 'quit' });
  });

  it('never sends 8-bit or UTF-8 mail to a server without 8BITMIME / SMTPUTF8', () => {
    let n = 0;
    const { events } = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250 PIPELINING
      C: QUIT
      S: 221 bye`,
      {
        onReady: (s) => {
          if (n++ > 0) return s.quit();
          s.send({ from: 'a@example.org', to: ['b@example.com'], eightBit: true });
          s.send({ from: 'a@example.org', to: ['björn@example.com'] });
        },
      },
    );
    const failures = events.flatMap((e) => (e.type === 'result' ? [e.result.recipients[0]!] : []));
    expect(failures.map((r) => `${r.status} ${r.reply.code} ${r.reply.enhanced}`)).toEqual([
      'permanent 554 5.6.3',
      'permanent 553 5.6.7',
    ]);
  });

  it('declares BODY=8BITMIME and SMTPUTF8 when offered and needed', () => {
    const { rest } = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250-8BITMIME
      S: 250 SMTPUTF8`,
      { onReady: (s) => s.send({ from: 'a@example.org', to: ['björn@example.com'] }) },
    );
    expect(rest).toBe('MAIL FROM:<a@example.org> BODY=8BITMIME SMTPUTF8\r\n');
  });

  it('sends NOTIFY/ORCPT/RET/ENVID only when DSN is offered', () => {
    const { rest } = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250-PIPELINING
      S: 250 DSN`,
      {
        onReady: (s) =>
          s.send({
            from: 'a@example.org',
            to: [{ address: 'b@example.com', notify: ['FAILURE', 'DELAY'], orcpt: 'b@example.com' }],
            ret: 'HDRS',
            envid: 'Q1',
          }),
      },
    );
    expect(rest).toBe(
      'MAIL FROM:<a@example.org> RET=HDRS ENVID=Q1\r\nRCPT TO:<b@example.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b@example.com\r\nDATA\r\n',
    );
  });

  it('uses BDAT with CHUNKING and PIPELINING (RFC 3030), without dot-stuffing', () => {
    const { events } = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250-PIPELINING
      S: 250 CHUNKING
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      S: 250 OK
      S: 250 OK
      C: BDAT 4
      C: .x
      C: BDAT 0 LAST
      S: 250 chunk
      S: 250 done`,
      { onReady: (s) => s.send({ from: 'a@example.org', to: ['b@example.com'] }), body: '.x\r\n' },
    );
    expect(results(events)).toEqual([['b@example.com sent 250']]);
  });

  it('sends RSET after a refused MAIL, then the next message on the same connection', () => {
    let n = 0;
    const { events } = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250 PIPELINING
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      S: 451 4.7.1 Greylisted
      S: 503 5.5.1 No MAIL
      S: 503 5.5.1 No RCPT
      C: RSET
      S: 250 OK
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<c@example.com>
      C: DATA
      S: 250 OK
      S: 250 OK
      S: 354 go
      C: Subject: t
      C:
      C: hi
      C: .
      S: 250 OK`,
      {
        onReady: (s) => {
          if (n++ > 0) return;
          s.send({ from: 'a@example.org', to: ['b@example.com'] });
          s.send({ from: 'a@example.org', to: ['c@example.com'] });
        },
      },
    );
    expect(results(events)).toEqual([['b@example.com temporary 451'], ['c@example.com sent 250']]);
  });

  it('ends DATA with a lone dot when every pipelined recipient was refused but DATA got 354 (RFC 2920 §3.1)', () => {
    const { events, rest } = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250 PIPELINING
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      S: 250 OK
      S: 550 5.1.1 no
      S: 354 go`,
      { onReady: (s) => s.send({ from: 'a@example.org', to: ['b@example.com'] }) },
    );
    expect(rest).toBe('.\r\n');
    expect(results(events)).toEqual([['b@example.com permanent 550']]);
    expect(events.some((e) => e.type === 'body')).toBe(false);
  });

  it('authenticates with PLAIN over TLS, and refuses to send credentials in clear', () => {
    const secure = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250 AUTH LOGIN PLAIN
      C: AUTH PLAIN AHVzZXIAcGFzcw==
      S: 235 2.7.0 OK`,
      { secure: true, auth: { username: 'user', password: 'pass' } },
    );
    expect(secure.events.map((e) => e.type)).toEqual(['ready']);
    const clear = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250 AUTH PLAIN
      C: QUIT`,
      { auth: { username: 'user', password: 'pass' }, onReady: () => undefined },
    );
    expect(clear.session.failure?.reply.enhanced).toBe('4.7.0');
  });

  it('authenticates with LOGIN', () => {
    const { events } = replay(
      `
      S: 220 mx
      C: EHLO client.example
      S: 250-mx
      S: 250 AUTH LOGIN
      C: AUTH LOGIN
      S: 334 VXNlcm5hbWU6
      C: dXNlcg==
      S: 334 UGFzc3dvcmQ6
      C: cGFzcw==
      S: 235 OK`,
      { secure: true, auth: { username: 'user', password: 'pass' } },
    );
    expect(events.map((e) => e.type)).toEqual(['ready']);
  });

  it('reports the phase timeout of RFC 5321 §4.5.3.2 and fails open transactions on timeout()', () => {
    const session = new SmtpClientSession({ hostname: 'c.example' });
    expect(session.timeoutMs).toBe(SMTP_CLIENT_TIMEOUTS.greeting);
    session.receive(utf8('220 mx\r\n250-mx\r\n250 PIPELINING\r\n'));
    session.next();
    session.send({ from: 'a@example.org', to: ['b@example.com'] });
    session.receive(utf8('250 OK\r\n'));
    expect(session.timeoutMs).toBe(SMTP_CLIENT_TIMEOUTS.rcpt);
    session.receive(utf8('250 OK\r\n'));
    expect(session.timeoutMs).toBe(SMTP_CLIENT_TIMEOUTS.data);
    session.receive(utf8('354 go\r\n'));
    session.next();
    expect(session.timeoutMs).toBe(SMTP_CLIENT_TIMEOUTS.block);
    session.writeBody(utf8('x\r\n'));
    session.endBody();
    expect(session.timeoutMs).toBe(600_000);
    session.timeout();
    const events = [...drain(session)];
    expect(events.at(-2)).toMatchObject({
      type: 'result',
      result: { recipients: [{ status: 'temporary', reply: { code: 451, enhanced: '4.4.2' } }] },
    });
    expect(events.at(-1)).toMatchObject({ type: 'closed', reason: 'timeout' });
  });

  it('turns a malformed reply into a protocolError and a temporary failure, never a throw', () => {
    const session = new SmtpClientSession({ hostname: 'c.example' });
    session.send({ from: 'a@example.org', to: ['b@example.com'] });
    session.receive(utf8('220 mx\r\nHTTP/1.1 400 Bad\r\n'));
    const events = [...drain(session)];
    expect(events.map((e) => e.type)).toEqual(['protocolError', 'result', 'closed']);
    expect(events[1]).toMatchObject({ result: { recipients: [{ status: 'temporary' }] } });
  });

  it('fails queued messages with the 421 the server closes with (RFC 5321 §3.8)', () => {
    const session = new SmtpClientSession({ hostname: 'c.example' });
    session.send({ from: 'a@example.org', to: ['b@example.com'] });
    session.receive(utf8('421 4.3.2 Shutting down\r\n'));
    const events = [...drain(session)];
    expect(events[0]).toMatchObject({ type: 'result', result: { reply: { code: 421 } } });
    expect(events.at(-1)).toMatchObject({ type: 'closed', reason: 'failed' });
  });

  it('throws UsageError for caller misuse', () => {
    const session = new SmtpClientSession({ hostname: 'c.example' });
    expect(() => session.writeBody(utf8('x'))).toThrow(/no body expected/);
    expect(() => session.tlsStarted()).toThrow(/without STARTTLS/);
    expect(() => session.send({ from: 'a@example.org', to: [] })).toThrow(/no recipients/);
  });
});

function* drain(session: SmtpClientSession) {
  for (let e = session.next(); e; e = session.next()) yield e;
}

function replayNonPipelined() {
  return replay(
    `
    S: 220 mx ESMTP
    C: EHLO client.example
    S: 250-mx
    S: 250 8BITMIME
    C: MAIL FROM:<alice@example.org>
    S: 250 OK
    C: RCPT TO:<bob@example.com>
    S: 451 4.3.0 Try later
    C: RCPT TO:<nobody@example.com>
    S: 250 OK
    C: DATA
    S: 354 go
    C: Subject: t
    C:
    C: hi
    C: .
    S: 250 OK`,
    {
      onReady: (s) => {
        if (sentOnce.has(s)) return;
        sentOnce.add(s);
        s.send({ from: 'alice@example.org', to: ['bob@example.com', 'nobody@example.com'] });
      },
    },
  );
}

const sentOnce = new WeakSet<SmtpClientSession>();
