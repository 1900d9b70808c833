/**
 * DKIM signing (RFC 6376 §5, RFC 8463). The message streams through `update()`: the header is
 * kept (up to a limit), the body only hashed. `finish()` returns the DKIM-Signature field to
 * put on top of the message. `l=` is never written (a body length limit lets anyone append
 * content to signed mail).
 */

import { encodeBase64, UsageError } from '@mailwire/core';
import { coreSha256, type DkimAlgorithm, type DkimCrypto } from '../crypto.js';
import {
  type Canonicalization,
  DEFAULT_MAX_HEADER_BYTES,
  HeaderSplitter,
  type RawHeaderField,
} from '../header.js';
import { DkimBodyHasher } from './body-hasher.js';
import { signedHeaderData } from './header-hash.js';

/** Fields signed by default when present (RFC 6376 §5.4.1 recommendations). */
export const DEFAULT_SIGNED_HEADERS: readonly string[] = [
  'from',
  'sender',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'to',
  'cc',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-id',
  'content-description',
  'resent-date',
  'resent-from',
  'resent-sender',
  'resent-to',
  'resent-cc',
  'resent-message-id',
  'in-reply-to',
  'references',
  'list-id',
  'list-help',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'list-subscribe',
  'list-post',
  'list-owner',
  'list-archive',
];

/**
 * Fields signed once more than they occur, so that adding one more instance breaks the
 * signature (RFC 6376 §8.15 "over-signing").
 */
export const DEFAULT_OVERSIGNED_HEADERS: readonly string[] = [
  'from',
  'sender',
  'reply-to',
  'subject',
  'date',
  'to',
  'cc',
  'content-type',
  'mime-version',
];

export interface DkimSignOptions {
  readonly crypto: DkimCrypto;
  /** `d=`. */
  readonly domain: string;
  /** `s=`. */
  readonly selector: string;
  /** Passed to `crypto.sign` as is. */
  readonly privateKey: unknown;
  /** Default `rsa-sha256`. */
  readonly algorithm?: DkimAlgorithm;
  /** `c=`; default `relaxed/relaxed`. */
  readonly headerCanonicalization?: Canonicalization;
  readonly bodyCanonicalization?: Canonicalization;
  /** Names of the fields to sign when present; default `DEFAULT_SIGNED_HEADERS`. From is always signed. */
  readonly headers?: readonly string[];
  /** Names signed once more than they occur; default `DEFAULT_OVERSIGNED_HEADERS`; `[]` for none. */
  readonly oversign?: readonly string[];
  /** `i=`, e.g. `user@example.com`; must be within `d=`. */
  readonly identity?: string;
  /** `t=`: the signing time (time is input: this package never reads the clock). */
  readonly timestamp?: Date;
  /** `x=`: when the signature expires; must be after `timestamp`. */
  readonly expiration?: Date;
  /** Header block limit; default 1 MiB. */
  readonly maxHeaderBytes?: number;
}

/**
 * Signs one message, streamed.
 *
 * @example
 * const signer = new DkimSigner({ crypto: createNodeDkimCrypto(), domain: 'example.com',
 *   selector: 'mail', privateKey: pem, algorithm: 'ed25519-sha256', timestamp: new Date() });
 * signer.update(message);
 * const field = await signer.finish(); // "DKIM-Signature: v=1; a=…\r\n"
 * send(concatBytes([utf8(field), message]));
 */
export class DkimSigner {
  private readonly splitter: HeaderSplitter;
  private readonly body: DkimBodyHasher;
  private readonly algorithm: DkimAlgorithm;
  private readonly headerCanon: Canonicalization;
  private readonly bodyCanon: Canonicalization;
  private finished = false;

  constructor(private readonly options: DkimSignOptions) {
    this.algorithm = options.algorithm ?? 'rsa-sha256';
    if (this.algorithm !== 'rsa-sha256' && this.algorithm !== 'ed25519-sha256') {
      throw new UsageError('ERR_AUTH_INVALID_ARGUMENT', `unknown DKIM algorithm "${this.algorithm}"`);
    }
    if (!/^[A-Za-z0-9.-]+$/.test(options.domain)) {
      throw new UsageError('ERR_AUTH_INVALID_ARGUMENT', `domain "${options.domain}" must be an A-label name`);
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(options.selector)) {
      throw new UsageError('ERR_AUTH_INVALID_ARGUMENT', `bad selector "${options.selector}"`);
    }
    if (options.identity !== undefined) {
      const domain = options.identity.slice(options.identity.lastIndexOf('@') + 1).toLowerCase();
      const d = options.domain.toLowerCase();
      if (!options.identity.includes('@') || (domain !== d && !domain.endsWith(`.${d}`))) {
        throw new UsageError('ERR_AUTH_INVALID_ARGUMENT', 'identity must be within the signing domain');
      }
    }
    if (
      options.expiration !== undefined &&
      options.timestamp !== undefined &&
      options.expiration.getTime() <= options.timestamp.getTime()
    ) {
      throw new UsageError('ERR_AUTH_INVALID_ARGUMENT', 'expiration must be after timestamp');
    }
    this.headerCanon = options.headerCanonicalization ?? 'relaxed';
    this.bodyCanon = options.bodyCanonicalization ?? 'relaxed';
    this.splitter = new HeaderSplitter(options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
    this.body = new DkimBodyHasher(this.bodyCanon, { hash: options.crypto.sha256?.() ?? coreSha256() });
  }

  update(chunk: Uint8Array): void {
    if (this.finished) throw new UsageError('ERR_INVALID_STATE', 'update() after finish()');
    const body = this.splitter.push(chunk);
    if (body.length > 0) this.body.update(body);
  }

  /** The DKIM-Signature field, folded, ending with CRLF. */
  async finish(): Promise<string> {
    if (this.finished) throw new UsageError('ERR_INVALID_STATE', 'finish() called twice');
    this.finished = true;
    if (this.splitter.tooLarge)
      throw new UsageError('ERR_AUTH_HEADER_TOO_LARGE', 'message header over the limit');
    const fields = this.splitter.fields();
    const bodyHash = encodeBase64(this.body.digest());
    const names = selectHeaders(fields, this.options.headers, this.options.oversign);
    const tags: string[] = [
      'v=1',
      `a=${this.algorithm}`,
      `c=${this.headerCanon}/${this.bodyCanon}`,
      `d=${this.options.domain}`,
      `s=${this.options.selector}`,
    ];
    if (this.options.identity !== undefined) tags.push(`i=${this.options.identity}`);
    if (this.options.timestamp !== undefined) tags.push(`t=${seconds(this.options.timestamp)}`);
    if (this.options.expiration !== undefined) tags.push(`x=${seconds(this.options.expiration)}`);
    const unsigned = fold(tags, names, bodyHash);
    const field: RawHeaderField = { name: 'DKIM-Signature', raw: unsigned };
    const data = signedHeaderData(fields, names, this.headerCanon, field);
    const signature = await this.options.crypto.sign(this.algorithm, this.options.privateKey, data);
    return `${unsigned}${foldBase64(encodeBase64(signature), lastLineLength(unsigned))}\r\n`;
  }
}

/** The `h=` list: every present instance of the wanted names, then the over-signed ones once more. */
export function selectHeaders(
  fields: readonly RawHeaderField[],
  headers: readonly string[] = DEFAULT_SIGNED_HEADERS,
  oversignNames: readonly string[] = DEFAULT_OVERSIGNED_HEADERS,
): string[] {
  const wanted = headers.map((name) => name.toLowerCase());
  if (!wanted.includes('from')) wanted.unshift('from');
  const oversign = new Set(oversignNames.map((n) => n.toLowerCase()));
  const counts = new Map<string, number>();
  for (const field of fields) {
    const name = field.name.toLowerCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  // Every present instance first, in the order asked, then one more of each over-signed name
  // (the layout of RFC 8463 appendix A).
  const names: string[] = [];
  const unique = [...new Set(wanted)];
  for (const name of unique) for (let i = 0; i < (counts.get(name) ?? 0); i++) names.push(name);
  for (const name of unique) if (oversign.has(name)) names.push(name);
  return names;
}

/** Signs a whole message in memory; returns the DKIM-Signature field to prepend. */
export async function signDkim(message: Uint8Array, options: DkimSignOptions): Promise<string> {
  const signer = new DkimSigner(options);
  signer.update(message);
  return signer.finish();
}

function seconds(date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new UsageError('ERR_AUTH_INVALID_ARGUMENT', 'invalid date');
  return Math.floor(ms / 1000);
}

const WIDTH = 76;

/** Folds the tags before `b=` at whitespace so no line passes ~76 columns (RFC 5322 §2.1.1). */
export function fold(
  tags: readonly string[],
  names: readonly string[],
  bodyHash: string | undefined,
  fieldName = 'DKIM-Signature',
): string {
  let out = `${fieldName}:`;
  let line = out.length;
  const put = (token: string, separator: string): void => {
    if (line + separator.length + token.length > WIDTH) {
      out += '\r\n ';
      line = 1;
    } else {
      out += separator;
      line += separator.length;
    }
    out += token;
    line += token.length;
  };
  for (const tag of tags) put(`${tag};`, ' ');
  names.forEach((name, i) => {
    const token = `${i === 0 ? 'h=' : ''}${name}${i === names.length - 1 ? ';' : ':'}`;
    put(token, i === 0 ? ' ' : '');
  });
  if (bodyHash !== undefined) put(`bh=${bodyHash};`, ' ');
  put('b=', ' ');
  return out;
}

export function lastLineLength(text: string): number {
  return text.length - (text.lastIndexOf('\n') + 1);
}

export function foldBase64(value: string, used: number): string {
  let out = '';
  let offset = 0;
  let room = Math.max(8, WIDTH - used);
  while (offset < value.length) {
    if (offset > 0) out += '\r\n ';
    out += value.slice(offset, offset + room);
    offset += room;
    room = WIDTH - 1;
  }
  return out;
}
