import { utf8 } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmtpClientSession } from './client-session.js';

describe('SmtpClientSession properties', () => {
  it('random server bytes never throw, and every queued message gets exactly one result', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...REPLIES.map((r) => utf8(r)))),
          {
            maxLength: 30,
          },
        ),
        (chunks) => {
          const session = new SmtpClientSession({ hostname: 'c.example' });
          session.send({ from: 'a@example.org', to: ['b@example.com', 'c@example.com'] });
          let results = 0;
          let closed = 0;
          const pump = () => {
            for (let e = session.next(); e; e = session.next()) {
              if (e.type === 'result') results++;
              if (e.type === 'closed') closed++;
              if (e.type === 'body') {
                session.writeBody(utf8('x\r\n'));
                session.endBody();
              }
              if (e.type === 'starttls') session.tlsStarted();
            }
            while (session.output());
          };
          for (const chunk of chunks) {
            session.receive(chunk);
            pump();
          }
          session.close();
          pump();
          expect(results).toBe(1);
          expect(closed).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const REPLIES = [
  '220 mx\r\n',
  '250-mx\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 STARTTLS\r\n',
  '250 OK\r\n',
  '354 go\r\n',
  '550 5.1.1 no\r\n',
  '451 4.3.0 later\r\n',
  '503 bad sequence\r\n',
  '221 bye\r\n',
];
