import { createTransportPair, fromLatin1, latin1, type MemoryTransport } from '@mailwire/core';
import { createMemoryStore, type MailStore, type PasswordHasher } from '@mailwire/store';
import { type ServeOptions, serve } from '../src/index.js';

export const hasher: PasswordHasher = {
  hash: async (password) => `plain:${password}`,
  verify: async (password, encoded) => encoded === `plain:${password}`,
};

export async function makeStore(): Promise<MailStore> {
  const store = createMemoryStore({ hasher });
  await store.accounts.createAccount({ address: 'alice@example.com', password: 'secret' });
  return store;
}

export const SAMPLE = [
  'From: Alice <alice@example.com>',
  'To: Bob <bob@example.com>',
  'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= hello',
  'Date: Mon, 7 Feb 1994 21:52:25 -0800',
  'Message-ID: <1@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  'preamble',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Caf=C3=A9 body text',
  '--b1',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  'AAECAw==',
  '--b1--',
  '',
].join('\r\n');

/** A client over an in-memory transport pair, with `serve()` on the other end. */
export class TestClient {
  private text = '';
  private reading: Promise<void>;
  readonly served: Promise<void>;
  constructor(
    readonly transport: MemoryTransport,
    served: Promise<void>,
  ) {
    this.served = served;
    this.reading = this.pump();
  }

  private async pump(): Promise<void> {
    for (;;) {
      const r = await this.transport.read();
      if (r.type !== 'data') return;
      this.text += latin1(r.bytes);
      this.wake?.();
    }
  }

  private wake: (() => void) | undefined;

  /** Waits until the received text matches, then returns and consumes it up to the match end. */
  async until(pattern: RegExp, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.text);
      if (m !== null) {
        const end = m.index + m[0].length;
        const out = this.text.slice(0, end);
        this.text = this.text.slice(end);
        return out;
      }
      if (Date.now() > deadline)
        throw new Error(`timeout waiting for ${pattern}; got ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  write(text: string | Uint8Array): void {
    void this.transport.write(typeof text === 'string' ? fromLatin1(text) : text);
  }

  /** Sends a tagged command and returns everything up to its tagged response. */
  async command(line: string): Promise<string> {
    const tag = line.split(' ')[0]!;
    this.write(`${line}\r\n`);
    return this.until(
      new RegExp(`(^|\\n)${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (OK|NO|BAD)[^\\n]*\\r\\n`),
    );
  }

  pending(): string {
    return this.text;
  }

  async close(): Promise<void> {
    this.transport.destroy();
    await this.served.catch(() => undefined);
    await this.reading;
  }
}

export async function connect(store: MailStore, options: Partial<ServeOptions> = {}): Promise<TestClient> {
  const [client, server] = createTransportPair();
  const served = serve(server, { store, allowInsecureAuth: true, ...options });
  const c = new TestClient(client, served);
  await c.until(/^\* OK [^\n]*\r\n/);
  return c;
}

export async function loggedIn(store: MailStore, options: Partial<ServeOptions> = {}): Promise<TestClient> {
  const c = await connect(store, options);
  await c.command('L1 LOGIN alice@example.com secret');
  return c;
}
