import { concatBytes, utf8 } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyParser } from './reply.js';
import type { SmtpServerEvent } from './server-events.js';
import { SmtpServerSession } from './server-session.js';

const vocabulary = [
  'EHLO c\r\n',
  'HELO c\r\n',
  'LHLO c\r\n',
  'MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME\r\n',
  'MAIL FROM:<>\r\n',
  'RCPT TO:<x@y> NOTIFY=NEVER\r\n',
  'RCPT TO:<postmaster>\r\n',
  'DATA\r\n',
  'hello\r\n.\r\n',
  '\n.\n',
  '.\r\n',
  'BDAT 3\r\nabc',
  'BDAT 0 LAST\r\n',
  'BDAT 4 LAST\r\n\r\n.\r',
  'RSET\r\n',
  'NOOP\r\n',
  'STARTTLS\r\n',
  'AUTH PLAIN AGEAYg==\r\n',
  'AUTH LOGIN\r\n',
  'YQ==\r\n',
  '*\r\n',
  'VRFY x\r\n',
  'QUIT\r\n',
  'GET / HTTP/1.1\r\n',
  'x'.repeat(3000),
  '\r\n',
];

const input = fc.array(fc.oneof(fc.constantFrom(...vocabulary).map(utf8), fc.uint8Array({ maxLength: 40 })), {
  maxLength: 25,
});

describe('SmtpServerSession properties', () => {
  it('any input, any split, any decisions: never throws, well-formed replies, one closed event, bounded buffer', () => {
    fc.assert(
      fc.property(
        input,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.infiniteStream(fc.boolean()),
        fc.boolean(),
        fc.constantFrom('close', 'timeout', 'shutdown', 'none'),
        (parts, cuts, choices, lmtp, ending) => {
          const bytes = concatBytes(parts);
          const session = new SmtpServerSession({
            hostname: 'mx.example',
            lmtp,
            starttls: true,
            maxCommandLine: 512,
            maxMessageSize: 50,
            auth: { mechanisms: ['PLAIN', 'LOGIN'], allowInsecure: true },
            maxErrors: 50,
          });
          const events: SmtpServerEvent[] = [];
          const replies = new ReplyParser();
          const answer = () => {
            for (let e = session.next(); e; e = session.next()) {
              events.push(e);
              const yes = choices.next().value;
              if (e.type === 'starttls') session.tlsStarted({});
              else if (e.type === 'dataEnd' && lmtp && yes)
                e.decision.perRecipient(e.recipients.map(() => 'accept'));
              else if ('decision' in e) {
                if (yes) e.decision.accept();
                else e.decision.reject(550, '5.7.1', 'no');
              }
            }
            for (let out = session.output(); out; out = session.output()) replies.push(out);
          };
          answer();
          const points = [...cuts.map((c) => c % (bytes.length + 1)), bytes.length].sort((a, b) => a - b);
          let prev = 0;
          for (const p of points) {
            session.receive(bytes.slice(prev, p));
            prev = p;
            answer();
            expect(session.buffered).toBeLessThan(512 + 3 + 200);
          }
          if (ending === 'close') session.close();
          else if (ending === 'timeout') session.timeout();
          else if (ending === 'shutdown') session.shutdown();
          answer();
          for (let r = replies.next(); r; r = replies.next()) {
            expect(r.type).toBe('reply');
            // RFC 2034 §3: every 4xx/5xx reply carries an enhanced status code.
            if (r.type === 'reply' && r.reply.code >= 400) expect(r.reply.enhanced).toMatch(/^[45]\./);
          }
          expect(events.filter((e) => e.type === 'closed').length).toBeLessThanOrEqual(1);
          const closedAt = events.findIndex((e) => e.type === 'closed');
          if (closedAt >= 0) expect(closedAt).toBe(events.length - 1);
          if (ending === 'close' || ending === 'timeout') expect(closedAt).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
