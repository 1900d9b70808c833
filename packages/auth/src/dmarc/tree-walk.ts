/**
 * The DMARCbis DNS Tree Walk (draft-ietf-dmarc-dmarcbis-41 §4.10), which replaces the Public
 * Suffix List of RFC 7489 §3.2:
 *
 * - the names to query (§4.10): the domain itself; then, when it has 8 labels or more, straight
 *   to its last 7 labels; then one label fewer at a time, down to the single-label TLD. At most
 *   8 `_dmarc` TXT queries, whatever the name;
 * - the Policy Domain (§4.10.1): the first name on that walk with a valid DMARC record;
 * - the Organizational Domain (§4.10.2): the first name with `psd=n`; or, above the starting
 *   name, the first with `psd=y`, whose child on the path is the Organizational Domain; or else
 *   the name with the fewest labels that has a record; or else the starting name itself.
 *
 * At each name, TXT strings that are not `v=DMARC1` are ignored and several DMARC records count
 * as none (§4.10 steps 2 and 7). Nothing here reads the clock or opens a socket: the answers come
 * from the `Resolver`.
 */

import type { Resolver } from '@mailwire/dns';
import { type DmarcRecord, isDmarcRecord, parseDmarcRecord } from './record.js';

/** §4.10 step 5: a walk never queries more than 8 names. */
export const DMARC_TREE_WALK_MAX_QUERIES = 8;

/**
 * The names a tree walk queries for `domain`, in order (§4.10 steps 4, 5 and 8): the domain,
 * then (when it has 8 or more labels) its last 7 labels, then one label fewer each time.
 *
 * @example
 * dmarcTreeWalkNames('a.mail.example.com'); // ['a.mail.example.com', 'mail.example.com', 'example.com', 'com']
 */
export function dmarcTreeWalkNames(domain: string): string[] {
  const labels = domain.replace(/\.$/, '').toLowerCase().split('.');
  if (labels.length === 0 || labels.some((label) => label === '')) return [];
  const names = [labels.join('.')];
  let count = labels.length;
  // §4.10 step 5: with x >= 8 labels the next target keeps the last 7; below that, one fewer.
  count = count >= 8 ? 7 : count - 1;
  for (; count >= 1; count--) names.push(labels.slice(labels.length - count).join('.'));
  return names;
}

export type DmarcLookup =
  | { readonly kind: 'record'; readonly record: DmarcRecord }
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'temperror'; readonly reason: string };

/** One `_dmarc.<name>` query: the single valid DMARC record there, none, or a DNS temporary failure. */
export async function lookupDmarcRecord(name: string, resolver: Resolver): Promise<DmarcLookup> {
  const answer = await resolver.txt(`_dmarc.${name}`);
  if (!answer.ok) {
    if (answer.kind === 'temporary') return { kind: 'temperror', reason: `DNS ${answer.reason}` };
    return { kind: 'none', reason: 'no DMARC record' };
  }
  const records = answer.records.filter((record) => isDmarcRecord(record.text));
  // RFC 7489 §6.6.3, DMARCbis §4.10 steps 2 and 7: several DMARC records are all discarded.
  if (records.length !== 1)
    return {
      kind: 'none',
      reason: records.length > 1 ? `several DMARC records at _dmarc.${name}` : 'no DMARC record',
    };
  const parsed = parseDmarcRecord(records[0]!.text);
  return parsed.ok ? { kind: 'record', record: parsed.record } : { kind: 'none', reason: parsed.reason };
}

/** A `_dmarc` look-up that answers each name once (one per evaluation, so walks share queries). */
export type DmarcLookupFn = (name: string) => Promise<DmarcLookup>;

export function memoDmarcLookup(resolver: Resolver): DmarcLookupFn {
  const seen = new Map<string, Promise<DmarcLookup>>();
  return (name) => {
    let answer = seen.get(name);
    if (answer === undefined) {
      answer = lookupDmarcRecord(name, resolver);
      seen.set(name, answer);
    }
    return answer;
  };
}

export type PolicyDomainWalk =
  | { readonly status: 'found'; readonly record: DmarcRecord; readonly recordDomain: string }
  | { readonly status: 'none'; readonly reason: string }
  | { readonly status: 'temperror'; readonly reason: string };

/**
 * §4.10.1: the Policy Domain is the Author Domain when it has a DMARC record, otherwise the first
 * name up the tree walk that has one. A DNS temporary failure on the way ends the walk with
 * `temperror` (the receiver cannot know which policy applies).
 */
export async function walkToPolicyDomain(
  domain: string,
  resolver: Resolver,
  lookup: DmarcLookupFn = memoDmarcLookup(resolver),
): Promise<PolicyDomainWalk> {
  let reason = 'no DMARC record';
  for (const name of dmarcTreeWalkNames(domain)) {
    const found = await lookup(name);
    if (found.kind === 'temperror') return { status: 'temperror', reason: found.reason };
    if (found.kind === 'record') return { status: 'found', record: found.record, recordDomain: name };
    if (found.reason !== 'no DMARC record') reason = found.reason;
  }
  return { status: 'none', reason };
}

export interface OrganizationalDomainWalk {
  readonly domain: string;
  /** A name on the walk could not be queried (DNS temporary failure); the answer may be wrong. */
  readonly temperror: boolean;
}

/**
 * §4.10.2: the Organizational Domain of `domain`, by tree walk. Names whose query failed
 * temporarily are skipped (and `temperror` says so).
 *
 * @example
 * // _dmarc.example.com: "v=DMARC1; p=reject"   → example.com for mail.example.com
 * // _dmarc.bank: "v=DMARC1; p=reject; psd=y"   → example.bank for a.b.example.bank
 */
export async function walkToOrganizationalDomain(
  domain: string,
  resolver: Resolver,
  lookup: DmarcLookupFn = memoDmarcLookup(resolver),
): Promise<OrganizationalDomainWalk> {
  const start = domain.replace(/\.$/, '').toLowerCase();
  const names = dmarcTreeWalkNames(start);
  const labels = start.split('.');
  let temperror = false;
  let highest: string | undefined;
  for (const [index, name] of names.entries()) {
    const found = await lookup(name);
    if (found.kind === 'temperror') {
      temperror = true;
      continue;
    }
    if (found.kind !== 'record') continue;
    // §4.10.2: psd=n marks an Organizational Domain; the walk stops there.
    if (found.record.publicSuffix === 'n') return { domain: name, temperror };
    // §4.10.2: psd=y above the starting name: the name one label below it is the answer. (The
    // starting name's own psd=y is ignored: there is no name below it on this walk.)
    if (found.record.publicSuffix === 'y' && index > 0) {
      const count = name.split('.').length + 1;
      return { domain: labels.slice(labels.length - count).join('.'), temperror };
    }
    highest = name;
  }
  // §4.10.2: otherwise the record with the fewest labels; with no record, the name itself.
  return { domain: highest ?? start, temperror };
}
