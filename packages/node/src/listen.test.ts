import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, deferred, delay, pair } from '../test/helpers.js';
import { type ListenOptions, listen, type MailwireServer } from './listen.js';
import type { NodeTransport } from './node-transport.js';
import { formatProxyHeader } from './proxy-protocol.js';

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

async function connect(server: MailwireServer, options: { localAddress?: string } = {}): Promise<Client> {
  const client = await Client.connect(server.port, options);
  clients.push(client);
  return client;
}

async function until(test: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !test(); i++) await delay(10);
  expect(test()).toBe(true);
}

/** Echoes until the peer ends. */
async function echo(transport: NodeTransport): Promise<void> {
  for (;;) {
    const result = await transport.read();
    if (result.type === 'end') return;
    if (result.type === 'data') await transport.write(result.bytes);
  }
}

describe('listen', () => {
  it('binds 127.0.0.1 on a free port and echoes through the transport', async () => {
    const server = await start({ onConnection: echo });
    expect(server.address().address).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    const client = await connect(server);
    client.write('hello\r\n');
    await client.until('hello\r\n');
    client.write('world\r\n');
    await client.until('hello\r\nworld\r\n');
    (client.socket as net.Socket).end();
    await client.untilClosed();
  });

  it('reports the addresses of both ends', async () => {
    const info = deferred<NodeTransport['info']>();
    const server = await start({ onConnection: (transport) => info.resolve(transport.info) });
    const client = await connect(server);
    const socket = client.socket as net.Socket;
    expect(await info.promise).toEqual({
      localAddress: '127.0.0.1',
      localPort: server.port,
      remoteAddress: '127.0.0.1',
      remotePort: socket.localPort,
      secure: false,
    });
    await client.untilClosed();
  });

  it('ends the connection once onConnection settles, and reports a throwing handler', async () => {
    const errors: unknown[] = [];
    const server = await start({
      onConnection: async (transport) => {
        await transport.write(new TextEncoder().encode('bye\r\n'));
        throw new Error('boom');
      },
      onError: (error) => errors.push(error),
    });
    const client = await connect(server);
    await client.untilClosed();
    expect(client.text).toBe('bye\r\n');
    expect(errors).toHaveLength(1);
  });

  it('delivers an idle timeout to a waiting read and keeps the connection open', async () => {
    const results: string[] = [];
    const server = await start({
      limits: { idleTimeoutMs: 100 },
      onConnection: async (transport) => {
        const started = Date.now();
        const first = await transport.read();
        results.push(`${first.type}:${Date.now() - started >= 90}`);
        await transport.write(new TextEncoder().encode('still here\r\n'));
        const second = await transport.read();
        results.push(second.type === 'data' ? new TextDecoder().decode(second.bytes) : second.type);
      },
    });
    const client = await connect(server);
    await client.until('still here\r\n');
    client.write('x');
    await client.untilClosed();
    expect(results).toEqual(['timeout:true', 'x']);
  });

  it('refuses connections over maxConnections with the busy reply', async () => {
    const release = deferred<void>();
    const server = await start({
      limits: { maxConnections: 2 },
      busyReply: '421 4.7.0 Too many connections\r\n',
      onConnection: async (transport) => {
        await transport.write(new TextEncoder().encode('220 hi\r\n'));
        await release.promise;
      },
    });
    const a = await connect(server);
    const b = await connect(server);
    await a.until('220 hi');
    await b.until('220 hi');
    const c = await connect(server);
    await c.untilClosed();
    expect(c.text).toBe('421 4.7.0 Too many connections\r\n');
    await until(() => server.connections === 2);
    release.resolve();
    await a.untilClosed();
    await b.untilClosed();
    await until(() => server.connections === 0);
    const d = await connect(server);
    await d.until('220 hi');
  });

  it('limits connections per client address and lets onRejected answer', async () => {
    const reasons: string[] = [];
    const hold = deferred<void>();
    const server = await start({
      limits: { maxConnectionsPerIp: 1 },
      onRejected: async (transport, reason) => {
        reasons.push(reason);
        await transport.write(new TextEncoder().encode(`* BYE ${reason}\r\n`));
      },
      onConnection: async (transport) => {
        await transport.write(new TextEncoder().encode('* OK\r\n'));
        await hold.promise;
      },
    });
    const first = await connect(server);
    await first.until('* OK');
    const second = await connect(server);
    await second.untilClosed();
    expect(second.text).toBe('* BYE maxConnectionsPerIp\r\n');
    // The whole of 127.0.0.0/8 is loopback on Linux: another source address is another client.
    const other = await connect(server, { localAddress: '127.0.0.2' });
    await other.until('* OK');
    expect(reasons).toEqual(['maxConnectionsPerIp']);
    hold.resolve();
  });

  it('close() stops accepting, lets active connections finish, then resolves', async () => {
    const server = await start({
      onConnection: async (transport) => {
        await transport.write(new TextEncoder().encode('hello\r\n'));
        const result = await transport.read();
        if (result.type === 'data') await transport.write(new TextEncoder().encode('goodbye\r\n'));
      },
    });
    const client = await connect(server);
    await client.until('hello');
    let closed = false;
    const closing = server.close({ graceMs: 5000 }).then(() => {
      closed = true;
    });
    await delay(50);
    expect(server.closing).toBe(true);
    expect(closed).toBe(false);
    await expect(connect(server)).rejects.toThrow();
    client.write('quit\r\n');
    await client.untilClosed();
    await closing;
    expect(client.text).toBe('hello\r\ngoodbye\r\n');
  });

  it('close() destroys connections still open after the grace period', async () => {
    const server = await start({ onConnection: (transport) => transport.read().then(() => {}) });
    const client = await connect(server);
    await delay(20);
    const started = Date.now();
    await server.close({ graceMs: 200 });
    const took = Date.now() - started;
    await client.untilClosed();
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(3000);
  });
});

describe('PROXY protocol', () => {
  const v1 = 'PROXY TCP4 203.0.113.7 192.0.2.1 40001 25\r\n';

  it('takes the client address from a v1 header and passes on what follows it', async () => {
    const info = deferred<NodeTransport['info']>();
    const server = await start({
      proxyProtocol: true,
      onConnection: async (transport) => {
        info.resolve(transport.info);
        await echo(transport);
      },
    });
    const client = await connect(server);
    client.write(`${v1}EHLO x\r\n`);
    await client.until('EHLO x\r\n');
    expect(client.text).toBe('EHLO x\r\n');
    expect(await info.promise).toMatchObject({
      remoteAddress: '203.0.113.7',
      remotePort: 40001,
      proxied: true,
    });
  });

  it('takes the client address from a v2 header sent in pieces', async () => {
    const info = deferred<NodeTransport['info']>();
    const tlvs = deferred<unknown>();
    const server = await start({
      proxyProtocol: { trusted: ['127.0.0.0/8'] },
      onConnection: (transport) => {
        info.resolve(transport.info);
        tlvs.resolve(transport.proxyHeader?.tlvs);
      },
    });
    const header = formatProxyHeader({
      version: 2,
      command: 'proxy',
      protocol: 'tcp6',
      source: { address: '2001:db8::7', port: 5555 },
      destination: { address: '2001:db8::1', port: 993 },
      tlvs: [{ type: 0x04, value: new Uint8Array(3) }],
    });
    const client = await connect(server);
    for (const byte of header) {
      client.write(Uint8Array.of(byte));
      await delay(1);
    }
    expect(await info.promise).toMatchObject({
      remoteAddress: '2001:db8::7',
      remotePort: 5555,
      proxied: true,
    });
    expect(await tlvs.promise).toEqual([{ type: 0x04, value: new Uint8Array(3) }]);
  });

  it('uses the real addresses for a v2 LOCAL header (proxy health check)', async () => {
    const info = deferred<NodeTransport['info']>();
    const server = await start({ proxyProtocol: true, onConnection: (t) => info.resolve(t.info) });
    const client = await connect(server);
    client.write(formatProxyHeader({ version: 2, command: 'local', protocol: 'unknown', tlvs: [] }));
    const seen = await info.promise;
    expect(seen.remoteAddress).toBe('127.0.0.1');
    expect(seen.proxied).toBeUndefined();
  });

  it('counts per-IP limits against the proxied address', async () => {
    const hold = deferred<void>();
    const server = await start({
      proxyProtocol: true,
      limits: { maxConnectionsPerIp: 1 },
      busyReply: 'busy\r\n',
      onConnection: async (transport) => {
        await transport.write(new TextEncoder().encode('ok\r\n'));
        await hold.promise;
      },
    });
    const a = await connect(server);
    a.write(v1);
    await a.until('ok');
    const b = await connect(server);
    b.write('PROXY TCP4 203.0.113.8 192.0.2.1 40001 25\r\n');
    await b.until('ok');
    const c = await connect(server);
    c.write(v1);
    await c.untilClosed();
    expect(c.text).toBe('busy\r\n');
    hold.resolve();
  });

  it.each([
    ['no header', 'EHLO x\r\n'],
    ['a malformed header', 'PROXY TCP4 1.2.3 192.0.2.1 1 2\r\n'],
    ['an overlong v1 line', `PROXY UNKNOWN ${'x'.repeat(200)}`],
  ])('closes a connection with %s before the application sees it', async (_name, input) => {
    const errors: unknown[] = [];
    let connected = false;
    const server = await start({
      proxyProtocol: true,
      onConnection: () => {
        connected = true;
      },
      onError: (error) => errors.push(error),
    });
    const client = await connect(server);
    client.write(input);
    await client.untilClosed();
    expect(connected).toBe(false);
    expect(client.text).toBe('');
    expect(errors).toHaveLength(1);
  });

  it('closes a connection whose header does not arrive in time', async () => {
    const server = await start({ proxyProtocol: { timeoutMs: 100 }, onConnection: () => {} });
    const client = await connect(server);
    client.write('PROXY ');
    await client.untilClosed(2000);
  });

  it('reads the header before the TLS handshake on an implicit-TLS listener', async () => {
    const info = deferred<NodeTransport['info']>();
    const server = await start({
      proxyProtocol: true,
      implicitTls: true,
      tls: pair,
      onConnection: async (transport) => {
        info.resolve(transport.info);
        await echo(transport);
      },
    });
    const raw = net.connect({ port: server.port, host: '127.0.0.1' });
    await once(raw, 'connect');
    raw.write(v1);
    const socket = tls.connect({ socket: raw, servername: 'localhost', ca: pair.cert });
    await once(socket, 'secureConnect');
    const client = new Client(socket);
    clients.push(client);
    client.write('over tls\r\n');
    await client.until('over tls\r\n');
    expect(await info.promise).toMatchObject({ remoteAddress: '203.0.113.7', proxied: true, secure: true });
  });

  it('refuses headers from peers that are not trusted proxies', async () => {
    let connected = false;
    const server = await start({
      proxyProtocol: { trusted: ['10.0.0.0/8', '::1'] },
      onConnection: () => {
        connected = true;
      },
    });
    const client = await connect(server);
    client.write(v1);
    await client.untilClosed();
    expect(connected).toBe(false);
  });
});
