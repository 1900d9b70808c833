/**
 * Reading `/etc/resolv.conf` (resolv.conf(5)): `nameserver` lines, and the `timeout:` and
 * `attempts:` options. `search`, `domain` and `ndots` are not used: mail domains are always
 * fully qualified (RFC 5321 §5.1 forbids guessing from partial names).
 */

import { readFile } from 'node:fs/promises';
import { ipFamily } from '../ip.js';

/** glibc reads at most three nameservers (MAXNS). */
export const MAX_NAMESERVERS = 3;

export interface Nameserver {
  readonly address: string;
  readonly port: number;
}

export interface ResolvConf {
  readonly nameservers: readonly Nameserver[];
  /** `options timeout:n`, in milliseconds. */
  readonly timeoutMs?: number;
  /** `options attempts:n`. */
  readonly attempts?: number;
}

/**
 * Parses resolv.conf text. Lines that are not understood are skipped, as the C library does.
 *
 * @example
 * parseResolvConf('nameserver 192.0.2.53\noptions timeout:2 attempts:3');
 * // { nameservers: [{ address: '192.0.2.53', port: 53 }], timeoutMs: 2000, attempts: 3 }
 */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: Nameserver[] = [];
  let timeoutMs: number | undefined;
  let attempts: number | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'nameserver' && args[0] !== undefined) {
      // A link-local IPv6 server may carry a zone (`fe80::1%eth0`); keep it for the socket.
      const address = args[0];
      if (ipFamily(address.replace(/%.*$/, '')) !== undefined && nameservers.length < MAX_NAMESERVERS) {
        nameservers.push({ address, port: 53 });
      }
    } else if (keyword === 'options') {
      for (const option of args) {
        const match = /^(timeout|attempts):(\d+)$/.exec(option);
        if (!match) continue;
        const value = Number(match[2]);
        // resolv.conf(5): timeout capped at 30 s, attempts at 5.
        if (match[1] === 'timeout') timeoutMs = Math.min(Math.max(value, 1), 30) * 1000;
        else attempts = Math.min(Math.max(value, 1), 5);
      }
    }
  }
  const conf: ResolvConf = { nameservers };
  return {
    ...conf,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(attempts === undefined ? {} : { attempts }),
  };
}

/** Reads and parses a resolv.conf file; a missing or unreadable file gives no nameservers. */
export async function readResolvConf(path = '/etc/resolv.conf'): Promise<ResolvConf> {
  try {
    return parseResolvConf(await readFile(path, 'utf8'));
  } catch {
    return { nameservers: [] };
  }
}
