/**
 * MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file, MX matching, and discovery
 * with a caller-supplied HTTPS fetch and cache (time is input; nothing here opens a socket).
 */

import type { Resolver } from '@mailwire/dns';

export type MtaStsMode = 'enforce' | 'testing' | 'none';

export interface MtaStsRecord {
  /** `id=`: changes whenever the policy changes (§3.1). */
  readonly id: string;
}

export interface MtaStsPolicy {
  readonly mode: MtaStsMode;
  /** `mx:` patterns, lowercased; `*.example.com` matches one leftmost label. */
  readonly mx: readonly string[];
  /** `max_age:` seconds (at most 31557600, §3.2). */
  readonly maxAge: number;
}

export type MtaStsParse<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** Parses the TXT record at `_mta-sts.<domain>` (RFC 8461 §3.1). */
export function parseMtaStsRecord(text: string): MtaStsParse<MtaStsRecord> {
  const fields = text.split(';').map((field) => field.trim());
  if (fields[0] !== 'v=STSv1') return { ok: false, reason: 'record does not start with v=STSv1' };
  let id: string | undefined;
  for (const field of fields.slice(1)) {
    if (field === '') continue;
    const match = /^([A-Za-z0-9_.-]+)=([\x21-\x3a\x3c\x3e-\x7e]*)$/.exec(field);
    if (!match) return { ok: false, reason: `bad field "${field}"` };
    if (match[1] === 'id') {
      if (!/^[A-Za-z0-9]{1,32}$/.test(match[2]!)) return { ok: false, reason: 'bad id=' };
      id = match[2]!;
    }
  }
  return id === undefined ? { ok: false, reason: 'record without id=' } : { ok: true, value: { id } };
}

/** Longest policy body read (RFC 8461 §3.3: senders may limit it; 64 KiB is its suggestion). */
export const MTA_STS_MAX_POLICY_BYTES = 64 * 1024;

/** Parses the policy file (RFC 8461 §3.2): `key: value` lines, CRLF or LF. */
export function parseMtaStsPolicy(text: string): MtaStsParse<MtaStsPolicy> {
  if (text.length > MTA_STS_MAX_POLICY_BYTES) return { ok: false, reason: 'policy too large' };
  let version: string | undefined;
  let mode: MtaStsMode | undefined;
  let maxAge: number | undefined;
  const mx: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const match = /^([A-Za-z0-9_.-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) return { ok: false, reason: `bad line "${line}"` };
    const [, key, value] = match;
    switch (key) {
      case 'version':
        version ??= value;
        break;
      case 'mode':
        if (mode === undefined) {
          if (value !== 'enforce' && value !== 'testing' && value !== 'none')
            return { ok: false, reason: `bad mode "${value}"` };
          mode = value;
        }
        break;
      case 'max_age':
        if (maxAge === undefined) {
          if (!/^\d{1,10}$/.test(value!)) return { ok: false, reason: 'bad max_age' };
          maxAge = Math.min(Number(value), 31557600);
        }
        break;
      case 'mx':
        mx.push(value!.toLowerCase().replace(/\.$/, ''));
        break;
      default:
        break; // §3.2: unknown fields are ignored.
    }
  }
  if (version !== 'STSv1') return { ok: false, reason: 'version is not STSv1' };
  if (mode === undefined) return { ok: false, reason: 'no mode' };
  if (maxAge === undefined) return { ok: false, reason: 'no max_age' };
  if (mode !== 'none' && mx.length === 0) return { ok: false, reason: 'no mx' };
  return { ok: true, value: { mode, mx, maxAge } };
}

/** RFC 8461 §4.1: an MX host matches a pattern exactly, or `*.` plus exactly one more label. */
export function mxMatchesPolicy(host: string, policy: MtaStsPolicy): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return policy.mx.some((pattern) => {
    if (pattern.startsWith('*.')) {
      const rest = pattern.slice(2);
      const dot = name.indexOf('.');
      return dot > 0 && name.slice(dot + 1) === rest;
    }
    return name === pattern;
  });
}

export interface MtaStsFetchResponse {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}

export interface CachedMtaStsPolicy {
  readonly id: string;
  readonly policy: MtaStsPolicy;
  /** When it was fetched, Unix seconds. */
  readonly fetchedAt: number;
}

export interface MtaStsCache {
  get(domain: string): CachedMtaStsPolicy | undefined | Promise<CachedMtaStsPolicy | undefined>;
  set(domain: string, entry: CachedMtaStsPolicy): void | Promise<void>;
}

export interface MtaStsOptions {
  readonly resolver: Resolver;
  /**
   * Fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt`. The caller MUST validate the
   * certificate against `mta-sts.<domain>` and MUST NOT follow redirects (RFC 8461 §3.3).
   */
  readonly fetch: (url: string) => Promise<MtaStsFetchResponse>;
  readonly cache?: MtaStsCache;
  readonly now: Date;
}

export type MtaStsDiscovery =
  | {
      readonly status: 'policy';
      readonly policy: MtaStsPolicy;
      readonly id: string;
      readonly fromCache: boolean;
    }
  | { readonly status: 'none'; readonly reason: string }
  | { readonly status: 'temperror'; readonly reason: string };

/**
 * Policy discovery (RFC 8461 §3.3, §5.1): a cached, unexpired policy is used while the record's
 * id is unchanged (or the record cannot be read); otherwise the policy is fetched and cached.
 */
export async function discoverMtaSts(domain: string, options: MtaStsOptions): Promise<MtaStsDiscovery> {
  const name = domain.toLowerCase().replace(/\.$/, '');
  const now = Math.floor(options.now.getTime() / 1000);
  const cached = await options.cache?.get(name);
  const fresh = cached !== undefined && cached.fetchedAt + cached.policy.maxAge > now ? cached : undefined;
  const answer = await options.resolver.txt(`_mta-sts.${name}`);
  let record: MtaStsRecord | undefined;
  if (answer.ok) {
    const parsed = answer.records.map((r) => r.text).filter((text) => text.startsWith('v=STSv1'));
    // RFC 8461 §3.1: several records mean no policy.
    if (parsed.length === 1) {
      const result = parseMtaStsRecord(parsed[0]!);
      if (result.ok) record = result.value;
    }
  }
  if (record === undefined) {
    if (fresh) return { status: 'policy', policy: fresh.policy, id: fresh.id, fromCache: true };
    if (!answer.ok && answer.kind === 'temporary')
      return { status: 'temperror', reason: `DNS ${answer.reason}` };
    return { status: 'none', reason: 'no MTA-STS record' };
  }
  if (fresh && fresh.id === record.id)
    return { status: 'policy', policy: fresh.policy, id: fresh.id, fromCache: true };
  let response: MtaStsFetchResponse;
  try {
    response = await options.fetch(`https://mta-sts.${name}/.well-known/mta-sts.txt`);
  } catch (error) {
    if (fresh) return { status: 'policy', policy: fresh.policy, id: fresh.id, fromCache: true };
    return { status: 'temperror', reason: `fetch failed: ${(error as Error)?.message ?? String(error)}` };
  }
  // RFC 8461 §3.3: only a 200 with media type text/plain counts.
  const type = response.contentType?.split(';')[0]?.trim().toLowerCase();
  const policy =
    response.status === 200 && type === 'text/plain' ? parseMtaStsPolicy(response.body) : undefined;
  if (policy === undefined || !policy.ok) {
    if (fresh) return { status: 'policy', policy: fresh.policy, id: fresh.id, fromCache: true };
    return { status: 'temperror', reason: policy?.reason ?? `policy fetch answered ${response.status}` };
  }
  await options.cache?.set(name, { id: record.id, policy: policy.value, fetchedAt: now });
  return { status: 'policy', policy: policy.value, id: record.id, fromCache: false };
}
