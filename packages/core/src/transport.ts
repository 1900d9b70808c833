/**
 * The `Transport` interface: what a session driver (`serve()`) needs from a connection, and
 * nothing more. `@mailwire/node` implements it over `node:net`/`node:tls`; `createTransportPair()`
 * implements it in memory for tests. Any other carrier (WebSocket, a fuzzer) can implement it.
 *
 * Reading is pull-based: `read()` resolves with the next chunk, the end of the stream, or an idle
 * timeout reported by the transport (time is input, sessions never read the clock). A driver that
 * does not call `read()` applies backpressure to the peer.
 */

export interface TlsInfo {
  /** Negotiated protocol, e.g. `TLSv1.3`. */
  readonly protocol?: string | undefined;
  /** Negotiated cipher suite name. */
  readonly cipher?: string | undefined;
  /** The SNI server name the client asked for. */
  readonly servername?: string | undefined;
  /** Whether a client certificate was presented and verified. */
  readonly authorized?: boolean | undefined;
}

export interface ConnectionInfo {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True once TLS is active (implicit TLS port or after STARTTLS). */
  readonly secure: boolean;
  readonly tls?: TlsInfo | undefined;
  /** Set when the address came from a PROXY protocol header rather than the socket. */
  readonly proxied?: boolean | undefined;
}

export type ReadResult =
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** The peer closed its sending side, or the connection is gone. */
  | { readonly type: 'end' }
  /** The transport's idle timer fired; the connection is still open. */
  | { readonly type: 'timeout' };

export interface Transport {
  readonly info: ConnectionInfo;
  /** Resolves with the next input. Only one `read()` may be pending at a time. */
  read(): Promise<ReadResult>;
  /**
   * Optional: `read()` without a promise. Calls `callback` once with the next input — at once
   * when input is already queued, otherwise from the transport's own event when it arrives — so
   * a driver can answer within the turn the bytes came in. The same rules as `read()`: one read
   * (of either kind) pending at a time; a driver may always use `read()` instead.
   */
  readNext?(callback: (result: ReadResult) => void): void;
  /**
   * Queues bytes for the peer; resolves once the transport can take more (backpressure). A
   * transport may return `WRITTEN` itself when it took the bytes at once and can take more.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes what was written, then closes the connection. Idempotent. */
  end(): Promise<void>;
  /** Closes at once, dropping unsent output. Idempotent. */
  destroy(): void;
  /**
   * Upgrades the connection to TLS in place (STARTTLS). Plaintext that arrived after the command
   * and was not read yet is discarded by the transport; the session discards what it buffered.
   * Rejects with `ERR_TLS_UNAVAILABLE` when the transport has no TLS configuration.
   */
  startTls(): Promise<TlsInfo>;
  /** Starts COMPRESS=DEFLATE (RFC 4978) in both directions, after pending output is flushed. */
  compress?(): Promise<void>;
}

/**
 * The promise `Transport.write()` may return when the bytes were taken at once and the transport
 * can take more. A driver that sees this very object may go on without awaiting it (no microtask
 * turn per reply); awaiting it is always correct too.
 */
export const WRITTEN: Promise<void> = Promise.resolve();
