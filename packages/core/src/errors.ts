/**
 * Typed errors. Caller misuse throws a `MailwireError`; peer misbehaviour never throws: sessions
 * turn it into the protocol's reply and a `protocolError` event carrying one of these.
 *
 * The brand is a `Symbol.for` key so `MailwireError.isInstance()` works across duplicated
 * installs and across the ESM and CJS builds of the same package.
 */

const brand = Symbol.for('mailwire.error');

/** Stable error codes. Each protocol package adds its own with its prefix (`ERR_SMTP_*`, …). */
export type CoreErrorCode =
  | 'ERR_LINE_TOO_LONG'
  | 'ERR_BARE_LF'
  | 'ERR_BARE_CR'
  | 'ERR_INVALID_STATE'
  | 'ERR_DECISION_SETTLED'
  | 'ERR_ADDRESS_INVALID'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_SASL_MALFORMED'
  | 'ERR_SASL_CANCELLED'
  | 'ERR_SASL_FAILED'
  | 'ERR_TRANSPORT_CLOSED'
  | 'ERR_TLS_UNAVAILABLE';

export interface MailwireErrorOptions {
  readonly cause?: unknown;
}

export class MailwireError extends Error {
  readonly code: string;
  readonly [brand] = true;

  constructor(code: string, message: string, options: MailwireErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MailwireError';
    this.code = code;
  }

  /** True for any Mailwire error, from any copy of the package. */
  static isInstance(value: unknown): value is MailwireError {
    return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
  }
}

/** Thrown when the caller uses an API out of order (settling a decision twice, feeding a closed session…). */
export class UsageError extends MailwireError {
  constructor(code: string, message: string, options?: MailwireErrorOptions) {
    super(code, message, options);
    this.name = 'UsageError';
  }
}
