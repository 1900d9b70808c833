/**
 * Parsing of DKIM-Signature fields (RFC 6376 §3.5) and key records (§3.6.1, RFC 8463 §4).
 */

import { decodeBase64 } from '@mailwire/core';
import type { DkimAlgorithm, DkimKeyType } from '../crypto.js';
import type { Canonicalization } from '../header.js';
import { parseTagList, stripWhitespace } from '../tag-list.js';

export interface DkimSignature {
  readonly algorithm: DkimAlgorithm;
  readonly signature: Uint8Array;
  readonly bodyHash: Uint8Array;
  readonly headerCanonicalization: Canonicalization;
  readonly bodyCanonicalization: Canonicalization;
  /** `d=`, lowercased. */
  readonly domain: string;
  readonly selector: string;
  /** `h=`, as written. */
  readonly signedHeaders: readonly string[];
  /** `i=`, default `@d` (§3.5). */
  readonly identity: string;
  readonly bodyLength?: number;
  /** `t=`, Unix seconds. */
  readonly timestamp?: number;
  /** `x=`, Unix seconds. */
  readonly expiration?: number;
  /** The `b=` value as written (whitespace removed), for `header.b` in Authentication-Results. */
  readonly rawSignature: string;
}

export type ParseSignatureResult =
  | { readonly ok: true; readonly signature: DkimSignature }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Whatever was readable, for the report. */
      readonly domain?: string;
      readonly selector?: string;
      /** `unsupported` for a well-formed signature we refuse to check (rsa-sha1, unknown version). */
      readonly kind: 'syntax' | 'unsupported';
    };

const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Parses the value of a DKIM-Signature field (everything after the colon). */
export function parseDkimSignature(value: string): ParseSignatureResult {
  const parsed = parseTagList(value);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, kind: 'syntax' };
  const tags = parsed.tags;
  const domainTag = tags.get('d')?.toLowerCase();
  const selector = tags.get('s');
  const fail = (reason: string, kind: 'syntax' | 'unsupported' = 'syntax'): ParseSignatureResult => ({
    ok: false,
    reason,
    kind,
    ...(domainTag === undefined ? {} : { domain: domainTag }),
    ...(selector === undefined ? {} : { selector }),
  });
  // RFC 6376 §6.1.1: v, a, b, bh, d, h, s are required.
  for (const required of ['v', 'a', 'b', 'bh', 'd', 'h', 's']) {
    if (!tags.has(required)) return fail(`missing tag "${required}"`);
  }
  if (tags.get('v') !== '1') return fail(`unsupported version "${tags.get('v')}"`, 'unsupported');
  const a = tags.get('a')!.toLowerCase();
  if (a === 'rsa-sha1') return fail('rsa-sha1 is not accepted (RFC 8301 §3.1)', 'unsupported');
  if (a !== 'rsa-sha256' && a !== 'ed25519-sha256') return fail(`unknown algorithm "${a}"`, 'unsupported');
  const signature = decodeBase64(stripWhitespace(tags.get('b')!));
  const bodyHash = decodeBase64(stripWhitespace(tags.get('bh')!));
  if (signature === undefined || signature.length === 0) return fail('b= is not base64');
  if (bodyHash === undefined || bodyHash.length !== 32) return fail('bh= is not a base64 SHA-256');
  const c = (tags.get('c') ?? 'simple/simple').toLowerCase().split('/');
  const headerCanon = c[0];
  const bodyCanon = c[1] ?? 'simple';
  if (c.length > 2 || !isCanon(headerCanon) || !isCanon(bodyCanon))
    return fail(`bad canonicalization "${tags.get('c')}"`);
  const domain = domainTag!;
  if (!DOMAIN.test(domain)) return fail(`bad domain "${domain}"`);
  if (!/^[A-Za-z0-9_](?:[A-Za-z0-9_-]*)(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*$/.test(selector!)) {
    return fail(`bad selector "${selector}"`);
  }
  const signedHeaders = tags
    .get('h')!
    .split(':')
    .map((name) => name.replace(/[ \t\r\n]+/g, ''));
  if (signedHeaders.some((name) => name === '')) return fail('empty name in h=');
  // RFC 6376 §5.4: the From field MUST be signed.
  if (!signedHeaders.some((name) => name.toLowerCase() === 'from')) return fail('h= does not sign From');
  const identity = tags.get('i') ?? `@${domain}`;
  const at = identity.lastIndexOf('@');
  if (at === -1) return fail('i= has no "@"');
  const identityDomain = identity.slice(at + 1).toLowerCase();
  // RFC 6376 §3.5 i=: the domain MUST be the same as, or a subdomain of, d=.
  if (identityDomain !== domain && !identityDomain.endsWith(`.${domain}`)) return fail('i= is not within d=');
  const q = tags.get('q');
  if (q !== undefined && !q.split(':').some((method) => method.trim().toLowerCase() === 'dns/txt')) {
    return fail(`unsupported query method "${q}"`, 'unsupported');
  }
  const number = (tag: string): number | undefined | null => {
    const text = tags.get(tag);
    if (text === undefined) return undefined;
    return /^\d{1,12}$/.test(text) ? Number(text) : null;
  };
  const bodyLength = number('l');
  const timestamp = number('t');
  const expiration = number('x');
  if (bodyLength === null) return fail('bad l=');
  if (timestamp === null) return fail('bad t=');
  if (expiration === null) return fail('bad x=');
  // RFC 6376 §3.5 x=: MUST be greater than t= when both are present.
  if (timestamp !== undefined && expiration !== undefined && expiration <= timestamp)
    return fail('x= is not after t=');
  return {
    ok: true,
    signature: {
      algorithm: a,
      signature,
      bodyHash,
      headerCanonicalization: headerCanon,
      bodyCanonicalization: bodyCanon,
      domain,
      selector: selector!,
      signedHeaders,
      identity,
      rawSignature: stripWhitespace(tags.get('b')!),
      ...(bodyLength === undefined ? {} : { bodyLength }),
      ...(timestamp === undefined ? {} : { timestamp }),
      ...(expiration === undefined ? {} : { expiration }),
    },
  };
}

function isCanon(value: string | undefined): value is Canonicalization {
  return value === 'simple' || value === 'relaxed';
}

export interface DkimKeyRecord {
  readonly keyType: DkimKeyType;
  /** The decoded `p=`; empty for a revoked key (§3.6.1). */
  readonly publicKey: Uint8Array;
  /** `t=s`: `i=` must use exactly `d=`, no subdomain. */
  readonly strict: boolean;
  /** `t=y`: the domain is testing DKIM. */
  readonly testing: boolean;
}

export type ParseKeyResult =
  | { readonly ok: true; readonly key: DkimKeyRecord }
  | { readonly ok: false; readonly reason: string };

/** Parses a DKIM key record (the TXT at `<selector>._domainkey.<domain>`). */
export function parseDkimKeyRecord(text: string): ParseKeyResult {
  const parsed = parseTagList(text);
  if (!parsed.ok) return { ok: false, reason: `key record: ${parsed.reason}` };
  const tags = parsed.tags;
  const v = tags.get('v');
  // RFC 6376 §3.6.1 v=: if present, MUST be "DKIM1" and the first tag.
  if (v !== undefined && (v !== 'DKIM1' || parsed.order[0] !== 'v'))
    return { ok: false, reason: 'key record: bad v=' };
  const h = tags.get('h');
  if (h !== undefined && !h.split(':').some((hash) => hash.trim().toLowerCase() === 'sha256')) {
    return { ok: false, reason: 'key record does not allow sha256' };
  }
  const k = (tags.get('k') ?? 'rsa').toLowerCase();
  if (k !== 'rsa' && k !== 'ed25519') return { ok: false, reason: `key record: unknown key type "${k}"` };
  const s = tags.get('s');
  if (
    s !== undefined &&
    !s.split(':').some((service) => ['*', 'email'].includes(service.trim().toLowerCase()))
  ) {
    return { ok: false, reason: 'key record is not for email' };
  }
  const p = tags.get('p');
  if (p === undefined) return { ok: false, reason: 'key record without p=' };
  const publicKey = p === '' ? new Uint8Array(0) : decodeBase64(stripWhitespace(p));
  if (publicKey === undefined) return { ok: false, reason: 'key record: p= is not base64' };
  const flags = (tags.get('t') ?? '').split(':').map((flag) => flag.trim().toLowerCase());
  return {
    ok: true,
    key: { keyType: k, publicKey, strict: flags.includes('s'), testing: flags.includes('y') },
  };
}

/**
 * The field with the value of its `b=` tag removed (RFC 6376 §3.7: "with the value of the b=
 * tag (including all surrounding whitespace) deleted"), everything else kept byte for byte.
 */
export function withoutSignatureValue(raw: string): string {
  const colon = raw.indexOf(':');
  const head = raw.slice(0, colon + 1);
  const value = raw.slice(colon + 1);
  return head + value.replace(/(^|;)([ \t\r\n]*b[ \t\r\n]*=)[^;]*/, '$1$2');
}
