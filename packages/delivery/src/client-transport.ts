/**
 * `connectSmtp()`: a client `Transport` over `node:net` that can upgrade itself to TLS as the
 * client (STARTTLS, RFC 3207). `@mailwire/node`'s `NodeTransport` is the server's side of a
 * handshake; the delivery agent needs this one.
 *
 * Reads are pulled: at most `readAheadBytes` wait in memory before the socket is paused. On
 * `startTls()` whatever arrived after the 220 and was not read is discarded (RFC 3207 §4.2
 * injection defence, with the session's own discard).
 */

import net from 'node:net';
import tls from 'node:tls';
import {
  type ConnectionInfo,
  MailwireError,
  type ReadResult,
  type TlsInfo,
  type Transport,
} from '@mailwire/core';

/** `TlsInfo` plus why the server's certificate did not validate (Node's code), when it did not. */
export interface ClientTlsInfo extends TlsInfo {
  /** E.g. `DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`. */
  readonly authorizationError?: string | undefined;
}

export interface ConnectSmtpOptions {
  /** The MX host name, for SNI and certificate checks. */
  readonly servername?: string;
  /**
   * TLS client settings for STARTTLS. Default `{ rejectUnauthorized: false }`: opportunistic TLS
   * for MX delivery without DANE or MTA-STS authenticates nobody (RFC 7435 §1.3), but encrypts.
   */
  readonly tls?: tls.ConnectionOptions;
  readonly connectTimeoutMs?: number;
  readonly readAheadBytes?: number;
}

/**
 * Opens a TCP connection to an SMTP server.
 *
 * @example
 * const transport = await connectSmtp('192.0.2.1', 25, { servername: 'mx.example.com' });
 */
export function connectSmtp(
  address: string,
  port: number,
  options: ConnectSmtpOptions = {},
): Promise<ClientTransport> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`connect timeout ${address}:${port}`)),
      options.connectTimeoutMs ?? 30_000,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new ClientTransport(socket, options));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export class ClientTransport implements Transport {
  private socket: net.Socket;
  private readonly options: ConnectSmtpOptions;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private ended = false;
  private closed = false;
  private waiter: ((r: ReadResult) => void) | undefined;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private currentInfo: ConnectionInfo;

  constructor(socket: net.Socket, options: ConnectSmtpOptions = {}) {
    this.socket = socket;
    this.options = options;
    this.currentInfo = {
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      secure: false,
    };
    this.attach(socket);
  }

  get info(): ConnectionInfo {
    return this.currentInfo;
  }

  private readonly onData = (chunk: Buffer) => {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      this.clearIdle();
      w({ type: 'data', bytes: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length) });
      return;
    }
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes >= (this.options.readAheadBytes ?? 64 * 1024)) this.socket.pause();
  };

  private readonly onEnd = () => {
    this.ended = true;
    this.wake({ type: 'end' });
  };

  private readonly onClose = () => {
    this.closed = true;
    this.ended = true;
    this.clearIdle();
    this.wake({ type: 'end' });
  };

  private readonly onError = () => {
    // 'close' follows; reads then see the end.
  };

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  private detach(socket: net.Socket): void {
    socket.pause();
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onClose);
    socket.off('error', this.onError);
  }

  private wake(result: ReadResult): void {
    const w = this.waiter;
    this.waiter = undefined;
    this.clearIdle();
    w?.(result);
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Idle time before a pending `read()` resolves with `{ type: 'timeout' }`; 0 = never. */
  setIdleTimeout(ms: number): void {
    this.idleMs = ms;
  }

  read(): Promise<ReadResult> {
    const chunk = this.buffered.shift();
    if (chunk) {
      this.bufferedBytes -= chunk.length;
      if (this.bufferedBytes < (this.options.readAheadBytes ?? 64 * 1024)) this.socket.resume();
      return Promise.resolve({
        type: 'data',
        bytes: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length),
      });
    }
    if (this.ended) return Promise.resolve({ type: 'end' });
    if (this.waiter)
      return Promise.reject(new MailwireError('ERR_INVALID_STATE', 'a read() is already pending'));
    this.socket.resume();
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (this.idleMs > 0) this.idleTimer = setTimeout(() => this.wake({ type: 'timeout' }), this.idleMs);
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.socket.destroyed)
      return Promise.reject(new MailwireError('ERR_TRANSPORT_CLOSED', 'transport closed'));
    return new Promise((resolve, reject) => {
      const ok = this.socket.write(bytes, (error) => {
        if (error) reject(new MailwireError('ERR_TRANSPORT_CLOSED', 'write failed', { cause: error }));
      });
      if (ok) resolve();
      else {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.once('drain', done);
        this.socket.once('close', done);
      }
    });
  }

  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // A server that never closes its side does not keep us waiting.
      setTimeout(() => this.socket.destroy(), 5000).unref();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The client's side of STARTTLS: call after the server's 220. */
  startTls(): Promise<TlsInfo> {
    if (this.closed) return Promise.reject(new MailwireError('ERR_TRANSPORT_CLOSED', 'transport closed'));
    const plain = this.socket;
    this.detach(plain);
    // RFC 3207 §4.2: nothing the server sent in clear after its 220 is kept.
    this.buffered = [];
    this.bufferedBytes = 0;
    return new Promise((resolve, reject) => {
      const secure = tls.connect({
        socket: plain,
        ...(this.options.servername && net.isIP(this.options.servername) === 0
          ? { servername: this.options.servername }
          : {}),
        rejectUnauthorized: false,
        ...this.options.tls,
      });
      const fail = (error: Error) => {
        secure.destroy();
        this.closed = true;
        this.ended = true;
        reject(
          new MailwireError('ERR_TLS_FAILED', `TLS handshake failed: ${error.message}`, { cause: error }),
        );
      };
      secure.once('error', fail);
      secure.once('secureConnect', () => {
        secure.off('error', fail);
        this.socket = secure;
        this.attach(secure);
        // `authorized` covers the chain and the host name (`checkServerIdentity` for servername).
        const info: ClientTlsInfo = {
          protocol: secure.getProtocol() ?? undefined,
          cipher: secure.getCipher()?.name,
          servername: this.options.servername,
          authorized: secure.authorized,
          ...(secure.authorizationError === undefined || secure.authorizationError === null
            ? {}
            : { authorizationError: String(secure.authorizationError) }),
        };
        this.currentInfo = { ...this.currentInfo, secure: true, tls: info };
        resolve(info);
      });
    });
  }
}
