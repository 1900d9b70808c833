import { createTransportPair, latin1, type MemoryTransport, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { ReplyParser, type SmtpReply } from './reply.js';
import { type SmtpHooks, serve } from './serve.js';

/** A scripted client over the in-memory pair. */
function client(transport: MemoryTransport) {
  const parser = new ReplyParser();
  return {
    send(text: string) {
      void transport.write(utf8(text));
    },
    async reply(): Promise<SmtpReply> {
      for (;;) {
        const r = parser.next();
        if (r?.type === 'reply') return r.reply;
        if (r?.type === 'error') throw new Error(r.code);
        const input = await transport.read();
        if (input.type !== 'data') throw new Error(`connection ${input.type}`);
        parser.push(input.bytes);
      }
    },
    async closed(): Promise<boolean> {
      for (;;) {
        const input = await transport.read();
        if (input.type === 'end') return true;
      }
    },
  };
}

const line = (r: SmtpReply) => `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} ${r.lines.at(-1)}`;

async function session(
  hooks: SmtpHooks,
  script: (c: ReturnType<typeof client>) => Promise<void>,
  options = {},
) {
  const [c, s] = createTransportPair();
  const done = serve(s, hooks, { hostname: 'mx.example', ...options });
  await script(client(c));
  return done;
}

describe('serve()', () => {
  it('runs a transaction through the hooks and streams the message to onData', async () => {
    const received: string[] = [];
    const calls: string[] = [];
    const reason = await session(
      {
        onConnect: (info) => {
          calls.push(`connect ${info.remoteAddress}`);
          return undefined;
        },
        onHelo: (domain) => {
          calls.push(`helo ${domain}`);
          return undefined;
        },
        onMailFrom: async (from) => {
          await new Promise((r) => setTimeout(r, 5));
          calls.push(`mail ${from?.localPart}`);
          return undefined;
        },
        onRcptTo: async (to) =>
          to.localPart === 'nobody' ? { code: 550, enhanced: '5.1.1', text: 'No such user' } : undefined,
        async onData(message, envelope) {
          let text = '';
          for await (const chunk of message) text += latin1(chunk);
          received.push(`${envelope.recipients.map((r) => r.to.localPart).join(',')}|${text}`);
        },
        onClose: (why) => {
          calls.push(`close ${why}`);
        },
      },
      async (c) => {
        expect(line(await c.reply())).toBe('220 mx.example ESMTP');
        // Everything pipelined in one packet (RFC 2920): replies come back in order.
        c.send('EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<nobody@d>\r\nRCPT TO:<bob@d>\r\nDATA\r\n');
        expect((await c.reply()).code).toBe(250);
        expect(line(await c.reply())).toBe('250 2.1.0 OK');
        expect(line(await c.reply())).toBe('550 5.1.1 No such user');
        expect(line(await c.reply())).toBe('250 2.1.5 OK');
        expect((await c.reply()).code).toBe(354);
        c.send('Subject: x\r\n\r\n..hello\r\n.\r\nQUIT\r\n');
        expect(line(await c.reply())).toBe('250 2.0.0 OK: message accepted');
        expect(line(await c.reply())).toBe('221 2.0.0 mx.example closing connection');
        expect(await c.closed()).toBe(true);
      },
    );
    expect(reason).toBe('quit');
    expect(received).toEqual(['bob|Subject: x\r\n\r\n.hello\r\n']);
    expect(calls).toEqual(['connect 127.0.0.1', 'helo c', 'mail a', 'close quit']);
  });

  it('refuses the message with 451 when no onData hook is set, and 451 when a hook throws', async () => {
    await session({ onRcptTo: () => Promise.reject(new Error('db down')) }, async (c) => {
      await c.reply();
      c.send('EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nQUIT\r\n');
      await c.reply();
      await c.reply();
      expect(line(await c.reply())).toBe('451 4.3.0 Temporary local problem, try again later');
    });
    await session({}, async (c) => {
      await c.reply();
      c.send('EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n');
      for (let i = 0; i < 4; i++) await c.reply();
      c.send('x\r\n.\r\nQUIT\r\n');
      expect(line(await c.reply())).toBe('451 4.3.0 Message handling not configured');
    });
  });

  it('applies backpressure: a slow consumer stops the driver reading', async () => {
    const [c, s] = createTransportPair();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let total = 0;
    const done = serve(
      s,
      {
        async onData(message) {
          await gate;
          for await (const chunk of message) total += chunk.length;
          return undefined;
        },
      },
      { hostname: 'mx.example', highWaterMark: 1000 },
    );
    const cl = client(c);
    await cl.reply();
    cl.send('EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n');
    for (let i = 0; i < 4; i++) await cl.reply();
    const chunk = `${'x'.repeat(98)}\r\n`.repeat(10);
    for (let i = 0; i < 20; i++) cl.send(chunk);
    cl.send('.\r\nQUIT\r\n');
    await new Promise((r) => setTimeout(r, 20));
    // The driver stopped reading: most of what the client sent still waits in the transport.
    expect((s as unknown as { queue: unknown[] }).queue.length).toBeGreaterThan(10);
    release();
    expect(line(await cl.reply())).toBe('250 2.0.0 OK: message accepted');
    expect(total).toBe(20_000);
    await done;
  });

  it('upgrades with STARTTLS over the transport and forgets the plaintext state', async () => {
    let tls = '';
    await session(
      { onStartTls: (info) => void (tls = info.protocol ?? '') },
      async (c) => {
        await c.reply();
        c.send('EHLO c\r\n');
        expect((await c.reply()).lines).toContain('STARTTLS');
        c.send('STARTTLS\r\n');
        expect(line(await c.reply())).toBe('220 2.0.0 Ready to start TLS');
        c.send('MAIL FROM:<>\r\n');
        expect(line(await c.reply())).toBe('503 5.5.1 Send EHLO/HELO first');
        c.send('EHLO c\r\n');
        const ehlo = await c.reply();
        expect(ehlo.lines).not.toContain('STARTTLS');
        expect(ehlo.lines).toContain('REQUIRETLS');
        c.send('QUIT\r\n');
        await c.reply();
      },
      { starttls: true },
    );
    expect(tls).toBe('memory');
  });

  it('authenticates with onAuth and delays failures with sleep', async () => {
    const slept: number[] = [];
    await session(
      {
        onAuth: (cred) => cred.mechanism === 'PLAIN' && cred.password === 'pw',
      },
      async (c) => {
        await c.reply();
        c.send(`EHLO c\r\nAUTH PLAIN ${btoa('\0u\0bad')}\r\nAUTH PLAIN ${btoa('\0u\0pw')}\r\nQUIT\r\n`);
        await c.reply();
        expect(line(await c.reply())).toBe('535 5.7.8 Authentication credentials invalid');
        expect(line(await c.reply())).toBe('235 2.7.0 Authentication successful');
      },
      {
        auth: { mechanisms: ['PLAIN'], allowInsecure: true },
        sleep: async (ms: number) => void slept.push(ms),
      },
    );
    expect(slept).toEqual([1000]);
  });

  it('ends the onData stream with an error when the peer disappears mid-message', async () => {
    const [c, s] = createTransportPair();
    let failure: unknown;
    const done = serve(
      s,
      {
        async onData(message) {
          try {
            for await (const _ of message);
          } catch (error) {
            failure = error;
            throw error;
          }
          return undefined;
        },
      },
      { hostname: 'mx.example' },
    );
    const cl = client(c);
    await cl.reply();
    cl.send('EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\npartial');
    for (let i = 0; i < 4; i++) await cl.reply();
    c.destroy();
    expect(await done).toBe('peer');
    expect(failure).toMatchObject({ code: 'ERR_TRANSPORT_CLOSED' });
  });

  it('answers 421 on an idle timeout', async () => {
    const [c, s] = createTransportPair();
    const done = serve(s, {}, { hostname: 'mx.example' });
    const cl = client(c);
    await cl.reply();
    s.fireTimeout();
    expect(line(await cl.reply())).toBe('421 4.4.2 mx.example Timeout, mx.example closing connection');
    expect(await done).toBe('timeout');
  });
});

describe('serve(): early talkers', () => {
  it('refuses a client that talks before the greeting, without delaying an honest one', async () => {
    const [c, s] = createTransportPair();
    void c.write(utf8('EHLO eager\r\n'));
    const done = serve(s, {}, { hostname: 'mx.example', rejectEarlyTalkers: true });
    const cl = client(c);
    expect(line(await cl.reply())).toBe('220 mx.example ESMTP');
    expect(line(await cl.reply())).toBe('554 5.5.1 mx.example Protocol error: talked before greeting');
    expect(await done).toBe('earlyTalker');

    const [c2, s2] = createTransportPair();
    const done2 = serve(s2, {}, { hostname: 'mx.example', rejectEarlyTalkers: true });
    const honest = client(c2);
    expect((await honest.reply()).code).toBe(220);
    honest.send('EHLO patient\r\nQUIT\r\n');
    expect((await honest.reply()).code).toBe(250);
    expect((await honest.reply()).code).toBe(221);
    expect(await done2).toBe('quit');
  });
});

describe('serve(): onData that does not read', () => {
  it('drains the rest of the message and answers with the hook reply', async () => {
    await session(
      { onData: async () => ({ code: 554, enhanced: '5.7.1', text: 'Spam' }) },
      async (c) => {
        await c.reply();
        c.send('EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n');
        for (let i = 0; i < 4; i++) await c.reply();
        for (let i = 0; i < 50; i++) c.send(`${'z'.repeat(1000)}\r\n`);
        c.send('.\r\nNOOP\r\n');
        expect(line(await c.reply())).toBe('554 5.7.1 Spam');
        expect(line(await c.reply())).toBe('250 2.0.0 OK');
        c.send('QUIT\r\n');
        await c.reply();
      },
      { highWaterMark: 1000 },
    );
  });
  it('drops the rest of a message the consumer stopped reading, and answers once the data ends', async () => {
    let seen = 0;
    await session(
      {
        async onData(message) {
          for await (const chunk of message) {
            seen += chunk.length;
            break;
          }
          return { code: 550, enhanced: '5.7.1', text: 'Seen enough' };
        },
      },
      async (c) => {
        await c.reply();
        c.send('EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n');
        for (let i = 0; i < 4; i++) await c.reply();
        c.send('first\r\n');
        // Far more than the high-water mark after the consumer left: dropped, never blocking.
        for (let i = 0; i < 100; i++) c.send(`${'z'.repeat(1000)}\r\n`);
        c.send('.\r\nNOOP\r\n');
        expect(line(await c.reply())).toBe('550 5.7.1 Seen enough');
        expect(line(await c.reply())).toBe('250 2.0.0 OK');
        c.send('QUIT\r\n');
        await c.reply();
      },
      { highWaterMark: 1000 },
    );
    expect(seen).toBe('first\r\n'.length);
  });

  it('takes plain (non-promise) hook results, and 454 when onAuth returns nothing', async () => {
    const seen: string[] = [];
    await session(
      {
        onHelo: (domain) => void seen.push(`helo ${domain}`),
        onMailFrom: (from) =>
          from === null ? { code: 550, enhanced: '5.7.1', text: 'No bounces' } : undefined,
        onRcptTo: (to) => void seen.push(`rcpt ${to.localPart}`),
        onAuth: () => undefined as unknown as boolean,
      },
      async (c) => {
        await c.reply();
        c.send(
          `EHLO c\r\nAUTH PLAIN ${btoa('\0u\0pw')}\r\nMAIL FROM:<>\r\nMAIL FROM:<x@y>\r\nRCPT TO:<r@y>\r\nQUIT\r\n`,
        );
        await c.reply();
        expect(line(await c.reply())).toBe('454 4.7.0 Temporary authentication failure');
        expect(line(await c.reply())).toBe('550 5.7.1 No bounces');
        expect(line(await c.reply())).toBe('250 2.1.0 OK');
        expect(line(await c.reply())).toBe('250 2.1.5 OK');
        expect(line(await c.reply())).toMatch(/^221 /);
      },
      { auth: { mechanisms: ['PLAIN'], allowInsecure: true } },
    );
    expect(seen).toEqual(['helo c', 'rcpt r']);
  });
});
