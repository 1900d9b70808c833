/**
 * DKIM verification (RFC 6376 §6). The message streams through `update()`; each signature's
 * body hash is computed as it passes. `finish()` looks the keys up through the `Resolver`
 * and returns one result per DKIM-Signature field, top first.
 *
 * Results are those of RFC 8601 §2.7.1: `pass`, `fail` (signature or body hash wrong),
 * `neutral` (signature unreadable), `policy` (well formed but refused: a body length limit,
 * expired), `temperror` (key look-up failed for now), `permerror` (no usable key).
 */

import { constantTimeEqual } from '@mailwire/core';
import type { Resolver } from '@mailwire/dns';
import { coreSha256, type DkimCrypto, keyTypeOf } from '../crypto.js';
import { DEFAULT_MAX_HEADER_BYTES, HeaderSplitter, type RawHeaderField } from '../header.js';
import { DkimBodyHasher } from './body-hasher.js';
import { signedHeaderData } from './header-hash.js';
import {
  type DkimSignature,
  parseDkimKeyRecord,
  parseDkimSignature,
  withoutSignatureValue,
} from './signature.js';

export type DkimResultKind = 'pass' | 'fail' | 'neutral' | 'policy' | 'temperror' | 'permerror';

export interface DkimResult {
  readonly result: DkimResultKind;
  /** Why, for logs and the Authentication-Results comment; absent on pass. */
  readonly reason?: string;
  /** `d=`, when readable. */
  readonly domain?: string;
  readonly selector?: string;
  /** `i=` (default `@d`). */
  readonly identity?: string;
  readonly algorithm?: string;
  /** The first characters of `b=`, for `header.b` (RFC 6008). */
  readonly signaturePrefix?: string;
  /** The key's `t=y` flag. */
  readonly testing?: boolean;
  /** The parsed signature, when it parsed. */
  readonly signature?: DkimSignature;
}

export interface DkimVerifyOptions {
  readonly resolver: Resolver;
  readonly crypto: DkimCrypto;
  /** The current time, for `x=` (RFC 6376 §6.1.1). Time is input. */
  readonly now: Date;
  /** Accept signatures with `l=`; default false: they get `policy` (RFC 6376 §8.2). */
  readonly allowBodyLength?: boolean;
  /** Signatures checked at most; later ones get `policy`. Default 10. */
  readonly maxSignatures?: number;
  /** Header block limit; default 1 MiB. */
  readonly maxHeaderBytes?: number;
  /** Seconds of clock skew tolerated for `x=`; default 0. */
  readonly clockSkew?: number;
}

interface Pending {
  readonly field: RawHeaderField;
  readonly parsed: ReturnType<typeof parseDkimSignature>;
  readonly hasher?: DkimBodyHasher;
}

/**
 * @example
 * const verifier = new DkimVerifier({ resolver, crypto: createNodeDkimCrypto(), now: new Date() });
 * for await (const chunk of message) verifier.update(chunk);
 * const results = await verifier.finish(); // [{ result: 'pass', domain: 'example.com', … }]
 */
export class DkimVerifier {
  private readonly splitter: HeaderSplitter;
  private pending: Pending[] | undefined;
  private fields: RawHeaderField[] = [];
  private finished = false;

  constructor(private readonly options: DkimVerifyOptions) {
    this.splitter = new HeaderSplitter(options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
  }

  update(chunk: Uint8Array): void {
    if (this.finished) return;
    const body = this.splitter.push(chunk);
    if (this.splitter.complete && this.pending === undefined) this.start();
    if (body.length > 0 && this.pending) for (const item of this.pending) item.hasher?.update(body);
  }

  async finish(): Promise<DkimResult[]> {
    this.finished = true;
    if (this.pending === undefined) this.start();
    if (this.splitter.tooLarge) return [{ result: 'permerror', reason: 'message header over the limit' }];
    return Promise.all(this.pending!.map((item) => this.check(item)));
  }

  private start(): void {
    if (this.splitter.tooLarge) {
      this.pending = [];
      return;
    }
    this.fields = this.splitter.fields();
    const max = this.options.maxSignatures ?? 10;
    const hash = (): { hash: ReturnType<DkimCrypto['sha256']> } => ({
      hash: this.options.crypto.sha256?.() ?? coreSha256(),
    });
    this.pending = this.fields
      .filter((field) => field.name.toLowerCase() === 'dkim-signature')
      .map((field, index) => {
        const parsed = parseDkimSignature(field.raw.slice(field.raw.indexOf(':') + 1));
        if (!parsed.ok || index >= max) return { field, parsed };
        const signature = parsed.signature;
        if (signature.bodyLength !== undefined && this.options.allowBodyLength !== true)
          return { field, parsed };
        const limit = signature.bodyLength === undefined ? {} : { limit: signature.bodyLength };
        return {
          field,
          parsed,
          hasher: new DkimBodyHasher(signature.bodyCanonicalization, { ...limit, ...hash() }),
        };
      });
  }

  private async check(item: Pending, index = this.pending!.indexOf(item)): Promise<DkimResult> {
    const parsed = item.parsed;
    if (!parsed.ok) {
      return {
        result: parsed.kind === 'unsupported' ? 'neutral' : 'permerror',
        reason: parsed.reason,
        ...(parsed.domain === undefined ? {} : { domain: parsed.domain }),
        ...(parsed.selector === undefined ? {} : { selector: parsed.selector }),
      };
    }
    const signature = parsed.signature;
    const base = {
      domain: signature.domain,
      selector: signature.selector,
      identity: signature.identity,
      algorithm: signature.algorithm,
      signaturePrefix: signature.rawSignature.slice(0, 8),
      signature,
    };
    if (index >= (this.options.maxSignatures ?? 10))
      return { ...base, result: 'policy', reason: 'too many signatures' };
    if (item.hasher === undefined) {
      return { ...base, result: 'policy', reason: 'body length limit (l=) not accepted' };
    }
    const now = Math.floor(this.options.now.getTime() / 1000);
    // RFC 6376 §6.1.1: a signature past its x= MUST be considered invalid.
    if (signature.expiration !== undefined && signature.expiration + (this.options.clockSkew ?? 0) < now) {
      return { ...base, result: 'policy', reason: 'signature expired' };
    }
    const bodyHash = item.hasher.digest();
    if (signature.bodyLength !== undefined && item.hasher.canonicalLength < signature.bodyLength) {
      // RFC 6376 §6.1.3: a body shorter than l= fails.
      return { ...base, result: 'fail', reason: 'body shorter than l=' };
    }
    const name = `${signature.selector}._domainkey.${signature.domain}`;
    const answer = await this.options.resolver.txt(name);
    if (!answer.ok) {
      if (answer.kind === 'temporary')
        return { ...base, result: 'temperror', reason: `key look-up failed (${answer.reason})` };
      return { ...base, result: 'permerror', reason: 'no key record' };
    }
    let keyProblem = 'no key record';
    let key: Extract<ReturnType<typeof parseDkimKeyRecord>, { ok: true }>['key'] | undefined;
    for (const record of answer.records) {
      const parsedKey = parseDkimKeyRecord(record.text);
      if (parsedKey.ok) {
        key = parsedKey.key;
        break;
      }
      keyProblem = parsedKey.reason;
    }
    if (key === undefined) return { ...base, result: 'permerror', reason: keyProblem };
    const withKey = { ...base, ...(key.testing ? { testing: true } : {}) };
    if (key.publicKey.length === 0) return { ...withKey, result: 'permerror', reason: 'key revoked' };
    if (key.keyType !== keyTypeOf(signature.algorithm)) {
      return { ...withKey, result: 'permerror', reason: 'key type does not match the algorithm' };
    }
    if (key.strict) {
      const identityDomain = signature.identity.slice(signature.identity.lastIndexOf('@') + 1).toLowerCase();
      if (identityDomain !== signature.domain)
        return { ...withKey, result: 'permerror', reason: 'key t=s forbids a subdomain in i=' };
    }
    // RFC 6376 §6.1.3: compare the body hash first.
    if (!constantTimeEqual(bodyHash, signature.bodyHash)) {
      return { ...withKey, result: 'fail', reason: 'body hash did not verify' };
    }
    const signatureField: RawHeaderField = {
      name: item.field.name,
      raw: withoutSignatureValue(item.field.raw),
    };
    const data = signedHeaderData(
      this.fields,
      signature.signedHeaders,
      signature.headerCanonicalization,
      signatureField,
      item.field,
    );
    let valid: boolean;
    try {
      valid = await this.options.crypto.verify(signature.algorithm, key.publicKey, data, signature.signature);
    } catch (error) {
      return {
        ...withKey,
        result: 'permerror',
        reason: `unusable key: ${(error as Error)?.message ?? String(error)}`,
      };
    }
    return valid
      ? { ...withKey, result: 'pass' }
      : { ...withKey, result: 'fail', reason: 'signature did not verify' };
  }
}

/** Verifies every DKIM signature of a message given whole or as chunks. */
export async function verifyDkim(
  message: Uint8Array | Iterable<Uint8Array>,
  options: DkimVerifyOptions,
): Promise<DkimResult[]> {
  const verifier = new DkimVerifier(options);
  if (message instanceof Uint8Array) verifier.update(message);
  else for (const chunk of message) verifier.update(chunk);
  return verifier.finish();
}
