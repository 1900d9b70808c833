/**
 * BODYSTRUCTURE and BODY (RFC 9051 §7.5.2) as plain objects IMAP serialises directly.
 * `extended: true` (the default) adds the extension data of BODYSTRUCTURE; `false` gives the
 * non-extensible BODY form.
 */

import { EMPTY_ENVELOPE, type Envelope, envelope } from './envelope.js';
import type { MimeIndex, MimeParam, MimePart } from './types.js';

export interface BodyDisposition {
  type: string;
  params: MimeParam[] | null;
}

export interface SinglePartBody {
  type: string;
  subtype: string;
  params: MimeParam[] | null;
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding, `7bit` when absent. */
  encoding: string;
  /** Body octets. */
  size: number;
  /** text/* and message/rfc822 only. */
  lines?: number;
  /** message/rfc822 only. */
  envelope?: Envelope;
  /** message/rfc822 only. */
  body?: BodyStructure;
  /** Extension data (only with `extended`). */
  md5?: string | null;
  disposition?: BodyDisposition | null;
  language?: string[] | null;
  location?: string | null;
}

export interface MultipartBody {
  type: 'multipart';
  subtype: string;
  /** At least one part (a multipart without parts gets one empty text/plain, as Dovecot does). */
  parts: BodyStructure[];
  /** Extension data (only with `extended`). */
  params?: MimeParam[] | null;
  disposition?: BodyDisposition | null;
  language?: string[] | null;
  location?: string | null;
}

export type BodyStructure = SinglePartBody | MultipartBody;

/** Narrows a BodyStructure (`type` is a plain string, so it cannot discriminate). */
export function isMultipartBody(body: BodyStructure): body is MultipartBody {
  return 'parts' in body;
}

export interface BodyStructureOptions {
  /** BODYSTRUCTURE extension data; default true. */
  extended?: boolean;
}

function extension(target: SinglePartBody | MultipartBody, part: MimePart | null): void {
  const d = part?.disposition;
  target.disposition = d ? { type: d.type, params: d.params ?? null } : null;
  target.language = part?.language ?? null;
  target.location = part?.location ?? null;
}

function emptyText(extended: boolean): SinglePartBody {
  const body: SinglePartBody = {
    type: 'text',
    subtype: 'plain',
    params: [['charset', 'us-ascii']],
    id: null,
    description: null,
    encoding: '7bit',
    size: 0,
    lines: 0,
  };
  if (extended) {
    body.md5 = null;
    extension(body, null);
  }
  return body;
}

function build(part: MimePart, extended: boolean, depth: number): BodyStructure {
  if (part.parts !== undefined) {
    const parts = part.parts.map((child) => build(child, extended, depth + 1));
    if (parts.length === 0) parts.push(emptyText(extended));
    const body: MultipartBody = { type: 'multipart', subtype: part.subtype, parts };
    if (extended) {
      body.params = part.params ?? null;
      extension(body, part);
    }
    return body;
  }
  let params = part.params ?? null;
  // RFC 2045 §5.2: text without a charset is us-ascii; said explicitly, as Dovecot does.
  if (part.type === 'text' && !params?.some((p) => p[0] === 'charset')) {
    params = [...(params ?? []), ['charset', 'us-ascii']];
  }
  const body: SinglePartBody = {
    type: part.type,
    subtype: part.subtype,
    params,
    id: part.id ?? null,
    description: part.description ?? null,
    encoding: part.encoding ?? '7bit',
    size: part.bodyEnd - part.bodyStart,
  };
  if (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global')) {
    body.envelope = part.message ? envelope(part.message) : EMPTY_ENVELOPE;
    body.body = part.message ? build(part.message, extended, depth + 1) : emptyText(extended);
    body.lines = part.lines;
  } else if (part.type === 'text') {
    body.lines = part.lines;
  }
  if (extended) {
    body.md5 = part.md5 ?? null;
    extension(body, part);
  }
  return body;
}

/**
 * The BODYSTRUCTURE of a message (or of an encapsulated message's entity).
 *
 * @example
 * const bs = bodyStructure(index);
 * if (bs.type === 'multipart') bs.parts.length;
 */
export function bodyStructure(
  source: MimeIndex | MimePart,
  options: BodyStructureOptions = {},
): BodyStructure {
  const part = 'root' in source ? source.root : source;
  return build(part, options.extended ?? true, 0);
}
