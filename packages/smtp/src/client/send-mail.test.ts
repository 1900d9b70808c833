import { concatBytes, createTransportPair, latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { serve, type SmtpHooks } from '../serve.js';
import { SmtpClient, sendMail } from './send-mail.js';

interface Received {
  from: string;
  to: string[];
  body: string;
  params: unknown;
}

function server(hooks: SmtpHooks = {}, options: Record<string, unknown> = {}) {
  const [client, peer] = createTransportPair();
  const received: Received[] = [];
  const done = serve(
    peer,
    {
      onRcptTo: (to) =>
        to.localPart === 'nobody' ? { code: 550, enhanced: '5.1.1', text: 'No such user' } : undefined,
      async onData(message, envelope) {
        const parts: Uint8Array[] = [];
        for await (const chunk of message) parts.push(chunk.slice());
        received.push({
          from: envelope.from ? `${envelope.from.localPart}@${envelope.from.domain}` : '',
          to: envelope.recipients.map((r) => `${r.to.localPart}@${r.to.domain}`),
          body: latin1(concatBytes(parts)),
          params: envelope.mailParams,
        });
        return undefined;
      },
      ...hooks,
    },
    { hostname: 'mx.example.com', ...options },
  );
  return { client, received, done };
}

const MESSAGE = 'Subject: test\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n';

describe('sendMail() against SmtpServerSession', () => {
  it('delivers a message with per-recipient results and the body byte for byte', async () => {
    const s = server();
    const result = await sendMail(s.client, {
      hostname: 'client.example',
      from: 'alice@example.org',
      to: ['bob@example.com', 'nobody@example.com'],
      message: utf8(MESSAGE),
    });
    expect(result.recipients.map((r) => `${r.to} ${r.status} ${r.reply.code}`)).toEqual([
      'bob@example.com sent 250',
      'nobody@example.com permanent 550',
    ]);
    expect(await s.done).toBe('quit');
    expect(s.received).toEqual([
      { from: 'alice@example.org', to: ['bob@example.com'], body: MESSAGE, params: { size: MESSAGE.length } },
    ]);
  });

  it('streams an async iterable body in chunks', async () => {
    const s = server();
    const line = `${'x'.repeat(70)}\r\n`;
    async function* body() {
      yield utf8('Subject: big\r\n\r\n');
      for (let i = 0; i < 2000; i++) yield utf8(line);
    }
    const result = await sendMail(s.client, {
      hostname: 'client.example',
      from: 'alice@example.org',
      to: ['bob@example.com'],
      message: body(),
      eightBit: true,
    });
    expect(result.recipients[0]!.status).toBe('sent');
    expect(s.received[0]!.body.length).toBe(16 + 2000 * line.length);
    expect(s.received[0]!.params).toEqual({ body: '8BITMIME' });
  });

  it('sends several messages over one connection (RSET between a refused and the next)', async () => {
    const s = server({
      onMailFrom: (from) =>
        from?.localPart === 'spammer' ? { code: 550, enhanced: '5.7.1', text: 'No' } : undefined,
    });
    const client = new SmtpClient(s.client, { hostname: 'client.example' });
    const hello = await client.connect();
    expect(hello.ok && [...hello.extensions.keys()]).toContain('PIPELINING');
    const a = await client.send({ from: 'alice@example.org', to: ['bob@example.com'] }, utf8('A\r\n'));
    const b = await client.send({ from: 'spammer@example.org', to: ['bob@example.com'] }, utf8('B\r\n'));
    const c = await client.send({ from: 'alice@example.org', to: ['carol@example.com'] }, [
      utf8('C'),
      utf8('\r\n'),
    ]);
    await client.quit();
    expect([a, b, c].map((r) => r.recipients[0]!.status)).toEqual(['sent', 'permanent', 'sent']);
    expect(s.received.map((m) => m.body)).toEqual(['A\r\n', 'C\r\n']);
    expect(await s.done).toBe('quit');
  });

  it('upgrades with STARTTLS when offered, then sends over the secure channel', async () => {
    let secure: boolean | undefined;
    const s = server(
      {
        onStartTls: () => {
          secure = true;
        },
      },
      { starttls: true },
    );
    const events: string[] = [];
    const result = await sendMail(s.client, {
      hostname: 'client.example',
      from: 'alice@example.org',
      to: ['bob@example.com'],
      message: utf8(MESSAGE),
      tls: 'required',
      onEvent: (e) => events.push(e.type),
    });
    expect(result.recipients[0]!.status).toBe('sent');
    expect(events).toContain('starttls');
    expect(secure).toBe(true);
    expect(s.received[0]!.body).toBe(MESSAGE);
  });

  it('uses BDAT when the server offers CHUNKING', async () => {
    const s = server({}, { extensions: { chunking: true } });
    const written: string[] = [];
    const result = await sendMail(s.client, {
      hostname: 'client.example',
      from: 'alice@example.org',
      to: ['bob@example.com'],
      message: utf8(MESSAGE),
      onEvent: (e) => written.push(e.type),
    });
    expect(result.recipients[0]!.status).toBe('sent');
    expect(written).toContain('body');
    expect(s.received[0]!.body).toBe(MESSAGE);
    expect(s.client.written.map((w) => latin1(w)).join('')).toContain('BDAT 0 LAST');
  });

  it('a transport timeout becomes session.timeout(): temporary results, the connection dropped', async () => {
    const [client, peer] = createTransportPair();
    void peer.write(utf8('220 mx\r\n'));
    const pending = sendMail(client, {
      hostname: 'client.example',
      from: 'alice@example.org',
      to: ['bob@example.com'],
      message: utf8('x\r\n'),
    });
    await peer.read(); // EHLO, never answered
    client.fireTimeout();
    const result = await pending;
    expect(result.recipients[0]).toMatchObject({
      status: 'temporary',
      reply: { code: 451, enhanced: '4.4.2' },
    });
  });

  it('a connection lost mid-DATA gives temporary results, not an exception', async () => {
    const [client, peer] = createTransportPair();
    void (async () => {
      await peer.write(utf8('220 mx\r\n'));
      await peer.read();
      await peer.write(utf8('250-mx\r\n250 PIPELINING\r\n'));
      await peer.read();
      await peer.write(utf8('250 OK\r\n250 OK\r\n354 go\r\n'));
      await peer.read();
      peer.destroy();
    })();
    const result = await sendMail(client, {
      hostname: 'client.example',
      from: 'alice@example.org',
      to: ['bob@example.com'],
      message: [utf8('part one\r\n'), utf8('part two\r\n')],
    });
    expect(result.recipients[0]).toMatchObject({
      status: 'temporary',
      reply: { code: 451, enhanced: '4.4.2' },
    });
  });
});
