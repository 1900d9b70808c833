import { fromLatin1, latin1 } from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeStore, SAMPLE } from '../../test/helpers.js';
import { parseResponses } from '../codec/response-parser.js';
import { ImapServerSession } from './server-session.js';

/** Drives a session without a transport: feeds all chunks, answers decisions, collects output. */
async function run(chunks: Uint8Array[], lastTag: string, settle = false): Promise<string> {
  const store = await makeStore();
  const session = new ImapServerSession({ store, allowInsecureAuth: true, now: () => 0, hostname: 'test' });
  for (const chunk of chunks) session.receive(chunk);
  let text = '';
  const end = new RegExp(`(^|\\n)${lastTag} (OK|NO|BAD)[^\\n]*\\r\\n`);
  let quiet = 0;
  for (let rounds = 0; rounds < 10_000; rounds++) {
    const before = text.length;
    for (let o = session.output(); o !== undefined; o = session.output()) text += latin1(o);
    quiet = text.length === before ? quiet + 1 : 0;
    if (settle && quiet > 3) return text;
    for (let e = session.next(); e !== undefined; e = session.next()) {
      if (e.type === 'login') {
        const account = await store.accounts.verifyPassword(e.username, e.password);
        if (account === undefined) e.decision.reject();
        else e.decision.accept(account);
      }
    }
    if (end.test(text) || session.state === 'closed') return text;
    await Promise.race([session.changed(), new Promise((r) => setTimeout(r, settle ? 5 : 20))]);
  }
  throw new Error(`no ${lastTag} reply: ${text}`);
}

const TRANSCRIPT = [
  'a1 CAPABILITY',
  'a2 LOGIN {17}\r\nalice@example.com "secret"',
  `a3 APPEND INBOX (\\Seen) {${SAMPLE.length}+}\r\n${SAMPLE}`,
  'a4 SELECT INBOX',
  'a5 FETCH 1 (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM)] BODYSTRUCTURE)',
  'a6 UID SEARCH RETURN (COUNT) FROM "alice"',
  'a7 STORE 1 -FLAGS (\\Seen)',
  'a8 LOGOUT',
]
  .map((line) => `${line}\r\n`)
  .join('');

describe('ImapServerSession (sans-I/O)', () => {
  it('answers a whole transcript in command order', async () => {
    const out = await run([fromLatin1(TRANSCRIPT)], 'a8');
    const tags = [...out.matchAll(/^(a\d) (OK|NO|BAD)/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(tags).toEqual(['a1 OK', 'a2 OK', 'a3 OK', 'a4 OK', 'a5 OK', 'a6 OK', 'a7 OK', 'a8 OK']);
    expect(out).toContain('+ Ready for literal data\r\n');
    expect(out).toContain('* ESEARCH (TAG "a6") UID COUNT 1');
    // The message appended before SELECT is \\Recent in this, the first session to see it.
    expect(out).toContain('* 1 FETCH (FLAGS (\\Recent))');
    // Every byte the server sent parses as IMAP responses.
    expect(parseResponses(fromLatin1(out)).every((r) => r.ok)).toBe(true);
  });

  it('gives the same output whatever the input split (one byte at a time, and two pieces)', async () => {
    const whole = await run([fromLatin1(TRANSCRIPT)], 'a8');
    const bytes = fromLatin1(TRANSCRIPT);
    const single = await run(
      Array.from(bytes, (b) => Uint8Array.of(b)),
      'a8',
    );
    expect(single).toBe(whole);
    for (let at = 1; at < bytes.length; at += 7) {
      expect(await run([bytes.slice(0, at), bytes.slice(at)], 'a8')).toBe(whole);
    }
  });

  it('never throws on random input and answers only with valid responses', async () => {
    const alphabet = fc.constantFrom(
      ...[
        'a2 LOGIN alice@example.com secret\r\n',
        'b SELECT INBOX\r\n',
        'c APPEND INBOX {1+}\r\nx\r\n',
        'a1 ',
        'LOGIN ',
        'SELECT ',
        'FETCH ',
        '1:* ',
        '{3}\r\n',
        '{2+}\r\n',
        '"x" ',
        '(',
        ')',
        '\r\n',
        'DONE',
        'IDLE',
        '*',
        '~{1}\r\n',
        '\0',
      ],
    );
    await fc.assert(
      fc.asyncProperty(fc.array(alphabet, { maxLength: 30 }), async (parts) => {
        const input = `${parts.join('')}\r\nzz NOOP\r\n`;
        const out = await run([fromLatin1(input)], 'zz', true);
        expect(parseResponses(fromLatin1(out)).every((r) => r.ok)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('never throws on random raw bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const out = await run([bytes, fromLatin1('\r\nzz NOOP\r\n')], 'zz', true);
        expect(parseResponses(fromLatin1(out)).every((r) => r.ok)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('ImapServerSession limits and misuse', () => {
  it('says BYE after too many bad commands in a row, with protocolError events', async () => {
    const store = await makeStore();
    const session = new ImapServerSession({ store, maxErrors: 3 });
    session.receive(fromLatin1('a FROB\r\nb FROB\r\nc FROB\r\nd NOOP\r\n'));
    let text = '';
    for (let o = session.output(); o !== undefined; o = session.output()) text += latin1(o);
    const events = [];
    for (let e = session.next(); e !== undefined; e = session.next()) events.push(e.type);
    expect(text).toContain('* BYE Too many errors');
    expect(text).not.toContain('d OK');
    expect(events).toEqual(['protocolError', 'protocolError', 'protocolError', 'closed']);
    expect(session.state).toBe('closed');
    expect(() => session.receive(fromLatin1('x NOOP\r\n'))).toThrow();
  });

  it('answers an idle timeout with BYE and closes', async () => {
    const store = await makeStore();
    const session = new ImapServerSession({ store });
    session.timeout();
    let text = '';
    for (let o = session.output(); o !== undefined; o = session.output()) text += latin1(o);
    expect(text).toMatch(/\* BYE [^\n]*\r\n$/);
    expect(session.next()).toEqual({ type: 'closed', reason: 'timeout' });
  });

  it('throws on a decision settled twice', async () => {
    const store = await makeStore();
    const session = new ImapServerSession({ store, allowInsecureAuth: true });
    session.receive(fromLatin1('a LOGIN alice@example.com secret\r\n'));
    let event = session.next();
    for (let i = 0; i < 50 && event?.type !== 'login'; i++) {
      await new Promise((r) => setTimeout(r, 1));
      event = session.next();
    }
    if (event?.type !== 'login') throw new Error('no login event');
    event.decision.reject();
    expect(() => event.decision.reject()).toThrow(/already settled/);
  });
});
