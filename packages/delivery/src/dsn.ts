/**
 * Delivery status notifications (RFC 3464) as RFC 5322 messages: `multipart/report;
 * report-type=delivery-status` (RFC 6522) with a human-readable part, the
 * `message/delivery-status` fields, and the original headers (`text/rfc822-headers`, or the
 * whole message as `message/rfc822` when the submitter asked RET=FULL, RFC 3461 §4.3).
 */

import { randomBytes } from 'node:crypto';
import { formatDateTime } from '@mailwire/smtp';

export interface DsnRecipient {
  readonly address: string;
  readonly orcpt?: string | undefined;
  /** RFC 3464 §2.3.3 */
  readonly action: 'failed' | 'delayed' | 'delivered';
  /** RFC 3464 §2.3.4 status code `5.1.1`. */
  readonly status: string;
  /** `550 5.1.1 No such user` — the last reply. */
  readonly diagnostic?: string | undefined;
  readonly remoteMta?: string | undefined;
}

export interface DsnInput {
  /** Our host name (Reporting-MTA, RFC 3464 §2.2.2). */
  readonly reportingMta: string;
  /** The envelope sender of the original message: the DSN's recipient. */
  readonly to: string;
  readonly recipients: readonly DsnRecipient[];
  readonly arrivalDate: number;
  readonly now: number;
  readonly envid?: string | undefined;
  /** For delayed reports: RFC 3464 §2.3.9 Will-Retry-Until. */
  readonly willRetryUntil?: number | undefined;
  /** The original message's header (up to the blank line), or the whole message with RET=FULL. */
  readonly original: Uint8Array;
  readonly full?: boolean;
}

/** The status to report for an SMTP reply: its enhanced code, else derived from the class. */
export function statusOf(replyText: string | undefined, fallback: string): string {
  const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(replyText ?? '');
  if (m) return m[1]!;
  const c = replyText?.[0];
  return c === '5' ? '5.0.0' : c === '4' ? '4.0.0' : fallback;
}

/** The header block of a message (everything before the first empty line), bounded. */
export function headerOf(message: Uint8Array): Uint8Array {
  for (let i = 0; i + 3 < message.length; i++)
    if (message[i] === 13 && message[i + 1] === 10 && message[i + 2] === 13 && message[i + 3] === 10)
      return message.subarray(0, i + 2);
  return message;
}

const clean = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** Builds the DSN message bytes. */
export function buildDsn(input: DsnInput): Uint8Array {
  const boundary = `mw-dsn-${randomBytes(12).toString('hex')}`;
  const date = (ms: number) => formatDateTime(new Date(ms));
  const failed = input.recipients.some((r) => r.action === 'failed');
  const subject = failed ? 'Undelivered Mail Returned to Sender' : 'Delivery Status Notification (Delay)';
  const human = input.recipients
    .map((r) => `  <${r.address}>: ${r.action}${r.diagnostic ? ` (${clean(r.diagnostic)})` : ''}`)
    .join('\r\n');
  const intro = failed
    ? 'Your message could not be delivered to one or more recipients. It has been given up on.'
    : 'Your message has not been delivered yet to one or more recipients. Delivery will be retried.';
  const perMessage = [
    `Reporting-MTA: dns; ${input.reportingMta}`,
    ...(input.envid !== undefined ? [`Original-Envelope-Id: ${clean(input.envid)}`] : []),
    `Arrival-Date: ${date(input.arrivalDate)}`,
  ];
  const perRecipient = input.recipients.map((r) =>
    [
      ...(r.orcpt !== undefined ? [`Original-Recipient: rfc822; ${clean(r.orcpt)}`] : []),
      `Final-Recipient: rfc822; ${clean(r.address)}`,
      `Action: ${r.action}`,
      `Status: ${r.status}`,
      ...(r.remoteMta ? [`Remote-MTA: dns; ${clean(r.remoteMta)}`] : []),
      ...(r.diagnostic ? [`Diagnostic-Code: smtp; ${clean(r.diagnostic)}`] : []),
      `Last-Attempt-Date: ${date(input.now)}`,
      ...(r.action === 'delayed' && input.willRetryUntil !== undefined
        ? [`Will-Retry-Until: ${date(input.willRetryUntil)}`]
        : []),
    ].join('\r\n'),
  );
  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`,
    `To: <${input.to}>`,
    `Subject: ${subject}`,
    `Date: ${date(input.now)}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${input.reportingMta}>`,
    // RFC 3834 §5: automatic responses say so, so that nobody answers them automatically.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    intro,
    '',
    human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    perMessage.join('\r\n'),
    '',
    perRecipient.join('\r\n\r\n'),
    '',
    `--${boundary}`,
    `Content-Type: ${input.full ? 'message/rfc822' : 'text/rfc822-headers'}`,
    '',
    '',
  ].join('\r\n');
  const tail = `\r\n--${boundary}--\r\n`;
  const enc = new TextEncoder();
  const a = enc.encode(head);
  const b = enc.encode(tail);
  const out = new Uint8Array(a.length + input.original.length + b.length);
  out.set(a, 0);
  out.set(input.original, a.length);
  out.set(b, a.length + input.original.length);
  return out;
}
