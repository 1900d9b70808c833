/** The examples of docs/smtp.md, run as written. */
import { describe, expect, it } from 'vitest';
import { SmtpServerSession } from './index.js';
import { parseCommand, ReplyParser, reply, serializeCommand, serializeReply } from './index.js';

describe('docs/smtp.md examples', () => {
  it('the event loop', () => {
    const session = new SmtpServerSession({ hostname: 'mx.example.org' });
    session.receive(new TextEncoder().encode('EHLO c\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n'));
    for (let event = session.next(); event; event = session.next()) {
      if (event.type === 'mailFrom') event.decision.reject(550, '5.7.1', 'Not today');
      else if ('decision' in event) event.decision.accept();
    }
    const text = new TextDecoder().decode(session.output());
    expect(text).toMatch(/^220 mx.example.org ESMTP\r\n250-mx.example.org greets c\r\n/);
    expect(text).toMatch(
      /250 DSN\r\n550 5.7.1 Not today\r\n221 2.0.0 mx.example.org closing connection\r\n$/,
    );
  });

  it('the codec', () => {
    expect(parseCommand(new TextEncoder().encode('MAIL FROM:<a@b.example> SIZE=100'))).toMatchObject({
      ok: true,
      command: { verb: 'MAIL', from: { localPart: 'a', domain: 'b.example' }, params: { size: 100 } },
    });
    const rcpt = serializeCommand({
      verb: 'RCPT',
      to: { localPart: 'x', domain: 'y', domainType: 'name', utf8: false },
      params: { notify: [] },
    });
    expect(new TextDecoder().decode(rcpt)).toBe('RCPT TO:<x@y> NOTIFY=NEVER\r\n');
    const bytes = serializeReply(reply(250, '2.1.0', 'OK'));
    expect(new TextDecoder().decode(bytes)).toBe('250 2.1.0 OK\r\n');
    const parser = new ReplyParser();
    parser.push(bytes);
    expect(parser.next()).toEqual({ type: 'reply', reply: { code: 250, enhanced: '2.1.0', lines: ['OK'] } });
  });
});
