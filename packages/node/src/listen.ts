/**
 * `listen()`: a TCP (or implicit-TLS) listener that hands each accepted connection to the
 * application as a `NodeTransport`, with connection limits, an optional PROXY protocol header,
 * and graceful shutdown.
 *
 * Per connection, in order: the PROXY header is read if enabled (the client address then comes
 * from it), the limits are checked against that address, the TLS handshake runs on an implicit-TLS
 * listener (RFC 8314 §3.3), and the transport goes to `onConnection` — or, over a limit, to
 * `onRejected` / the `busyReply`. Nothing is read from the socket before that point other than the
 * PROXY header itself: sockets are accepted paused.
 */

import net from 'node:net';
import { MailwireError, UsageError } from '@mailwire/core';
import { ipFamily, parseIpv4, parseIpv6 } from './ip.js';
import { acceptTls, NodeTransport } from './node-transport.js';
import { parseProxyHeader, PROXY_V1_MAX_LENGTH, type ProxyHeader } from './proxy-protocol.js';
import { createTlsConfig, type TlsConfig, type TlsOptions } from './tls-config.js';

export interface ConnectionLimits {
  /** Connections open at once, all clients together. Default 1000. */
  readonly maxConnections?: number;
  /** Connections open at once from one client address. Default 20. */
  readonly maxConnectionsPerIp?: number;
  /**
   * Idle time before a waiting `read()` gets `{ type: 'timeout' }`. Default 300 000 ms, the
   * SMTP server timeout of RFC 5321 §4.5.3.2.7 (IMAP servers may raise it: RFC 9051 §5.4 asks
   * for at least 30 minutes, see `NodeTransport.setIdleTimeout()`). 0 disables it.
   */
  readonly idleTimeoutMs?: number;
}

export interface ProxyProtocolOptions {
  /** Peers allowed to send a header (IPs or CIDR blocks). Others are disconnected. Default: any peer. */
  readonly trusted?: readonly string[];
  /** Time allowed for the header to arrive. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Largest version 2 payload accepted. Default 1024 octets. */
  readonly maxV2Length?: number;
}

export type RejectReason = 'maxConnections' | 'maxConnectionsPerIp';

export interface ListenOptions {
  /** Default `127.0.0.1`: listening on all interfaces is a decision, not a default. */
  readonly host?: string;
  /** 0 picks a free port (read it back from `server.port`). */
  readonly port: number;
  /** TLS settings for `startTls()` and for `implicitTls`. */
  readonly tls?: TlsOptions | TlsConfig;
  /** Start TLS at once on connect (SMTP submissions on 465, IMAPS on 993, POP3S on 995). */
  readonly implicitTls?: boolean;
  /** Called for each accepted connection; the transport is ended when the promise settles. */
  onConnection(transport: NodeTransport): Promise<void> | void;
  readonly limits?: ConnectionLimits;
  /** Expect a PROXY protocol (v1 or v2) header on every connection. Default off. */
  readonly proxyProtocol?: boolean | ProxyProtocolOptions;
  /**
   * Called instead of `onConnection` for a connection over a limit, to answer it politely
   * (e.g. SMTP `421 4.7.0 Too many connections`); the transport is ended afterwards.
   */
  onRejected?(transport: NodeTransport, reason: RejectReason): Promise<void> | void;
  /** Bytes written to a connection over a limit before closing it, when there is no `onRejected`. */
  readonly busyReply?: Uint8Array | string;
  /** Errors thrown by `onConnection`/`onRejected`, and connections dropped before they started. */
  onError?(error: unknown): void;
}

export interface CloseOptions {
  /** How long active connections may continue before they are destroyed. Default 10 000 ms. */
  readonly graceMs?: number;
}

export interface MailwireServer {
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  address(): net.AddressInfo;
  /** Connections open now (including those still sending a PROXY header or handshaking). */
  readonly connections: number;
  /** True once `close()` was called. */
  readonly closing: boolean;
  /**
   * Stops accepting, waits up to `graceMs` for the `onConnection` promises to settle, then destroys
   * what remains. Resolves once every socket is closed.
   */
  close(options?: CloseOptions): Promise<void>;
}

interface Connection {
  readonly socket: net.Socket;
  ip: string | undefined;
  transport: NodeTransport | undefined;
  done: Promise<void> | undefined;
}

/**
 * Starts a listener.
 *
 * @example
 * const server = await listen({
 *   port: 2525,
 *   limits: { maxConnections: 100, maxConnectionsPerIp: 5 },
 *   busyReply: '421 4.7.0 Too many connections\r\n',
 *   onConnection: (transport) => serveSmtp(transport, hooks),
 * });
 * // later
 * await server.close({ graceMs: 5000 });
 */
export async function listen(options: ListenOptions): Promise<MailwireServer> {
  if (typeof options.onConnection !== 'function') {
    throw new UsageError('ERR_INVALID_ARGUMENT', 'onConnection is required');
  }
  const tlsConfig = options.tls === undefined ? undefined : createTlsConfig(options.tls);
  if (options.implicitTls && !tlsConfig) {
    throw new MailwireError('ERR_TLS_UNAVAILABLE', 'implicitTls needs tls options');
  }
  const maxConnections = options.limits?.maxConnections ?? 1000;
  const maxPerIp = options.limits?.maxConnectionsPerIp ?? 20;
  const idleTimeoutMs = options.limits?.idleTimeoutMs ?? 300_000;
  const proxy = options.proxyProtocol === true ? {} : options.proxyProtocol || undefined;
  const trusted = proxy?.trusted?.map(parseCidr);
  const busyReply =
    typeof options.busyReply === 'string' ? new TextEncoder().encode(options.busyReply) : options.busyReply;
  const onError = options.onError ?? (() => {});

  const connections = new Set<Connection>();
  const perIp = new Map<string, number>();
  let closing = false;

  const release = (connection: Connection) => {
    if (!connections.delete(connection)) return;
    if (connection.ip === undefined) return;
    const count = (perIp.get(connection.ip) ?? 1) - 1;
    if (count <= 0) perIp.delete(connection.ip);
    else perIp.set(connection.ip, count);
  };

  const handle = async (connection: Connection) => {
    let socket = connection.socket;
    let header: ProxyHeader | undefined;
    if (proxy) {
      const peer = normaliseIp(socket.remoteAddress ?? '');
      if (trusted && !trusted.some((range) => range(peer))) {
        throw new MailwireError('ERR_PROXY_UNTRUSTED', `PROXY header from untrusted peer ${peer}`);
      }
      header = await readProxyHeader(socket, proxy.timeoutMs ?? 5000, proxy.maxV2Length ?? 1024);
    }
    const proxied = header?.command === 'proxy' && header.source ? header.source : undefined;
    const ip = normaliseIp(proxied ? proxied.address : (socket.remoteAddress ?? ''));
    connection.ip = ip;
    const count = (perIp.get(ip) ?? 0) + 1;
    perIp.set(ip, count);
    let reason: RejectReason | undefined;
    if (connections.size > maxConnections) reason = 'maxConnections';
    else if (count > maxPerIp) reason = 'maxConnectionsPerIp';
    if (options.implicitTls && tlsConfig) socket = await acceptTls(socket, tlsConfig);
    const transport = new NodeTransport(socket, {
      tls: options.implicitTls ? undefined : tlsConfig,
      idleTimeoutMs,
      proxied: proxied ? { remoteAddress: proxied.address, remotePort: proxied.port } : undefined,
      proxyHeader: header,
    });
    connection.transport = transport;
    if (closing) {
      transport.destroy();
      return;
    }
    try {
      if (reason === undefined) {
        await options.onConnection(transport);
      } else if (options.onRejected) {
        await options.onRejected(transport, reason);
      } else if (busyReply) {
        await transport.write(busyReply);
      }
    } finally {
      await transport.end();
    }
  };

  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => {});
    if (closing) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const connection: Connection = { socket, ip: undefined, transport: undefined, done: undefined };
    connections.add(connection);
    socket.once('close', () => release(connection));
    // Far over the limit, even a polite refusal costs too much: drop at once.
    if (connections.size > maxConnections * 2) {
      socket.destroy();
      return;
    }
    connection.done = handle(connection).catch((error: unknown) => {
      connection.transport?.destroy();
      socket.destroy();
      onError(error);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', onError);

  let closed: Promise<void> | undefined;
  return {
    get port() {
      return (server.address() as net.AddressInfo).port;
    },
    address: () => server.address() as net.AddressInfo,
    get connections() {
      return connections.size;
    },
    get closing() {
      return closing;
    },
    close(closeOptions: CloseOptions = {}) {
      if (closed) return closed;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      closed = (async () => {
        // Connections that have not reached the application yet have nothing to finish.
        for (const connection of connections) if (!connection.transport) connection.socket.destroy();
        const graceMs = closeOptions.graceMs ?? 10_000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all([...connections].map((connection) => connection.done)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
        for (const connection of connections) {
          connection.transport?.destroy();
          connection.socket.destroy();
        }
        // A handler that ignores its closed transport is not waited for: the sockets are what count.
        await stopped;
      })();
      return closed;
    },
  };
}

/** Reads a PROXY header off a paused socket; what follows it is put back for the transport. */
function readProxyHeader(socket: net.Socket, timeoutMs: number, maxV2Length: number): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let buffered = new Uint8Array(0);
    const limit = Math.max(PROXY_V1_MAX_LENGTH, 16 + maxV2Length);
    const finish = (error: Error | undefined, header?: ProxyHeader, rest?: Uint8Array) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      if (error) {
        reject(error);
        return;
      }
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(header!);
    };
    const onData = (chunk: Buffer) => {
      const next = new Uint8Array(buffered.length + chunk.length);
      next.set(buffered);
      next.set(chunk, buffered.length);
      buffered = next;
      const result = parseProxyHeader(buffered, { maxV2Length });
      if (result.status === 'complete') {
        finish(undefined, result.header, buffered.subarray(result.length));
      } else if (result.status === 'invalid') {
        finish(new MailwireError('ERR_PROXY_INVALID', `bad PROXY header: ${result.reason}`));
      } else if (buffered.length >= limit) {
        finish(new MailwireError('ERR_PROXY_INVALID', 'PROXY header too long'));
      }
    };
    const onEnd = () =>
      finish(new MailwireError('ERR_PROXY_INVALID', 'connection closed before the PROXY header'));
    const timer = setTimeout(
      () => finish(new MailwireError('ERR_PROXY_TIMEOUT', 'no PROXY header in time')),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}

function normaliseIp(address: string): string {
  return address.startsWith('::ffff:') && ipFamily(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Parses `192.0.2.0/24`, `2001:db8::/32` or a single address into a matcher. */
function parseCidr(text: string): (ip: string) => boolean {
  const [address = '', bitsText] = text.split('/');
  const network = parseIpv4(address) ?? parseIpv6(address);
  if (!network) throw new UsageError('ERR_INVALID_ARGUMENT', `bad trusted proxy address ${text}`);
  const bits = bitsText === undefined ? network.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > network.length * 8) {
    throw new UsageError('ERR_INVALID_ARGUMENT', `bad prefix length in ${text}`);
  }
  return (ip) => {
    const candidate = parseIpv4(ip) ?? parseIpv6(ip);
    if (!candidate || candidate.length !== network.length) return false;
    for (let bit = 0; bit < bits; bit++) {
      const mask = 0x80 >> (bit % 8);
      if ((candidate[bit >> 3]! & mask) !== (network[bit >> 3]! & mask)) return false;
    }
    return true;
  };
}
