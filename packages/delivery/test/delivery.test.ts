import net from 'node:net';
import { createFakeResolver } from '@mailwire/dns';
import { createSelfSignedCertificate } from '@mailwire/node';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryAgent, type DeliveryAgentOptions } from '../src/agent.js';
import { bytes, clockAndQueue, cleanTempDirs, type Sink, startSink } from './helpers.js';

const sinks: Sink[] = [];
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  cleanTempDirs();
});

const MESSAGE =
  'From: alice@local.test\r\nTo: bob@example.com\r\nSubject: hello\r\n\r\nHello Bob.\r\n.dot line\r\n';
const MIN = 60_000;

async function setup(sinkPorts: Record<string, number>, extra: Partial<DeliveryAgentOptions> = {}) {
  const { clock, queue } = clockAndQueue();
  const resolver = createFakeResolver({
    'example.com': { mx: ['10 mx1.example.com', '20 mx2.example.com'] },
    'mx1.example.com': { a: ['127.0.0.1'] },
    'mx2.example.com': { a: ['127.0.0.1'] },
    'other.example': { mx: ['10 mx.other.example'] },
    'mx.other.example': { a: ['127.0.0.1'] },
    'gone.example': { fail: 'nxdomain' },
  });
  const local: { from: string; to: readonly string[]; body: string }[] = [];
  const log: string[] = [];
  const lines: string[] = [];
  const agent = new DeliveryAgent({
    queue,
    resolver,
    hostname: 'mta.local.test',
    now: clock.get,
    portFor: (host) => sinkPorts[host] ?? 1,
    localDelivery: {
      isLocal: (domain) => domain === 'local.test',
      async deliver(m) {
        local.push({ from: m.from, to: m.to, body: Buffer.from(m.body).toString('latin1') });
      },
    },
    onDelivered: (i) => log.push(`delivered ${i.recipient}`),
    onDeferred: (i) => log.push(`deferred ${i.recipient} ${i.reply.slice(0, 9)}`),
    onBounced: (i) => log.push(`bounced ${i.recipient}`),
    onLog: (line) => lines.push(line),
    ...extra,
  });
  return { queue, agent, clock, local, log, resolver, lines };
}

async function sink(hooks?: Parameters<typeof startSink>[0]) {
  const s = await startSink(hooks);
  sinks.push(s);
  return s;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('DeliveryAgent end to end', () => {
  it('temporary failure → retry after the backoff → delivered once', async () => {
    let attempts = 0;
    const s = await sink(() => ({
      onRcptTo: () => (attempts++ === 0 ? { code: 451, enhanced: '4.7.1', text: 'Greylisted' } : undefined),
    }));
    const { queue, agent, clock, log } = await setup({ 'mx1.example.com': s.port });
    const id = await queue.enqueue({
      from: 'alice@local.test',
      to: ['bob@example.com'],
      message: bytes(MESSAGE),
    });
    await agent.runOnce();
    expect(log).toEqual(['deferred bob@example.com 451 4.7.1']);
    const [queued] = await agent.list();
    expect(queued).toMatchObject({ id, attempts: 1, nextAttemptAt: clock.get() + 30 * MIN });
    expect(queued!.recipients[0]).toMatchObject({ state: 'pending', lastReply: '451 4.7.1 Greylisted' });
    clock.advance(10 * MIN);
    await agent.runOnce();
    expect(attempts).toBe(1);
    clock.advance(21 * MIN);
    await agent.runOnce();
    expect(log.at(-1)).toBe('delivered bob@example.com');
    expect(s.messages).toEqual([
      { from: 'alice@local.test', to: ['bob@example.com'], body: MESSAGE, secure: false },
    ]);
    expect(await agent.list()).toEqual([]);
  });

  it('permanent failure → RFC 3464 DSN delivered to the sender; none for a null sender', async () => {
    const s = await sink(() => ({
      onRcptTo: (to) =>
        to.localPart === 'nobody' ? { code: 550, enhanced: '5.1.1', text: 'No such user' } : undefined,
    }));
    const { queue, agent, local, log } = await setup({ 'mx1.example.com': s.port });
    await queue.enqueue({
      from: 'alice@local.test',
      to: ['bob@example.com', { address: 'nobody@example.com', orcpt: 'nobody@example.com' }],
      message: bytes(MESSAGE),
      envid: 'ENV-1',
    });
    await queue.enqueue({ from: '', to: ['nobody@example.com'], message: bytes(MESSAGE) });
    await agent.runOnce();
    expect(log.sort()).toEqual([
      'bounced nobody@example.com',
      'bounced nobody@example.com',
      'delivered bob@example.com',
    ]);
    expect(s.messages.map((m) => m.to)).toEqual([['bob@example.com']]);
    await agent.runOnce(); // the DSN, queued by the first run
    expect(local).toHaveLength(1);
    const dsn = local[0]!;
    expect(dsn.from).toBe('');
    expect(dsn.to).toEqual(['alice@local.test']);
    expect(dsn.body).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status; boundary="/m);
    expect(dsn.body).toContain(
      'Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mta.local.test\r\nOriginal-Envelope-Id: ENV-1\r\n',
    );
    expect(dsn.body).toContain(
      'Original-Recipient: rfc822; nobody@example.com\r\nFinal-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx1.example.com\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user\r\n',
    );
    expect(dsn.body).toContain('Content-Type: text/rfc822-headers\r\n\r\nFrom: alice@local.test\r\n');
    expect(dsn.body).not.toContain('Hello Bob.');
    expect(dsn.body).toContain('Auto-Submitted: auto-replied');
    expect(await agent.list()).toEqual([]);
  });

  it('a server that drops the connection mid-DATA → retried, not lost, not duplicated', async () => {
    let dataAttempts = 0;
    const s = await sink((sinkRef) => ({
      async onData(message, envelope, ctx) {
        if (dataAttempts++ === 0) {
          for await (const _ of message) {
            ctx.transport.destroy();
            break;
          }
          throw new Error('dropped');
        }
        let body = '';
        for await (const chunk of message) body += Buffer.from(chunk).toString('latin1');
        sinkRef.messages.push({ from: envelope.from!.localPart, to: [], body });
        return undefined;
      },
    }));
    const big = `${MESSAGE}${'x'.repeat(100)}\r\n`.repeat(2000);
    const { queue, agent, clock, log } = await setup({ 'mx1.example.com': s.port });
    await queue.enqueue({ from: 'alice@local.test', to: ['bob@example.com'], message: bytes(big) });
    await agent.runOnce();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^deferred bob@example.com 4/);
    expect(s.messages).toEqual([]);
    clock.advance(30 * MIN);
    await agent.runOnce();
    expect(log.at(-1)).toBe('delivered bob@example.com');
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.body).toBe(big);
    await agent.runOnce();
    expect(s.messages).toHaveLength(1);
  });

  it('after a dropped connection the next message to the domain gets a new one in the same run', async () => {
    let dataAttempts = 0;
    const s = await sink((sinkRef) => ({
      async onData(message, envelope, ctx) {
        if (dataAttempts++ === 0) {
          ctx.transport.destroy();
          throw new Error('dropped');
        }
        for await (const _ of message);
        sinkRef.messages.push({ from: '', to: envelope.recipients.map((r) => r.to.localPart), body: '' });
        return undefined;
      },
    }));
    const { queue, agent, log } = await setup({ 'mx1.example.com': s.port }, { perDestination: 1 });
    await queue.enqueue({ from: 'alice@local.test', to: ['u1@example.com'], message: bytes(MESSAGE) });
    await queue.enqueue({ from: 'alice@local.test', to: ['u2@example.com'], message: bytes(MESSAGE) });
    await agent.runOnce();
    expect(log.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'deferred u1@example.com',
      'delivered u2@example.com',
    ]);
    expect(s.connections).toBe(2);
  });

  it('start() runs in the background; wake() starts a run at once, even during a run; stop() ends it', async () => {
    let inData!: () => void;
    const delivering = new Promise<void>((r) => {
      inData = r;
    });
    const s = await sink((sinkRef) => ({
      async onData(message, envelope) {
        inData();
        for await (const _ of message);
        await new Promise((r) => setTimeout(r, 100));
        sinkRef.messages.push({ from: '', to: envelope.recipients.map((r) => r.to.localPart), body: '' });
        return undefined;
      },
    }));
    const { queue, agent } = await setup({ 'mx1.example.com': s.port });
    agent.start(60_000);
    await new Promise((r) => setTimeout(r, 50));
    await queue.enqueue({ from: 'alice@local.test', to: ['first@example.com'], message: bytes(MESSAGE) });
    agent.wake();
    await delivering;
    await queue.enqueue({ from: 'alice@local.test', to: ['second@example.com'], message: bytes(MESSAGE) });
    agent.wake();
    for (let i = 0; i < 150 && s.messages.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await agent.stop();
    expect(s.messages.map((m) => m.to[0])).toEqual(['first', 'second']);
  });

  it('tries the MX hosts in order: mx1 refuses connections, mx2 takes the mail', async () => {
    const s = await sink();
    const { queue, agent, log, resolver, lines } = await setup({
      'mx1.example.com': await closedPort(),
      'mx2.example.com': s.port,
    });
    // Distinct addresses: resolveDeliveryTargets lists an address once, under its first host.
    resolver.set('mx1.example.com', { a: ['127.0.0.2'] });
    await queue.enqueue({ from: 'alice@local.test', to: ['bob@example.com'], message: bytes(MESSAGE) });
    await agent.runOnce();
    expect(log).toEqual(['delivered bob@example.com']);
    expect(lines).toEqual([
      expect.stringMatching(/^451 4\.4\.1 Connection to mx1\.example\.com \[127\.0\.0\.2\] failed/),
    ]);
    expect(s.messages).toHaveLength(1);
  });

  it('uses STARTTLS opportunistically (RFC 3207) with the default connect', async () => {
    const s = await startSink(undefined, createSelfSignedCertificate({ commonName: 'mx1.example.com' }));
    sinks.push(s);
    const { queue, agent, log } = await setup({ 'mx1.example.com': s.port });
    await queue.enqueue({ from: 'alice@local.test', to: ['bob@example.com'], message: bytes(MESSAGE) });
    await agent.runOnce();
    expect(log).toEqual(['delivered bob@example.com']);
    expect(s.messages).toEqual([
      { from: 'alice@local.test', to: ['bob@example.com'], body: MESSAGE, secure: true },
    ]);
  });

  it('a failed TLS handshake is retried once in clear (opportunistic); required TLS defers instead', async () => {
    const s = await startSink(undefined, createSelfSignedCertificate({ commonName: 'mx1.example.com' }));
    sinks.push(s);
    const broken = async () => {
      throw new Error('handshake failed');
    };
    const a = await setup({ 'mx1.example.com': s.port }, { startTls: broken });
    await a.queue.enqueue({ from: 'alice@local.test', to: ['bob@example.com'], message: bytes(MESSAGE) });
    await a.agent.runOnce();
    expect(a.log).toEqual(['delivered bob@example.com']);
    expect(a.lines).toEqual([
      expect.stringMatching(/^451 4\.7\.0 TLS with mx1\.example\.com \[127\.0\.0\.1\] failed/),
    ]);
    expect(s.messages.map((m) => m.secure)).toEqual([false]);

    const plain = await sink();
    const b = await setup({ 'mx1.example.com': plain.port }, { tls: 'required' });
    await b.queue.enqueue({ from: 'alice@local.test', to: ['bob@example.com'], message: bytes(MESSAGE) });
    await b.agent.runOnce();
    expect(b.log).toEqual(['deferred bob@example.com 451 4.7.0']);
    expect(plain.messages).toEqual([]);
  });

  it('reuses one connection for several messages to one destination (perDestination: 1)', async () => {
    const s = await sink();
    const { queue, agent } = await setup({ 'mx1.example.com': s.port }, { perDestination: 1 });
    for (let i = 0; i < 3; i++)
      await queue.enqueue({ from: 'alice@local.test', to: [`u${i}@example.com`], message: bytes(MESSAGE) });
    await agent.runOnce();
    expect(s.messages.map((m) => m.to[0])).toEqual(['u0@example.com', 'u1@example.com', 'u2@example.com']);
    expect(s.connections).toBe(1);
  });

  it('keeps at most perDestination connections open to one domain', async () => {
    let open = 0;
    let most = 0;
    const s = await sink(() => ({
      onConnect: () => {
        open++;
        most = Math.max(most, open);
        return undefined;
      },
      onClose: () => {
        open--;
      },
      onData: async (message) => {
        for await (const _ of message);
        await new Promise((r) => setTimeout(r, 20));
        return undefined;
      },
    }));
    const { queue, agent, log } = await setup({ 'mx1.example.com': s.port }, { perDestination: 2 });
    for (let i = 0; i < 6; i++)
      await queue.enqueue({ from: 'alice@local.test', to: [`u${i}@example.com`], message: bytes(MESSAGE) });
    await agent.runOnce();
    expect(log.filter((l) => l.startsWith('delivered'))).toHaveLength(6);
    expect(most).toBe(2);
    expect(s.connections).toBe(2);
  });

  it('respects NOTIFY=NEVER: a bounce without a DSN', async () => {
    const s = await sink(() => ({
      onRcptTo: () => ({ code: 550, enhanced: '5.1.1', text: 'No such user' }),
    }));
    const { queue, agent, local, log } = await setup({ 'mx1.example.com': s.port });
    await queue.enqueue({
      from: 'alice@local.test',
      to: [{ address: 'nobody@example.com', notify: [] }],
      message: bytes(MESSAGE),
    });
    await agent.runOnce();
    await agent.runOnce();
    expect(log).toEqual(['bounced nobody@example.com']);
    expect(local).toEqual([]);
    expect(await queue.list()).toEqual([]);
  });

  it('splits one message across domains and bounces an unroutable domain at once', async () => {
    const a = await sink();
    const b = await sink();
    const { queue, agent, log } = await setup({ 'mx1.example.com': a.port, 'mx.other.example': b.port });
    await queue.enqueue({
      from: 'alice@local.test',
      to: ['bob@example.com', 'carol@other.example', 'dan@gone.example'],
      message: bytes(MESSAGE),
    });
    await agent.runOnce();
    expect(log.sort()).toEqual([
      'bounced dan@gone.example',
      'delivered bob@example.com',
      'delivered carol@other.example',
    ]);
    expect(a.messages[0]!.to).toEqual(['bob@example.com']);
    expect(b.messages[0]!.to).toEqual(['carol@other.example']);
  });

  it('sends one delay warning, then bounces with 4.4.7 when the lifetime is over', async () => {
    const port = await closedPort();
    const { queue, agent, clock, local } = await setup(
      { 'mx1.example.com': port, 'mx2.example.com': port },
      { delayWarningAfterMs: 4 * 3600_000, retry: { lifetimeMs: 24 * 3600_000 } },
    );
    await queue.enqueue({ from: 'alice@local.test', to: ['bob@example.com'], message: bytes(MESSAGE) });
    for (let i = 0; i < 40 && (await queue.list()).some((m) => m.from !== ''); i++) {
      clock.advance(60 * MIN);
      await agent.flush();
    }
    await agent.runOnce();
    const kinds = local.map((m) => /Action: (\w+)/.exec(m.body)?.[1]);
    expect(kinds).toEqual(['delayed', 'failed']);
    expect(local[0]!.body).toContain('Will-Retry-Until: ');
    expect(local[1]!.body).toContain('Status: 4.4.7');
    expect(await queue.list()).toEqual([]);
  });
});
