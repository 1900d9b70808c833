/**
 * The Received: trace header (RFC 5321 §4.4), with the protocol keyword of RFC 3848 (ESMTPS,
 * ESMTPA, ESMTPSA, LMTP…) and TLS/AUTH details in comments. Pure: the caller passes the date.
 */

import type { TlsInfo } from '@mailwire/core';
import { formatMailbox, isDomain, type SmtpMailbox } from './path.js';

export interface ReceivedHeaderOptions {
  /** The EHLO/HELO/LHLO argument; written as a comment when it is not a valid domain. */
  readonly helo: string | undefined;
  /** The client's IP address, as the transport reports it. */
  readonly remoteAddress?: string;
  /** The client's verified reverse-DNS name, if the caller looked it up. */
  readonly remoteHostname?: string;
  /** Our host name. */
  readonly by: string;
  /** `'smtp'` (default) or `'lmtp'`. */
  readonly protocol?: 'smtp' | 'lmtp';
  /** EHLO (or LHLO) was used; false for HELO. Default true. */
  readonly esmtp?: boolean;
  /** TLS details when the session was encrypted. */
  readonly tls?: TlsInfo | undefined;
  /** The authenticated user, when AUTH succeeded. */
  readonly authenticatedUser?: string | undefined;
  /** The message's queue id. */
  readonly id?: string;
  /** The recipient, when there is exactly one (RFC 5321 §4.4 advises against listing several). */
  readonly for?: SmtpMailbox;
  /** The time of receipt. */
  readonly date: Date;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3 date-time in UTC, e.g. `Sat, 28 Nov 2026 09:01:02 +0000`. */
export function formatDateTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Text safe inside a comment: printable ASCII, parentheses and backslashes escaped. */
function commentText(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').replace(/([()\\])/g, '\\$1');
}

function addressLiteral(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return `[${mapped[1]}]`;
  return ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`;
}

/**
 * Builds a folded `Received:` header line, CRLF included.
 *
 * @example
 * buildReceivedHeader({ helo: 'client.example', remoteAddress: '192.0.2.1', by: 'mx.example',
 *   tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' }, id: 'abc',
 *   for: { localPart: 'bob', domain: 'example.org', domainType: 'name', utf8: false }, date: new Date(Date.UTC(2026, 10, 28)) });
 */
export function buildReceivedHeader(options: ReceivedHeaderOptions): string {
  const lmtp = options.protocol === 'lmtp';
  const esmtp = options.esmtp ?? true;
  let protocol = lmtp ? 'LMTP' : esmtp ? 'ESMTP' : 'SMTP';
  // RFC 3848: S for TLS, A for authenticated (only defined for the extended protocols).
  if (esmtp || lmtp) {
    if (options.tls) protocol += 'S';
    if (options.authenticatedUser !== undefined) protocol += 'A';
  }
  const helo = options.helo;
  const tcpInfo: string[] = [];
  if (options.remoteHostname) tcpInfo.push(commentText(options.remoteHostname));
  if (options.remoteAddress) tcpInfo.push(addressLiteral(commentText(options.remoteAddress)));
  let from: string;
  if (helo !== undefined && isDomain(helo)) from = helo;
  else from = `unknown${helo === undefined ? '' : ` (helo=${commentText(helo)})`}`;
  if (tcpInfo.length > 0) from += ` (${tcpInfo.join(' ')})`;
  const parts = [`from ${from}`, `by ${options.by}`, `with ${protocol}`];
  if (options.tls) {
    const details = [options.tls.protocol, options.tls.cipher && `cipher ${options.tls.cipher}`]
      .filter(Boolean)
      .join(' with ');
    parts.push(`(using ${commentText(details || 'TLS')})`);
  }
  if (options.authenticatedUser !== undefined)
    parts.push(`(authenticated sender: ${commentText(options.authenticatedUser)})`);
  if (options.id !== undefined && /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/.test(options.id))
    parts.push(`id ${options.id}`);
  if (options.for) parts.push(`for <${formatMailbox(options.for)}>`);
  const last = parts.pop()!;
  return `Received: ${[...parts, `${last};`].join('\r\n\t')}\r\n\t${formatDateTime(options.date)}\r\n`;
}
