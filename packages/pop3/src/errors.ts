/**
 * Stable error codes of `@mailwire/pop3`. Peer misbehaviour never throws: the session answers
 * `-ERR` and reports one of these in a `protocolError` event. Caller misuse throws a `UsageError`
 * with one of the `ERR_POP3_USAGE_*` codes or a core code.
 */
export type Pop3ErrorCode =
  /** A command line longer than 255 octets with its CRLF (RFC 2449 §4). */
  | 'ERR_POP3_LINE_TOO_LONG'
  /** A keyword the server does not know. */
  | 'ERR_POP3_UNKNOWN_COMMAND'
  /** A known keyword with malformed arguments. */
  | 'ERR_POP3_SYNTAX'
  /** A command that is not valid in the current state (RFC 1939 §3). */
  | 'ERR_POP3_WRONG_STATE'
  /** A message number that does not exist or is marked as deleted (RFC 1939 §5). */
  | 'ERR_POP3_NO_SUCH_MESSAGE'
  /** PASS without a preceding USER (RFC 1939 §7). */
  | 'ERR_POP3_BAD_SEQUENCE'
  /** USER/PASS or a plaintext SASL mechanism on a connection without TLS (RFC 2595 §2.2). */
  | 'ERR_POP3_INSECURE_AUTH'
  /** The credentials were refused or the SASL exchange failed. */
  | 'ERR_POP3_AUTH_FAILED'
  /** The client cancelled the SASL exchange with `*` (RFC 5034 §4). */
  | 'ERR_POP3_AUTH_CANCELLED'
  /** Too many failed authentications: the session closes. */
  | 'ERR_POP3_TOO_MANY_AUTH_FAILURES'
  /** Too many erroneous commands: the session closes. */
  | 'ERR_POP3_TOO_MANY_ERRORS'
  /** Plaintext pipelined after STLS was discarded (RFC 2595 §4, STARTTLS injection). */
  | 'ERR_POP3_STLS_INJECTION'
  /** A command line holding a bare CR or a NUL. */
  | 'ERR_POP3_BAD_OCTETS';
