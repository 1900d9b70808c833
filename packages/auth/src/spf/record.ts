/**
 * SPF record syntax (RFC 7208 §4.5, §4.6, §5, §6, §12 ABNF). A record with a syntax error
 * anywhere is a permerror, even when an earlier mechanism would have matched (§4.6).
 */

import { parseIpv4, parseIpv6 } from '@mailwire/dns';
import { checkMacroString } from './macro.js';

export type Qualifier = '+' | '-' | '~' | '?';

export type Mechanism =
  | { readonly type: 'all'; readonly qualifier: Qualifier }
  | { readonly type: 'include' | 'exists'; readonly qualifier: Qualifier; readonly domain: string }
  | {
      readonly type: 'a' | 'mx';
      readonly qualifier: Qualifier;
      readonly domain?: string;
      readonly cidr4: number;
      readonly cidr6: number;
    }
  | { readonly type: 'ptr'; readonly qualifier: Qualifier; readonly domain?: string }
  | {
      readonly type: 'ip4' | 'ip6';
      readonly qualifier: Qualifier;
      readonly network: Uint8Array;
      readonly prefix: number;
    };

export interface SpfRecord {
  readonly mechanisms: readonly (Mechanism & { readonly text: string })[];
  readonly redirect?: string;
  readonly exp?: string;
}

export type ParseRecordResult =
  | { readonly ok: true; readonly record: SpfRecord }
  | { readonly ok: false; readonly reason: string };

/** True when a TXT string is an SPF record: `v=spf1` then a space or the end (§4.5). */
export function isSpfRecord(text: string): boolean {
  return /^v=spf1(?: |$)/i.test(text);
}

/**
 * domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand
 * (RFC 7208 §7.1).
 */
export function checkDomainSpec(spec: string): string | undefined {
  const problem = checkMacroString(spec);
  if (problem !== undefined) return problem;
  if (/%\{[^}]*\}$/.test(spec)) return undefined;
  const match = /\.([^.]+)\.?$/.exec(spec);
  if (!match) return `"${spec}" does not end in a top label`;
  const top = match[1]!;
  if (!/^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$/.test(top)) {
    return `"${spec}" does not end in a valid top label`;
  }
  return undefined;
}

function cidr(text: string | undefined, max: number): number | undefined {
  if (text === undefined) return max;
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}

function parseMechanism(term: string): (Mechanism & { text: string }) | string {
  let qualifier: Qualifier = '+';
  let rest = term;
  if ('+-~?'.includes(rest[0]!)) {
    qualifier = rest[0] as Qualifier;
    rest = rest.slice(1);
  }
  const match = /^([A-Za-z][A-Za-z0-9_.-]*)(.*)$/.exec(rest);
  if (!match) return `bad term "${term}"`;
  const name = match[1]!.toLowerCase();
  const arg = match[2]!;
  switch (name) {
    case 'all':
      if (arg !== '') return `"all" takes no argument`;
      return { type: 'all', qualifier, text: term };
    case 'include':
    case 'exists': {
      if (!arg.startsWith(':') || arg.length === 1) return `"${name}" needs a domain`;
      const domain = arg.slice(1);
      const problem = checkDomainSpec(domain);
      if (problem) return problem;
      return { type: name, qualifier, domain, text: term };
    }
    case 'a':
    case 'mx': {
      // dual-cidr-length is read from the end: the domain-spec itself may hold "/" (§7.1).
      const suffix = /(?:\/([0-9]+))?(?:\/\/([0-9]+))?$/.exec(arg)!;
      const [, four, six] = suffix;
      const head = arg.slice(0, arg.length - suffix[0].length);
      if (head !== '' && !head.startsWith(':')) return `bad "${name}" argument`;
      const domain = head === '' ? undefined : head.slice(1);
      if (domain !== undefined) {
        if (domain === '') return `"${name}:" needs a domain`;
        const problem = checkDomainSpec(domain);
        if (problem) return problem;
      }
      const cidr4 = cidr(four, 32);
      const cidr6 = cidr(six, 128);
      if (cidr4 === undefined || cidr6 === undefined) return `bad CIDR length in "${term}"`;
      return { type: name, qualifier, cidr4, cidr6, text: term, ...(domain === undefined ? {} : { domain }) };
    }
    case 'ptr': {
      if (arg === '') return { type: 'ptr', qualifier, text: term };
      if (!arg.startsWith(':') || arg.length === 1) return `bad "ptr" argument`;
      const domain = arg.slice(1);
      const problem = checkDomainSpec(domain);
      if (problem) return problem;
      return { type: 'ptr', qualifier, domain, text: term };
    }
    case 'ip4':
    case 'ip6': {
      const parts = /^:([^/]+)(?:\/(.*))?$/.exec(arg);
      if (!parts) return `bad "${name}" argument`;
      const network = name === 'ip4' ? parseIpv4(parts[1]!) : parseIpv6(parts[1]!);
      const prefix = cidr(parts[2], name === 'ip4' ? 32 : 128);
      if (network === undefined || prefix === undefined) return `bad address in "${term}"`;
      return { type: name, qualifier, network, prefix, text: term };
    }
    default:
      return `unknown mechanism "${name}"`;
  }
}

/** Parses an SPF record (the joined TXT strings). */
export function parseSpfRecord(text: string): ParseRecordResult {
  // RFC 7208 §3.1: SPF records are 7-bit ASCII.
  if (!/^[\x20-\x7e]*$/.test(text))
    return { ok: false, reason: 'record has characters outside printable ASCII' };
  const terms = text.split(' ').slice(1);
  const mechanisms: (Mechanism & { text: string })[] = [];
  let redirect: string | undefined;
  let exp: string | undefined;
  for (const term of terms) {
    if (term === '') continue;
    const modifier = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/.exec(term);
    const firstSeparator = term.search(/[:/=]/);
    if (modifier && term[firstSeparator] === '=') {
      const name = modifier[1]!.toLowerCase();
      const value = modifier[2]!;
      if (name === 'redirect' || name === 'exp') {
        // RFC 7208 §6: redirect and exp MUST NOT appear more than once.
        if ((name === 'redirect' ? redirect : exp) !== undefined)
          return { ok: false, reason: `"${name}" given twice` };
        const problem = checkDomainSpec(value);
        if (problem) return { ok: false, reason: problem };
        if (name === 'redirect') redirect = value;
        else exp = value;
      } else {
        const problem = checkMacroString(value);
        if (problem) return { ok: false, reason: problem };
      }
      continue;
    }
    const mechanism = parseMechanism(term);
    if (typeof mechanism === 'string') return { ok: false, reason: mechanism };
    mechanisms.push(mechanism);
  }
  return {
    ok: true,
    record: {
      mechanisms,
      ...(redirect === undefined ? {} : { redirect }),
      ...(exp === undefined ? {} : { exp }),
    },
  };
}
