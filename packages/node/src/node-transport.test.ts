import net from 'node:net';
import { Duplex, Writable } from 'node:stream';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { latin1, MailwireError, type ReadResult, WRITTEN } from '@mailwire/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, deferred, delay, pair, upgradeClient } from '../test/helpers.js';
import { miniProtocol } from '../test/mini-protocol.js';
import { type ListenOptions, listen, type MailwireServer } from './listen.js';
import type { NodeTransport } from './node-transport.js';
import { createSelfSignedCertificate } from './self-signed.js';

const servers: MailwireServer[] = [];
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

async function start(options: Omit<ListenOptions, 'port'>): Promise<MailwireServer> {
  const server = await listen({ port: 0, ...options });
  servers.push(server);
  return server;
}

async function connect(server: MailwireServer): Promise<Client> {
  const client = await Client.connect(server.port);
  clients.push(client);
  return client;
}

async function until(test: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !test(); i++) await delay(10);
  expect(test()).toBe(true);
}

function socketOf(transport: NodeTransport): net.Socket {
  return (transport as unknown as { carrier: net.Socket }).carrier;
}

const MiB = 1024 * 1024;

describe('backpressure', () => {
  it('stops reading from a peer while the application does not read', async () => {
    const transport = deferred<NodeTransport>();
    const finish = deferred<void>();
    const server = await start({
      onConnection: async (t) => {
        transport.resolve(t);
        await finish.promise;
      },
    });
    const client = await connect(server);
    const socket = client.socket as net.Socket;
    const total = 32 * MiB;
    socket.write(Buffer.alloc(total, 0x61));
    const t = await transport.promise;
    const first = await t.read();
    let received = first.type === 'data' ? first.bytes.length : 0;
    await delay(300);
    // The kernel buffers a few MiB; the rest waits in the client, not in our process.
    expect(socket.writableLength).toBeGreaterThan(0);
    const serverSocket = socketOf(t);
    const held = () => (t as unknown as { queuedBytes: number }).queuedBytes + serverSocket.readableLength;
    // Our read-ahead (64 KiB) and Node's buffer (16 KiB), each overshot by at most one 64 KiB read.
    expect(held()).toBeGreaterThan(64 * 1024);
    expect(held()).toBeLessThanOrEqual(208 * 1024);
    while (received < total) {
      const result = await t.read();
      if (result.type !== 'data') break;
      received += result.bytes.length;
      expect(held()).toBeLessThanOrEqual(208 * 1024);
    }
    expect(received).toBe(total);
    finish.resolve();
  });

  it('write() stops resolving while the peer does not read, and resumes when it does', async () => {
    const progress = { resolved: 0, done: false };
    const server = await start({
      onConnection: async (t) => {
        const chunk = new Uint8Array(64 * 1024).fill(0x62);
        for (let i = 0; i < 512; i++) {
          await t.write(chunk);
          progress.resolved += chunk.length;
        }
        progress.done = true;
      },
    });
    const socket = net.connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.pause();
    await delay(400);
    const stalledAt = progress.resolved;
    expect(progress.done).toBe(false);
    expect(stalledAt).toBeLessThan(32 * MiB);
    await delay(200);
    expect(progress.resolved).toBe(stalledAt);
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.resume();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(progress.done).toBe(true);
    expect(received).toBe(32 * MiB);
  });

  it('write() returns WRITTEN while the socket takes the bytes, a pending promise once it is full', async () => {
    const seen = deferred<{ small: boolean; firstBlocked: number; blockedIsWritten: boolean }>();
    const server = await start({
      onConnection: async (t) => {
        const small = t.write(new Uint8Array(16)) === WRITTEN;
        const chunk = new Uint8Array(64 * 1024);
        // The peer does not read: the kernel buffers fill, then the socket's own buffer.
        let firstBlocked = -1;
        let written: Promise<void> = WRITTEN;
        for (let i = 0; i < 512 && firstBlocked < 0; i++) {
          written = t.write(chunk);
          if (written !== WRITTEN) firstBlocked = i;
        }
        seen.resolve({ small, firstBlocked, blockedIsWritten: written === WRITTEN });
        await written.catch(() => undefined);
      },
    });
    const socket = net.connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.pause();
    const result = await seen.promise;
    expect(result.small).toBe(true);
    // Loopback kernel buffers take the first writes whole; then backpressure, never WRITTEN.
    expect(result.firstBlocked).toBeGreaterThanOrEqual(0);
    expect(result.blockedIsWritten).toBe(false);
    socket.destroy();
  });

  it('closes a connection whose peer stops reading for the idle timeout', async () => {
    const failure = deferred<unknown>();
    const server = await start({
      limits: { idleTimeoutMs: 200 },
      onConnection: async (t) => {
        const chunk = new Uint8Array(256 * 1024);
        try {
          for (;;) await t.write(chunk);
        } catch {
          failure.resolve(t.error);
        }
      },
    });
    const socket = net.connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.pause();
    const error = await failure.promise;
    expect(MailwireError.isInstance(error) && error.code).toBe('ERR_TRANSPORT_TIMEOUT');
    socket.destroy();
  });

  it('reports no idle timeout while the application is busy rather than waiting for input', async () => {
    const results: string[] = [];
    const server = await start({
      limits: { idleTimeoutMs: 150 },
      onConnection: async (t) => {
        await delay(400); // busy: neither reading nor blocked in a write
        const result = await t.read();
        results.push(result.type === 'data' ? 'data' : result.type);
      },
    });
    const client = await connect(server);
    await delay(200);
    client.write('x');
    await client.untilClosed();
    expect(results).toEqual(['data']);
  });

  it('rejects a second concurrent read() as caller misuse', async () => {
    const outcome = deferred<unknown>();
    const server = await start({
      onConnection: async (t) => {
        const first = t.read();
        outcome.resolve(await t.read().catch((error: unknown) => error));
        await first;
      },
    });
    const client = await connect(server);
    expect(MailwireError.isInstance(await outcome.promise)).toBe(true);
    client.write('x');
  });
});

describe('readNext()', () => {
  it('calls back from the socket event, answers in that turn, and at once with queued input', async () => {
    const seen: string[] = [];
    const done = deferred<void>();
    const server = await start({
      onConnection: (t) =>
        new Promise<void>((resolve) => {
          let inCall = false;
          const onInput = (input: ReadResult) => {
            seen.push(
              `${inCall ? 'at once' : 'from event'}:${input.type === 'data' ? latin1(input.bytes) : input.type}`,
            );
            if (input.type !== 'data') {
              resolve();
              done.resolve();
              return;
            }
            // Answered inside the callback: no promise between the bytes and the reply.
            expect(t.write(input.bytes)).toBe(WRITTEN);
            inCall = true;
            t.readNext(onInput);
            inCall = false;
          };
          t.readNext(onInput);
        }),
    });
    const client = await connect(server);
    client.write('one');
    await client.until('one');
    client.socket.end();
    await done.promise;
    expect(seen).toEqual(['from event:one', 'from event:end']);
  });

  it('hands over input that was queued before it was called, synchronously', async () => {
    const outcome = deferred<string[]>();
    const server = await start({
      onConnection: async (t) => {
        const first = await t.read();
        // Wait for more input to queue up while nobody reads.
        await delay(100);
        const got: string[] = [first.type === 'data' ? latin1(first.bytes) : first.type];
        let sync = true;
        t.readNext((input) => {
          got.push(`${sync ? 'sync' : 'async'}:${input.type === 'data' ? latin1(input.bytes) : input.type}`);
        });
        sync = false;
        outcome.resolve(got);
      },
    });
    const client = await connect(server);
    client.write('a');
    await delay(30);
    client.write('b');
    expect(await outcome.promise).toEqual(['a', 'sync:b']);
  });

  it('refuses a second pending read of either kind', async () => {
    const outcome = deferred<unknown[]>();
    const server = await start({
      onConnection: async (t) => {
        const errors: unknown[] = [];
        const first = t.read();
        try {
          t.readNext(() => undefined);
        } catch (error) {
          errors.push(error);
        }
        outcome.resolve(errors);
        await first;
      },
    });
    const client = await connect(server);
    const errors = await outcome.promise;
    expect(errors).toHaveLength(1);
    expect(MailwireError.isInstance(errors[0])).toBe(true);
    client.write('x');
  });
});

describe('STARTTLS', () => {
  it('upgrades the live connection', async () => {
    const tlsInfo = deferred<unknown>();
    const info = deferred<NodeTransport['info']>();
    const server = await start({
      tls: { key: pair.key, cert: pair.cert },
      onConnection: async (t) => {
        await miniProtocol(t, { onTls: tlsInfo.resolve });
        info.resolve(t.info);
      },
    });
    const plain = await connect(server);
    await plain.until('220 ready\r\n');
    plain.write('HELLO\r\n');
    await plain.until('250 HELLO secure=false\r\n');
    plain.write('STARTTLS\r\n');
    await plain.until('220 go\r\n');
    const secure = await upgradeClient(plain);
    expect(await tlsInfo.promise).toMatchObject({
      protocol: 'TLSv1.3',
      servername: 'localhost',
      authorized: false,
    });
    secure.write('HELLO\r\nQUIT\r\n');
    await secure.until('221 bye\r\n');
    expect(secure.text).toBe('250 HELLO secure=true\r\n221 bye\r\n');
    expect(await info.promise).toMatchObject({ secure: true, tls: { protocol: 'TLSv1.3' } });
    await secure.untilClosed();
    await until(() => server.connections === 0);
  });

  it('discards plaintext that arrived after the command and before the reply', async () => {
    const seen: string[] = [];
    const transport = deferred<NodeTransport>();
    const server = await start({
      tls: { key: pair.key, cert: pair.cert },
      onConnection: async (t) => {
        transport.resolve(t);
        await miniProtocol(t, { seen, replyDelayMs: 150 });
      },
    });
    const plain = await connect(server);
    await plain.until('220 ready\r\n');
    plain.write('STARTTLS\r\n');
    await delay(40);
    plain.write('MAIL FROM:<evil@example.com>\r\n');
    await plain.until('220 go\r\n');
    const secure = await upgradeClient(plain);
    secure.write('HELLO\r\nQUIT\r\n');
    await secure.until('221 bye\r\n');
    expect(secure.text).toBe('250 HELLO secure=true\r\n221 bye\r\n');
    expect(seen).toEqual(['STARTTLS', 'HELLO', 'QUIT']);
    expect((await transport.promise).discarded).toBe('MAIL FROM:<evil@example.com>\r\n'.length);
  });

  it('never delivers plaintext pipelined in the same packet as STARTTLS', async () => {
    const seen: string[] = [];
    const server = await start({
      tls: { key: pair.key, cert: pair.cert },
      onConnection: (t) => miniProtocol(t, { seen }),
    });
    const plain = await connect(server);
    await plain.until('220 ready\r\n');
    plain.write('STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n');
    await plain.until('220 go\r\n');
    const secure = await upgradeClient(plain);
    secure.write('QUIT\r\n');
    await secure.until('221 bye\r\n');
    expect(seen).toEqual(['STARTTLS', 'QUIT']);
  });

  it('hands a ClientHello read ahead while the driver was busy to the TLS layer', async () => {
    const seen: string[] = [];
    const transport = deferred<NodeTransport>();
    const server = await start({
      tls: pair,
      onConnection: async (t) => {
        transport.resolve(t);
        await miniProtocol(t, { seen, replyDelayMs: 100, tlsDelayMs: 150 });
      },
    });
    const plain = await connect(server);
    await plain.until('220 ready\r\n');
    plain.write('STARTTLS\r\n');
    await delay(40);
    plain.write('MAIL FROM:<evil@example.com>\r\n');
    await plain.until('220 go\r\n');
    const secure = await upgradeClient(plain);
    secure.write('QUIT\r\n');
    await secure.until('221 bye\r\n');
    expect(seen).toEqual(['STARTTLS', 'QUIT']);
    expect((await transport.promise).discarded).toBe('MAIL FROM:<evil@example.com>\r\n'.length);
  });

  it('fails the handshake, and closes, when plaintext follows the reply', async () => {
    const seen: string[] = [];
    const outcome = deferred<unknown>();
    const server = await start({
      tls: { key: pair.key, cert: pair.cert },
      onConnection: (t) => miniProtocol(t, { seen, onTls: outcome.resolve }),
    });
    const plain = await connect(server);
    await plain.until('220 ready\r\n');
    plain.write('STARTTLS\r\n');
    await plain.until('220 go\r\n');
    plain.write('MAIL FROM:<evil@example.com>\r\n');
    await expect(upgradeClient(plain)).rejects.toThrow();
    const error = await outcome.promise;
    expect(MailwireError.isInstance(error) && error.code).toBe('ERR_TLS_HANDSHAKE');
    await plain.untilClosed();
    expect(seen).toEqual(['STARTTLS']);
  });

  it('refuses writes and reads-in-flight misuse while the handshake runs', async () => {
    const outcome = deferred<unknown[]>();
    const server = await start({
      tls: pair,
      onConnection: async (t) => {
        const upgrade = t.startTls().catch((error: unknown) => error);
        const write = await t.write(new TextEncoder().encode('plain\r\n')).catch((error: unknown) => error);
        const again = await t.startTls().catch((error: unknown) => error);
        t.destroy();
        outcome.resolve([write, again, await upgrade]);
      },
    });
    const client = await connect(server);
    const [write, again, upgrade] = await outcome.promise;
    expect(MailwireError.isInstance(write) && write.code).toBe('ERR_INVALID_STATE');
    expect(MailwireError.isInstance(again) && again.code).toBe('ERR_INVALID_STATE');
    expect(MailwireError.isInstance(upgrade) && upgrade.code).toBe('ERR_TLS_HANDSHAKE');
    await client.untilClosed();
    expect(client.text).toBe('');
  });

  it('rejects with ERR_TLS_UNAVAILABLE without TLS settings, and the connection goes on', async () => {
    const outcome = deferred<unknown>();
    const server = await start({ onConnection: (t) => miniProtocol(t, { onTls: outcome.resolve }) });
    const plain = await connect(server);
    plain.write('STARTTLS\r\n');
    await plain.until('454 TLS not available\r\n');
    const error = await outcome.promise;
    expect(MailwireError.isInstance(error) && error.code).toBe('ERR_TLS_UNAVAILABLE');
    plain.write('HELLO\r\n');
    await plain.until('250 HELLO secure=false\r\n');
  });
});

describe('implicit TLS and SNI', () => {
  const a = createSelfSignedCertificate({ commonName: 'a.test', altNames: ['a.test'] });
  const b = createSelfSignedCertificate({ commonName: 'b.test', altNames: ['*.b.test'] });

  async function peerName(port: number, servername: string): Promise<string> {
    const socket = tls.connect({
      port,
      host: '127.0.0.1',
      servername,
      ca: [pair.cert, a.cert, b.cert],
      checkServerIdentity: () => undefined,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const name = socket.getPeerCertificate().subject.CN;
    socket.destroy();
    return Array.isArray(name) ? name.join(',') : String(name);
  }

  it('handshakes on connect and reports TLS in info', async () => {
    const info = deferred<NodeTransport['info']>();
    const server = await start({
      implicitTls: true,
      tls: { key: pair.key, cert: pair.cert },
      onConnection: async (t) => {
        info.resolve(t.info);
        await miniProtocol(t);
      },
    });
    const client = await Client.connectTls(server.port);
    clients.push(client);
    client.write('HELLO\r\n');
    await client.until('250 HELLO secure=true\r\n');
    expect(await info.promise).toMatchObject({
      secure: true,
      tls: { protocol: 'TLSv1.3', servername: 'localhost', authorized: false },
    });
    expect((await info.promise).tls?.cipher).toMatch(/^TLS_/);
    client.write('QUIT\r\n');
    await client.untilClosed();
    await until(() => server.connections === 0);
  });

  it('releases connections whose TLS handshake fails', async () => {
    const server = await start({ implicitTls: true, tls: pair, onConnection: () => {} });
    const client = await connect(server);
    client.write('not tls at all\r\n\r\n');
    await client.untilClosed();
    await until(() => server.connections === 0);
  });

  it('picks the certificate by SNI, exact and wildcard, with the default otherwise', async () => {
    const server = await start({
      implicitTls: true,
      tls: { key: pair.key, cert: pair.cert, sni: { 'A.test': a, '*.b.test': b } },
      onConnection: () => {},
    });
    expect(await peerName(server.port, 'a.test')).toBe('a.test');
    expect(await peerName(server.port, 'mx.b.test')).toBe('b.test');
    expect(await peerName(server.port, 'b.test')).toBe('localhost');
    expect(await peerName(server.port, 'other.test')).toBe('localhost');
  });

  it('uses SNI for STARTTLS too', async () => {
    const server = await start({
      tls: { key: pair.key, cert: pair.cert, sni: { 'a.test': a } },
      onConnection: (t) => miniProtocol(t),
    });
    const plain = await connect(server);
    plain.write('STARTTLS\r\n');
    await plain.until('220 go\r\n');
    plain.detach();
    const socket = tls.connect({ socket: plain.socket as net.Socket, servername: 'a.test', ca: a.cert });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    expect(socket.getPeerCertificate().subject.CN).toBe('a.test');
    socket.destroy();
  });

  it('refuses clients that only speak TLS 1.1 or older', async () => {
    const errors: unknown[] = [];
    const server = await start({
      implicitTls: true,
      tls: { key: pair.key, cert: pair.cert, minVersion: 'TLSv1.3' },
      onConnection: () => {},
      onError: (error) => errors.push(error),
    });
    const attempt = (maxVersion: tls.SecureVersion) =>
      new Promise<string>((resolve) => {
        const socket = tls.connect({
          port: server.port,
          host: '127.0.0.1',
          ca: pair.cert,
          servername: 'localhost',
          maxVersion,
        });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol() ?? '');
          socket.destroy();
        });
        socket.once('error', () => resolve('refused'));
      });
    expect(await attempt('TLSv1.2')).toBe('refused');
    expect(await attempt('TLSv1.3')).toBe('TLSv1.3');
  });
});

/** The client side of COMPRESS=DEFLATE over an existing client. */
function compressClient(client: Client): Client {
  const socket = client.socket;
  client.detach();
  const inflate = zlib.createInflateRaw();
  const deflate = zlib.createDeflateRaw();
  socket.on('data', (chunk: Buffer) => inflate.write(chunk));
  socket.resume();
  deflate.on('data', (chunk: Buffer) => socket.write(chunk));
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      deflate.write(chunk);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => callback());
    },
  });
  const duplex = Duplex.from({ readable: inflate, writable });
  // zlib inflates off the main thread: destroying the duplex when the socket closes would drop
  // the last reply still being inflated. End the inflater instead and close once it has drained.
  socket.once('close', () => inflate.end());
  inflate.once('end', () => duplex.destroy());
  return new Client(duplex);
}

describe('COMPRESS=DEFLATE', () => {
  it('compresses both directions, each reply flushed whole', async () => {
    const server = await start({ onConnection: (t) => miniProtocol(t) });
    const plain = await connect(server);
    plain.write('COMPRESS\r\n');
    await plain.until('OK\r\n');
    const zipped = compressClient(plain);
    // Counts compressed octets (after compressClient, whose detach() drops earlier listeners).
    let wire = 0;
    plain.socket.on('data', (chunk: Buffer) => {
      wire += chunk.length;
    });
    zipped.write('HELLO\r\n');
    await zipped.until('250 HELLO secure=false\r\n');
    const lines = Array.from({ length: 100 }, (_, i) => `LINE ${i} ${'x'.repeat(100)}`);
    const before = wire;
    zipped.write(`${lines.join('\r\n')}\r\n`);
    await zipped.until(`250 ${lines[99]} secure=false\r\n`);
    const expected = lines.map((line) => `250 ${line} secure=false\r\n`).join('');
    expect(zipped.text).toBe(`250 HELLO secure=false\r\n${expected}`);
    // 100 similar replies compress well: far fewer octets crossed the wire than were sent.
    expect(wire - before).toBeLessThan(expected.length / 4);
    // end() finishes the deflate stream, then closes.
    zipped.write('QUIT\r\n');
    await zipped.until('221 bye\r\n');
    await plain.untilClosed();
  });

  it('works after STARTTLS', async () => {
    const server = await start({ tls: pair, onConnection: (t) => miniProtocol(t) });
    const plain = await connect(server);
    plain.write('STARTTLS\r\n');
    await plain.until('220 go\r\n');
    const secure = await upgradeClient(plain);
    secure.write('COMPRESS\r\n');
    await secure.until('OK\r\n');
    const zipped = compressClient(secure);
    zipped.write('HELLO\r\n');
    await zipped.until('250 HELLO secure=true\r\n');
  });

  it('inflates no further than the application reads (decompression bomb)', async () => {
    const transport = deferred<NodeTransport>();
    const finish = deferred<void>();
    const server = await start({
      onConnection: async (t) => {
        await t.write(new TextEncoder().encode('OK\r\n'));
        await t.compress();
        transport.resolve(t);
        await finish.promise;
      },
    });
    const plain = await connect(server);
    await plain.until('OK\r\n');
    const total = 16 * MiB;
    const bomb = zlib.deflateRawSync(Buffer.alloc(total));
    expect(bomb.length).toBeLessThan(32 * 1024);
    plain.write(bomb);
    const t = await transport.promise;
    await delay(300);
    const inflater = (t as unknown as { source: zlib.InflateRaw }).source;
    expect(inflater.readableLength).toBeLessThanOrEqual(inflater.readableHighWaterMark + 64 * 1024);
    let received = 0;
    while (received < total) {
      const result = await t.read();
      if (result.type !== 'data') break;
      received += result.bytes.length;
    }
    expect(received).toBe(total);
    finish.resolve();
  });

  it('closes the connection on a corrupt deflate stream', async () => {
    const failure = deferred<Error | undefined>();
    const server = await start({
      onConnection: async (t) => {
        await miniProtocol(t);
        failure.resolve(t.error);
      },
    });
    const plain = await connect(server);
    plain.write('COMPRESS\r\n');
    await plain.until('OK\r\n');
    plain.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    await plain.untilClosed();
    expect((await failure.promise)?.message).toMatch(/invalid/i);
  });

  it('refuses STARTTLS after COMPRESS', async () => {
    const outcome = deferred<unknown>();
    const server = await start({
      tls: pair,
      onConnection: async (t) => {
        await t.compress();
        outcome.resolve(await t.startTls().catch((error: unknown) => error));
      },
    });
    await connect(server);
    const error = await outcome.promise;
    expect(MailwireError.isInstance(error) && error.code).toBe('ERR_INVALID_STATE');
  });
});
