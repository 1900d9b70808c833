/**
 * A TTL-respecting cache in front of any `Resolver`.
 *
 * - Positive answers are kept for their TTL, clamped to `[minTtl, maxTtl]`; a TTL of 0 is
 *   never cached (RFC 1035 §3.2.1: "only be used for the transaction in progress").
 * - NXDOMAIN and NODATA are kept for their `negativeTtl` (RFC 2308 §5: min(SOA TTL, SOA
 *   MINIMUM)), capped by `maxNegativeTtl` (RFC 2308 §5 suggests one to three hours). Without an
 *   SOA there is no `negativeTtl` and nothing is cached (RFC 2308 §5: SHOULD NOT).
 * - Temporary failures are cached only when `failureTtl` > 0, at most 300 s (RFC 2308 §7.1).
 * - Answers leave the cache with their remaining TTL, so a caller can pass it on.
 * - At most `maxEntries` answers, least recently used evicted first; concurrent look-ups of the
 *   same question share one upstream query.
 *
 * Time is input: the cache reads `now()`, which the caller supplies (`Date.now` in Node).
 */

import { UsageError } from '@mailwire/core';
import {
  type LookupResult,
  type LookupType,
  lookup,
  type RecordsByType,
  type Resolver,
  resolverFrom,
} from './resolver.js';
import { canonicalName } from './wire/name.js';

export interface CachingResolverOptions {
  /** The current time in milliseconds (e.g. `Date.now`). */
  readonly now: () => number;
  /** Most answers kept; default 10000. */
  readonly maxEntries?: number;
  /** Longest a positive answer is kept, seconds; default 86400 (one day). */
  readonly maxTtl?: number;
  /** Shortest a positive answer with a non-zero TTL is kept, seconds; default 0. */
  readonly minTtl?: number;
  /** Longest a negative answer is kept, seconds; default 10800 (RFC 2308 §5). */
  readonly maxNegativeTtl?: number;
  /** How long a temporary failure is kept, seconds; default 0 (never), at most 300 (RFC 2308 §7.1). */
  readonly failureTtl?: number;
}

interface Entry {
  readonly result: LookupResult<unknown>;
  readonly expires: number;
}

/** RFC 2308 §7.1: server failures MUST NOT be cached for longer than five minutes. */
const MAX_FAILURE_TTL = 300;

/**
 * @example
 * const resolver = new CachingResolver(createStubResolver(), { now: Date.now });
 * await resolver.mx('example.com'); // asks upstream
 * await resolver.mx('example.com'); // from the cache, with the remaining TTL
 */
export class CachingResolver implements Resolver {
  readonly mx: Resolver['mx'];
  readonly a: Resolver['a'];
  readonly aaaa: Resolver['aaaa'];
  readonly txt: Resolver['txt'];
  readonly tlsa: Resolver['tlsa'];

  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<LookupResult<unknown>>>();
  private readonly now: () => number;
  private readonly maxEntries: number;
  private readonly maxTtl: number;
  private readonly minTtl: number;
  private readonly maxNegativeTtl: number;
  private readonly failureTtl: number;

  constructor(
    private readonly inner: Resolver,
    options: CachingResolverOptions,
  ) {
    if (typeof options?.now !== 'function') {
      throw new UsageError('ERR_DNS_INVALID_ARGUMENT', 'CachingResolver needs a now() clock');
    }
    this.now = options.now;
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.maxTtl = options.maxTtl ?? 86_400;
    this.minTtl = options.minTtl ?? 0;
    this.maxNegativeTtl = options.maxNegativeTtl ?? 10_800;
    this.failureTtl = Math.min(options.failureTtl ?? 0, MAX_FAILURE_TTL);
    const resolver = resolverFrom((type, name) => this.query(type, name));
    this.mx = resolver.mx;
    this.a = resolver.a;
    this.aaaa = resolver.aaaa;
    this.txt = resolver.txt;
    this.tlsa = resolver.tlsa;
  }

  /** Answers held now (expired ones included until they are next touched). */
  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  private query<K extends LookupType>(type: K, name: string): Promise<LookupResult<RecordsByType[K]>> {
    const canonical = canonicalName(name);
    if (canonical === undefined) return lookup(this.inner, type, name);
    const cacheKey = `${type} ${canonical}`;
    const hit = this.read(cacheKey);
    if (hit) return Promise.resolve(hit as LookupResult<RecordsByType[K]>);
    const inFlight = this.pending.get(cacheKey);
    if (inFlight) return inFlight as Promise<LookupResult<RecordsByType[K]>>;
    const promise = lookup(this.inner, type, name).then(
      (result) => {
        this.pending.delete(cacheKey);
        this.store(cacheKey, result);
        return result;
      },
      (error: unknown) => {
        this.pending.delete(cacheKey);
        throw error;
      },
    );
    this.pending.set(cacheKey, promise);
    return promise;
  }

  private read(cacheKey: string): LookupResult<unknown> | undefined {
    const entry = this.entries.get(cacheKey);
    if (!entry) return undefined;
    const now = this.now();
    this.entries.delete(cacheKey);
    if (now >= entry.expires) return undefined;
    this.entries.set(cacheKey, entry);
    const remaining = Math.max(0, Math.floor((entry.expires - now) / 1000));
    const result = entry.result;
    if (result.ok) return { ...result, ttl: remaining };
    if (result.kind !== 'temporary' && result.negativeTtl !== undefined) {
      return { ...result, negativeTtl: remaining };
    }
    return result;
  }

  private store(cacheKey: string, result: LookupResult<unknown>): void {
    let ttl: number;
    if (result.ok) ttl = result.ttl <= 0 ? 0 : Math.min(this.maxTtl, Math.max(this.minTtl, result.ttl));
    else if (result.kind === 'temporary') ttl = this.failureTtl;
    else ttl = Math.min(this.maxNegativeTtl, result.negativeTtl ?? 0);
    if (!(ttl > 0)) return;
    this.entries.delete(cacheKey);
    this.entries.set(cacheKey, { result, expires: this.now() + ttl * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
