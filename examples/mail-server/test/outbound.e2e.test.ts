/**
 * Outbound delivery: a second instance of the example server acts as the remote MX for
 * `remote.test` (a static route maps the domain to its port on 127.0.0.1, as the fake resolver
 * would). nodemailer submits to the first instance, which queues, delivers, retries and bounces.
 */
import { createServer } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { addUser, PASSWORD, startTestServer, type TestServer } from './helpers.js';

let remote: TestServer;
let local: TestServer;
let remotePort: number;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRemote(dataDir?: string) {
  return startTestServer({
    ...(dataDir ? { dataDir } : {}),
    env: { MAILWIRE_DOMAINS: 'remote.test', MAILWIRE_SMTP_PORT: String(remotePort) },
  });
}

async function inbox(server: TestServer, address: string): Promise<string[]> {
  const account = await server.store.accounts.lookup(address);
  const box = await server.store.getMailbox(account!.id, 'INBOX');
  const metas = await server.store.fetchMessages(box!.id, [[1, Number.POSITIVE_INFINITY]]);
  const texts: string[] = [];
  for (const m of metas) {
    const chunks: Buffer[] = [];
    for await (const chunk of await server.store.readMessage({ mailboxId: box!.id, uid: m.uid }))
      chunks.push(Buffer.from(chunk));
    texts.push(Buffer.concat(chunks).toString('latin1'));
  }
  return texts;
}

async function eventually<T>(
  fn: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function submit(to: string, subject: string) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: local.ports.submissions,
    secure: true,
    auth: { user: 'alice@example.test', pass: PASSWORD },
    tls: { rejectUnauthorized: false },
  });
  return transport
    .sendMail({ from: 'alice@example.test', to, subject, text: `body of ${subject}` })
    .finally(() => transport.close());
}

beforeAll(async () => {
  remotePort = await freePort();
  remote = await startRemote();
  await addUser(remote, 'rita@remote.test');
  local = await startTestServer({
    env: {
      MAILWIRE_ROUTES: `remote.test=127.0.0.1:${remotePort}`,
      MAILWIRE_QUEUE_INTERVAL_MS: '300',
      MAILWIRE_RETRY_INITIAL_MS: '500',
      MAILWIRE_RETRY_MAX_MS: '1000',
    },
  });
  await addUser(local, 'alice@example.test');
});
afterAll(async () => {
  await local?.dispose();
  await remote?.dispose();
});

describe('outbound delivery', () => {
  it('delivers submitted mail to the remote MX', async () => {
    const info = await submit('rita@remote.test', 'over the wire');
    expect(info.accepted).toEqual(['rita@remote.test']);
    const messages = await eventually(
      () => inbox(remote, 'rita@remote.test'),
      (m) => m.length === 1,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('Subject: over the wire');
    expect(messages[0]).toContain('body of over the wire');
    const metrics = await (await fetch(`http://127.0.0.1:${local.ports.metrics}/metrics`)).text();
    expect(metrics).toMatch(/mailwire_deliveries_total\{result="delivered"\} 1/);
  });

  it('bounces a permanent failure back to the sender as a DSN', async () => {
    await submit('nobody@remote.test', 'to nobody');
    const bounces = await eventually(
      () => inbox(local, 'alice@example.test'),
      (m) => m.some((t) => t.includes('multipart/report')),
    );
    const dsn = bounces.find((t) => t.includes('multipart/report'))!;
    expect(dsn).toContain('report-type=delivery-status');
    expect(dsn).toMatch(/Final-Recipient: rfc822; ?nobody@remote\.test/);
    expect(dsn).toMatch(/Status: 5\.1\.1/);
  });

  it('keeps a deferred message across a restart and delivers it once the remote is back', async () => {
    const remoteDir = remote.dataDir;
    await remote.close();
    await submit('rita@remote.test', 'while the remote was down');
    const queued = await eventually(
      () => local.outbound.queue.list(),
      (list) => list.some((m) => m.attempts > 0),
    );
    expect(queued.length).toBe(1);
    local = await local.restart();
    const printed: string[] = [];
    await runCli(['queue', 'list'], local.env, (line) => {
      printed.push(line);
      return true;
    });
    expect(printed.join('\n')).toContain('to <rita@remote.test>');
    remote = await startRemote(remoteDir);
    const messages = await eventually(
      () => inbox(remote, 'rita@remote.test'),
      (m) => m.some((t) => t.includes('while the remote was down')),
      20_000,
    );
    expect(messages.filter((t) => t.includes('while the remote was down'))).toHaveLength(1);
    expect(
      await eventually(
        () => local.outbound.queue.list(),
        (l) => l.length === 0,
      ),
    ).toEqual([]);
  });
});
