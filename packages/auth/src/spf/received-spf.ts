/** The `Received-SPF` header field (RFC 7208 §9.1). */

import type { SpfVerdict } from './check-host.js';

export interface ReceivedSpfOptions {
  readonly clientIp: string;
  /** The MAIL FROM address; empty for the null reverse-path. */
  readonly envelopeFrom: string;
  readonly helo?: string;
  /** This host (`receiver=`). */
  readonly receiver?: string;
  /** Which identity was checked; default `mailfrom`. */
  readonly identity?: 'mailfrom' | 'helo';
}

function quoteIfNeeded(value: string): string {
  // key-value-pair values are dot-atoms or quoted-strings (RFC 5322 §3.2.4).
  return /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.@:]+$/.test(value) && !value.startsWith('.')
    ? value
    : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * @example
 * receivedSpf(verdict, { clientIp: '192.0.2.1', envelopeFrom: 'a@example.com', helo: 'mx.example.com' });
 * // 'Received-SPF: pass (example.com: 192.0.2.1 is allowed to send for a@example.com) client-ip=192.0.2.1; …\r\n'
 */
export function receivedSpf(verdict: SpfVerdict, options: ReceivedSpfOptions): string {
  const who =
    options.envelopeFrom === '' ? `postmaster@${options.helo ?? verdict.domain}` : options.envelopeFrom;
  const comment = (() => {
    switch (verdict.result) {
      case 'pass':
        return `${verdict.domain}: domain of ${who} designates ${options.clientIp} as permitted sender`;
      case 'fail':
      case 'softfail':
        return `${verdict.domain}: domain of ${who} does not designate ${options.clientIp} as permitted sender`;
      case 'neutral':
        return `${verdict.domain}: ${options.clientIp} is neither permitted nor denied by domain of ${who}`;
      case 'none':
        return `${verdict.domain}: domain of ${who} does not publish SPF`;
      default:
        return `${verdict.domain}: ${verdict.reason ?? verdict.result}`;
    }
  })().replace(/[()\\]/g, '');
  const pairs = [
    `client-ip=${options.clientIp}`,
    `envelope-from=${quoteIfNeeded(who)}`,
    ...(options.helo === undefined ? [] : [`helo=${quoteIfNeeded(options.helo)}`]),
    ...(options.receiver === undefined ? [] : [`receiver=${quoteIfNeeded(options.receiver)}`]),
    ...(verdict.mechanism === undefined ? [] : [`mechanism=${quoteIfNeeded(verdict.mechanism)}`]),
    `identity=${options.identity ?? 'mailfrom'}`,
  ];
  return `Received-SPF: ${verdict.result} (${comment})\r\n\t${pairs.join(';\r\n\t')}\r\n`;
}
