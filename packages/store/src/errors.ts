/**
 * Store errors. Every failure of a `MailStore` call is a `StoreError` with one of these stable
 * codes; protocol layers map them to their replies (IMAP RFC 5530 response codes, SMTP 5xx/4xx).
 *
 * Check by code, which works across duplicated installs: `StoreError.isInstance(e) && e.code === …`,
 * or the per-class `isInstance()` helpers.
 */
import { MailwireError, type MailwireErrorOptions } from '@mailwire/core';

export type StoreErrorCode =
  /** Account, mailbox, message or blob does not exist (IMAP NONEXISTENT, SMTP 550 5.1.1). */
  | 'ERR_STORE_NOT_FOUND'
  /** Account address/alias or mailbox name taken (IMAP ALREADYEXISTS). */
  | 'ERR_STORE_EXISTS'
  /** Over an RFC 9208 limit (IMAP OVERQUOTA, SMTP 552 5.2.2). */
  | 'ERR_STORE_QUOTA'
  /** The maildrop or mailbox is locked by someone else (IMAP INUSE, POP3 [IN-USE]). */
  | 'ERR_STORE_LOCKED'
  /** A bad argument: mailbox name, flag, UID set, byte range (IMAP BAD/NO). */
  | 'ERR_STORE_INVALID'
  /** Allowed in general, not on this object: deleting INBOX (IMAP CANNOT). */
  | 'ERR_STORE_NOT_ALLOWED'
  /** The message is larger than the store accepts (IMAP TOOBIG, SMTP 552 5.3.4). */
  | 'ERR_STORE_TOO_LARGE'
  /** The store was closed. */
  | 'ERR_STORE_CLOSED'
  /** The backend failed (I/O, database); `cause` holds the original error. Usually temporary. */
  | 'ERR_STORE_BACKEND';

/** RFC 9208 §5 resource names. */
export type QuotaResource = 'STORAGE' | 'MESSAGE';

export class StoreError extends MailwireError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: MailwireErrorOptions) {
    super(code, message, options);
    this.name = 'StoreError';
  }

  /** True for any store error from any copy of the package. */
  static override isInstance(value: unknown): value is StoreError {
    return MailwireError.isInstance(value) && value.code.startsWith('ERR_STORE_');
  }
}

function hasCode(value: unknown, code: StoreErrorCode): boolean {
  return MailwireError.isInstance(value) && value.code === code;
}

export class NotFoundError extends StoreError {
  constructor(message: string, options?: MailwireErrorOptions) {
    super('ERR_STORE_NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
  static override isInstance(value: unknown): value is NotFoundError {
    return hasCode(value, 'ERR_STORE_NOT_FOUND');
  }
}

export class AlreadyExistsError extends StoreError {
  constructor(message: string, options?: MailwireErrorOptions) {
    super('ERR_STORE_EXISTS', message, options);
    this.name = 'AlreadyExistsError';
  }
  static override isInstance(value: unknown): value is AlreadyExistsError {
    return hasCode(value, 'ERR_STORE_EXISTS');
  }
}

export interface QuotaExceededDetails {
  readonly resource: QuotaResource;
  /** The limit (octets for STORAGE, messages for MESSAGE). */
  readonly limit: number;
  /** Usage before the refused operation. */
  readonly usage: number;
  /** What the refused operation would have added. */
  readonly requested: number;
}

export class QuotaExceededError extends StoreError {
  readonly resource: QuotaResource;
  readonly limit: number;
  readonly usage: number;
  readonly requested: number;

  constructor(details: QuotaExceededDetails, options?: MailwireErrorOptions) {
    super(
      'ERR_STORE_QUOTA',
      `Quota exceeded: ${details.resource} ${details.usage} + ${details.requested} > ${details.limit}`,
      options,
    );
    this.name = 'QuotaExceededError';
    this.resource = details.resource;
    this.limit = details.limit;
    this.usage = details.usage;
    this.requested = details.requested;
  }
  static override isInstance(value: unknown): value is QuotaExceededError {
    return hasCode(value, 'ERR_STORE_QUOTA');
  }
}

export class LockedError extends StoreError {
  constructor(message: string, options?: MailwireErrorOptions) {
    super('ERR_STORE_LOCKED', message, options);
    this.name = 'LockedError';
  }
  static override isInstance(value: unknown): value is LockedError {
    return hasCode(value, 'ERR_STORE_LOCKED');
  }
}

export class InvalidError extends StoreError {
  constructor(message: string, options?: MailwireErrorOptions) {
    super('ERR_STORE_INVALID', message, options);
    this.name = 'InvalidError';
  }
  static override isInstance(value: unknown): value is InvalidError {
    return hasCode(value, 'ERR_STORE_INVALID');
  }
}

export class NotAllowedError extends StoreError {
  constructor(message: string, options?: MailwireErrorOptions) {
    super('ERR_STORE_NOT_ALLOWED', message, options);
    this.name = 'NotAllowedError';
  }
  static override isInstance(value: unknown): value is NotAllowedError {
    return hasCode(value, 'ERR_STORE_NOT_ALLOWED');
  }
}

export class TooLargeError extends StoreError {
  readonly limit: number;
  constructor(limit: number, options?: MailwireErrorOptions) {
    super('ERR_STORE_TOO_LARGE', `Message larger than ${limit} octets`, options);
    this.name = 'TooLargeError';
    this.limit = limit;
  }
  static override isInstance(value: unknown): value is TooLargeError {
    return hasCode(value, 'ERR_STORE_TOO_LARGE');
  }
}

export class ClosedError extends StoreError {
  constructor(message = 'The store is closed', options?: MailwireErrorOptions) {
    super('ERR_STORE_CLOSED', message, options);
    this.name = 'ClosedError';
  }
  static override isInstance(value: unknown): value is ClosedError {
    return hasCode(value, 'ERR_STORE_CLOSED');
  }
}

export class BackendError extends StoreError {
  constructor(message: string, options?: MailwireErrorOptions) {
    super('ERR_STORE_BACKEND', message, options);
    this.name = 'BackendError';
  }
  static override isInstance(value: unknown): value is BackendError {
    return hasCode(value, 'ERR_STORE_BACKEND');
  }
}
