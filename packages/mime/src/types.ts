/**
 * The MIME index: what one streaming pass over a message records, so that IMAP can answer
 * BODYSTRUCTURE, ENVELOPE, BODY[section]<partial>, BINARY and SEARCH from the index plus
 * byte-range reads of the stored message.
 *
 * Plain data, JSON-serialisable (stores cache it). Offsets are absolute byte offsets into the
 * raw message. Header text is stored as binary strings (one char per byte, latin1), exactly as
 * it appears in the message with folding removed; optional members are omitted when absent.
 */

/** A `[name, value]` parameter as it appears in the header (name lowercased, quotes removed). */
export type MimeParam = [name: string, value: string];

/** The raw (unfolded, trimmed, undecoded) header values ENVELOPE is built from. */
export interface RawEnvelope {
  date?: string;
  subject?: string;
  from?: string;
  sender?: string;
  replyTo?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  inReplyTo?: string;
  messageId?: string;
}

export interface MimeDisposition {
  /** Lowercased disposition type, e.g. `attachment`. */
  type: string;
  params?: MimeParam[];
}

/**
 * One entity (the message itself, a body part, or an encapsulated message).
 *
 * - header is `[headerStart, headerEnd)`, including its terminating blank line when present;
 * - body is `[bodyStart, bodyEnd)`; `bodyStart === headerEnd`; in a multipart the CRLF before a
 *   boundary delimiter belongs to the delimiter, not to the body (RFC 2046 §5.1.1).
 */
export interface MimePart {
  headerStart: number;
  headerEnd: number;
  bodyStart: number;
  bodyEnd: number;
  /** Lines in the body: LF count, plus one when the body ends without a line break. */
  lines: number;
  /** Lowercased media type; the RFC 2045 §5.2 default `text` when absent or invalid. */
  type: string;
  /** Lowercased media subtype (`plain` by default, `rfc822` in a multipart/digest). */
  subtype: string;
  /** Content-Type parameters in header order; `[['charset','us-ascii']]` when defaulted. */
  params?: MimeParam[];
  /** Content-ID */
  id?: string;
  /** Content-Description */
  description?: string;
  /** Content-Transfer-Encoding, lowercased (absent means 7bit). */
  encoding?: string;
  /** Content-MD5 */
  md5?: string;
  disposition?: MimeDisposition;
  /** Content-Language tags. */
  language?: string[];
  /** Content-Location (RFC 2557). */
  location?: string;
  /** On the top-level entity and on every encapsulated message's entity. */
  envelope?: RawEnvelope;
  /** multipart/*: the body parts in order (empty when the multipart has no usable boundary). */
  parts?: MimePart[];
  /** message/rfc822 (and message/global): the encapsulated message's entity. */
  message?: MimePart;
}

/** Which limits were hit while indexing; from that point the affected bytes are opaque body. */
export type MimeLimit = 'depth' | 'parts' | 'header' | 'boundary';

export interface MimeIndex {
  version: 1;
  /** Total message octets. */
  size: number;
  /** The top-level entity (header = the message header, body = TEXT). */
  root: MimePart;
  /** Present when a limit was hit. */
  limits?: MimeLimit[];
}

export interface MimeIndexerOptions {
  /** Maximum nesting of multipart and message/rfc822 entities. Default 50. */
  maxDepth?: number;
  /** Maximum number of entities in the message. Default 10,000. */
  maxParts?: number;
  /** Maximum header bytes kept and parsed per entity. Default 64 KiB. */
  maxHeaderSize?: number;
  /** Longest boundary accepted. Default 200 (RFC 2046 §5.1.1 allows 70; real mail exceeds it). */
  maxBoundaryLength?: number;
}
