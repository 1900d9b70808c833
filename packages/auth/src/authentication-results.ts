/** The `Authentication-Results` header field (RFC 8601) for SPF, DKIM and DMARC verdicts. */

import type { ArcResult } from './arc/arc.js';
import type { DkimResult } from './dkim/verify.js';
import type { DmarcVerdict } from './dmarc/evaluate.js';
import type { SpfVerdict } from './spf/check-host.js';

export interface AuthenticationResultsInput {
  /** The SPF verdict and which identity it judged. */
  readonly spf?: {
    readonly verdict: SpfVerdict;
    /** The MAIL FROM address (or domain); empty when the HELO identity was checked. */
    readonly mailFrom?: string;
    readonly helo?: string;
  };
  readonly dkim?: readonly DkimResult[];
  readonly dmarc?: DmarcVerdict;
  /** The ARC chain verdict (RFC 8617 §10.1: `arc=` method). */
  readonly arc?: ArcResult;
}

function value(text: string): string {
  // RFC 8601 §2.2 pvalue: a value, or a quoted-string when it holds specials.
  return /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.@]+$/.test(text) ? text : `"${text.replace(/["\\]/g, '\\$&')}"`;
}

function comment(text: string | undefined): string {
  return text === undefined ? '' : ` (${text.replace(/[()\\\r\n]/g, '')})`;
}

/**
 * @example
 * authenticationResults('mx.example.net', { spf: { verdict, mailFrom: 'a@example.com' }, dkim, dmarc });
 * // 'Authentication-Results: mx.example.net;\r\n\tspf=pass smtp.mailfrom=a@example.com;\r\n\t…\r\n'
 */
export function authenticationResults(authservId: string, input: AuthenticationResultsInput): string {
  const results: string[] = [];
  if (input.spf) {
    const { verdict, mailFrom, helo } = input.spf;
    const property =
      mailFrom !== undefined && mailFrom !== ''
        ? ` smtp.mailfrom=${value(mailFrom)}`
        : helo !== undefined
          ? ` smtp.helo=${value(helo)}`
          : '';
    results.push(`spf=${verdict.result}${comment(verdict.reason)}${property}`);
  }
  for (const dkim of input.dkim ?? []) {
    const properties = [
      dkim.identity === undefined ? '' : ` header.i=${value(dkim.identity)}`,
      dkim.domain === undefined ? '' : ` header.d=${value(dkim.domain)}`,
      dkim.selector === undefined ? '' : ` header.s=${value(dkim.selector)}`,
      dkim.algorithm === undefined ? '' : ` header.a=${value(dkim.algorithm)}`,
      // RFC 6008: the first characters of b= tell several signatures of one domain apart.
      dkim.signaturePrefix === undefined ? '' : ` header.b=${value(dkim.signaturePrefix)}`,
    ].join('');
    results.push(`dkim=${dkim.result}${comment(dkim.reason)}${properties}`);
  }
  if (input.dmarc) {
    const dmarc = input.dmarc;
    const policy =
      dmarc.requestedPolicy === undefined ? '' : ` (p=${dmarc.requestedPolicy} dis=${dmarc.policy})`;
    results.push(
      `dmarc=${dmarc.result}${policy}${dmarc.result === 'pass' ? '' : comment(dmarc.reason)} header.from=${value(dmarc.fromDomain)}`,
    );
  }
  if (input.arc) results.push(`arc=${input.arc.result}${comment(input.arc.reason)}`);
  // RFC 8601 §2.2: "none" when no method was applied.
  const body = results.length === 0 ? ' none' : `\r\n\t${results.join(';\r\n\t')}`;
  return `Authentication-Results: ${authservId};${body}\r\n`;
}
