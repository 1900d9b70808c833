import { concatBytes, latin1, utf8 } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmtpServerSession } from '../server-session.js';
import type { RecipientResult } from './client-events.js';
import { SmtpClientSession } from './client-session.js';

/**
 * The two sans-I/O sessions wired to each other with no driver and no transport: bytes move
 * between them in pieces of `cut` octets. The server accepts all but `nobody@…`.
 */
function run(body: Uint8Array, cut: number, extensions: Record<string, boolean>) {
  const server = new SmtpServerSession({ hostname: 'mx.example', extensions });
  const client = new SmtpClientSession({ hostname: 'client.example' });
  const received: Uint8Array[] = [];
  const results: RecipientResult[][] = [];
  let sent = false;
  for (let round = 0; round < 10_000; round++) {
    let moved = false;
    for (let e = server.next(); e; e = server.next()) {
      moved = true;
      if (e.type === 'connect' || e.type === 'helo' || e.type === 'mailFrom') e.decision.accept();
      else if (e.type === 'rcptTo')
        e.to.localPart === 'nobody' ? e.decision.reject(550, '5.1.1', 'No such user') : e.decision.accept();
      else if (e.type === 'data') received.push(e.chunk.slice());
      else if (e.type === 'dataEnd') e.decision.accept();
    }
    for (let e = client.next(); e; e = client.next()) {
      moved = true;
      if (e.type === 'ready') {
        if (sent) client.quit();
        else {
          sent = true;
          client.send({
            from: 'a@example.org',
            to: ['b@example.com', 'nobody@example.com'],
            size: body.length,
          });
        }
      } else if (e.type === 'body') {
        for (let i = 0; i < body.length; i += 1000) client.writeBody(body.subarray(i, i + 1000));
        client.endBody();
      } else if (e.type === 'result') results.push([...e.result.recipients]);
    }
    for (let out = server.output(); out; out = server.output()) {
      moved = true;
      for (let i = 0; i < out.length; i += cut) client.receive(out.subarray(i, i + cut));
    }
    for (let out = client.output(); out; out = client.output()) {
      moved = true;
      for (let i = 0; i < out.length; i += cut) server.receive(out.subarray(i, i + cut));
    }
    if (!moved) break;
  }
  return { received: concatBytes(received), results, clientState: client.state };
}

describe('SmtpClientSession ⇄ SmtpServerSession (no I/O at all)', () => {
  for (const [name, extensions] of [
    ['DATA with PIPELINING', {}],
    ['DATA without PIPELINING', { pipelining: false }],
    ['BDAT', { chunking: true }],
  ] as const) {
    it(`${name}: the message arrives byte for byte, results per recipient, QUIT`, () => {
      const body = utf8(
        `Subject: x\r\n\r\n.starts with a dot\r\n${'line\r\n'.repeat(500)}.\r\n..\r\nend\r\n`,
      );
      const r = run(body, 7, extensions);
      expect(latin1(r.received)).toBe(latin1(body));
      expect(r.results.map((x) => x.map((y) => `${y.to} ${y.status}`))).toEqual([
        ['b@example.com sent', 'nobody@example.com permanent'],
      ]);
      expect(r.clientState).toBe('closed');
    });
  }

  it('any CRLF-terminated body survives the trip, at any cut size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('.', '..', 'x', '', '.\r', 'é'), fc.string({ maxLength: 20 })), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        (lines, cut, chunking) => {
          const text = lines.map((l) => l.replace(/[\r\n]/g, '')).join('\r\n');
          const body = utf8(text === '' ? '' : `${text}\r\n`);
          const r = run(body, cut, { chunking });
          expect(latin1(r.received)).toBe(latin1(body));
        },
      ),
      { numRuns: 100 },
    );
  });
});
