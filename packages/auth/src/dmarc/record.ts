/**
 * DMARC records (RFC 7489 §6.3) and their discovery (§6.6.3): `_dmarc.<From domain>`, then
 * `_dmarc.<Organizational Domain>` (§3.2, from the Public Suffix List).
 */

import type { Resolver } from '@mailwire/dns';
import { getDomain } from 'tldts';
import { parseTagList } from '../tag-list.js';
import {
  type DmarcLookupFn,
  memoDmarcLookup,
  walkToOrganizationalDomain,
  walkToPolicyDomain,
} from './tree-walk.js';

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';
export type Alignment = 'r' | 's';
/**
 * DMARCbis `psd=` (draft-ietf-dmarc-dmarcbis §4.7): `y` the domain is a Public Suffix Domain,
 * `n` it is an Organizational Domain, `u` (default) unknown.
 */
export type PublicSuffixFlag = 'y' | 'n' | 'u';

export interface DmarcRecord {
  readonly policy: DmarcPolicy;
  /** `sp=`, for subdomains of the domain that published the record. */
  readonly subdomainPolicy?: DmarcPolicy;
  /** `adkim=`, default relaxed. */
  readonly dkimAlignment: Alignment;
  /** `aspf=`, default relaxed. */
  readonly spfAlignment: Alignment;
  /** `pct=`, 0–100, default 100. */
  readonly percent: number;
  readonly aggregateReports: readonly string[];
  readonly failureReports: readonly string[];
  /** `fo=`, default "0". */
  readonly failureOptions: string;
  /** `ri=`, seconds, default 86400. */
  readonly reportInterval: number;
  /** DMARCbis `psd=`, default `u`; only the tree walk (`discovery: 'tree-walk'`) reads it. */
  readonly publicSuffix: PublicSuffixFlag;
}

export type ParseDmarcResult =
  | { readonly ok: true; readonly record: DmarcRecord }
  | { readonly ok: false; readonly reason: string };

function policy(value: string | undefined): DmarcPolicy | undefined {
  const lower = value?.toLowerCase();
  return lower === 'none' || lower === 'quarantine' || lower === 'reject' ? lower : undefined;
}

function uris(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(uri));
}

/** True when a TXT string is a DMARC record: it starts with the `v=DMARC1` tag (§6.4). */
export function isDmarcRecord(text: string): boolean {
  return /^v[ \t]*=[ \t]*DMARC1[ \t]*(?:;|$)/.test(text);
}

export function parseDmarcRecord(text: string): ParseDmarcResult {
  if (!isDmarcRecord(text)) return { ok: false, reason: 'not a DMARC record (v=DMARC1 first)' };
  const parsed = parseTagList(text);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const tags = parsed.tags;
  const aggregateReports = uris(tags.get('rua'));
  let p = policy(tags.get('p'));
  if (p === undefined) {
    // RFC 7489 §6.6.3: a missing or invalid p= with a valid rua= is read as p=none.
    if (aggregateReports.length === 0) return { ok: false, reason: 'missing or invalid p=' };
    p = 'none';
  }
  const sp = policy(tags.get('sp'));
  const alignment = (tag: string): Alignment => (tags.get(tag)?.toLowerCase() === 's' ? 's' : 'r');
  const pctText = tags.get('pct');
  const pct = pctText !== undefined && /^\d{1,3}$/.test(pctText) ? Math.min(100, Number(pctText)) : 100;
  const riText = tags.get('ri');
  const psd = tags.get('psd')?.toLowerCase();
  return {
    ok: true,
    record: {
      policy: p,
      ...(sp === undefined ? {} : { subdomainPolicy: sp }),
      dkimAlignment: alignment('adkim'),
      spfAlignment: alignment('aspf'),
      percent: pct,
      aggregateReports,
      failureReports: uris(tags.get('ruf')),
      failureOptions: tags.get('fo') ?? '0',
      reportInterval: riText !== undefined && /^\d{1,10}$/.test(riText) ? Number(riText) : 86400,
      // DMARCbis §4.7: any other value is read as the default, u.
      publicSuffix: psd === 'y' || psd === 'n' ? psd : 'u',
    },
  };
}

/**
 * The Organizational Domain (RFC 7489 §3.2): the public suffix plus one label, from the Public
 * Suffix List (ICANN and private sections, through `tldts`). A name that is itself a public
 * suffix, or that the list does not know, is its own organizational domain.
 */
export function organizationalDomain(domain: string): string {
  const name = domain.replace(/\.$/, '').toLowerCase();
  return getDomain(name, { allowPrivateDomains: true, validateHostname: false }) ?? name;
}

export type DmarcDiscovery =
  | {
      readonly status: 'found';
      readonly record: DmarcRecord;
      /** The domain whose `_dmarc` name held the record. */
      readonly recordDomain: string;
      readonly organizationalDomain: string;
    }
  | { readonly status: 'none'; readonly organizationalDomain: string; readonly reason: string }
  | { readonly status: 'temperror'; readonly organizationalDomain: string; readonly reason: string };

/**
 * How the policy record and the Organizational Domain are found:
 * - `'psl'` (default): RFC 7489 §6.6.3 — `_dmarc.<From domain>`, then `_dmarc.<Organizational
 *   Domain>` from the Public Suffix List (at most 2 queries);
 * - `'tree-walk'`: DMARCbis §4.10 — up the labels of the From domain (at most 8 queries), and
 *   the Organizational Domain from `psd=` records instead of the list.
 */
export type DmarcDiscoveryMode = 'psl' | 'tree-walk';

export interface DmarcDiscoveryOptions {
  readonly resolver: Resolver;
  /** Default `'psl'`; see `DmarcDiscoveryMode`. */
  readonly discovery?: DmarcDiscoveryMode;
  /** Replaces the Public Suffix List look-up (`discovery: 'psl'` only). */
  readonly organizationalDomain?: (domain: string) => string;
}

/**
 * Finds the DMARC policy for an RFC5322.From domain: RFC 7489 §6.6.3, or the DMARCbis tree walk
 * with `discovery: 'tree-walk'`.
 */
export async function discoverDmarc(
  fromDomain: string,
  options: DmarcDiscoveryOptions,
  lookup?: DmarcLookupFn,
): Promise<DmarcDiscovery> {
  const domain = fromDomain.replace(/\.$/, '').toLowerCase();
  if (options.discovery === 'tree-walk') {
    const memo = lookup ?? memoDmarcLookup(options.resolver);
    const policy = await walkToPolicyDomain(domain, options.resolver, memo);
    if (policy.status === 'temperror')
      return { status: 'temperror', organizationalDomain: domain, reason: policy.reason };
    const org = await walkToOrganizationalDomain(domain, options.resolver, memo);
    if (policy.status === 'none')
      return { status: 'none', organizationalDomain: org.domain, reason: policy.reason };
    return { ...policy, organizationalDomain: org.domain };
  }
  const org = (options.organizationalDomain ?? organizationalDomain)(domain);
  const candidates = org === domain ? [domain] : [domain, org];
  let reason = 'no DMARC record';
  for (const candidate of candidates) {
    const answer = await options.resolver.txt(`_dmarc.${candidate}`);
    if (!answer.ok) {
      if (answer.kind === 'temporary') {
        return { status: 'temperror', organizationalDomain: org, reason: `DNS ${answer.reason}` };
      }
      continue;
    }
    const records = answer.records.filter((record) => isDmarcRecord(record.text));
    // RFC 7489 §6.6.3: several records, or none, end discovery at this name.
    if (records.length !== 1) {
      if (records.length > 1) reason = `several DMARC records at _dmarc.${candidate}`;
      continue;
    }
    const parsed = parseDmarcRecord(records[0]!.text);
    if (!parsed.ok) {
      reason = parsed.reason;
      continue;
    }
    return { status: 'found', record: parsed.record, recordDomain: candidate, organizationalDomain: org };
  }
  return { status: 'none', organizationalDomain: org, reason };
}
