/**
 * `createStubResolver()`: the `Resolver` interface over UDP and TCP, driving `StubQuery`.
 *
 * Security properties (RFC 5452): every query gets a fresh id from `crypto.randomInt` and a fresh
 * UDP socket bound by the kernel to a random source port; the socket is `connect()`ed to the
 * nameserver, so the kernel drops datagrams from any other address or port, and `StubQuery`
 * then drops any answer whose id or question does not match ours. A truncated answer is
 * retried over TCP to the same server (RFC 7766 §5). The AD bit is passed on as
 * `authenticated`; it is only as trustworthy as the path to the resolver (RFC 6698 §4.1): use a
 * validating resolver on localhost (the default when /etc/resolv.conf names none).
 */

import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { UsageError } from '@mailwire/core';
import { formatIpv6, ipFamily, parseIpv6 } from '../ip.js';
import {
  type LookupResult,
  type LookupType,
  type RecordsByType,
  type Resolver,
  resolverFrom,
  toTypedRecord,
} from '../resolver.js';
import { StubQuery, type StubResult } from '../stub-query.js';
import { type Nameserver, readResolvConf } from './resolv-conf.js';

export interface StubResolverOptions {
  /**
   * Nameservers as IP addresses (`'192.0.2.53'`, `'::1'`) or `{ address, port }`; default: the
   * `nameserver` lines of `resolvConfPath`, else 127.0.0.1.
   */
  readonly nameservers?: readonly (string | Nameserver)[];
  /** Per try, milliseconds; default resolv.conf's `timeout`, else 5000 (as the C library). */
  readonly timeoutMs?: number;
  /** Rounds over all nameservers; default resolv.conf's `attempts`, else 2 (as the C library). */
  readonly attempts?: number;
  /** EDNS(0) for the queries; default `{ udpSize: 1232, dnssecOk: false }`. */
  readonly edns?: { readonly udpSize?: number; readonly dnssecOk?: boolean } | false;
  /** Default `/etc/resolv.conf`. */
  readonly resolvConfPath?: string;
  /** Longest CNAME chain followed in an answer; default 8. */
  readonly maxCnameChain?: number;
}

interface Settings {
  readonly nameservers: readonly Nameserver[];
  readonly timeoutMs: number;
  readonly attempts: number;
}

function toNameserver(value: string | Nameserver): Nameserver {
  const ns = typeof value === 'string' ? { address: value, port: 53 } : value;
  if (ipFamily(ns.address.replace(/%.*$/, '')) === undefined) {
    throw new UsageError('ERR_DNS_INVALID_ARGUMENT', `nameserver "${ns.address}" is not an IP address`);
  }
  return ns;
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseIpv6(a.replace(/%.*$/, ''));
  const y = parseIpv6(b.replace(/%.*$/, ''));
  return x !== undefined && y !== undefined && formatIpv6(x) === formatIpv6(y);
}

/** One try: UDP to `ns`, then TCP when the answer is truncated. */
function ask(ns: Nameserver, query: StubQuery, timeoutMs: number): Promise<StubResult> {
  return new Promise((resolve) => {
    const family = ipFamily(ns.address.replace(/%.*$/, '')) === 6 ? 'udp6' : 'udp4';
    const socket = createSocket(family);
    let settled = false;
    const timer = setTimeout(() => {
      query.timeout();
      finish();
    }, timeoutMs);
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(query.result ?? { ok: false, kind: 'temporary', reason: 'network' });
    };
    socket.on('error', (error) => {
      query.close(error.message);
      finish();
    });
    socket.on('message', (message, remote) => {
      if (settled || remote.port !== ns.port || !sameAddress(remote.address, ns.address)) return;
      const step = query.receiveDatagram(new Uint8Array(message.buffer, message.byteOffset, message.length));
      if (step === 'done') finish();
      else if (step === 'tcp') {
        settled = true;
        clearTimeout(timer);
        socket.close();
        resolve(askTcp(ns, query, timeoutMs));
      }
    });
    socket.connect(ns.port, ns.address, () => {
      if (!settled) socket.send(query.datagram());
    });
  });
}

function askTcp(ns: Nameserver, query: StubQuery, timeoutMs: number): Promise<StubResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: ns.address, port: ns.port });
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(query.result ?? { ok: false, kind: 'temporary', reason: 'network' });
    };
    const timer = setTimeout(() => {
      query.timeout();
      finish();
    }, timeoutMs);
    socket.on('connect', () => socket.write(query.tcpRequest()));
    socket.on('data', (chunk: Uint8Array) => {
      if (query.receiveTcp(chunk) === 'done') finish();
    });
    socket.on('error', (error) => {
      query.close(error.message);
      finish();
    });
    socket.on('close', () => {
      query.close();
      finish();
    });
  });
}

/**
 * A `Resolver` that asks recursive nameservers directly over UDP/TCP (see the file comment for
 * its security properties). Wrap it in a `CachingResolver` for an MTA.
 *
 * @example
 * import { CachingResolver, resolveDeliveryTargets } from '@mailwire/dns';
 * import { createStubResolver } from '@mailwire/dns/node';
 * const resolver = new CachingResolver(createStubResolver(), { now: Date.now });
 * const targets = await resolveDeliveryTargets('example.com', resolver);
 */
export function createStubResolver(options: StubResolverOptions = {}): Resolver {
  const explicit = options.nameservers?.map(toNameserver);
  if (explicit && explicit.length === 0) {
    throw new UsageError('ERR_DNS_INVALID_ARGUMENT', 'nameservers must not be empty');
  }
  let settings: Promise<Settings> | undefined;
  const load = async (): Promise<Settings> => {
    const conf = explicit ? undefined : await readResolvConf(options.resolvConfPath);
    const nameservers = explicit ?? (conf && conf.nameservers.length > 0 ? conf.nameservers : undefined);
    return {
      nameservers: nameservers ?? [{ address: '127.0.0.1', port: 53 }],
      timeoutMs: options.timeoutMs ?? conf?.timeoutMs ?? 5000,
      attempts: Math.max(1, options.attempts ?? conf?.attempts ?? 2),
    };
  };

  async function query<K extends LookupType>(type: K, name: string): Promise<LookupResult<RecordsByType[K]>> {
    settings ??= load();
    const { nameservers, timeoutMs, attempts } = await settings;
    const newQuery = (edns: StubResolverOptions['edns']) =>
      new StubQuery({
        name,
        type,
        id: randomInt(0, 0x10000),
        ...(edns === undefined ? {} : { edns }),
        ...(options.maxCnameChain === undefined ? {} : { maxCnameChain: options.maxCnameChain }),
      });
    let last: StubResult = { ok: false, kind: 'temporary', reason: 'timeout' };
    for (let attempt = 0; attempt < attempts; attempt++) {
      for (const ns of nameservers) {
        // RFC 5452 §9.2: an unpredictable id for every query; a new socket gives a new port.
        const stub = newQuery(options.edns);
        last = await ask(ns, stub, timeoutMs);
        // RFC 6891 §7: a server without EDNS answers FORMERR without OPT; ask it again without.
        if (stub.ednsRefused) last = await ask(ns, newQuery(false), timeoutMs);
        if (last.ok || last.kind !== 'temporary') return typed(type, last);
      }
    }
    return typed(type, last);
  }

  return resolverFrom(query);
}

function typed<K extends LookupType>(type: K, result: StubResult): LookupResult<RecordsByType[K]> {
  if (!result.ok) return result;
  const records: RecordsByType[K][] = [];
  for (const record of result.records) {
    const value = toTypedRecord(type, record);
    if (value !== undefined) records.push(value);
  }
  return { ...result, records };
}
