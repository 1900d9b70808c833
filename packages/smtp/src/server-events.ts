/**
 * Events of the SMTP server session. Those that need an answer carry a `decision`, settled exactly
 * once (a second call throws `UsageError` `ERR_DECISION_SETTLED`). Until it is settled, later
 * pipelined input stays queued, so replies always leave in command order.
 */

import type { ConnectionInfo, SaslCredentials, ScramStoredKeys, TlsInfo } from '@mailwire/core';
import type { MailParams, RcptParams } from './command.js';
import type { SmtpMailbox } from './path.js';
import type { SmtpReply } from './reply.js';

/** accept / reject, the shape of most decisions. */
export interface Decision {
  accept(): void;
  /** `code` 4xx or 5xx, `enhanced` its RFC 3463 code (`5.7.1`), `text` one or more lines. */
  reject(code: number, enhanced: string, text: string): void;
  readonly settled: boolean;
}

export interface ConnectDecision extends Decision {
  /** Sends the 220 greeting; `text` replaces the default after the host name. */
  accept(text?: string): void;
  /**
   * Refuses the connection. 554 (the default) keeps the connection open answering 503 until QUIT
   * (RFC 5321 §3.1); 421 closes it at once.
   */
  reject(code?: number, enhanced?: string, text?: string): void;
}

export interface AuthDecision extends Decision {
  /** The credentials are valid; SCRAM-SHA-256 needs the user's stored keys. */
  accept(result?: { readonly scramKeys?: ScramStoredKeys }): void;
  /** Defaults to `535 5.7.8 Authentication credentials invalid` (RFC 4954 §6). */
  reject(code?: number, enhanced?: string, text?: string): void;
}

/** What one LMTP recipient gets after the data (RFC 2033 §4.2). */
export type RecipientOutcome =
  | 'accept'
  | { readonly code: number; readonly enhanced: string; readonly text: string };

export interface DataDecision extends Decision {
  /** The message is accepted (250); `text` replaces the default `OK`. */
  accept(text?: string): void;
  /** LMTP only: one outcome per accepted recipient, in RCPT order. */
  perRecipient(outcomes: readonly RecipientOutcome[]): void;
}

export type ClosedReason =
  | 'quit'
  | 'peer'
  | 'timeout'
  | 'deadline'
  | 'slowData'
  | 'errors'
  | 'authFailures'
  | 'shutdown'
  | 'refused'
  | 'http'
  | 'earlyTalker'
  | 'tlsFailed';

export type SmtpServerErrorCode =
  | 'ERR_SMTP_UNKNOWN_COMMAND'
  | 'ERR_SMTP_NOT_IMPLEMENTED'
  | 'ERR_SMTP_SYNTAX'
  | 'ERR_SMTP_BAD_ADDRESS'
  | 'ERR_SMTP_BAD_PARAMETER'
  | 'ERR_SMTP_UNKNOWN_PARAMETER'
  | 'ERR_SMTP_BAD_ENCODING'
  | 'ERR_SMTP_BAD_SEQUENCE'
  | 'ERR_SMTP_LINE_TOO_LONG'
  | 'ERR_SMTP_BARE_LINE_ENDING'
  | 'ERR_SMTP_TEXT_LINE_TOO_LONG'
  | 'ERR_SMTP_MESSAGE_TOO_BIG'
  | 'ERR_SMTP_TOO_MANY_RECIPIENTS'
  | 'ERR_SMTP_TOO_MANY_ERRORS'
  | 'ERR_SMTP_UTF8_NOT_ALLOWED'
  | 'ERR_SMTP_TLS_REQUIRED'
  | 'ERR_SMTP_AUTH_REQUIRED'
  | 'ERR_SMTP_AUTH_FAILED'
  | 'ERR_SMTP_AUTH_CANCELLED'
  | 'ERR_SMTP_STARTTLS_INJECTION'
  | 'ERR_SMTP_HTTP_REQUEST'
  | 'ERR_SMTP_EARLY_TALKER'
  | 'ERR_SMTP_TIMEOUT'
  | 'ERR_SMTP_DEADLINE'
  | 'ERR_SMTP_SLOW_DATA';

export type SmtpServerEvent =
  /** The connection opened: greet it or refuse it. */
  | {
      readonly type: 'connect';
      readonly info: ConnectionInfo | undefined;
      readonly decision: ConnectDecision;
    }
  /** EHLO, HELO or LHLO; the transaction (if any) was reset. */
  | {
      readonly type: 'helo';
      readonly verb: 'EHLO' | 'HELO' | 'LHLO';
      readonly domain: string;
      readonly decision: Decision;
    }
  /**
   * STARTTLS was accepted and its 220 reply queued: write the output, start TLS, then call
   * `tlsStarted(info)`. Every byte received after the command line has been discarded.
   */
  | { readonly type: 'starttls'; readonly discarded: number }
  /** The SASL mechanism needs the application to check credentials. */
  | {
      readonly type: 'auth';
      readonly mechanism: string;
      readonly credentials: SaslCredentials;
      readonly decision: AuthDecision;
    }
  | {
      readonly type: 'authenticated';
      readonly mechanism: string;
      readonly username: string;
      readonly authzid: string;
    }
  | {
      readonly type: 'mailFrom';
      /** `null` for the null reverse-path `<>`. */
      readonly from: SmtpMailbox | null;
      readonly params: MailParams;
      readonly decision: Decision;
    }
  | {
      readonly type: 'rcptTo';
      readonly to: SmtpMailbox;
      readonly params: RcptParams;
      readonly decision: Decision;
    }
  /** The message body begins (after DATA's 354, or with the first BDAT chunk). */
  | { readonly type: 'dataStart'; readonly mode: 'DATA' | 'BDAT' }
  /** Message bytes, unstuffed. The chunk is a view: copy it to keep it past the next `receive()`. */
  | { readonly type: 'data'; readonly chunk: Uint8Array }
  /** End of the message: accept it (it is now yours) or reject it. */
  | {
      readonly type: 'dataEnd';
      readonly size: number;
      /** The accepted recipients, in RCPT order (LMTP answers one reply each). */
      readonly recipients: readonly SmtpMailbox[];
      readonly decision: DataDecision;
    }
  /** The session refused the message itself (size, bare CR/LF, long line); its reply is queued. */
  | {
      readonly type: 'dataRejected';
      readonly code: SmtpServerErrorCode;
      readonly reply: SmtpReply;
    }
  /** The transaction in progress was abandoned (RSET, EHLO, STARTTLS). */
  | { readonly type: 'transactionReset' }
  /** Wait `ms` milliseconds before writing the pending output (AUTH failure back-off). */
  | { readonly type: 'delay'; readonly ms: number; readonly reason: 'authFailure' }
  /** The peer misbehaved; the protocol's reply (if any) is queued. */
  | {
      readonly type: 'protocolError';
      readonly code: SmtpServerErrorCode;
      readonly message: string;
      readonly reply: SmtpReply | undefined;
    }
  /** The session is over: write the remaining output, then close the connection. Always last. */
  | { readonly type: 'closed'; readonly reason: ClosedReason };

export type SmtpServerEventType = SmtpServerEvent['type'];

export type { TlsInfo };
