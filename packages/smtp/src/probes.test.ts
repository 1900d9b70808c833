/** Named security probes: exact bytes in, exact replies and events out. */
import { latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { acceptAll, type Handler, run, types } from './testing/index.js';
import type { SmtpServerEvent } from './server-events.js';
import { SmtpServerSession, type SmtpServerOptions } from './server-session.js';

const tlsHost = { hostname: 'mx.example', starttls: true } satisfies SmtpServerOptions;

function message(events: readonly SmtpServerEvent[]): string {
  return events.map((e) => (e.type === 'data' ? latin1(e.chunk) : '')).join('');
}

describe('STARTTLS injection (CVE-2011-0411 family)', () => {
  it('discards pipelined commands sent with STARTTLS', () => {
    const { output, events, session } = run(tlsHost, [
      'EHLO c\r\n',
      'STARTTLS\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\n',
    ]);
    expect(output).toMatch(/220 2.0.0 Ready to start TLS\r\n$/);
    expect(events.find((e) => e.type === 'starttls')).toEqual({ type: 'starttls', discarded: 35 });
    expect(types(events)).not.toContain('mailFrom');
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'protocolError', code: 'ERR_SMTP_STARTTLS_INJECTION' }),
    );
    expect(session.state).toBe('greeted');
  });

  it('discards a partial line sent after STARTTLS instead of joining it to the first encrypted line', () => {
    const session = new SmtpServerSession(tlsHost);
    const events: SmtpServerEvent[] = [];
    const drainAll = (handler: Handler) => {
      for (let e = session.next(); e; e = session.next()) {
        events.push(e);
        handler(e, session);
      }
      let out = '';
      for (let b = session.output(); b; b = session.output()) out += latin1(b);
      return out;
    };
    const noTls: Handler = (e, s) => (e.type === 'starttls' ? undefined : acceptAll(e, s));
    drainAll(noTls);
    session.receive(utf8('EHLO c\r\nSTARTTLS\r\nNO'));
    drainAll(noTls);
    expect(session.state).toBe('tls');
    session.receive(utf8('OP junk\r\n')); // still plaintext, before the handshake
    session.tlsStarted({ protocol: 'TLSv1.3' });
    session.receive(utf8('NOOP\r\n'));
    const out = drainAll(noTls);
    // Joined, the injected "NO" would have produced "NONOOP" → 500; discarded, NOOP gets 250.
    expect(out).toBe('250 2.0.0 OK\r\n');
    expect(
      events.filter((e) => e.type === 'protocolError').map((e) => (e.type === 'protocolError' ? e.code : '')),
    ).toEqual(['ERR_SMTP_STARTTLS_INJECTION', 'ERR_SMTP_STARTTLS_INJECTION']);
  });

  it('forgets EHLO and AUTH state after TLS: MAIL before a new EHLO gets 503', () => {
    const { output } = run(tlsHost, [
      'EHLO c\r\n',
      'STARTTLS\r\n',
      'MAIL FROM:<a@b>\r\n',
      'EHLO c\r\n',
      'MAIL FROM:<a@b>\r\n',
    ]);
    expect(output).toContain('503 5.5.1 Send EHLO/HELO first\r\n');
    expect(output).toMatch(/250 2.1.0 OK\r\n$/);
  });

  it('advertises STARTTLS only before TLS, REQUIRETLS only after, and refuses a second STARTTLS and parameters', () => {
    const { output } = run(tlsHost, [
      'EHLO c\r\n',
      'STARTTLS x\r\n',
      'STARTTLS\r\n',
      'EHLO c\r\n',
      'STARTTLS\r\n',
    ]);
    const [before, after] = output.split('220 2.0.0 Ready to start TLS\r\n');
    expect(before).toMatch(/250[- ]STARTTLS\r\n/);
    expect(before).not.toContain('REQUIRETLS');
    expect(before).toContain('501 5.5.4 Syntax: STARTTLS (no parameters allowed)');
    expect(after).not.toContain('STARTTLS\r\n');
    expect(after).toContain('250 REQUIRETLS');
    expect(after).toMatch(/503 5.5.1 TLS already active\r\n$/);
  });

  it('requires TLS before MAIL and AUTH when asked (530 5.7.0)', () => {
    const { output } = run({ ...tlsHost, requireTls: true }, ['EHLO c\r\nMAIL FROM:<a@b>\r\n']);
    expect(output).toMatch(/530 5.7.0 Must issue a STARTTLS command first\r\n$/);
  });
});

describe('SMTP smuggling', () => {
  const start = 'EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n';
  const smuggled = 'MAIL FROM:<admin@victim>\r\nRCPT TO:<x@y>\r\nDATA\r\nforged\r\n';

  it.each([
    ['<LF>.<LF>', '\n.\n'],
    ['<CR>.<CR>', '\r.\r'],
    ['<LF>.<CRLF>', '\n.\r\n'],
    ['<CRLF>.<LF>', '\r\n.\n'],
    ['<CR>.<CRLF>', '\r.\r\n'],
  ])(
    '%s neither ends the data nor starts a second transaction; the message is refused 550 5.6.0',
    (_name, seq) => {
      const { output, events } = run({ hostname: 'mx.example' }, [start, `hello${seq}${smuggled}`, '.\r\n']);
      expect(types(events).filter((t) => t === 'mailFrom')).toHaveLength(1);
      expect(types(events)).not.toContain('dataEnd');
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'dataRejected', code: 'ERR_SMTP_BARE_LINE_ENDING' }),
      );
      expect(output).toMatch(/354 [^\r]*\r\n550 5.6.0 [^\r]*\r\n$/);
      expect(message(events)).not.toContain('admin@victim');
    },
  );

  it.each([
    ['<LF>.<LF>', '\n.\n'],
    ['<CR>.<CR>', '\r.\r'],
    ['<LF>.<CRLF>', '\n.\r\n'],
    ['<CRLF>.<LF>', '\r\n.\n'],
  ])('%s with the normalise policy stays inside one message with CRLF endings', (_name, seq) => {
    const { output, events } = run({ hostname: 'mx.example', bareLineEndings: 'normalize' }, [
      start,
      `hello${seq}${smuggled}`,
      '.\r\n',
    ]);
    expect(types(events).filter((t) => t === 'mailFrom')).toHaveLength(1);
    expect(types(events).filter((t) => t === 'dataEnd')).toHaveLength(1);
    expect(output).toMatch(/250 2.0.0 OK: message accepted\r\n$/);
    const body = message(events);
    expect(body).toContain('MAIL FROM:<admin@victim>');
    expect(body).not.toMatch(/(^|[^\r])\n|\r(?!\n)/);
  });

  it('a correct <CRLF>.<CRLF> ends the data and the pipelined next transaction follows', () => {
    const { output, events } = run({ hostname: 'mx.example' }, [start, `hello\r\n.\r\n${smuggled}.\r\n`]);
    expect(types(events).filter((t) => t === 'dataEnd')).toHaveLength(2);
    expect(output.match(/250 2.0.0 OK/g)).toHaveLength(2);
  });
});

describe('AUTH (RFC 4954)', () => {
  const auth = {
    hostname: 'mx.example',
    auth: { mechanisms: ['PLAIN', 'LOGIN'] },
  } satisfies SmtpServerOptions;
  const secure = {
    ...auth,
    connection: { localAddress: '', localPort: 0, remoteAddress: '', remotePort: 0, secure: true },
  };
  const checkPassword: Handler = (e, s) => {
    if (e.type === 'auth') {
      const c = e.credentials;
      if (
        (c.mechanism === 'PLAIN' || c.mechanism === 'LOGIN') &&
        c.username === 'alice' &&
        c.password === 'secret'
      )
        e.decision.accept();
      else e.decision.reject();
    } else acceptAll(e, s);
  };
  const plain = (user: string, pass: string) => btoa(`\0${user}\0${pass}`);

  it('is not advertised and refused with 538 before TLS unless allowed', () => {
    const { output } = run(auth, ['EHLO c\r\nAUTH PLAIN\r\n']);
    expect(output).not.toContain('AUTH');
    expect(output).toMatch(/538 5.7.11 [^\r]*\r\n$/);
    const allowed = run({ hostname: 'h', auth: { mechanisms: ['PLAIN'], allowInsecure: true } }, [
      'EHLO c\r\n',
    ]);
    expect(allowed.output).toMatch(/250[- ]AUTH PLAIN\r\n/);
  });

  it('accepts PLAIN with an initial response (235) and refuses a second AUTH', () => {
    const { output, events, session } = run(
      secure,
      [`EHLO c\r\nAUTH PLAIN ${plain('alice', 'secret')}\r\nAUTH PLAIN\r\n`],
      checkPassword,
    );
    expect(output).toContain('235 2.7.0 Authentication successful\r\n503 5.5.1 Already authenticated');
    expect(events).toContainEqual({
      type: 'authenticated',
      mechanism: 'PLAIN',
      username: 'alice',
      authzid: '',
    });
    expect(session.authenticatedUser).toBe('alice');
  });

  it('runs LOGIN through 334 challenges', () => {
    const { output } = run(
      secure,
      ['EHLO c\r\nAUTH LOGIN\r\n', `${btoa('alice')}\r\n`, `${btoa('secret')}\r\n`],
      checkPassword,
    );
    expect(output.match(/^334 .*$/gm)).toHaveLength(2);
    expect(output).toMatch(/235 2.7.0/);
  });

  it('answers * with 501, bad base64 with 501, unknown mechanism with 504', () => {
    const { output } = run(
      secure,
      ['EHLO c\r\nAUTH PLAIN\r\n', '*\r\n', 'AUTH PLAIN\r\n', '%%%\r\n', 'AUTH FOO\r\n'],
      checkPassword,
    );
    expect(output).toContain('334 \r\n501 5.0.0 Authentication cancelled\r\n');
    expect(output).toContain('501 5.5.2 Cannot decode response');
    expect(output).toMatch(/504 5.5.4 Unrecognized authentication type\r\n$/);
  });

  it('answers 535 with a growing delay, then 421 after the last failure', () => {
    const { output, events } = run(
      secure,
      [
        `EHLO c\r\nAUTH PLAIN ${plain('alice', 'x')}\r\nAUTH PLAIN ${plain('alice', 'y')}\r\nAUTH PLAIN ${plain('alice', 'z')}\r\n`,
      ],
      checkPassword,
    );
    expect(events.filter((e) => e.type === 'delay')).toEqual([
      { type: 'delay', ms: 1000, reason: 'authFailure' },
      { type: 'delay', ms: 2000, reason: 'authFailure' },
    ]);
    expect(output.match(/535 5.7.8/g)).toHaveLength(3);
    expect(output).toMatch(/421 4.7.0 [^\r]*\r\n$/);
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'authFailures' });
  });

  it('requires AUTH before MAIL when configured (530 5.7.0), and takes the AUTH= parameter', () => {
    const required = { ...secure, auth: { ...secure.auth, required: true } };
    const { output, events } = run(
      required,
      [
        `EHLO c\r\nMAIL FROM:<a@b>\r\nAUTH PLAIN ${plain('alice', 'secret')}\r\nMAIL FROM:<a@b> AUTH=alice+40b\r\n`,
      ],
      checkPassword,
    );
    expect(output).toContain('530 5.7.0 Authentication required');
    expect(output).toMatch(/250 2.1.0 OK\r\n$/);
    expect(events.find((e) => e.type === 'mailFrom')).toMatchObject({
      params: { auth: { localPart: 'alice', domain: 'b' } },
    });
  });
});

describe('CHUNKING (RFC 3030)', () => {
  const host = { hostname: 'mx.example' };
  const start = 'EHLO c\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<c@d>\r\n';

  it('takes pipelined BDAT chunks with LAST, binary octets included', () => {
    const { output, events } = run(host, [`${start}BDAT 5\r\nab\r\n\nBDAT 3 LAST\r\n.\r\nNOOP\r\n`]);
    expect(output).toMatch(
      /250 2.0.0 5 octets received\r\n250 2.0.0 OK: message accepted\r\n250 2.0.0 OK\r\n$/,
    );
    expect(message(events)).toBe('ab\r\n\n.\r\n');
    expect(types(events).filter((t) => t === 'dataStart')).toHaveLength(1);
  });

  it('gives the same result split at every byte', () => {
    const wire = utf8(`${start}BDAT 5\r\nab\r\n\nBDAT 0 LAST\r\nQUIT\r\n`);
    const expected = run(host, [wire]);
    for (let at = 0; at <= wire.length; at++) {
      const r = run(host, [wire.slice(0, at), wire.slice(at)]);
      expect(r.output).toBe(expected.output);
      expect(message(r.events)).toBe('ab\r\n\n');
    }
  });

  it('skips the octets of a refused BDAT so they are never read as commands', () => {
    const { output, events } = run(host, ['EHLO c\r\nBDAT 12\r\nQUIT\r\nQUIT\r\nNOOP\r\n']);
    expect(output).toMatch(/503 5.5.1 Need MAIL command\r\n250 2.0.0 OK\r\n$/);
    expect(types(events)).not.toContain('closed');
  });

  it('answers 554 to BDAT when every recipient was refused, and 503 to DATA after BDAT', () => {
    const refuse: Handler = (e, s) =>
      e.type === 'rcptTo' ? e.decision.reject(550, '5.1.1', 'no') : acceptAll(e, s);
    expect(
      run(host, ['EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<x@y>\r\nBDAT 2 LAST\r\nxx'], refuse).output,
    ).toMatch(/554 5.5.1 No valid recipients\r\n$/);
    expect(run(host, ['EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<x@y>\r\nBDAT 2\r\nxxDATA\r\n']).output).toMatch(
      /503 5.5.1 DATA not allowed after BDAT\r\n$/,
    );
  });

  it('discards an oversized chunk and answers 552', () => {
    const { output, events } = run({ ...host, maxMessageSize: 4 }, [
      `${start}BDAT 10 LAST\r\n0123456789NOOP\r\n`,
    ]);
    expect(output).toMatch(/552 5.3.4 [^\r]*\r\n250 2.0.0 OK\r\n$/);
    expect(message(events)).toBe('');
  });
});

describe('LMTP (RFC 2033)', () => {
  const lmtp = { hostname: 'lmtp.example', lmtp: true };

  it('answers one reply per accepted recipient after the data', () => {
    let n = 0;
    const handler: Handler = (e, s) => {
      if (e.type === 'rcptTo' && n++ === 1) e.decision.reject(550, '5.1.1', 'No such user');
      else if (e.type === 'dataEnd')
        e.decision.perRecipient(['accept', { code: 452, enhanced: '4.2.2', text: 'Mailbox full' }]);
      else acceptAll(e, s);
    };
    const { output } = run(
      lmtp,
      [
        'LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u1@d>\r\nRCPT TO:<u2@d>\r\nRCPT TO:<u3@d>\r\nDATA\r\n',
        'hi\r\n.\r\n',
      ],
      handler,
    );
    expect(output).toMatch(/^220 lmtp.example LMTP\r\n250-lmtp.example greets c\r\n/);
    expect(output).toMatch(/354 [^\r]*\r\n250 2.0.0 <u1@d> delivered\r\n452 4.2.2 Mailbox full\r\n$/);
  });

  it('refuses EHLO and HELO in LMTP', () => {
    expect(run(lmtp, ['EHLO c\r\n']).output).toMatch(/500 5.5.1 Use LHLO\r\n$/);
  });

  it('repeats a session-level refusal for every recipient', () => {
    const { output } = run(lmtp, [
      'LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<u1@d>\r\nRCPT TO:<u2@d>\r\nDATA\r\n',
      'bare\nlf\r\n.\r\n',
    ]);
    expect(output.match(/550 5.6.0/g)).toHaveLength(2);
  });
});

describe('LMTP DATA without recipients', () => {
  it('fails with 503 (RFC 2033 §4.2)', () => {
    const refuse: Handler = (e, s) =>
      e.type === 'rcptTo' ? e.decision.reject(550, '5.1.1', 'no') : acceptAll(e, s);
    const { output } = run(
      { hostname: 'l', lmtp: true },
      ['LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<x@y>\r\nDATA\r\n'],
      refuse,
    );
    expect(output).toMatch(/503 5.5.1 No valid recipients\r\n$/);
  });
});

describe('AUTH SCRAM-SHA-256 and limits', () => {
  it('sends the server signature in a last 334 and answers 235 after the empty line (RFC 4954 §4)', async () => {
    const { createHash, createHmac, pbkdf2Sync } = await import('node:crypto');
    const { deriveScramKeys } = await import('@mailwire/core');
    const salt = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const keys = deriveScramKeys('pencil', salt, 4096);
    const session = new SmtpServerSession({
      hostname: 'mx.example',
      auth: { mechanisms: ['SCRAM-SHA-256'], allowInsecure: true },
    });
    const out: string[] = [];
    const pump = () => {
      for (let e = session.next(); e; e = session.next()) {
        if (e.type === 'auth') e.decision.accept({ scramKeys: keys });
        else if ('decision' in e) e.decision.accept();
      }
      for (let b = session.output(); b; b = session.output())
        out.push(...latin1(b).split('\r\n').filter(Boolean));
    };
    pump();
    const clientFirstBare = 'n=user,r=clientnonce123';
    session.receive(utf8(`EHLO c\r\nAUTH SCRAM-SHA-256 ${btoa(`n,,${clientFirstBare}`)}\r\n`));
    pump();
    const serverFirst = atob(out.at(-1)!.slice(4));
    expect(serverFirst).toMatch(/^r=clientnonce123.+,s=AQIDBAUGBwg=,i=4096$/);
    const nonce = /r=([^,]+)/.exec(serverFirst)![1]!;
    const finalWithoutProof = `c=biws,r=${nonce}`;
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const authMessage = `${clientFirstBare},${serverFirst},${finalWithoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
    session.receive(utf8(`${btoa(`${finalWithoutProof},p=${proof}`)}\r\n`));
    pump();
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    const expected = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    expect(out.at(-1)).toBe(`334 ${btoa(`v=${expected}`)}`);
    session.receive(utf8('\r\n'));
    pump();
    expect(out.at(-1)).toBe('235 2.7.0 Authentication successful');
    expect(session.authenticatedUser).toBe('user');
  });

  it('answers an AUTH line over 12288 octets with 500 5.5.6', () => {
    const { output } = run({ hostname: 'h', auth: { mechanisms: ['LOGIN'], allowInsecure: true } }, [
      'EHLO c\r\nAUTH LOGIN\r\n',
      `${'A'.repeat(13000)}\r\nNOOP\r\n`,
    ]);
    expect(output).toMatch(/500 5.5.6 Authentication Exchange line is too long\r\n250 2.0.0 OK\r\n$/);
  });

  it('closes after too many commands before AUTH when AUTH is required', () => {
    const { output, events } = run(
      {
        hostname: 'h',
        auth: { mechanisms: ['PLAIN'], allowInsecure: true, required: true },
        maxUnauthenticatedCommands: 3,
      },
      ['NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n'],
    );
    expect(output.match(/250 2.0.0 OK/g)).toHaveLength(3);
    expect(output).toMatch(/421 4.7.0 h Too many commands before authentication\r\n$/);
    expect(events.at(-1)).toEqual({ type: 'closed', reason: 'errors' });
  });
});
