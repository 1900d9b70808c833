import { MailwireError } from './errors.js';
import type { ConnectionInfo, ReadResult, TlsInfo, Transport } from './transport.js';

/**
 * Two connected in-memory transports, for tests and for running a client session against a server
 * session without a network. `startTls()` on either side marks both as secure.
 *
 * @example
 * const [client, server] = createTransportPair();
 * void server.write(new TextEncoder().encode('220 hello\r\n'));
 * const first = await client.read(); // { type: 'data', bytes }
 */
export function createTransportPair(
  options: MemoryTransportOptions = {},
): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport(options.client ?? defaultInfo('127.0.0.1', 50000, '127.0.0.1', 25));
  const b = new MemoryTransport(options.server ?? defaultInfo('127.0.0.1', 25, '127.0.0.1', 50000));
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export interface MemoryTransportOptions {
  readonly client?: ConnectionInfo;
  readonly server?: ConnectionInfo;
}

function defaultInfo(localAddress: string, localPort: number, remoteAddress: string, remotePort: number) {
  return { localAddress, localPort, remoteAddress, remotePort, secure: false };
}

export class MemoryTransport implements Transport {
  peer: MemoryTransport | undefined;
  info: ConnectionInfo;
  private queue: ReadResult[] = [];
  private waiter: ((result: ReadResult) => void) | undefined;
  private ended = false;
  private closed = false;
  /** Everything this side has written, for assertions. */
  readonly written: Uint8Array[] = [];

  constructor(info: ConnectionInfo) {
    this.info = info;
  }

  read(): Promise<ReadResult> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve({ type: 'end' });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Delivers an idle timeout to the pending or next `read()`. */
  fireTimeout(): void {
    this.deliver({ type: 'timeout' });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.ended || this.closed)
      return Promise.reject(new MailwireError('ERR_TRANSPORT_CLOSED', 'transport closed'));
    const copy = bytes.slice();
    this.written.push(copy);
    this.peer?.deliver({ type: 'data', bytes: copy });
    return Promise.resolve();
  }

  end(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      this.peer?.deliver({ type: 'end' });
    }
    return Promise.resolve();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.ended) {
      this.ended = true;
      this.peer?.deliver({ type: 'end' });
    }
    this.deliver({ type: 'end' });
  }

  startTls(): Promise<TlsInfo> {
    const tls: TlsInfo = { protocol: 'memory', cipher: 'none' };
    this.info = { ...this.info, secure: true, tls };
    if (this.peer) this.peer.info = { ...this.peer.info, secure: true, tls };
    return Promise.resolve(tls);
  }

  /** Everything written so far, as one latin1 string (for transcripts). */
  writtenText(): string {
    let text = '';
    for (const chunk of this.written) for (const byte of chunk) text += String.fromCharCode(byte);
    return text;
  }

  private deliver(result: ReadResult): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(result);
    } else {
      this.queue.push(result);
    }
  }
}
