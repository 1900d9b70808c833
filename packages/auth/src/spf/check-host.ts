/**
 * SPF `check_host()` (RFC 7208 §4) over the `Resolver` interface.
 *
 * The caller gives the client IP, the domain to check (the MAIL FROM domain, or the HELO name
 * when MAIL FROM is empty, §2.4), the sender and the HELO name; DNS answers come through the
 * resolver. Limits: 10 terms that query DNS (§4.6.4), 2 void look-ups (§4.6.4), 10 MX names per
 * `mx`, 10 PTR names per `ptr`. Nothing here throws for anything DNS or a record says.
 *
 * PTR records are not part of the `Resolver` interface: give `ptr` to enable the `ptr`
 * mechanism and the `%{p}` macro; without it `ptr` never matches and `%{p}` is "unknown" (the
 * mechanism is deprecated, §5.5 "SHOULD NOT be used").
 */

import {
  formatIpv4,
  formatIpv6,
  type LookupResult,
  parseIpv4,
  parseIpv6,
  type Resolver,
} from '@mailwire/dns';
import { UsageError } from '@mailwire/core';
import { expandMacros, type MacroContext } from './macro.js';
import { isSpfRecord, type Mechanism, parseSpfRecord, type Qualifier } from './record.js';

export type SpfResult = 'none' | 'neutral' | 'pass' | 'fail' | 'softfail' | 'temperror' | 'permerror';

export interface SpfVerdict {
  readonly result: SpfResult;
  /** The domain whose record decided (after redirects), or the domain checked. */
  readonly domain: string;
  /** The mechanism that matched, as written (`-all`, `ip4:192.0.2.0/24`). */
  readonly mechanism?: string;
  /** The expanded `exp=` text on `fail` (§6.2), when the domain publishes one. */
  readonly explanation?: string;
  /** Why, for errors and for logs. */
  readonly reason?: string;
  /** DNS-querying terms evaluated. */
  readonly lookups: number;
}

export interface SpfOptions {
  readonly resolver: Resolver;
  /** The HELO/EHLO name (`%{h}`); default the domain. */
  readonly helo?: string;
  /** This host's name (`%{r}` in explanations). */
  readonly receiver?: string;
  /** The time (`%{t}` in explanations). Time is input. */
  readonly now?: Date;
  /** PTR look-up for the `ptr` mechanism and `%{p}`; names without the trailing dot. */
  readonly ptr?: (ip: string) => Promise<LookupResult<string>>;
  /** Default 10 (RFC 7208 §4.6.4). */
  readonly maxLookups?: number;
  /** Default 2 (RFC 7208 §4.6.4). */
  readonly maxVoidLookups?: number;
}

interface State {
  readonly options: SpfOptions;
  readonly ip: Uint8Array;
  readonly sender: string;
  readonly helo: string;
  lookups: number;
  voids: number;
}

class Abort {
  constructor(
    readonly result: 'temperror' | 'permerror',
    readonly reason: string,
  ) {}
}

const QUALIFIER_RESULT: Record<Qualifier, SpfResult> = {
  '+': 'pass',
  '-': 'fail',
  '~': 'softfail',
  '?': 'neutral',
};

/** A name a DNS query can be made for: labels of 1–63 octets, 253 at most, two labels or more. */
export function isQueryableDomain(name: string): boolean {
  const bare = name.replace(/\.$/, '');
  if (bare.length === 0 || bare.length > 253) return false;
  const labels = bare.split('.');
  return labels.length >= 2 && labels.every((label) => label.length >= 1 && label.length <= 63);
}

function parseIp(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  const v6 = parseIpv6(text);
  if (!v6) return undefined;
  // An IPv4-mapped IPv6 client (::ffff:a.b.c.d) is checked as IPv4.
  if (v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return v6.slice(12);
  return v6;
}

function inNetwork(ip: Uint8Array, network: Uint8Array, prefix: number): boolean {
  if (ip.length !== network.length) return false;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== network[i]) return false;
  const bits = prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (ip[whole]! & mask) === (network[whole]! & mask);
}

function truncate(name: string): string {
  // RFC 7208 §7.3: over 253 characters, drop labels from the left.
  let out = name.replace(/\.$/, '');
  while (out.length > 253 && out.includes('.')) out = out.slice(out.indexOf('.') + 1);
  return out;
}

/**
 * `check_host(ip, domain, sender)`.
 *
 * @example
 * const verdict = await checkHost('192.0.2.1', 'example.com', 'user@example.com', {
 *   resolver, helo: 'mail.example.com' });
 * verdict.result; // 'pass'
 */
export async function checkHost(
  ip: string,
  domain: string,
  sender: string,
  options: SpfOptions,
): Promise<SpfVerdict> {
  const bytes = parseIp(ip);
  if (bytes === undefined) throw new UsageError('ERR_AUTH_INVALID_ARGUMENT', `"${ip}" is not an IP address`);
  // RFC 7208 §4.3: a sender without a local part is "postmaster".
  const at = sender.lastIndexOf('@');
  const fullSender = at === -1 ? `postmaster@${sender || domain}` : at === 0 ? `postmaster${sender}` : sender;
  const state: State = {
    options,
    ip: bytes,
    sender: fullSender,
    helo: options.helo ?? domain,
    lookups: 0,
    voids: 0,
  };
  // RFC 7208 §4.3: a domain that is not a valid multi-label name gives "none".
  if (!isQueryableDomain(domain) || domain.startsWith('[')) {
    return { result: 'none', domain, reason: 'not a valid domain name', lookups: 0 };
  }
  try {
    return await check(state, domain.replace(/\.$/, ''));
  } catch (error) {
    if (error instanceof Abort)
      return { result: error.result, domain, reason: error.reason, lookups: state.lookups };
    throw error;
  }
}

/**
 * The HELO identity check (RFC 7208 §2.3): `check_host()` of the HELO name with the sender
 * `postmaster@<helo>`. A HELO that is not a multi-label name (an address literal, a bare word)
 * gives `none`.
 */
export function checkHelo(ip: string, helo: string, options: Omit<SpfOptions, 'helo'>): Promise<SpfVerdict> {
  return checkHost(ip, helo, `postmaster@${helo}`, { ...options, helo });
}

function context(state: State, domain: string): MacroContext {
  const { ptr } = state.options;
  return {
    sender: state.sender,
    domain,
    ip: state.ip,
    helo: state.helo,
    ...(state.options.receiver === undefined ? {} : { receiver: state.options.receiver }),
    ...(state.options.now === undefined ? {} : { timestamp: Math.floor(state.options.now.getTime() / 1000) }),
    ...(ptr === undefined ? {} : { validatedName: () => validatedName(state, domain) }),
  };
}

async function target(state: State, spec: string | undefined, domain: string): Promise<string> {
  if (spec === undefined) return domain;
  const expanded = await expandMacros(spec, context(state, domain));
  if (!expanded.ok) throw new Abort('permerror', expanded.reason);
  return truncate(expanded.value);
}

function count(state: State): void {
  state.lookups++;
  // RFC 7208 §4.6.4: more than 10 DNS-querying terms is a permerror.
  if (state.lookups > (state.options.maxLookups ?? 10)) throw new Abort('permerror', 'too many DNS lookups');
}

/** Checks a look-up: temporary errors abort with temperror; negatives count as void look-ups. */
function settle<T>(state: State, answer: LookupResult<T>): readonly T[] {
  if (answer.ok) {
    if (answer.records.length === 0) voidLookup(state);
    return answer.records;
  }
  if (answer.kind === 'temporary') throw new Abort('temperror', `DNS ${answer.reason}`);
  voidLookup(state);
  return [];
}

function voidLookup(state: State): void {
  state.voids++;
  // RFC 7208 §4.6.4: more than 2 void look-ups is a permerror.
  if (state.voids > (state.options.maxVoidLookups ?? 2))
    throw new Abort('permerror', 'too many void DNS lookups');
}

async function addresses(state: State, name: string): Promise<readonly Uint8Array[]> {
  if (!isQueryableDomain(name)) return [];
  const resolver = state.options.resolver;
  const answer = state.ip.length === 4 ? await resolver.a(name) : await resolver.aaaa(name);
  return settle(state, answer).flatMap((record) => {
    const parsed = state.ip.length === 4 ? parseIpv4(record.address) : parseIpv6(record.address);
    return parsed ? [parsed] : [];
  });
}

async function validatedNames(state: State): Promise<string[]> {
  const ptr = state.options.ptr;
  if (!ptr) return [];
  const text = state.ip.length === 4 ? formatIpv4(state.ip) : formatIpv6(state.ip);
  const answer = await ptr(text);
  if (!answer.ok) {
    if (answer.kind === 'temporary') throw new Abort('temperror', `DNS ${answer.reason}`);
    return [];
  }
  const out: string[] = [];
  // RFC 7208 §5.5: no more than 10 PTR names are checked.
  for (const name of answer.records.slice(0, 10)) {
    const clean = name.replace(/\.$/, '');
    if (!isQueryableDomain(clean)) continue;
    const resolver = state.options.resolver;
    const found = state.ip.length === 4 ? await resolver.a(clean) : await resolver.aaaa(clean);
    if (!found.ok) continue;
    for (const record of found.records) {
      const parsed = state.ip.length === 4 ? parseIpv4(record.address) : parseIpv6(record.address);
      if (parsed && inNetwork(state.ip, parsed, parsed.length * 8)) {
        out.push(clean);
        break;
      }
    }
  }
  return out;
}

async function validatedName(state: State, domain: string): Promise<string> {
  try {
    const names = await validatedNames(state);
    const lower = domain.toLowerCase();
    return (
      names.find((name) => name.toLowerCase() === lower) ??
      names.find((name) => name.toLowerCase().endsWith(`.${lower}`)) ??
      names[0] ??
      'unknown'
    );
  } catch {
    return 'unknown';
  }
}

async function matches(state: State, mechanism: Mechanism, domain: string): Promise<boolean> {
  switch (mechanism.type) {
    case 'all':
      return true;
    case 'ip4':
    case 'ip6':
      return inNetwork(state.ip, mechanism.network, mechanism.prefix);
    case 'a': {
      count(state);
      const name = await target(state, mechanism.domain, domain);
      const prefix = state.ip.length === 4 ? mechanism.cidr4 : mechanism.cidr6;
      return (await addresses(state, name)).some((address) => inNetwork(state.ip, address, prefix));
    }
    case 'mx': {
      count(state);
      const name = await target(state, mechanism.domain, domain);
      if (!isQueryableDomain(name)) return false;
      const exchanges = settle(state, await state.options.resolver.mx(name)).filter(
        (mx) => mx.exchange !== '.',
      );
      // RFC 7208 §4.6.4: more than 10 MX names is a permerror.
      if (exchanges.length > 10) throw new Abort('permerror', 'more than 10 MX records');
      const prefix = state.ip.length === 4 ? mechanism.cidr4 : mechanism.cidr6;
      for (const mx of exchanges) {
        if ((await addresses(state, mx.exchange)).some((address) => inNetwork(state.ip, address, prefix)))
          return true;
      }
      return false;
    }
    case 'ptr': {
      count(state);
      const name = (await target(state, mechanism.domain, domain)).toLowerCase();
      const names = await validatedNames(state);
      return names.some((valid) => {
        const lower = valid.toLowerCase();
        return lower === name || lower.endsWith(`.${name}`);
      });
    }
    case 'exists': {
      count(state);
      const name = await target(state, mechanism.domain, domain);
      if (!isQueryableDomain(name)) return false;
      // RFC 7208 §5.7: an A query, whatever the client's address family.
      return settle(state, await state.options.resolver.a(name)).length > 0;
    }
    case 'include': {
      count(state);
      const name = await target(state, mechanism.domain, domain);
      if (!isQueryableDomain(name)) throw new Abort('permerror', `include of invalid name "${name}"`);
      const inner = await check(state, name);
      // RFC 7208 §5.2 table.
      switch (inner.result) {
        case 'pass':
          return true;
        case 'fail':
        case 'softfail':
        case 'neutral':
          return false;
        case 'temperror':
          throw new Abort('temperror', inner.reason ?? 'include: temperror');
        default:
          throw new Abort('permerror', inner.reason ?? `include of "${name}" found no SPF record`);
      }
    }
  }
}

async function check(state: State, domain: string): Promise<SpfVerdict> {
  const answer = await state.options.resolver.txt(domain);
  if (!answer.ok) {
    if (answer.kind === 'temporary')
      return { result: 'temperror', domain, reason: `DNS ${answer.reason}`, lookups: state.lookups };
    return { result: 'none', domain, reason: 'no SPF record', lookups: state.lookups };
  }
  const records = answer.records.filter((record) => isSpfRecord(record.text));
  if (records.length === 0)
    return { result: 'none', domain, reason: 'no SPF record', lookups: state.lookups };
  // RFC 7208 §4.5: more than one record is a permerror.
  if (records.length > 1)
    return { result: 'permerror', domain, reason: 'more than one SPF record', lookups: state.lookups };
  const parsed = parseSpfRecord(records[0]!.text);
  if (!parsed.ok) return { result: 'permerror', domain, reason: parsed.reason, lookups: state.lookups };
  const record = parsed.record;
  for (const mechanism of record.mechanisms) {
    if (await matches(state, mechanism, domain)) {
      const result = QUALIFIER_RESULT[mechanism.qualifier];
      const explanation = result === 'fail' ? await explain(state, record.exp, domain) : undefined;
      return {
        result,
        domain,
        mechanism: mechanism.text,
        lookups: state.lookups,
        ...(explanation === undefined ? {} : { explanation }),
      };
    }
  }
  if (record.redirect !== undefined) {
    count(state);
    const name = await target(state, record.redirect, domain);
    // RFC 7208 §6.1: a redirect to a domain without a record is a permerror.
    if (!isQueryableDomain(name))
      return { result: 'permerror', domain, reason: 'redirect to an invalid name', lookups: state.lookups };
    const inner = await check(state, name);
    if (inner.result === 'none')
      return { ...inner, result: 'permerror', reason: `redirect: ${inner.reason}` };
    return inner;
  }
  // RFC 7208 §4.7: no match and no redirect is neutral.
  return { result: 'neutral', domain, lookups: state.lookups };
}

async function explain(state: State, exp: string | undefined, domain: string): Promise<string | undefined> {
  // RFC 7208 §6.2: any problem with the explanation leaves it out; it never changes the result.
  if (exp === undefined) return undefined;
  try {
    const expanded = await expandMacros(exp, context(state, domain));
    if (!expanded.ok) return undefined;
    const name = truncate(expanded.value);
    if (!isQueryableDomain(name)) return undefined;
    const answer = await state.options.resolver.txt(name);
    if (!answer.ok || answer.records.length !== 1) return undefined;
    const text = await expandMacros(answer.records[0]!.text, context(state, domain), true);
    return text.ok && /^[\x20-\x7e]*$/.test(text.value) ? text.value : undefined;
  } catch {
    return undefined;
  }
}
