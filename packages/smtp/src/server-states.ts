/**
 * The SMTP/LMTP server session's states and its whole transition table.
 *
 * Theory of operation. A connection starts in `connect`: nothing is sent until the application
 * settles the `connect` decision (greet with 220, refuse with 554, or drop with 421). After the
 * greeting the client must say EHLO/HELO (LHLO in LMTP), which moves the session to `ready`; EHLO
 * may be repeated at any command boundary and abandons the transaction, like RSET (RFC 5321
 * §4.1.4). In `ready` the client may start TLS (→ `tls`, waiting for the transport's handshake;
 * everything afterwards is forgotten, RFC 3207 §4.2, so the client is back in `greeted`),
 * authenticate (→ `auth` for the SASL exchange, back to `ready`), or begin a transaction with MAIL
 * (→ `mail`). Each accepted RCPT moves it to `rcpt`. DATA (→ `data`, streamed until
 * `<CRLF>.<CRLF>`) and BDAT (→ `bdat`, for exactly the announced number of octets) carry the
 * message; after the last octet the application accepts or rejects it and the session is `ready`
 * again. QUIT, a fatal limit, a timeout or shutdown lead to `closing` (the final reply is queued);
 * the peer going away leads straight to `closed`. Any state may go to `closed`.
 *
 * A command in a state that does not list it gets `503 5.5.1` (RFC 5321 §4.1.4, §3.3), except the
 * special cases the session handles itself (DATA with no accepted recipient after some RCPT is
 * 554, RFC 2920 §3.1; MAIL before AUTH when AUTH is required is 530, RFC 4954 §6).
 */

import type { SmtpVerb } from './command.js';

export type ServerState =
  /** Waiting for the application's connect decision; no greeting yet. */
  | 'connect'
  /** Refused with 554: every command but QUIT gets 503 (RFC 5321 §3.1). */
  | 'refused'
  /** Greeted; waiting for EHLO/HELO/LHLO. */
  | 'greeted'
  /** Identified; no transaction. */
  | 'ready'
  /** SASL exchange in progress (RFC 4954 §4). */
  | 'auth'
  /** STARTTLS accepted; waiting for `tlsStarted()` (RFC 3207). */
  | 'tls'
  /** MAIL accepted, no recipient yet. */
  | 'mail'
  /** At least one recipient accepted. */
  | 'rcpt'
  /** Receiving DATA content until `<CRLF>.<CRLF>` (RFC 5321 §4.1.1.4). */
  | 'data'
  /** Receiving a BDAT chunk (RFC 3030 §2). */
  | 'bdat'
  /** The last reply is queued; the driver writes it and closes. */
  | 'closing'
  | 'closed';

const ANY_IDLE: readonly ServerState[] = ['greeted', 'ready', 'mail', 'rcpt'];

/** Where each command is in sequence. Everything else gets 503 5.5.1. */
export const COMMAND_STATES: Readonly<Record<SmtpVerb, readonly ServerState[]>> = {
  EHLO: ANY_IDLE,
  HELO: ANY_IDLE,
  LHLO: ANY_IDLE,
  // RFC 3207 §4: STARTTLS follows EHLO and precedes any transaction.
  STARTTLS: ['ready'],
  // RFC 4954 §4: AUTH after EHLO, not during a transaction.
  AUTH: ['ready'],
  MAIL: ['ready'],
  RCPT: ['mail', 'rcpt'],
  // 'mail' is listed so the session can choose between 503 (no RCPT at all) and 554 (all refused).
  DATA: ['mail', 'rcpt'],
  BDAT: ['mail', 'rcpt'],
  RSET: ANY_IDLE,
  NOOP: ANY_IDLE,
  HELP: ANY_IDLE,
  VRFY: ANY_IDLE,
  EXPN: ANY_IDLE,
  QUIT: [...ANY_IDLE, 'refused'],
};

export function inSequence(verb: SmtpVerb, state: ServerState): boolean {
  return COMMAND_STATES[verb].includes(state);
}
