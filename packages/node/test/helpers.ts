import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { createSelfSignedCertificate } from '../src/self-signed.js';

export const pair = createSelfSignedCertificate({
  commonName: 'localhost',
  altNames: ['localhost', '127.0.0.1'],
});

/** A test client that records everything it receives. */
export class Client {
  received = Buffer.alloc(0);
  ended = false;
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.ended = true;
        this.notify();
        resolve();
      });
    });
  }

  static async connect(port: number, options: { localAddress?: string } = {}): Promise<Client> {
    const socket = net.connect({ port, host: '127.0.0.1', ...options });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new Client(socket);
  }

  static async connectTls(port: number, servername = 'localhost', ca: string = pair.cert): Promise<Client> {
    const socket = tls.connect({ port, host: '127.0.0.1', servername, ca });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return new Client(socket);
  }

  get text(): string {
    return this.received.toString('latin1');
  }

  push(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    this.notify();
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Resolves when the received text contains `needle`; rejects after `ms`. */
  until(needle: string, ms = 10_000): Promise<string> {
    return this.waitFor(() => this.text.includes(needle), JSON.stringify(needle), ms);
  }

  /** Resolves once the connection is closed. */
  untilClosed(ms = 10_000): Promise<string> {
    return this.waitFor(() => this.ended, 'close', ms);
  }

  /** Stops recording: returns the bytes received so far and detaches (for protocol upgrades). */
  detach(): Buffer {
    this.socket.removeAllListeners('data');
    this.socket.pause();
    return this.received;
  }

  private waitFor(test: () => boolean, what: string, ms: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!test()) return false;
        clearTimeout(timer);
        resolve(this.text);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what} (got ${JSON.stringify(this.text)})`));
      }, ms);
      const waiter = () => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Upgrades a plain client to TLS in place (the client side of STARTTLS). */
export async function upgradeClient(
  client: Client,
  servername = 'localhost',
  ca: string = pair.cert,
): Promise<Client> {
  client.detach();
  const socket = tls.connect({ socket: client.socket as net.Socket, servername, ca });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return new Client(socket);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolver, for handing values out of connection handlers. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
