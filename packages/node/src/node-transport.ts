/**
 * `NodeTransport`: the `Transport` of `@mailwire/core` over a `node:net` socket, with STARTTLS,
 * COMPRESS=DEFLATE and an idle timer.
 *
 * Theory of operation.
 *
 * Reading is pull-based with a small read-ahead. Input is taken off the socket (or, once
 * compression is on, the inflater) while a `read()` is pending or while less than `readAheadBytes`
 * (64 KiB) waits unread; beyond that the source is paused. Node then buffers up to its
 * `readableHighWaterMark` (16 KiB, overshot by at most one 64 KiB read) and stops reading the
 * kernel socket, so TCP flow control reaches the peer: however fast a client sends, we hold about
 * 200 KiB of its input at most while the application is not consuming.
 *
 * Writing goes straight to the socket (or through the deflater). `write()` resolves at once when
 * the socket takes the bytes below its high-water mark, otherwise on `'drain'`: a peer that does
 * not read stops the writer.
 *
 * Upgrades (STARTTLS, COMPRESS) are done between reads. Input the application has not read and
 * that arrived before our last reply was written is plaintext the peer sent after its STARTTLS
 * command without waiting for the answer: it is discarded (the STARTTLS injection defence, RFC
 * 3207 §4.2 / RFC 2595 §3.1 / RFC 9051 §6.2.1 / CVE-2011-0411). The transport knows the stream
 * offset of everything it read ahead and of what Node had buffered when the last reply was
 * written, so input that came later (a fast client's TLS ClientHello, read ahead while the driver
 * was busy) is handed to the TLS layer, which fails the handshake if it is not TLS. Injected
 * plaintext is never returned by `read()`.
 *
 * Time: an idle timer (reset by input and by write progress) fires while the application waits
 * in `read()` and is delivered as `{ type: 'timeout' }`; the connection stays open and the
 * session decides. When it fires while a `write()` waits for a peer that has stopped reading, the
 * connection is closed (`ERR_TRANSPORT_TIMEOUT`): nothing else would ever unblock that writer.
 * When it fires while the application is busy (neither), it is ignored and the next `read()`
 * gives the peer a whole period.
 */

import type net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import tls from 'node:tls';
import zlib from 'node:zlib';
import {
  type ConnectionInfo,
  MailwireError,
  type ReadResult,
  type TlsInfo,
  type Transport,
  UsageError,
  WRITTEN,
} from '@mailwire/core';
import type { ProxyHeader } from './proxy-protocol.js';
import { createTlsConfig, type TlsConfig, type TlsOptions } from './tls-config.js';

export interface NodeTransportOptions {
  /** TLS settings for `startTls()`. Without them `startTls()` rejects with `ERR_TLS_UNAVAILABLE`. */
  readonly tls?: TlsOptions | TlsConfig | undefined;
  /** Idle time before a pending `read()` resolves with `{ type: 'timeout' }`. 0 (default) = never. */
  readonly idleTimeoutMs?: number | undefined;
  /** After `end()`, how long to wait for the peer to close before destroying. Default 5 s. */
  readonly lingerMs?: number | undefined;
  /**
   * Input read ahead of the application before the socket is paused, in octets. Default 64 KiB.
   * Node buffers up to its `readableHighWaterMark` (16 KiB) on top of this.
   */
  readonly readAheadBytes?: number | undefined;
  /** Addresses from a PROXY protocol header, reported in `info` with `proxied: true`. */
  readonly proxied?: { readonly remoteAddress: string; readonly remotePort: number } | undefined;
  /** The whole PROXY header (TLVs included), exposed as `transport.proxyHeader`. */
  readonly proxyHeader?: ProxyHeader | undefined;
}

const TIMEOUT: ReadResult = { type: 'timeout' };
const END: ReadResult = { type: 'end' };

function closedError(): MailwireError {
  return new MailwireError('ERR_TRANSPORT_CLOSED', 'transport closed');
}

function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** TLS details of a secure socket, as reported in `ConnectionInfo.tls`. */
export function tlsInfoOf(socket: tls.TLSSocket): TlsInfo {
  const servername = (socket as tls.TLSSocket & { servername?: string | false }).servername;
  return {
    protocol: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.name,
    servername: typeof servername === 'string' ? servername : undefined,
    authorized: socket.authorized,
  };
}

/**
 * Performs the server side of a TLS handshake over `socket`, resolving with the secure socket.
 * Rejects (and destroys the socket) on a failed or timed-out handshake.
 */
export function acceptTls(socket: net.Socket, config: TlsConfig): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = new tls.TLSSocket(socket, config.socketOptions());
    const fail = (cause: unknown) => {
      clearTimeout(timer);
      secure.destroy();
      socket.destroy();
      reject(new MailwireError('ERR_TLS_HANDSHAKE', 'TLS handshake failed', { cause }));
    };
    const timer = setTimeout(() => fail(new Error('handshake timeout')), config.handshakeTimeoutMs);
    timer.unref();
    const onError = (error: Error) => fail(error);
    const onClose = () => fail(new Error('connection closed during handshake'));
    secure.once('error', onError);
    secure.once('close', onClose);
    secure.on('error', () => {});
    secure.once('secure', () => {
      clearTimeout(timer);
      secure.off('error', onError);
      secure.off('close', onClose);
      resolve(secure);
    });
  });
}

/**
 * A `Transport` over a Node socket. `listen()` creates them; create one yourself to serve a
 * socket you accepted another way.
 *
 * @example
 * net.createServer({ pauseOnConnect: true }, (socket) => {
 *   const transport = new NodeTransport(socket, { tls: { key, cert }, idleTimeoutMs: 300_000 });
 *   void serve(transport, hooks);
 * });
 */
export class NodeTransport implements Transport {
  private carrier: net.Socket;
  private source: Readable;
  private deflater: zlib.DeflateRaw | undefined;
  private tlsConfig: TlsConfig | undefined;
  private currentInfo: ConnectionInfo;
  private readonly queue: ReadResult[] = [];
  private queuedBytes = 0;
  private readonly readAhead: number;
  private waiter: ((result: ReadResult) => void) | undefined;
  private inputEnded = false;
  private endDelivered = false;
  private closed = false;
  private ending: Promise<void> | undefined;
  private upgrading = false;
  private idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastActivity = 0;
  private readonly lingerMs: number;
  private blockedWrites = 0;
  private idleExpired = false;
  /** Octets pulled off the current source, and the source offset up to which input is older than our last write. */
  private pulled = 0;
  private olderThanLastWrite = 0;
  private discardedBytes = 0;
  private readonly closeWaiters = new Set<() => void>();
  private failure: Error | undefined;
  /** The PROXY protocol header the connection started with, if the listener expects one. */
  readonly proxyHeader: ProxyHeader | undefined;

  constructor(socket: net.Socket, options: NodeTransportOptions = {}) {
    this.carrier = socket;
    this.source = socket;
    this.tlsConfig = options.tls === undefined ? undefined : createTlsConfig(options.tls);
    this.idleMs = options.idleTimeoutMs ?? 0;
    this.lingerMs = options.lingerMs ?? 5000;
    this.readAhead = options.readAheadBytes ?? 64 * 1024;
    this.proxyHeader = options.proxyHeader;
    const secure = socket instanceof tls.TLSSocket && socket.encrypted;
    this.currentInfo = {
      localAddress: plainAddress(socket.localAddress),
      localPort: socket.localPort ?? 0,
      remoteAddress: options.proxied ? options.proxied.remoteAddress : plainAddress(socket.remoteAddress),
      remotePort: options.proxied ? options.proxied.remotePort : (socket.remotePort ?? 0),
      secure,
      ...(secure ? { tls: tlsInfoOf(socket as tls.TLSSocket) } : {}),
      ...(options.proxied ? { proxied: true } : {}),
    };
    socket.pause();
    this.attachCarrier(socket);
    this.attachSource(socket);
    if (socket.destroyed) this.onClose();
    this.armIdle();
  }

  get info(): ConnectionInfo {
    return this.currentInfo;
  }

  /** Octets of unread plaintext dropped by `startTls()`/`compress()` (for logs and tests). */
  get discarded(): number {
    return this.discardedBytes;
  }

  /** True once the connection is gone (closed by either side or destroyed). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The error that closed the connection, if any (socket error, bad deflate stream…). */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Changes the idle timeout (e.g. IMAP IDLE allows longer silences); 0 disables it. */
  setIdleTimeout(ms: number): void {
    this.idleMs = ms;
    // A new period length: a timer set for the old one may be too late.
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.armIdle();
  }

  read(): Promise<ReadResult> {
    if (this.waiter)
      return Promise.reject(new UsageError('ERR_INVALID_STATE', 'a read() is already pending'));
    const queued = this.take();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.wait(resolve));
  }

  /**
   * `read()` without a promise: `callback` runs at once with queued input, or from the socket's
   * 'data' (or end, close, idle) event — a driver answers in the same turn the bytes came in.
   */
  readNext(callback: (result: ReadResult) => void): void {
    if (this.waiter) throw new UsageError('ERR_INVALID_STATE', 'a read() is already pending');
    const queued = this.take();
    if (queued !== undefined) callback(queued);
    else this.wait(callback);
  }

  /** Queued input (or the end), if any; resumes the socket once there is room to read ahead. */
  private take(): ReadResult | undefined {
    const queued = this.queue.shift();
    if (queued !== undefined) {
      if (queued.type === 'data') this.queuedBytes -= queued.bytes.length;
      if (this.queuedBytes < this.readAhead && !this.upgrading && !this.closed) this.source.resume();
      return queued;
    }
    if (this.closed || this.inputEnded) return END;
    return undefined;
  }

  private wait(waiter: (result: ReadResult) => void): void {
    this.waiter = waiter;
    // The peer gets a whole idle period of our waiting, even if the application was busy long.
    if (this.idleExpired) this.armIdle();
    if (!this.upgrading) this.source.resume();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.ending) return Promise.reject(closedError());
    if (this.upgrading) {
      // A write now would reach the peer in plaintext in the middle of the TLS handshake.
      return Promise.reject(new UsageError('ERR_INVALID_STATE', 'write() during the TLS handshake'));
    }
    this.olderThanLastWrite = this.pulled + this.source.readableLength;
    this.armIdle();
    const carrier = this.carrier;
    if (this.deflater) {
      const deflater = this.deflater;
      deflater.write(bytes);
      // RFC 4978 §4: flush after each response so the client can decode it whole (Z_SYNC_FLUSH).
      const flushed = new Promise<void>((resolve, reject) => {
        const onClose = () => reject(closedError());
        this.onClosed(onClose);
        deflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          this.closeWaiters.delete(onClose);
          resolve();
        });
      });
      return this.blocking(
        flushed.then(() => (carrier.writableNeedDrain ? this.drained(carrier) : undefined)),
      );
    }
    // Taken below the high-water mark: `WRITTEN` lets the driver go on without a microtask turn.
    if (carrier.write(bytes)) return WRITTEN;
    return this.blocking(this.drained(carrier));
  }

  end(): Promise<void> {
    if (this.ending) return this.ending;
    if (this.closed) return Promise.resolve();
    this.ending = new Promise<void>((resolve) => {
      const carrier = this.carrier;
      const finished = () => {
        resolve();
        if (!this.closed) {
          const linger = setTimeout(() => this.destroy(), this.lingerMs);
          linger.unref();
          this.onClosed(() => clearTimeout(linger));
        }
      };
      this.onClosed(resolve);
      carrier.once('finish', finished);
      // Input is no longer wanted: drain it so the peer's FIN is seen and the socket can close.
      this.detachSource();
      this.source.on('data', () => {});
      this.source.once('end', this.onEnd);
      this.source.resume();
      if (this.deflater) {
        this.deflater.once('end', () => carrier.end());
        this.deflater.end();
      } else {
        carrier.end();
      }
    });
    return this.ending;
  }

  destroy(): void {
    if (this.closed) return;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.carrier.destroy();
    this.deflater?.destroy();
    if (this.source !== this.carrier) this.source.destroy();
    this.onClose();
  }

  startTls(): Promise<TlsInfo> {
    if (!this.tlsConfig)
      return Promise.reject(new MailwireError('ERR_TLS_UNAVAILABLE', 'no TLS configuration'));
    const misuse = this.upgradeMisuse();
    if (misuse) return Promise.reject(misuse);
    if (this.currentInfo.secure)
      return Promise.reject(new UsageError('ERR_INVALID_STATE', 'TLS is already active'));
    if (this.deflater) {
      // RFC 4978 §3: TLS is negotiated before COMPRESS, never after it.
      return Promise.reject(new UsageError('ERR_INVALID_STATE', 'cannot start TLS after COMPRESS'));
    }
    const plain = this.carrier;
    this.upgrading = true;
    this.detachSource();
    const fresh = this.discardUnread();
    // Input newer than our reply (the ClientHello, read ahead) goes back for the TLS layer.
    if (fresh.length > 0) plain.unshift(Buffer.concat(fresh));
    return acceptTls(plain, this.tlsConfig).then(
      (secure) => {
        this.upgrading = false;
        this.carrier = secure;
        this.source = secure;
        this.pulled = 0;
        this.olderThanLastWrite = 0;
        secure.pause();
        this.attachCarrier(secure);
        this.attachSource(secure);
        const tlsInfo = tlsInfoOf(secure);
        this.currentInfo = { ...this.currentInfo, secure: true, tls: tlsInfo };
        this.armIdle();
        if (this.waiter) secure.resume();
        return tlsInfo;
      },
      (error: unknown) => {
        this.upgrading = false;
        this.failure = error as Error;
        this.onClose();
        throw error;
      },
    );
  }

  compress(): Promise<void> {
    const misuse = this.upgradeMisuse();
    if (misuse) return Promise.reject(misuse);
    if (this.deflater)
      return Promise.reject(new UsageError('ERR_INVALID_STATE', 'compression is already active'));
    const carrier = this.carrier;
    this.detachSource();
    const fresh = this.discardUnread();
    // RFC 4978 §3: raw DEFLATE (RFC 1951) in each direction, no zlib header.
    const inflater = zlib.createInflateRaw();
    const deflater = zlib.createDeflateRaw();
    this.deflater = deflater;
    this.source = inflater;
    this.pulled = 0;
    this.olderThanLastWrite = 0;
    inflater.pause();
    inflater.on('error', (error) => this.fail(error));
    deflater.on('error', (error) => this.fail(error));
    deflater.on('data', (chunk: Buffer) => {
      if (!carrier.write(chunk)) {
        deflater.pause();
        carrier.once('drain', () => deflater.resume());
      }
    });
    carrier.on('data', (chunk: Buffer) => {
      this.armIdle();
      if (!inflater.write(chunk)) {
        carrier.pause();
        inflater.once('drain', () => carrier.resume());
      }
    });
    carrier.once('end', () => inflater.end());
    this.attachSource(inflater);
    // What the peer sent after our reply is compressed already: feed it to the inflater.
    for (const chunk of fresh) inflater.write(chunk);
    carrier.resume();
    return Promise.resolve();
  }

  private upgradeMisuse(): Error | undefined {
    if (this.closed || this.ending) return closedError();
    if (this.upgrading) return new UsageError('ERR_INVALID_STATE', 'an upgrade is in progress');
    if (this.waiter) return new UsageError('ERR_INVALID_STATE', 'upgrade while a read() is pending');
    return undefined;
  }

  /**
   * Drops unread input older than our last reply: the STARTTLS/COMPRESS injection defence (see
   * the top of this file). Returns the read-ahead input that is newer, for the next layer.
   */
  private discardUnread(): Buffer[] {
    const fresh: Buffer[] = [];
    let offset = this.pulled - this.queuedBytes;
    for (const item of this.queue.splice(0)) {
      if (item.type === 'end') this.queue.push(item);
      if (item.type !== 'data') continue;
      const staleHere = Math.max(0, Math.min(item.bytes.length, this.olderThanLastWrite - offset));
      this.discardedBytes += staleHere;
      if (staleHere < item.bytes.length) fresh.push(Buffer.from(item.bytes.subarray(staleHere)));
      offset += item.bytes.length;
    }
    this.queuedBytes = 0;
    const source = this.source;
    const stale = Math.min(this.olderThanLastWrite - this.pulled, source.readableLength);
    if (stale > 0) {
      const dropped = source.read(stale) as Buffer | null;
      this.discardedBytes += dropped?.length ?? 0;
    }
    return fresh;
  }

  private readonly onData = (chunk: Buffer) => {
    this.pulled += chunk.length;
    this.armIdle();
    if (!this.waiter) this.queuedBytes += chunk.length;
    this.deliver({ type: 'data', bytes: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) });
    if (this.queuedBytes >= this.readAhead) this.source.pause();
  };

  private readonly onEnd = () => {
    this.inputEnded = true;
    this.deliver(END);
  };

  private readonly onError = (error: Error) => {
    this.failure ??= error;
  };

  private readonly onCarrierClose = () => {
    if (!this.upgrading) this.onClose();
  };

  private attachSource(source: Readable): void {
    source.on('data', this.onData);
    source.on('end', this.onEnd);
  }

  private detachSource(): void {
    // Paused first: a flowing stream without a 'data' listener would drop what it reads.
    this.source.pause();
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
  }

  private attachCarrier(carrier: net.Socket): void {
    carrier.on('error', this.onError);
    carrier.on('close', this.onCarrierClose);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.deliver(END);
    for (const waiter of this.closeWaiters) waiter();
    this.closeWaiters.clear();
  }

  private onClosed(callback: () => void): void {
    if (this.closed) callback();
    else this.closeWaiters.add(callback);
  }

  private deliver(result: ReadResult): void {
    if (this.endDelivered) return;
    if (result === END) this.endDelivered = true;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(result);
    } else {
      this.queue.push(result);
    }
  }

  private drained(stream: Writable): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(closedError());
        return;
      }
      const onDrain = () => {
        this.closeWaiters.delete(onClose);
        this.armIdle();
        resolve();
      };
      const onClose = () => {
        stream.off('drain', onDrain);
        reject(closedError());
      };
      stream.once('drain', onDrain);
      this.closeWaiters.add(onClose);
    });
  }

  private blocking(promise: Promise<void>): Promise<void> {
    this.blockedWrites++;
    const done = () => {
      this.blockedWrites--;
    };
    promise.then(done, done);
    return promise;
  }

  /**
   * Restarts the idle period. Activity only records the time: one timer per connection, re-armed
   * for the rest of the period when it fires early, instead of a new timer per chunk and write.
   */
  private armIdle(): void {
    this.idleExpired = false;
    if (this.idleMs <= 0 || this.closed) {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      return;
    }
    this.lastActivity = performance.now();
    if (this.idleTimer === undefined) {
      this.idleTimer = setTimeout(this.onIdle, this.idleMs);
      this.idleTimer.unref();
    }
  }

  private readonly onIdle = () => {
    this.idleTimer = undefined;
    if (this.closed || this.idleMs <= 0) return;
    const left = this.lastActivity + this.idleMs - performance.now();
    if (left > 0) {
      // There was activity since the timer was set: wait for the rest of the period.
      this.idleTimer = setTimeout(this.onIdle, left);
      this.idleTimer.unref();
      return;
    }
    if (this.waiter) {
      this.deliver(TIMEOUT);
    } else if (this.blockedWrites > 0) {
      this.fail(new MailwireError('ERR_TRANSPORT_TIMEOUT', 'the peer stopped reading'));
      return;
    } else {
      // The application is busy: the next read() starts a fresh period.
      this.idleExpired = true;
      return;
    }
    this.armIdle();
  };
}
