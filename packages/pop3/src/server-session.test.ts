import { md5, toHex, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import {
  bytesOf,
  checkTranscript,
  drainOutput,
  drive,
  type FixtureMessage,
  MESSAGES,
  run,
} from '../test/helpers.js';
import { type Pop3ServerEvent, Pop3ServerSession, type Pop3ServerSessionOptions } from './index.js';

const INSECURE: Pop3ServerSessionOptions = { allowInsecureAuth: true };
const eq = (actual: string, expected: string, where: string) => expect(actual, where).toBe(expected);

function errorCodes(events: readonly Pop3ServerEvent<FixtureMessage>[]): string[] {
  return events.flatMap((e) => (e.type === 'protocolError' ? [e.error.code] : []));
}

describe('Pop3ServerSession transcripts (whole and split at every byte)', () => {
  it('RFC 1939 session: USER/PASS, STAT, LIST, UIDL, RETR with dot-stuffing, TOP, DELE, QUIT', () => {
    checkTranscript(
      `
      S: +OK POP3 server ready
      C: USER alice
      S: +OK send PASS
      C: PASS secret
      S: +OK maildrop locked and ready, 3 messages (110 octets)
      C: STAT
      S: +OK 3 110
      C: LIST
      S: +OK 3 messages (110 octets)
      S: 1 39
      S: 2 30
      S: 3 41
      S: .
      C: LIST 2
      S: +OK 2 30
      C: UIDL
      S: +OK unique-id listing follows
      S: 1 7.1
      S: 2 7.2
      S: 3 7.3
      S: .
      C: RETR 1
      S: +OK 39 octets
      S: Subject: one
      S:
      S: Hello
      S: ..dot line
      S: bye
      S: .
      C: RETR 2
      S: +OK 30 octets
      S: Subject: two
      S:
      S: line1
      S: line2
      S: .
      C: TOP 3 2
      S: +OK top of message follows
      S: Subject: three
      S: From: a@b
      S:
      S: 1
      S: 2
      S: .
      C: TOP 3 0
      S: +OK top of message follows
      S: Subject: three
      S: From: a@b
      S:
      S: .
      C: DELE 1
      S: +OK message 1 deleted
      C: DELE 1
      S: -ERR message 1 already deleted
      C: RETR 1
      S: -ERR no such message
      C: LIST 1
      S: -ERR no such message
      C: STAT
      S: +OK 2 71
      C: LIST
      S: +OK 2 messages (71 octets)
      S: 2 30
      S: 3 41
      S: .
      C: RSET
      S: +OK maildrop has 3 messages (110 octets)
      C: DELE 2
      S: +OK message 2 deleted
      C: NOOP
      S: +OK
      C: LIST 4
      S: -ERR no such message
      C: LIST 0
      S: -ERR no such message
      C: QUIT
      S: +OK POP3 server signing off (2 messages left)
      `,
      INSECURE,
      eq,
    );
  });

  it('CAPA before and after login, and after STLS', () => {
    checkTranscript(
      `
      S: +OK POP3 server ready
      C: CAPA
      S: +OK Capability list follows
      S: TOP
      S: UIDL
      S: RESP-CODES
      S: PIPELINING
      S: SASL CRAM-MD5
      S: STLS
      S: UTF8 USER
      S: LANG
      S: EXPIRE NEVER
      S: LOGIN-DELAY 60
      S: IMPLEMENTATION Mailwire
      S: .
      C: USER alice
      S: -ERR [AUTH] Plaintext authentication disallowed without TLS
      C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
      S: -ERR [AUTH] PLAIN requires TLS
      C: STLS
      S: +OK Begin TLS negotiation
      C: CAPA
      S: +OK Capability list follows
      S: TOP
      S: UIDL
      S: RESP-CODES
      S: PIPELINING
      S: USER
      S: SASL PLAIN CRAM-MD5
      S: UTF8 USER
      S: LANG
      S: EXPIRE NEVER
      S: LOGIN-DELAY 60
      S: IMPLEMENTATION Mailwire
      S: .
      C: STLS
      S: -ERR TLS already active
      C: USER alice
      S: +OK send PASS
      C: PASS secret
      S: +OK maildrop locked and ready, 3 messages (110 octets)
      C: CAPA
      S: +OK Capability list follows
      S: TOP
      S: UIDL
      S: RESP-CODES
      S: PIPELINING
      S: UTF8 USER
      S: LANG
      S: EXPIRE NEVER
      S: LOGIN-DELAY 60
      S: IMPLEMENTATION Mailwire
      S: .
      C: QUIT
      S: +OK POP3 server signing off (3 messages left)
      `,
      {
        starttls: true,
        expire: 'NEVER',
        loginDelay: 60,
        saslMechanisms: ['PLAIN', 'CRAM-MD5'],
        createSaslServer: () => undefined,
      },
      eq,
      {},
      'per-line',
    );
  });

  it('wrong state, unknown commands, syntax errors and PASS without USER', () => {
    checkTranscript(
      `
      S: +OK POP3 server ready
      C: STAT
      S: -ERR STAT not allowed in AUTHORIZATION state
      C: PASS secret
      S: -ERR USER first
      C: XYZZY
      S: -ERR unknown command
      C: APOP alice 0123456789abcdef0123456789abcdef
      S: -ERR unknown command
      C: RETR
      S: -ERR usage: RETR msg
      C: USER alice
      S: +OK send PASS
      C: PASS wrong
      S: -ERR [AUTH] authentication failed
      C: user alice
      S: +OK send PASS
      C: pass secret
      S: +OK maildrop locked and ready, 3 messages (110 octets)
      C: RETR x
      S: -ERR usage: RETR msg
      C: TOP 1
      S: -ERR usage: TOP msg n
      C: USER bob
      S: -ERR USER not allowed in TRANSACTION state
      C: QUIT
      S: +OK POP3 server signing off (3 messages left)
      `,
      INSECURE,
      eq,
    );
  });

  it('QUIT in AUTHORIZATION closes without touching any maildrop', () => {
    const { output, events } = run([bytesOf('QUIT\r\nNOOP\r\n')], INSECURE);
    expect(output).toBe('+OK POP3 server ready\r\n+OK POP3 server signing off\r\n');
    expect(events.map((e) => e.type)).toEqual(['closed']);
  });
});

describe('Pop3ServerSession maildrop, commit and release', () => {
  it('DELE + QUIT commits exactly the marked messages, then releases', () => {
    const { events, session } = run(
      [bytesOf('USER alice\r\nPASS secret\r\nDELE 1\r\nDELE 3\r\nQUIT\r\n')],
      INSECURE,
    );
    const commit = events.find((e) => e.type === 'commit');
    expect(commit?.type === 'commit' && commit.deleted.map((d) => [d.number, d.message.uidl])).toEqual([
      [1, '7.1'],
      [3, '7.3'],
    ]);
    expect(events.map((e) => e.type).slice(-3)).toEqual(['commit', 'release', 'closed']);
    expect(events.find((e) => e.type === 'release')).toMatchObject({ committed: true, user: 'alice' });
    expect(session.state).toBe('CLOSED');
  });

  it('a second session on a locked maildrop gets -ERR [IN-USE] and may try again later', () => {
    const lock = { held: true };
    const { output } = run([bytesOf('USER alice\r\nPASS secret\r\nSTAT\r\n')], INSECURE, { lock });
    expect(output).toBe(
      '+OK POP3 server ready\r\n+OK send PASS\r\n-ERR [IN-USE] maildrop already locked\r\n' +
        '-ERR STAT not allowed in AUTHORIZATION state\r\n',
    );
  });

  it('a failed commit answers -ERR [SYS/TEMP] and still releases the lock', () => {
    const { output, events } = run([bytesOf('USER alice\r\nPASS secret\r\nDELE 1\r\nQUIT\r\n')], INSECURE, {
      onEvent: (e) => {
        if (e.type !== 'commit') return false;
        e.decision.reject();
        return true;
      },
    });
    expect(output.endsWith('-ERR [SYS/TEMP] some deleted messages not removed\r\n')).toBe(true);
    expect(events.find((e) => e.type === 'release')).toMatchObject({ committed: false });
  });

  for (const exit of [
    'close',
    'timeout',
    'too many errors',
    'too many auth failures',
    'source failure',
  ] as const) {
    it(`releases without commit on ${exit}, deleting nothing`, () => {
      const session = new Pop3ServerSession<FixtureMessage>({ ...INSECURE, maxErrors: 3 });
      session.receive(bytesOf('USER alice\r\nPASS secret\r\nDELE 1\r\n'));
      const events = drive(session);
      if (exit === 'close') session.close();
      if (exit === 'timeout') session.timeout();
      if (exit === 'too many errors') session.receive(bytesOf('BAD\r\nBAD\r\nBAD\r\nSTAT\r\n'));
      if (exit === 'too many auth failures') {
        // Authentication failures only count before login, so test them on a fresh session.
        session.close();
      }
      if (exit === 'source failure') {
        session.receive(bytesOf('RETR 2\r\n'));
        for (let e = session.next(); e; e = session.next()) {
          events.push(e);
          if (e.type === 'retrieve') e.decision.accept([utf8('x')]);
        }
        session.pendingBody()!.push(utf8('Subject: partial\r\n'));
        session.pendingBody()!.fail(new Error('disk gone'));
      }
      events.push(...drive(session));
      const types = events.map((e) => e.type);
      expect(types).not.toContain('commit');
      expect(types.filter((t) => t === 'release')).toHaveLength(1);
      expect(types.at(-1)).toBe('closed');
      expect(events.find((e) => e.type === 'release')).toMatchObject({ committed: false });
      expect(session.state).toBe('CLOSED');
    });
  }

  it('closes after too many authentication failures, with nothing to release', () => {
    const { output, events } = run(
      [bytesOf('USER alice\r\nPASS a\r\nUSER alice\r\nPASS b\r\nUSER alice\r\nPASS c\r\nUSER alice\r\n')],
      INSECURE,
    );
    expect(output.match(/-ERR \[AUTH\] authentication failed/g)).toHaveLength(3);
    expect(output.endsWith('-ERR [AUTH] authentication failed\r\n')).toBe(true);
    expect(errorCodes(events)).toContain('ERR_POP3_TOO_MANY_AUTH_FAILURES');
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'too-many-auth-failures' });
    expect(events.some((e) => e.type === 'release')).toBe(false);
  });

  it('close() while the maildrop decision is pending waits for it, then releases', () => {
    const session = new Pop3ServerSession<FixtureMessage>(INSECURE);
    session.receive(bytesOf('USER alice\r\nPASS secret\r\n'));
    const auth = session.next();
    expect(auth?.type).toBe('auth');
    if (auth?.type === 'auth') auth.decision.accept();
    const maildrop = session.next();
    session.close();
    expect(session.next()).toBeUndefined();
    if (maildrop?.type === 'maildrop') maildrop.decision.accept(MESSAGES);
    expect(session.next()).toMatchObject({ type: 'release', committed: false });
    expect(session.next()).toMatchObject({ type: 'closed', reason: 'peer-closed' });
    expect(session.output()).toBeUndefined();
  });

  it('QUIT then a dropped connection: the commit still completes and releases', () => {
    const session = new Pop3ServerSession<FixtureMessage>(INSECURE);
    session.receive(bytesOf('USER alice\r\nPASS secret\r\nDELE 2\r\nQUIT\r\n'));
    const events = drive(session, {
      onEvent: (e) => e.type === 'commit',
    });
    const commit = events.find((e) => e.type === 'commit');
    session.close();
    session.timeout();
    expect(session.next()).toBeUndefined();
    if (commit?.type === 'commit') commit.decision.accept();
    expect(session.next()).toMatchObject({ type: 'release', committed: true });
    expect(session.next()).toMatchObject({ type: 'closed' });
  });

  it('settling a decision twice is caller misuse', () => {
    const session = new Pop3ServerSession<FixtureMessage>(INSECURE);
    session.receive(bytesOf('USER alice\r\nPASS secret\r\n'));
    const auth = session.next();
    if (auth?.type !== 'auth') throw new Error('expected auth');
    auth.decision.accept();
    expect(() => auth.decision.reject()).toThrow(/already settled/);
  });

  it('rejects invalid UIDLs from the application', () => {
    const session = new Pop3ServerSession<FixtureMessage>(INSECURE);
    session.receive(bytesOf('USER alice\r\nPASS secret\r\n'));
    drive(session, {
      onEvent: (e) => {
        if (e.type !== 'maildrop') return false;
        expect(() => e.decision.accept([{ size: 1, uidl: 'has space', bytes: new Uint8Array(1) }])).toThrow(
          /uidl/,
        );
        e.decision.accept([]);
        return true;
      },
    });
    expect(drainOutput(session)).toContain('0 messages (0 octets)');
  });
});

describe('Pop3ServerSession pipelining, limits and STLS', () => {
  it('answers pipelined commands in order while a decision is pending', () => {
    const session = new Pop3ServerSession<FixtureMessage>(INSECURE);
    session.receive(bytesOf('USER alice\r\nPASS secret\r\nSTAT\r\nUIDL 2\r\nQUIT\r\n'));
    const auth = session.next();
    expect(drainOutput(session)).toBe('+OK POP3 server ready\r\n+OK send PASS\r\n');
    expect(session.next()).toBeUndefined();
    if (auth?.type === 'auth') auth.decision.accept();
    drive(session);
    expect(drainOutput(session)).toBe(
      '+OK maildrop locked and ready, 3 messages (110 octets)\r\n+OK 3 110\r\n+OK 2 7.2\r\n' +
        '+OK POP3 server signing off (3 messages left)\r\n',
    );
  });

  it('refuses a command line over 255 octets with its CRLF (RFC 2449 §4) and goes on', () => {
    const ok = `USER ${'a'.repeat(248)}\r\n`; // 255 octets
    const long = `USER ${'a'.repeat(249)}\r\n`; // 256 octets
    const { output, events } = run([bytesOf(ok + long)], INSECURE);
    expect(output).toBe('+OK POP3 server ready\r\n+OK send PASS\r\n-ERR line too long\r\n');
    expect(errorCodes(events)).toEqual(['ERR_POP3_LINE_TOO_LONG']);
  });

  it('keeps memory bounded on an endless line', () => {
    const session = new Pop3ServerSession<FixtureMessage>(INSECURE);
    for (let i = 0; i < 1000; i++) session.receive(new Uint8Array(1000).fill(0x41));
    expect(session.buffered).toBeLessThan(2000);
    session.receive(bytesOf('\r\nNOOP\r\n'));
    expect(drainOutput(session)).toBe(
      '+OK POP3 server ready\r\n-ERR line too long\r\n-ERR NOOP not allowed in AUTHORIZATION state\r\n',
    );
  });

  it('closes when a peer floods input while a decision is pending (memory stays bounded)', () => {
    const session = new Pop3ServerSession<FixtureMessage>({ ...INSECURE, maxBufferedInput: 1024 });
    session.receive(bytesOf('USER alice\r\nPASS secret\r\n'));
    expect(session.next()?.type).toBe('auth'); // left pending
    for (let i = 0; i < 300; i++) session.receive(bytesOf('NOOP\r\n'));
    expect(session.buffered).toBe(0);
    const events = drive(session, { onEvent: (e) => e.type === 'auth' });
    expect(errorCodes(events)).toEqual(['ERR_POP3_TOO_MANY_ERRORS']);
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'input-overflow' });
  });

  it('an input flood during UPDATE closes but still lets the commit finish and release', () => {
    const session = new Pop3ServerSession<FixtureMessage>({ ...INSECURE, maxBufferedInput: 64 });
    session.receive(bytesOf('USER alice\r\nPASS secret\r\nDELE 1\r\nQUIT\r\n'));
    const events = drive(session, { onEvent: (e) => e.type === 'commit' });
    const commit = events.find((e) => e.type === 'commit');
    session.receive(new Uint8Array(100).fill(0x41));
    expect(session.state).toBe('CLOSED');
    if (commit?.type === 'commit') commit.decision.accept();
    expect(drive(session).map((e) => e.type)).toEqual(['protocolError', 'release', 'closed']);
  });

  it('closes after too many errors', () => {
    const { output, events } = run([bytesOf('A\r\nB\r\nC\r\nD\r\n')], { maxErrors: 3 });
    expect(output.match(/-ERR/g)).toHaveLength(3);
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'too-many-errors' });
  });

  it('STLS injection probe: pipelined plaintext after STLS is discarded, never executed', () => {
    const session = new Pop3ServerSession<FixtureMessage>({ starttls: true });
    session.receive(bytesOf('STLS\r\nUSER alice\r\nPASS secret\r\n'));
    const events = drive(session, { onEvent: (e) => e.type === 'starttls' });
    expect(events.map((e) => e.type)).toEqual(['protocolError', 'starttls']);
    expect(errorCodes(events)).toEqual(['ERR_POP3_STLS_INJECTION']);
    session.receive(bytesOf('USER mallory\r\n')); // still plaintext: dropped too
    session.tlsStarted({ protocol: 'TLSv1.3' });
    session.receive(bytesOf('CAPA\r\n'));
    const after = drive(session);
    expect(after.some((e) => e.type === 'auth')).toBe(false);
    const out = drainOutput(session);
    expect(
      out.startsWith('+OK POP3 server ready\r\n+OK Begin TLS negotiation\r\n+OK Capability list follows\r\n'),
    ).toBe(true);
    expect(out).not.toContain('send PASS');
    expect(session.secure).toBe(true);
  });

  it('STLS is unknown when not offered, and tlsStarted() without STLS is misuse', () => {
    const { output } = run([bytesOf('STLS\r\n')]);
    expect(output).toBe('+OK POP3 server ready\r\n-ERR unknown command\r\n');
    expect(() => new Pop3ServerSession().tlsStarted()).toThrow(/without a pending STLS/);
  });

  it('refuses bare CR and NUL inside a command', () => {
    const { output } = run([bytesOf('NO\rOP\r\nUSER a\0b\r\n')], INSECURE);
    expect(output).toBe(
      '+OK POP3 server ready\r\n-ERR bare CR or NUL in command\r\n-ERR bare CR or NUL in command\r\n',
    );
  });

  it('timeout sends nothing (RFC 1939 §3) and closes', () => {
    const session = new Pop3ServerSession<FixtureMessage>(INSECURE);
    drainOutput(session);
    session.timeout();
    expect(session.output()).toBeUndefined();
    expect(session.next()).toEqual({ type: 'closed', reason: 'timeout' });
  });
});

describe('Pop3ServerSession APOP, UTF8 and AUTH', () => {
  const timestamp = '<1896.697170952@dbc.mtview.ca.us>';

  it('APOP with the RFC 1939 §7 example digest', () => {
    // RFC 1939 §7: MD5("<1896.697170952@dbc.mtview.ca.us>tanstaaf") = c4c9334bac560ecc979e58001b3e22fb
    expect(toHex(md5(utf8(`${timestamp}tanstaaf`)))).toBe('c4c9334bac560ecc979e58001b3e22fb');
    const { output } = run(
      [bytesOf('APOP alice c4c9334bac560ecc979e58001b3e22fb\r\nQUIT\r\n')],
      { apopTimestamp: timestamp },
      {
        password: 'tanstaaf',
      },
    );
    expect(output).toBe(
      `+OK POP3 server ready ${timestamp}\r\n+OK maildrop locked and ready, 3 messages (110 octets)\r\n` +
        '+OK POP3 server signing off (3 messages left)\r\n',
    );
  });

  it('LANG lists and picks languages in both states (RFC 6856 §3)', () => {
    checkTranscript(
      `
      S: +OK POP3 server ready
      C: LANG
      S: +OK Language listing follows
      S: en English
      S: de Deutsch
      S: .
      C: LANG DE-at
      S: +OK de Language changed
      C: LANG fr
      S: -ERR invalid language
      C: USER alice
      S: +OK send PASS
      C: PASS secret
      S: +OK maildrop locked and ready, 3 messages (110 octets)
      C: LANG *
      S: +OK en Language changed
      `,
      {
        ...INSECURE,
        languages: [
          { tag: 'en', description: 'English' },
          { tag: 'de', description: 'Deutsch' },
        ],
      },
      eq,
    );
    const { output } = run([bytesOf('LANG\r\n')], { languages: false });
    expect(output).toBe('+OK POP3 server ready\r\n-ERR unknown command\r\n');
  });

  it('APOP timestamp must be a msg-id', () => {
    expect(() => new Pop3ServerSession({ apopTimestamp: 'nope' })).toThrow(/apopTimestamp/);
  });

  it('UTF8 mode is reported with the maildrop and only allowed before login', () => {
    const { output, events } = run([bytesOf('UTF8\r\nUSER alice\r\nPASS secret\r\nUTF8\r\n')], INSECURE);
    expect(events.find((e) => e.type === 'maildrop')).toMatchObject({ utf8: true, user: 'alice' });
    expect(output).toContain('+OK UTF8 enabled\r\n');
    expect(output.endsWith('-ERR UTF8 not allowed in TRANSACTION state\r\n')).toBe(true);
  });

  it('UTF-8 in USER/PASS needs UTF8 first: -ERR [UTF8] (RFC 6856 §2)', () => {
    const before = run([utf8('USER jörg\r\nUSER alice\r\nPASS sécret\r\n')], INSECURE);
    expect(before.output).toBe(
      '+OK POP3 server ready\r\n-ERR [UTF8] UTF8 command required for a non-ASCII user name\r\n' +
        '+OK send PASS\r\n-ERR [UTF8] UTF8 command required for a non-ASCII password\r\n',
    );
    expect(before.events.some((e) => e.type === 'auth')).toBe(false);
    const after = run([utf8('UTF8\r\nUSER jörg\r\nPASS sécret\r\n')], INSECURE);
    const auth = after.events.find((e) => e.type === 'auth');
    expect(auth).toMatchObject({ credentials: { username: 'jörg', password: 'sécret' } });
  });

  const saslOptions: Pop3ServerSessionOptions = { secure: true, saslMechanisms: ['PLAIN', 'LOGIN'] };

  it('AUTH PLAIN with a continuation, cancel with *, AUTH listing, unknown mechanism', () => {
    checkTranscript(
      `
      S: +OK POP3 server ready
      C: AUTH
      S: +OK SASL mechanisms follow
      S: PLAIN
      S: LOGIN
      S: .
      C: AUTH GSSAPI
      S: -ERR unrecognized authentication type
      C: AUTH PLAIN
      S: + 
      C: *
      S: -ERR authentication cancelled
      C: AUTH PLAIN
      S: + 
      C: AGFsaWNlAHdyb25n
      S: -ERR [AUTH] authentication failed
      C: AUTH PLAIN
      S: + 
      C: AGFsaWNlAHNlY3JldA==
      S: +OK maildrop locked and ready, 3 messages (110 octets)
      C: QUIT
      S: +OK POP3 server signing off (3 messages left)
      `,
      saslOptions,
      eq,
    );
  });

  it('AUTH with an initial response, malformed base64, and "=" for empty', () => {
    checkTranscript(
      `
      S: +OK POP3 server ready
      C: AUTH PLAIN %%%%
      S: -ERR malformed initial response
      C: AUTH PLAIN =
      S: -ERR malformed response
      C: AUTH LOGIN
      S: + VXNlcm5hbWU6
      C: not base64!
      S: -ERR malformed response
      C: AUTH LOGIN
      S: + VXNlcm5hbWU6
      C: YWxpY2U=
      S: + UGFzc3dvcmQ6
      C: c2VjcmV0
      S: +OK maildrop locked and ready, 3 messages (110 octets)
      `,
      { ...saslOptions, maxAuthFailures: 5 },
      eq,
    );
  });

  it('accepts SASL response lines longer than 255 octets (RFC 5034 §4)', () => {
    const token = Buffer.from(`\0alice\0${'x'.repeat(300)}`).toString('base64');
    const { output } = run([bytesOf(`AUTH PLAIN\r\n${token}\r\nNOOP\r\n`)], saslOptions);
    expect(output).toBe(
      '+OK POP3 server ready\r\n+ \r\n-ERR [AUTH] authentication failed\r\n-ERR NOOP not allowed in AUTHORIZATION state\r\n',
    );
  });
});
