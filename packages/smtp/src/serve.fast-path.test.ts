/**
 * serve() has fast paths: a transport that returns `WRITTEN` from write() is not awaited, a
 * transport with `readNext()` hands input over without a promise (at once or from its own
 * event), and absent onConnect/onHelo/onMailFrom/onRcptTo hooks are settled without the general
 * hook machinery. These tests pin each fast path to the general path: the same input, cut
 * anywhere, must give byte-identical output and the same envelope.
 */
import {
  type ConnectionInfo,
  concatBytes,
  latin1,
  type ReadResult,
  type Transport,
  utf8,
  WRITTEN,
} from '@mailwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SmtpHooks, serve } from './serve.js';

const INFO: ConnectionInfo = {
  localAddress: '127.0.0.1',
  localPort: 25,
  remoteAddress: '192.0.2.1',
  remotePort: 4000,
  secure: false,
};

/**
 * How the scripted transport hands out input: `read()` promises (the general path), or
 * `readNext()` calling back at once (input already queued) or later (from its own event).
 */
type Reads = 'promise' | 'now' | 'later';

/**
 * A scripted transport: hands out `chunks` one per read, then the end. `sync` makes write()
 * return `WRITTEN` (the fast path) instead of a fresh resolved promise (the general path).
 */
function scripted(
  chunks: readonly Uint8Array[],
  sync: boolean,
  reads: Reads,
): Transport & { output(): string } {
  const written: Uint8Array[] = [];
  let next = 0;
  let pending = false;
  const take = (): ReadResult => {
    const bytes = chunks[next++];
    return bytes === undefined ? { type: 'end' } : { type: 'data', bytes };
  };
  const transport: Transport & { output(): string } = {
    info: INFO,
    read(): Promise<ReadResult> {
      return Promise.resolve(take());
    },
    write(bytes: Uint8Array): Promise<void> {
      written.push(bytes.slice());
      return sync ? WRITTEN : Promise.resolve();
    },
    end: () => Promise.resolve(),
    destroy: () => undefined,
    startTls: () => Promise.reject(new Error('no TLS here')),
    output: () => latin1(concatBytes(written)),
  };
  if (reads === 'promise') return transport;
  transport.readNext = (callback) => {
    // The contract: one read pending at a time.
    if (pending) throw new Error('two reads pending');
    if (reads === 'now') {
      callback(take());
      return;
    }
    pending = true;
    queueMicrotask(() => {
      pending = false;
      callback(take());
    });
  };
  return transport;
}

/** Cuts `text` at the given offsets (sorted, deduplicated, inside the text). */
function cut(text: string, at: readonly number[]): Uint8Array[] {
  const bytes = utf8(text);
  const points = [...new Set(at.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    if (p > start) out.push(bytes.subarray(start, p));
    start = p;
  }
  return out;
}

async function run(
  text: string,
  at: readonly number[],
  hooks: SmtpHooks,
  sync: boolean,
  reads: Reads = 'promise',
) {
  const transport = scripted(cut(text, at), sync, reads);
  const envelopes: string[] = [];
  const reason = await serve(
    transport,
    {
      ...hooks,
      async onData(message, envelope) {
        let body = '';
        for await (const chunk of message) body += latin1(chunk);
        envelopes.push(
          `${envelope.from?.localPart}|${envelope.recipients.map((r) => `${r.to.localPart}@${r.to.domain}`).join(',')}|${body.length}`,
        );
      },
    },
    { hostname: 'mx.example', maxRecipients: 3, extensions: { pipelining: true } },
  );
  return { output: transport.output(), envelopes, reason };
}

/** Hooks that are present but accept everything: the general path of what absent hooks do. */
const acceptingHooks: SmtpHooks = {
  onConnect: () => undefined,
  onHelo: () => undefined,
  onMailFrom: () => undefined,
  onRcptTo: () => undefined,
};

const transcript = [
  'EHLO client.example\r\n',
  'MAIL FROM:<alice@example.org>\r\n',
  'RCPT TO:<bob@example.net>\r\n',
  'RCPT TO:<Postmaster>\r\n',
  'RCPT TO:<carol@example.net>\r\n',
  'RCPT TO:<dave@example.net>\r\n', // over maxRecipients: 452
  'RCPT TO:<bad address>\r\n',
  'DATA\r\n',
  'Subject: hi\r\n\r\nbody\r\n..dot\r\n.\r\n',
  'RSET\r\nMAIL FROM:<>\r\nRCPT TO:<x@example.com>\r\nDATA\r\nshort\r\n.\r\n',
  'NOOP\r\nQUIT\r\n',
].join('');

describe('serve() fast paths', () => {
  it('WRITTEN, readNext() and absent hooks give the same bytes as the general path (transcript cut anywhere)', async () => {
    const reference = await run(transcript, [], acceptingHooks, false);
    expect(reference.output).toContain('452 4.5.3');
    expect(reference.envelopes).toEqual([
      'alice|bob@example.net,Postmaster@,carol@example.net|27',
      'undefined|x@example.com|7',
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(transcript.length), { maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<Reads>('promise', 'now', 'later'),
        async (at, sync, absentHooks, reads) => {
          const got = await run(transcript, at, absentHooks ? {} : acceptingHooks, sync, reads);
          expect(got).toEqual(reference);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a refusing hook still wins over the fast paths', async () => {
    const refuse: SmtpHooks = {
      onRcptTo: (to) =>
        to.localPart === 'bob' ? { code: 550, enhanced: '5.1.1', text: 'No such user' } : undefined,
    };
    for (const [sync, reads] of [
      [false, 'promise'],
      [true, 'now'],
      [true, 'later'],
    ] as const) {
      const got = await run(transcript, [], refuse, sync, reads);
      expect(got.output).toContain('550 5.1.1 No such user');
      expect(got.envelopes[0]).toBe('alice|Postmaster@,carol@example.net,dave@example.net|27');
    }
  });
});
