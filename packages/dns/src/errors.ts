import { MailwireError } from '@mailwire/core';

/** Stable error codes of `@mailwire/dns`. */
export type DnsErrorCode = 'ERR_DNS_MALFORMED' | 'ERR_DNS_INVALID_NAME' | 'ERR_DNS_INVALID_ARGUMENT';

/** Why a DNS message was refused by `decodeMessage()`; `DnsWireError.offset` says where. */
export type DnsWireErrorReason =
  /** The message ends inside a header, name, record or RDATA. */
  | 'truncated'
  /** A compression pointer that does not point strictly backwards (RFC 1035 §4.1.4), or too many. */
  | 'bad-pointer'
  /** A label type other than 0b00 (length) or 0b11 (pointer): extended labels are obsolete (RFC 6891 §5). */
  | 'bad-label'
  /** A name over 255 octets (RFC 1035 §2.3.4). */
  | 'name-too-long'
  /** RDATA that does not match its type's format or its RDLENGTH. */
  | 'bad-rdata'
  /** More than one OPT record, an OPT outside the additional section or with a non-root owner (RFC 6891 §6.1.1). */
  | 'bad-opt';

/** A malformed DNS message (peer input): returned by the decoder, never thrown at the caller. */
export class DnsWireError extends MailwireError {
  readonly reason: DnsWireErrorReason;
  readonly offset: number;

  constructor(reason: DnsWireErrorReason, message: string, offset: number) {
    super('ERR_DNS_MALFORMED', message);
    this.name = 'DnsWireError';
    this.reason = reason;
    this.offset = offset;
  }
}
