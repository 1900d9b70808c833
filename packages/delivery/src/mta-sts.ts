/**
 * MTA-STS for outbound delivery (RFC 8461 §4–§5), over `@mailwire/auth`'s discovery.
 *
 * Before a destination is tried, the agent looks up its policy (the `_mta-sts` TXT record, then
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt` through the caller's HTTPS fetch, kept in a
 * cache while `max_age` lasts and the record's `id` is unchanged). Then, per mode (§5):
 *
 * - `enforce`: only MX hosts matching a policy `mx` pattern are tried (§4.1); each must offer
 *   STARTTLS and present a certificate that validates for the MX host name (§4.2); no fallback to
 *   clear text, no ignored certificate errors. A destination where no host passes is deferred
 *   (a temporary failure, retried later; §5.1: "MUST NOT deliver").
 * - `testing`: delivery goes on as without a policy; every failure is reported (§5.2).
 * - `none`, no policy, or a policy that could not be fetched (§3.3 / §5: "as though the domain
 *   has not implemented MTA-STS"): delivery as before.
 *
 * Failures are reported to `onReport` with the TLS-RPT result types of RFC 8460 §4.3, so that a
 * TLS-RPT aggregate report can be built from them.
 */

import type { MtaStsCache, MtaStsFetchResponse, MtaStsMode, MtaStsPolicy } from '@mailwire/auth';
import type { CachedMtaStsPolicy } from '@mailwire/auth';

/** RFC 8460 §4.3 result types the agent reports. */
export type MtaStsFailureType =
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid';

export interface MtaStsReport {
  /** The recipient (policy) domain. */
  readonly domain: string;
  /** The policy's mode; absent when the policy itself could not be fetched or parsed. */
  readonly mode?: MtaStsMode;
  readonly policyId?: string;
  readonly policy?: MtaStsPolicy;
  readonly resultType: MtaStsFailureType;
  /** The MX host (and address) the failure happened with, for negotiation failures. */
  readonly mxHost?: string;
  readonly address?: string;
  /** Human-readable detail, e.g. Node's certificate error code. */
  readonly reason: string;
  /** True when the failure stopped delivery to this host (`enforce`). */
  readonly enforced: boolean;
}

export interface MtaStsDeliveryOptions {
  /**
   * HTTPS GET of the policy URL. It MUST validate the certificate for `mta-sts.<domain>` and
   * MUST NOT follow redirects (RFC 8461 §3.3). `createMtaStsFetch()` wraps Node's `fetch`.
   */
  readonly fetch: (url: string) => Promise<MtaStsFetchResponse>;
  /** Where policies are kept between runs. Default: in memory, per agent. */
  readonly cache?: MtaStsCache;
  /** Every failure to satisfy a policy, in `enforce` and `testing` mode (for TLS-RPT). */
  readonly onReport?: (report: MtaStsReport) => void;
}

/** A `Map`-backed `MtaStsCache`. */
export function createMemoryMtaStsCache(): MtaStsCache {
  const entries = new Map<string, CachedMtaStsPolicy>();
  return {
    get: (domain) => entries.get(domain),
    set: (domain, entry) => {
      entries.set(domain, entry);
    },
  };
}

/** Longest policy read by `createMtaStsFetch` (RFC 8461 §3.3 suggests 64 KiB). */
const MAX_POLICY_BYTES = 64 * 1024;

/**
 * An MTA-STS policy fetch over the global `fetch` (Node 18+): HTTPS only, certificate validated
 * by the platform, redirects refused (RFC 8461 §3.3), at most 64 KiB read, a timeout (default
 * 10 s).
 *
 * @example
 * new DeliveryAgent({ ..., mtaSts: { fetch: createMtaStsFetch() } });
 */
export function createMtaStsFetch(
  options: { readonly timeoutMs?: number; readonly fetch?: typeof fetch } = {},
): (url: string) => Promise<MtaStsFetchResponse> {
  const get = options.fetch ?? fetch;
  return async (url) => {
    if (!url.startsWith('https://')) throw new Error('MTA-STS policies are only fetched over HTTPS');
    const response = await get(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: { accept: 'text/plain' },
    });
    const contentType = response.headers.get('content-type') ?? undefined;
    let body = '';
    if (response.status === 200 && response.body) {
      const decoder = new TextDecoder();
      let read = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        read += chunk.length;
        if (read > MAX_POLICY_BYTES) throw new Error('MTA-STS policy larger than 64 KiB');
        body += decoder.decode(chunk, { stream: true });
      }
      body += decoder.decode();
    } else {
      await response.body?.cancel();
    }
    return { status: response.status, ...(contentType ? { contentType } : {}), body };
  };
}

/** RFC 8460 §4.3: the result type for Node's certificate verification error code. */
export function certificateFailureType(code: string | undefined): MtaStsFailureType {
  switch (code) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'certificate-host-mismatch';
    case 'CERT_HAS_EXPIRED':
      return 'certificate-expired';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_UNTRUSTED':
      return 'certificate-not-trusted';
    default:
      return 'validation-failure';
  }
}
