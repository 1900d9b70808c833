/** Local domains: those of the configuration plus those added with `domain add` (data dir). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { domainToASCII } from 'node:url';
import type { Config } from './config.js';

function file(config: Config): string {
  return join(config.dataDir, 'domains.json');
}

export function normalizeDomain(domain: string): string | undefined {
  const ascii = domainToASCII(domain.trim().replace(/\.$/, ''));
  if (!ascii || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(ascii) || ascii.length > 253) return undefined;
  return ascii;
}

export function savedDomains(config: Config): string[] {
  try {
    const list: unknown = JSON.parse(readFileSync(file(config), 'utf8'));
    return Array.isArray(list) ? list.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

export function addDomain(config: Config, domain: string): string[] {
  const list = [...new Set([...savedDomains(config), domain])].sort();
  mkdirSync(dirname(file(config)), { recursive: true });
  writeFileSync(file(config), `${JSON.stringify(list, null, 2)}\n`);
  return list;
}

export function localDomains(config: Config): Set<string> {
  return new Set([...config.domains, ...savedDomains(config)].map((d) => normalizeDomain(d) ?? d));
}
