/** The non-throwing result shape of every address parser, and its typed error. */

import { MailwireError } from '../errors.js';

/** Why an address was refused; `AddressError.offset` says where. */
export type AddressErrorReason =
  /** Nothing to parse. */
  | 'empty'
  /** The grammar did not match at `offset`. */
  | 'syntax'
  /** A control character (RFC 5321 §4.1.2 and RFC 5322 §3.2.3 allow none outside folding). */
  | 'control-character'
  /** The bytes are not valid UTF-8. */
  | 'invalid-utf8'
  /** Non-ASCII without the `smtputf8` option (RFC 6531 §3.3). */
  | 'utf8-not-allowed'
  /** `<>` where a forward path is required (RFC 5321 §4.1.1.3). */
  | 'null-path'
  /** Local part over 64 octets (RFC 5321 §4.5.3.1.1). */
  | 'local-part-too-long'
  /** Domain over 255 octets (RFC 5321 §4.5.3.1.2). */
  | 'domain-too-long'
  /** A domain label over 63 octets (RFC 1035 §2.3.4), in its A-label form. */
  | 'label-too-long'
  /** Path over 256 octets (RFC 5321 §4.5.3.1.3). */
  | 'path-too-long'
  /** A domain name that is not letters, digits and inner hyphens (RFC 5321 §4.1.2). */
  | 'invalid-domain'
  /** A malformed `[IPv4]` or `[IPv6:…]` literal, or an unregistered tag (RFC 5321 §4.1.3). */
  | 'invalid-domain-literal'
  /** A label IDNA refuses (RFC 5890, RFC 5891; see docs/core.md for what is checked). */
  | 'invalid-idna'
  /** The input is longer than the parser's limit. */
  | 'too-long';

/** A refused address: `code` is always `ERR_ADDRESS_INVALID`. */
export class AddressError extends MailwireError {
  readonly reason: AddressErrorReason;
  /** Where the problem is: an index into the string, or an octet offset when bytes were given. */
  readonly offset: number;

  constructor(reason: AddressErrorReason, message: string, offset: number) {
    super('ERR_ADDRESS_INVALID', message);
    this.name = 'AddressError';
    this.reason = reason;
    this.offset = offset;
  }
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: AddressError };

/** Thrown inside parsers, caught at their entry point and returned as `{ ok: false }`. */
export class Refusal {
  constructor(
    readonly reason: AddressErrorReason,
    readonly message: string,
    readonly offset: number,
  ) {}
}
