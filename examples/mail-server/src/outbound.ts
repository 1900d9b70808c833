/**
 * Outbound mail: the durable queue (`@mailwire/delivery`), MX resolution (`@mailwire/dns`) and
 * static routes. A route (`MAILWIRE_ROUTES=remote.test=127.0.0.1:2526`) sends a domain's mail to a
 * fixed host and port instead of its MX, as Postfix's transport maps do; tests use it to deliver
 * to a second instance on loopback.
 *
 * With `mtaSts` on, each recipient domain's MTA-STS policy (RFC 8461) is fetched over HTTPS with
 * Node's `fetch` (certificate checked, no redirects) and applied; routed domains have none.
 */
import { join } from 'node:path';
import { CachingResolver, createFakeResolver, type Resolver } from '@mailwire/dns';
import { createStubResolver } from '@mailwire/dns/node';
import type { MtaStsFetchResponse } from '@mailwire/auth';
import {
  createMtaStsFetch,
  createSqliteQueue,
  DeliveryAgent,
  type LocalDelivery,
  type Queue,
} from '@mailwire/delivery';
import type { Config } from './config.js';

const ROUTE_SUFFIX = '.route.mailwire.invalid';

/** The system resolver with routed domains answered locally. */
function routingResolver(
  config: Config,
  real: Resolver,
): { resolver: Resolver; portFor: (host: string) => number } {
  const routes = config.routes;
  const zone: Record<string, Record<string, string[]>> = {};
  const ports = new Map<string, number>();
  for (const [domain, { host, port }] of Object.entries(routes)) {
    const target = `${domain}${ROUTE_SUFFIX}`;
    zone[domain] = { mx: [`10 ${target}`] };
    zone[target] = host.includes(':') ? { aaaa: [host] } : { a: [host] };
    ports.set(target, port);
  }
  const fake = createFakeResolver(zone as Parameters<typeof createFakeResolver>[0]);
  const routed = (name: string) => {
    const n = name.toLowerCase().replace(/\.$/, '');
    return n in zone;
  };
  // A routed domain's mail never goes to its MX, so its MTA-STS policy does not apply.
  const routedPolicy = (name: string) => {
    const n = name.toLowerCase().replace(/\.$/, '');
    return n.startsWith('_mta-sts.') && routed(n.slice('_mta-sts.'.length));
  };
  const resolver: Resolver = {
    mx: (name) => (routed(name) ? fake.mx(name) : real.mx(name)),
    a: (name) => (routed(name) ? fake.a(name) : real.a(name)),
    aaaa: (name) => (routed(name) ? fake.aaaa(name) : real.aaaa(name)),
    txt: (name) => (routedPolicy(name) ? fake.txt(name) : real.txt(name)),
    tlsa: (name) => real.tlsa(name),
  };
  return { resolver, portFor: (host) => ports.get(host.toLowerCase().replace(/\.$/, '')) ?? 25 };
}

export function openQueue(config: Config): Queue {
  return createSqliteQueue({ path: join(config.dataDir, 'queue') });
}

export interface Outbound {
  readonly queue: Queue;
  readonly agent: DeliveryAgent;
  close(): Promise<void>;
}

/** The system's resolver (/etc/resolv.conf) behind a TTL cache. */
export function systemResolver(): Resolver {
  return new CachingResolver(createStubResolver(), { now: Date.now });
}

export function startOutbound(
  config: Config,
  system: Resolver,
  local: LocalDelivery,
  events: { delivered(): void; deferred(): void; bounced(): void; log(line: string): void },
  /** The MTA-STS policy fetch; default Node's `fetch` over HTTPS (tests inject their own). */
  mtaStsFetch: (url: string) => Promise<MtaStsFetchResponse> = createMtaStsFetch(),
): Outbound {
  const queue = openQueue(config);
  const { resolver, portFor } = routingResolver(config, system);
  const agent = new DeliveryAgent({
    queue,
    resolver,
    hostname: config.hostname,
    portFor,
    localDelivery: local,
    retry: config.retry,
    // RFC 8461: failures are logged by the agent ("MTA-STS <domain> (<mode>): <TLS-RPT result type>: …").
    ...(config.mtaSts ? { mtaSts: { fetch: mtaStsFetch } } : {}),
    onDelivered: () => events.delivered(),
    onDeferred: () => events.deferred(),
    onBounced: () => events.bounced(),
    onLog: (line) => events.log(line),
  });
  agent.start(config.queueIntervalMs);
  return {
    queue,
    agent,
    async close() {
      await agent.stop();
      await (queue as { close?: () => Promise<void> | void }).close?.();
    },
  };
}
