// The example of docs/node.md, run against a real client (keep the two in step).
import { LineReader, latin1, utf8 } from '@mailwire/core';
import { afterAll, expect, it } from 'vitest';
import { Client, upgradeClient } from '../test/helpers.js';
import { createSelfSignedCertificate, listen, type NodeTransport } from './index.js';

const { key, cert } = createSelfSignedCertificate({ altNames: ['localhost', '127.0.0.1'] });

async function lineEcho(transport: NodeTransport): Promise<void> {
  const reader = new LineReader({ maxLineLength: 1000 });
  await transport.write(utf8('* ready\r\n'));
  for (;;) {
    const frame = reader.next();
    if (frame === undefined) {
      const input = await transport.read();
      if (input.type === 'end') return;
      if (input.type === 'timeout') {
        await transport.write(utf8('* idle for too long, bye\r\n'));
        return;
      }
      reader.push(input.bytes);
      continue;
    }
    if (frame.type === 'overflow') {
      await transport.write(utf8('* line too long\r\n'));
      continue;
    }
    if (frame.type !== 'line') continue;
    const line = latin1(frame.bytes);
    if (line === 'STARTTLS' && !transport.info.secure) {
      reader.discardBuffered(); // anything pipelined after STARTTLS is never used
      await transport.write(utf8('* go ahead\r\n'));
      await transport.startTls(); // the transport drops what it holds unread, too
      continue;
    }
    if (line === 'QUIT') return; // listen() ends the connection when this promise settles
    await transport.write(utf8(`* ${line}\r\n`));
  }
}

const server = await listen({
  port: 0,
  tls: { key, cert },
  limits: { maxConnections: 100, maxConnectionsPerIp: 10, idleTimeoutMs: 60_000 },
  busyReply: '* busy, try again later\r\n',
  onConnection: lineEcho,
});

afterAll(() => server.close({ graceMs: 1000 }));

it('runs the docs/node.md example: echo, STARTTLS, echo over TLS, QUIT', async () => {
  const plain = await Client.connect(server.port);
  await plain.until('* ready\r\n');
  plain.write('hello\r\nSTARTTLS\r\nsmuggled\r\n');
  await plain.until('* go ahead\r\n');
  expect(plain.text).toBe('* ready\r\n* hello\r\n* go ahead\r\n');
  const secure = await upgradeClient(plain, 'localhost', cert);
  secure.write(`${'x'.repeat(2000)}\r\nsecret\r\nQUIT\r\n`);
  await secure.untilClosed();
  expect(secure.text).toBe('* line too long\r\n* secret\r\n');
});
