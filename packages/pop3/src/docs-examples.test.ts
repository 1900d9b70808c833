/** The examples of docs/pop3.md, run as written. */
import { latin1 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { parseCommand, Pop3ServerSession, serializeResponse } from './index.js';

describe('docs/pop3.md examples', () => {
  it('Pop3ServerSession event loop', () => {
    const messages = [
      { size: 22, uidl: '1.1', bytes: new TextEncoder().encode('Subject: hi\r\n\r\nHello\r\n') },
    ];
    const session = new Pop3ServerSession<(typeof messages)[number]>({ allowInsecureAuth: true });
    session.receive(new TextEncoder().encode('USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n'));
    for (;;) {
      const event = session.next();
      if (event?.type === 'auth') {
        const c = event.credentials;
        if (c.mechanism === 'USER' && c.password === 'secret') event.decision.accept();
        else event.decision.reject();
      } else if (event?.type === 'maildrop') {
        event.decision.accept(messages); // lock it first; reject({ code: 'IN-USE' }) if you cannot
      } else if (event?.type === 'retrieve') {
        event.decision.accept([event.message.bytes]); // any (async) iterable of chunks
      } else if (event?.type === 'commit') {
        event.decision.accept(); // remove event.deleted from the store
      } else if (event === undefined) {
        const body = session.pendingBody(); // a RETR/TOP waiting for its chunks
        if (!body) break;
        for (const chunk of body.source as Iterable<Uint8Array>) if (!body.push(chunk)) break;
        body.end();
      }
    }
    const sent: Uint8Array[] = []; // what goes to the socket, in order
    for (let bytes = session.output(); bytes; bytes = session.output()) sent.push(bytes);
    expect(sent.map(latin1).join('')).toBe(
      '+OK POP3 server ready\r\n+OK send PASS\r\n+OK maildrop locked and ready, 1 message (22 octets)\r\n' +
        '+OK 22 octets\r\nSubject: hi\r\n\r\nHello\r\n.\r\n+OK POP3 server signing off (1 message left)\r\n',
    );
  });

  it('codec', () => {
    expect(parseCommand(new TextEncoder().encode('TOP 1 10'))).toEqual({
      ok: true,
      command: { name: 'TOP', message: 1, lines: 10 },
    });
    expect(parseCommand(new TextEncoder().encode('FOO'))).toEqual({
      ok: false,
      error: 'unknown',
      keyword: 'FOO',
      message: 'unknown command',
    });
    expect(
      latin1(serializeResponse({ type: 'status', ok: false, code: 'IN-USE', text: 'maildrop locked' })),
    ).toBe('-ERR [IN-USE] maildrop locked\r\n');
  });
});
