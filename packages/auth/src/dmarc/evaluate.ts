/**
 * The DMARC verdict (RFC 7489 §6.6): identifier alignment of SPF and DKIM with the
 * RFC5322.From domain (§3.1), then the policy to apply, with `sp=` for subdomains and `pct=`
 * sampling (§6.6.4: a message not sampled gets the next policy down).
 */

import type { Resolver } from '@mailwire/dns';
import type { DkimResult } from '../dkim/verify.js';
import type { SpfVerdict } from '../spf/check-host.js';
import {
  type Alignment,
  type DmarcDiscoveryMode,
  type DmarcPolicy,
  type DmarcRecord,
  discoverDmarc,
  organizationalDomain,
} from './record.js';
import { memoDmarcLookup, walkToOrganizationalDomain } from './tree-walk.js';

export type DmarcResultKind = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';

export interface DmarcInput {
  /** The domain of the RFC5322.From address (see `fromDomain()`). */
  readonly fromDomain: string;
  /** The SPF verdict of the MAIL FROM identity (or HELO when MAIL FROM was empty). */
  readonly spf?: Pick<SpfVerdict, 'result'> & { readonly domain: string };
  readonly dkim?: readonly Pick<DkimResult, 'result' | 'domain'>[];
}

export interface DmarcOptions {
  readonly resolver: Resolver;
  /**
   * `'psl'` (default, RFC 7489) or `'tree-walk'` (DMARCbis §4.10: policy discovery up the From
   * domain's labels, and relaxed alignment by Organizational Domains found with `psd=`).
   */
  readonly discovery?: DmarcDiscoveryMode;
  /** Replaces the Public Suffix List look-up (`discovery: 'psl'` only). */
  readonly organizationalDomain?: (domain: string) => string;
  /**
   * A number in [0, 1) drawn by the caller for `pct=` sampling; the policy applies when
   * `sample * 100 < pct`. Default 0: the policy always applies. (No randomness is read here.)
   */
  readonly sample?: number;
}

export interface DmarcVerdict {
  readonly result: DmarcResultKind;
  readonly fromDomain: string;
  /** What the receiver should do: the published policy, lowered when `pct=` did not sample it. */
  readonly policy: DmarcPolicy;
  /** The published policy that applied to this domain (`p=` or `sp=`), when a record was found. */
  readonly requestedPolicy?: DmarcPolicy;
  readonly record?: DmarcRecord;
  readonly recordDomain?: string;
  readonly organizationalDomain?: string;
  readonly spfAligned: boolean;
  readonly dkimAligned: boolean;
  /** The aligned DKIM domain that passed, for the report. */
  readonly dkimDomain?: string;
  readonly reason?: string;
}

/** RFC 7489 §3.1.1/§3.1.2: strict is an exact match; relaxed compares organizational domains. */
export function aligned(
  identifier: string,
  fromDomain: string,
  mode: Alignment,
  org: (domain: string) => string = organizationalDomain,
): boolean {
  const a = identifier.replace(/\.$/, '').toLowerCase();
  const b = fromDomain.replace(/\.$/, '').toLowerCase();
  if (a === b) return true;
  return mode === 'r' && org(a) === org(b);
}

const LOWER: Record<DmarcPolicy, DmarcPolicy> = { reject: 'quarantine', quarantine: 'none', none: 'none' };

/**
 * @example
 * const verdict = await evaluateDmarc({ fromDomain: 'example.com', spf, dkim }, { resolver });
 * if (verdict.policy === 'reject') reject(550, '5.7.1', 'DMARC policy');
 */
export async function evaluateDmarc(input: DmarcInput, options: DmarcOptions): Promise<DmarcVerdict> {
  const fromDomain = input.fromDomain.replace(/\.$/, '').toLowerCase();
  const treeWalk = options.discovery === 'tree-walk';
  const lookup = treeWalk ? memoDmarcLookup(options.resolver) : undefined;
  const discovery = await discoverDmarc(fromDomain, options, lookup);
  const psl = options.organizationalDomain ?? organizationalDomain;
  let walkFailed = false;
  // RFC 7489 §3.1 relaxed mode compares Organizational Domains; DMARCbis §4.10.2 finds each one
  // with its own tree walk (the From domain's is the one discovery found).
  const sameOrganization = async (identifier: string, mode: Alignment): Promise<boolean> => {
    if (!treeWalk || lookup === undefined) return aligned(identifier, fromDomain, mode, psl);
    const name = identifier.replace(/\.$/, '').toLowerCase();
    if (name === fromDomain) return true;
    if (mode === 's') return false;
    const walk = await walkToOrganizationalDomain(name, options.resolver, lookup);
    walkFailed ||= walk.temperror;
    return walk.domain === discovery.organizationalDomain;
  };
  const base = { fromDomain, organizationalDomain: discovery.organizationalDomain };
  if (discovery.status !== 'found') {
    return {
      ...base,
      result: discovery.status,
      policy: 'none',
      spfAligned: false,
      dkimAligned: false,
      reason: discovery.reason,
    };
  }
  const record = discovery.record;
  const spfAligned =
    input.spf !== undefined &&
    input.spf.result === 'pass' &&
    (await sameOrganization(input.spf.domain, record.spfAlignment));
  let dkimPass: Pick<DkimResult, 'result' | 'domain'> | undefined;
  for (const result of input.dkim ?? []) {
    if (result.result !== 'pass' || result.domain === undefined) continue;
    if (await sameOrganization(result.domain, record.dkimAlignment)) {
      dkimPass = result;
      break;
    }
  }
  const dkimAligned = dkimPass !== undefined;
  // RFC 7489 §6.6.3: sp= applies when the record came from the organizational domain for a subdomain.
  const requested =
    discovery.recordDomain !== fromDomain ? (record.subdomainPolicy ?? record.policy) : record.policy;
  const pass = spfAligned || dkimAligned;
  if (!pass && walkFailed)
    return {
      ...base,
      result: 'temperror',
      policy: 'none',
      requestedPolicy: requested,
      record,
      recordDomain: discovery.recordDomain,
      spfAligned,
      dkimAligned,
      reason: 'DNS temporary failure while finding an Organizational Domain',
    };
  const sampled = (options.sample ?? 0) * 100 < record.percent;
  return {
    ...base,
    result: pass ? 'pass' : 'fail',
    policy: pass ? 'none' : sampled ? requested : LOWER[requested],
    requestedPolicy: requested,
    record,
    recordDomain: discovery.recordDomain,
    spfAligned,
    dkimAligned,
    ...(dkimPass?.domain === undefined ? {} : { dkimDomain: dkimPass.domain }),
  };
}
