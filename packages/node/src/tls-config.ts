/**
 * Server TLS configuration: one default certificate, optional per-hostname certificates chosen by
 * SNI (RFC 6066 §3), and TLS 1.2 as the minimum version (RFC 8996 deprecates 1.0 and 1.1; RFC
 * 8314 §4.1 asks mail services for TLS 1.2 or later). Secure contexts are built once per listener,
 * not per connection.
 */

import tls from 'node:tls';
import { UsageError } from '@mailwire/core';

export interface TlsCertificate {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
}

export interface TlsOptions {
  /** Default private key (PEM). Required unless `secureContext` is given. */
  readonly key?: string | Buffer;
  /** Default certificate chain (PEM). */
  readonly cert?: string | Buffer;
  /** Default context, instead of `key`/`cert`. */
  readonly secureContext?: tls.SecureContext;
  /**
   * Certificates by host name, chosen from the client's SNI. Keys are exact names
   * (`mail.example.com`) or one-label wildcards (`*.example.com`), matched case-insensitively.
   * Names that match nothing get the default certificate.
   */
  readonly sni?: Readonly<Record<string, TlsCertificate | tls.SecureContext>>;
  /** Default `TLSv1.2`. */
  readonly minVersion?: tls.SecureVersion;
  /** CAs for client certificates (with `requestCert`). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Ask the client for a certificate; `TlsInfo.authorized` then says whether it verified. */
  readonly requestCert?: boolean;
  /** With `requestCert`, refuse clients whose certificate does not verify. Default false. */
  readonly rejectUnauthorized?: boolean;
  /** Longest time a handshake may take before the connection is closed. Default 30 s. */
  readonly handshakeTimeoutMs?: number;
  /** Anything else for `tls.createSecureContext()` (ciphers, ecdhCurve, …). */
  readonly contextOptions?: tls.SecureContextOptions;
}

const configBrand = Symbol.for('mailwire.node.tlsConfig');

/** Resolved TLS settings, shared by every connection of a listener. Build with `createTlsConfig()`. */
export class TlsConfig {
  readonly [configBrand] = true;
  readonly defaultContext: tls.SecureContext;
  readonly handshakeTimeoutMs: number;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  private readonly exact = new Map<string, tls.SecureContext>();
  private readonly wildcard = new Map<string, tls.SecureContext>();

  constructor(options: TlsOptions) {
    const base: tls.SecureContextOptions = {
      minVersion: options.minVersion ?? 'TLSv1.2',
      ...(options.ca === undefined ? {} : { ca: options.ca as string | Buffer | Array<string | Buffer> }),
      ...options.contextOptions,
    };
    if (options.secureContext) {
      this.defaultContext = options.secureContext;
    } else {
      if (options.key === undefined || options.cert === undefined) {
        throw new UsageError('ERR_INVALID_ARGUMENT', 'tls needs key and cert, or secureContext');
      }
      this.defaultContext = tls.createSecureContext({ ...base, key: options.key, cert: options.cert });
    }
    for (const [name, value] of Object.entries(options.sni ?? {})) {
      const context = isSecureContext(value)
        ? value
        : tls.createSecureContext({ ...base, key: value.key, cert: value.cert });
      const lower = name.toLowerCase();
      if (lower.startsWith('*.')) this.wildcard.set(lower.slice(2), context);
      else this.exact.set(lower, context);
    }
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 30_000;
    this.requestCert = options.requestCert ?? false;
    this.rejectUnauthorized = options.rejectUnauthorized ?? false;
  }

  /** The context for an SNI server name (the default one when nothing matches). */
  contextFor(servername: string | undefined): tls.SecureContext {
    if (!servername) return this.defaultContext;
    const name = servername.toLowerCase().replace(/\.$/, '');
    const exact = this.exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return (dot > 0 ? this.wildcard.get(name.slice(dot + 1)) : undefined) ?? this.defaultContext;
  }

  /** Options for `new tls.TLSSocket(socket, …)` on the server side. */
  socketOptions(): tls.TLSSocketOptions {
    const options: tls.TLSSocketOptions = {
      isServer: true,
      secureContext: this.defaultContext,
      requestCert: this.requestCert,
      rejectUnauthorized: this.rejectUnauthorized,
    };
    if (this.exact.size > 0 || this.wildcard.size > 0) {
      options.SNICallback = (servername, callback) => callback(null, this.contextFor(servername));
    }
    return options;
  }

  static isInstance(value: unknown): value is TlsConfig {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [configBrand]?: unknown })[configBrand] === true
    );
  }
}

function isSecureContext(value: TlsCertificate | tls.SecureContext): value is tls.SecureContext {
  return 'context' in value;
}

/**
 * Builds the TLS settings once, to share between listeners or to pass to `NodeTransport`.
 *
 * @example
 * const tlsConfig = createTlsConfig({ key, cert, sni: { 'mail.example.org': { key: key2, cert: cert2 } } });
 */
export function createTlsConfig(options: TlsOptions | TlsConfig): TlsConfig {
  return TlsConfig.isInstance(options) ? options : new TlsConfig(options);
}
