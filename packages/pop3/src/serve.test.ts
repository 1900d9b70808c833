import {
  type ConnectionInfo,
  createTransportPair,
  latin1,
  type ReadResult,
  type TlsInfo,
  type Transport,
  utf8,
} from '@mailwire/core';
import { createMemoryStore, type MailStore } from '@mailwire/store';
import { describe, expect, it } from 'vitest';
import { TestClient } from '../test/client.js';
import { bytesOf } from '../test/helpers.js';
import { type Pop3ServeOptions, serve } from './index.js';

const STORED = [
  'From: bob@example.com\r\nSubject: one\r\n\r\nHello\r\n.leading dot\r\n..two dots\r\n',
  'Subject: unix\n\nbare\nLF\n.dot\n',
  'Subject: three\r\n\r\nno final newline',
];

async function setup(): Promise<{ store: MailStore; accountId: string; mailboxId: string }> {
  const store = createMemoryStore();
  const account = await store.accounts.createAccount({ address: 'alice@example.com', password: 'secret' });
  for (const text of STORED) await store.deliver('alice@example.com', bytesOf(text), { internalDate: 0 });
  const mailbox = await store.getMailbox(account.id, 'INBOX');
  return { store, accountId: account.id, mailboxId: mailbox!.id };
}

function connect(store: MailStore, extra: Partial<Pop3ServeOptions> = {}) {
  const [clientSide, serverSide] = createTransportPair();
  const done = serve(serverSide, { store, allowInsecureAuth: true, ...extra });
  return { client: new TestClient(clientSide), clientSide, serverSide, done };
}

async function login(client: TestClient, password = 'secret'): Promise<string | undefined> {
  expect(await client.line()).toMatch(/^\+OK /);
  expect(await client.command('USER alice@example.com')).toBe('+OK send PASS');
  return client.command(`PASS ${password}`);
}

async function count(store: MailStore, mailboxId: string): Promise<number> {
  return (await store.fetchMessages(mailboxId, [[1, Number.POSITIVE_INFINITY]])).length;
}

async function lockable(store: MailStore, accountId: string): Promise<boolean> {
  try {
    const maildrop = await store.lockMaildrop(accountId);
    await maildrop.release();
    return true;
  } catch {
    return false;
  }
}

function canonical(text: string): string {
  let out = text.replace(/\r?\n/g, '\r\n');
  if (out.length > 0 && !out.endsWith('\r\n')) out += '\r\n';
  return out;
}

describe('serve() over @mailwire/store', () => {
  it('RETR sends what was stored (CRLF), sizes match what RETR sends, DELE + QUIT removes', async () => {
    const { store, accountId, mailboxId } = await setup();
    const { client, done } = connect(store);
    expect(await login(client)).toMatch(/^\+OK maildrop locked and ready, 3 messages/);
    const list = await client.multi('LIST');
    const sizes = latin1(list.body)
      .trim()
      .split('\r\n')
      .map((l) => Number(l.split(' ')[1]));
    for (let i = 0; i < STORED.length; i++) {
      const retr = await client.multi(`RETR ${i + 1}`);
      expect(retr.status).toBe(`+OK ${sizes[i]} octets`);
      expect(latin1(retr.body)).toBe(canonical(STORED[i]!));
      expect(retr.body.length).toBe(sizes[i]);
    }
    const stat = await client.command('STAT');
    expect(stat).toBe(`+OK 3 ${sizes.reduce((a, b) => a + b, 0)}`);
    const top = await client.multi('TOP 1 1');
    expect(latin1(top.body)).toBe('From: bob@example.com\r\nSubject: one\r\n\r\nHello\r\n');
    expect(await client.command('DELE 2')).toBe('+OK message 2 deleted');
    expect(await client.command('QUIT')).toBe('+OK POP3 server signing off (2 messages left)');
    await done;
    expect(await count(store, mailboxId)).toBe(2);
    expect(await lockable(store, accountId)).toBe(true);
  });

  it('second session on the same maildrop gets -ERR [IN-USE]; the lock frees at QUIT', async () => {
    const { store } = await setup();
    const first = connect(store);
    expect(await login(first.client)).toMatch(/^\+OK/);
    const second = connect(store);
    expect(await login(second.client)).toBe('-ERR [IN-USE] maildrop already locked');
    expect(await first.client.command('QUIT')).toMatch(/^\+OK/);
    await first.done;
    expect(await second.client.command('USER alice@example.com')).toBe('+OK send PASS');
    expect(await second.client.command('PASS secret')).toMatch(/^\+OK maildrop locked/);
    expect(await second.client.command('QUIT')).toMatch(/^\+OK/);
    await second.done;
  });

  const exits = {
    QUIT: async (c: ReturnType<typeof connect>) => {
      await c.client.command('QUIT');
    },
    'client closes': async (c: ReturnType<typeof connect>) => {
      await c.clientSide.end();
    },
    'connection destroyed': async (c: ReturnType<typeof connect>) => {
      c.clientSide.destroy();
    },
    'idle timeout': async (c: ReturnType<typeof connect>) => {
      c.serverSide.fireTimeout();
    },
    'too many errors': async (c: ReturnType<typeof connect>) => {
      for (let i = 0; i < 10; i++) await c.client.send('BOGUS');
    },
  };
  for (const [name, exit] of Object.entries(exits)) {
    it(`lock released on exit by ${name}; without QUIT nothing is deleted`, async () => {
      const { store, accountId, mailboxId } = await setup();
      const c = connect(store);
      expect(await login(c.client)).toMatch(/^\+OK/);
      expect(await lockable(store, accountId)).toBe(false);
      expect(await c.client.command('DELE 1')).toBe('+OK message 1 deleted');
      await exit(c);
      await c.done;
      expect(await lockable(store, accountId)).toBe(true);
      expect(await count(store, mailboxId)).toBe(name === 'QUIT' ? 2 : 3);
    });
  }

  it('UIDL is stable across sessions and built from UIDVALIDITY and UID', async () => {
    const { store, mailboxId } = await setup();
    const uidls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = connect(store);
      await login(c.client);
      uidls.push(latin1((await c.client.multi('UIDL')).body));
      await c.client.command('QUIT');
      await c.done;
    }
    expect(uidls[0]).toBe(uidls[1]);
    const mailbox = await store.getMailboxById(mailboxId);
    expect(uidls[0]).toBe(
      `1 ${mailbox!.uidValidity}.1\r\n2 ${mailbox!.uidValidity}.2\r\n3 ${mailbox!.uidValidity}.3\r\n`,
    );
  });

  it('wrong password gets -ERR [AUTH]; AUTH PLAIN and SCRAM are offered from the store', async () => {
    const { store } = await setup();
    const c = connect(store);
    expect(await login(c.client, 'nope')).toBe('-ERR [AUTH] authentication failed');
    const capa = latin1((await c.client.multi('CAPA')).body);
    expect(capa).toContain('SASL SCRAM-SHA-256 PLAIN LOGIN\r\n');
    const plain = Buffer.from('\0alice@example.com\0secret').toString('base64');
    expect(await c.client.command(`AUTH PLAIN ${plain}`)).toMatch(/^\+OK maildrop locked/);
    await c.client.command('QUIT');
    await c.done;
  });

  it('AUTH SCRAM-SHA-256 from the store keys: server-final data as a last challenge, then +OK', async () => {
    const { createHash, createHmac, pbkdf2Sync, randomBytes } = await import('node:crypto');
    const { store } = await setup();
    const c = connect(store);
    expect(await c.client.line()).toMatch(/^\+OK/);
    const bare = `n=alice@example.com,r=${randomBytes(18).toString('base64')}`;
    const first = await c.client.command(
      `AUTH SCRAM-SHA-256 ${Buffer.from(`n,,${bare}`).toString('base64')}`,
    );
    expect(first).toMatch(/^\+ /);
    const serverFirst = Buffer.from(first!.slice(2), 'base64').toString();
    const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const salted = pbkdf2Sync('secret', Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
    const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
    const clientKey = hmac(salted, 'Client Key');
    const withoutProof = `c=biws,r=${attrs.r}`;
    const authMessage = `${bare},${serverFirst},${withoutProof}`;
    const signature = hmac(createHash('sha256').update(clientKey).digest(), authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    const final = await c.client.command(
      Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64'),
    );
    const expected = `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
    expect(final).toBe(`+ ${Buffer.from(expected).toString('base64')}`);
    expect(await c.client.command('')).toMatch(/^\+OK maildrop locked and ready, 3 messages/);
    await c.client.command('QUIT');
    await c.done;
  });

  it('STLS over the transport, and the injection probe: plaintext after STLS is not executed', async () => {
    const { store } = await setup();
    const c = connect(store, { allowInsecureAuth: false, starttls: true });
    expect(await c.client.line()).toMatch(/^\+OK/);
    expect(await c.client.command('USER alice@example.com')).toBe(
      '-ERR [AUTH] Plaintext authentication disallowed without TLS',
    );
    await c.client.send('STLS\r\nUSER alice@example.com\r\nPASS secret');
    expect(await c.client.line()).toBe('+OK Begin TLS negotiation');
    const capa = await c.client.multi('CAPA');
    expect(capa.status).toBe('+OK Capability list follows');
    expect(latin1(capa.body)).toContain('USER\r\n');
    expect(latin1(capa.body)).not.toContain('STLS');
    expect(await c.client.command('STAT')).toBe('-ERR STAT not allowed in AUTHORIZATION state');
    await c.client.command('QUIT');
    await c.done;
  });

  it('APOP through a custom onAuth', async () => {
    const { store, accountId } = await setup();
    const c = connect(store, {
      apopTimestamp: () => '<42.1@pop.example>',
      onAuth: async (credentials) =>
        credentials.mechanism === 'APOP' && credentials.verify('tanstaaf')
          ? { ok: true, user: accountId }
          : { ok: false },
    });
    const greeting = await c.client.line();
    expect(greeting).toBe('+OK POP3 server ready <42.1@pop.example>');
    const { createHash } = await import('node:crypto');
    const digest = createHash('md5').update('<42.1@pop.example>tanstaaf').digest('hex');
    expect(await c.client.command(`APOP alice ${digest}`)).toMatch(/^\+OK maildrop locked/);
    await c.client.command('QUIT');
    await c.done;
  });
});

/** A transport that feeds fixed input and only counts what it is given: nothing is retained. */
class SinkTransport implements Transport {
  info: ConnectionInfo = {
    localAddress: '::1',
    localPort: 110,
    remoteAddress: '::1',
    remotePort: 1,
    secure: true,
  };
  written = 0;
  writes = 0;
  private readonly input: ReadResult[];
  constructor(text: string) {
    this.input = [{ type: 'data', bytes: utf8(text) }];
  }
  read(): Promise<ReadResult> {
    return Promise.resolve(this.input.shift() ?? { type: 'end' });
  }
  write(bytes: Uint8Array): Promise<void> {
    this.written += bytes.length;
    this.writes += 1;
    return Promise.resolve();
  }
  end(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): void {}
  startTls(): Promise<TlsInfo> {
    return Promise.reject(new Error('no TLS'));
  }
}

describe('serve() streaming', () => {
  it('streams a 200 MB message chunk by chunk: each chunk is written before the next is read', async () => {
    const line = `${'x'.repeat(62)}\r\n`;
    const chunk = utf8(line.repeat(1024)); // 64 KiB
    const chunks = 3200; // 200 MiB
    const size = chunk.length * chunks;
    const sink = new SinkTransport('USER a\r\nPASS b\r\nRETR 1\r\nQUIT\r\n');
    let pulled = 0;
    let maxAhead = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = 0;
    await serve(sink, {
      onAuth: async () => ({ ok: true, user: 'a' }),
      onMaildrop: async () => ({
        messages: [{ size, uidl: 'big' }],
        read: async function* () {
          const start = sink.writes;
          for (let i = 0; i < chunks; i++) {
            pulled += 1;
            maxAhead = Math.max(maxAhead, pulled - (sink.writes - start));
            if (i % 400 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapBefore);
            yield chunk;
          }
        },
        commit: async () => {},
        release: async () => {},
      }),
    });
    expect(maxAhead).toBeLessThanOrEqual(1);
    const status = `+OK ${size} octets\r\n`;
    // greeting, USER, PASS, RETR status, body, terminator, QUIT
    expect(sink.written).toBeGreaterThan(size + status.length + 3);
    expect(heapPeak).toBeLessThan(64 * 1024 * 1024);
  }, 30_000);
});

describe('serve() and UTF-8 messages (RFC 6856 §2, RFC 6857)', () => {
  const INTL =
    'From: J\u00f6rg <j\u00f6rg@b\u00fccher.example>\r\nSubject: Gr\u00fc\u00dfe\r\n\r\nK\u00f6rper\r\n';

  async function intlStore(): Promise<MailStore> {
    const store = createMemoryStore();
    await store.accounts.createAccount({ address: 'alice@example.com', password: 'secret' });
    await store.deliver('alice@example.com', utf8(INTL), { internalDate: 0 });
    return store;
  }

  async function sizeAndRetr(
    client: TestClient,
  ): Promise<{ size: number; retr: Uint8Array; status?: string }> {
    const list = await client.command('LIST 1');
    const retr = await client.multi('RETR 1');
    return {
      size: Number(list!.split(' ')[2]),
      retr: retr.body,
      ...(retr.status ? { status: retr.status } : {}),
    };
  }

  it('after UTF8, RETR sends the raw UTF-8 message', async () => {
    const store = await intlStore();
    const { client, done } = connect(store);
    expect(await client.line()).toMatch(/^\+OK /);
    expect(await client.command('UTF8')).toBe('+OK UTF8 enabled');
    expect(await client.command('USER alice@example.com')).toBe('+OK send PASS');
    expect(await client.command('PASS secret')).toMatch(/^\+OK/);
    const { size, retr } = await sizeAndRetr(client);
    expect(Buffer.from(retr)).toEqual(Buffer.from(utf8(INTL)));
    expect(size).toBe(retr.length);
    await client.command('QUIT');
    await done;
  });

  it('without UTF8, RETR sends the downgraded header, LIST/STAT sizes are its octets, the body is unchanged', async () => {
    const store = await intlStore();
    for (const sizes of ['scan', 'store'] as const) {
      const { client, done } = connect(store, { sizes });
      expect(await login(client)).toMatch(/^\+OK/);
      const { size, retr, status } = await sizeAndRetr(client);
      const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
      expect(latin1(retr)).toBe(
        `From: =?UTF-8?B?${b64('J\u00f6rg <j\u00f6rg@b\u00fccher.example>')}?= :;\r\n` +
          `Subject: =?UTF-8?B?${b64('Gr\u00fc\u00dfe')}?=\r\n\r\n${latin1(utf8('K\u00f6rper\r\n'))}`,
      );
      expect(size).toBe(retr.length);
      expect(status).toBe(`+OK ${size} octets`);
      expect(await client.command('STAT')).toBe(`+OK 1 ${size}`);
      const top = await client.multi('TOP 1 0');
      expect(latin1(top.body)).toBe(`${latin1(retr).split('\r\n\r\n')[0]}\r\n\r\n`);
      await client.command('QUIT');
      await done;
    }
    // The same store, then a UTF8 client: the cached size is per form.
    const { client, done } = connect(store);
    expect(await client.line()).toMatch(/^\+OK /);
    await client.command('UTF8');
    await client.command('USER alice@example.com');
    await client.command('PASS secret');
    const { size, retr } = await sizeAndRetr(client);
    expect(size).toBe(utf8(INTL).length);
    expect(retr.length).toBe(size);
    await client.command('QUIT');
    await done;
  });
});
