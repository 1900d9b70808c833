/**
 * Errors. Malformed MIME never throws (it always yields an index); only caller misuse does,
 * e.g. `write()` after `end()`. The brand matches `@mailwire/core`'s `MailwireError`, so
 * `MailwireError.isInstance()` recognises these too, without a dependency on core.
 */

const brand = Symbol.for('mailwire.error');

export type MimeErrorCode = 'ERR_MIME_ENDED' | 'ERR_INVALID_ARGUMENT';

export class MimeUsageError extends Error {
  readonly code: MimeErrorCode;
  readonly [brand] = true;

  constructor(code: MimeErrorCode, message: string) {
    super(message);
    this.name = 'UsageError';
    this.code = code;
  }
}
