/**
 * Events of the SMTP client session. The client decides little: the application answers
 * `ready` (send a message or quit), `starttls` (upgrade the transport, then `tlsStarted()`) and
 * `body` (stream the message with `writeBody()`/`endBody()`); everything else is a report.
 */

import type { TlsInfo } from '@mailwire/core';
import type { DsnNotify } from '../command.js';
import type { SmtpReply } from '../reply.js';

/** Where a transaction (or the connection) failed, for the caller's retry policy. */
export type SmtpClientStage =
  | 'greeting'
  | 'ehlo'
  | 'starttls'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'connection';

/** `sent`: 2xx; `temporary`: 4xx, timeouts, lost connections; `permanent`: 5xx. */
export type RecipientStatus = 'sent' | 'temporary' | 'permanent';

export interface RecipientResult {
  /** The recipient address as given to `send()`. */
  readonly to: string;
  readonly status: RecipientStatus;
  /** The server's reply, or a reply the client made up (timeouts, refused conversions). */
  readonly reply: SmtpReply;
  readonly stage: SmtpClientStage;
}

export interface SmtpClientRecipient {
  readonly address: string;
  /** RFC 3461 §4.1 NOTIFY, sent only when the server offers DSN. `[]` is NEVER. */
  readonly notify?: readonly DsnNotify[];
  /** RFC 3461 §4.2 ORCPT (`rfc822` address type), sent only when the server offers DSN. */
  readonly orcpt?: string;
}

/** One message to send: the envelope and what the body needs from the server. */
export interface SmtpClientEnvelope {
  /** The reverse-path; `''` is the null sender `<>`. */
  readonly from: string;
  readonly to: readonly (string | SmtpClientRecipient)[];
  /** Body size in octets (before dot-stuffing), sent as SIZE= when offered (RFC 1870). */
  readonly size?: number;
  /** The body has 8-bit octets: needs 8BITMIME (RFC 6152); never sent to a server without it. */
  readonly eightBit?: boolean;
  /**
   * Needs SMTPUTF8 (RFC 6531): UTF-8 headers. Implied when an address is not ASCII. Never sent
   * to a server without it.
   */
  readonly smtpUtf8?: boolean;
  /** RFC 3461 §4.3 RET, when DSN is offered. */
  readonly ret?: 'FULL' | 'HDRS';
  /** RFC 3461 §4.4 ENVID, when DSN is offered. */
  readonly envid?: string;
}

export interface TransactionResult {
  /** Per recipient, in the order given. */
  readonly recipients: readonly RecipientResult[];
  /** The reply that ended the transaction (the final DATA/BDAT reply, or the failure). */
  readonly reply: SmtpReply;
}

export type SmtpClientClosedReason = 'quit' | 'peer' | 'timeout' | 'protocol' | 'failed';

export type SmtpClientErrorCode =
  | 'ERR_SMTP_REPLY_SYNTAX'
  | 'ERR_SMTP_REPLY_CODE_MISMATCH'
  | 'ERR_SMTP_REPLY_TOO_LONG'
  | 'ERR_SMTP_REPLY_TOO_MANY_LINES'
  | 'ERR_SMTP_UNEXPECTED_REPLY';

export type SmtpClientEvent =
  /** The connection is ready (greeting, EHLO, TLS, AUTH done); nothing is queued: `send()` or `quit()`. */
  | { readonly type: 'ready'; readonly extensions: ReadonlyMap<string, string> }
  /** The server said 220 to STARTTLS: upgrade the transport, then call `tlsStarted()`. */
  | { readonly type: 'starttls' }
  /** The server takes the body now: `writeBody()` chunks, then `endBody()`. */
  | { readonly type: 'body'; readonly chunking: boolean }
  /** One RCPT TO was answered. */
  | { readonly type: 'recipient'; readonly result: RecipientResult }
  /** A transaction ended (delivered, refused or failed), with one result per recipient. */
  | { readonly type: 'result'; readonly envelope: SmtpClientEnvelope; readonly result: TransactionResult }
  /** The server misbehaved; the connection is being closed. */
  | { readonly type: 'protocolError'; readonly code: SmtpClientErrorCode; readonly message: string }
  /** The one final event. */
  | { readonly type: 'closed'; readonly reason: SmtpClientClosedReason; readonly tls?: TlsInfo | undefined };

export type SmtpClientEventType = SmtpClientEvent['type'];
