/**
 * Mail authentication for the example server (`@mailwire/auth`):
 * - inbound (the MX role): SPF of the envelope sender, DKIM of the message, DMARC of the From
 *   domain, written as an `Authentication-Results` header (RFC 8601); a DMARC `p=reject` failure
 *   refuses the message with 550 5.7.1;
 * - outbound: a DKIM signature of our domain on submitted mail, when a key is configured.
 */
import { createReadStream, readFileSync } from 'node:fs';
import {
  authenticationResults,
  checkHost,
  DkimSigner,
  DkimVerifier,
  evaluateDmarc,
  fromDomain,
  splitHeaderFields,
} from '@mailwire/auth';
import { createNodeDkimCrypto } from '@mailwire/auth/node';
import type { Resolver } from '@mailwire/dns';
import type { Config } from './config.js';

const crypto = createNodeDkimCrypto();

export interface InboundVerdict {
  /** The `Authentication-Results:` field, CRLF included. */
  readonly header: string;
  /** DMARC says reject. */
  readonly reject: boolean;
  readonly fromDomain?: string;
}

async function headerBlock(file: string): Promise<string> {
  let text = '';
  for await (const chunk of createReadStream(file, { highWaterMark: 16 * 1024 })) {
    text += (chunk as Buffer).toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    if (end !== -1) return text.slice(0, end);
    if (text.length > 256 * 1024) break;
  }
  return text;
}

export async function verifyInbound(
  file: string,
  envelope: { readonly ip: string; readonly helo: string; readonly mailFrom: string },
  options: { readonly resolver: Resolver; readonly hostname: string },
): Promise<InboundVerdict> {
  const { resolver, hostname } = options;
  const senderDomain = envelope.mailFrom.includes('@')
    ? envelope.mailFrom.slice(envelope.mailFrom.lastIndexOf('@') + 1)
    : '';
  const spfDomain = senderDomain || envelope.helo;
  const spf = await checkHost(envelope.ip, spfDomain, envelope.mailFrom || `postmaster@${envelope.helo}`, {
    resolver,
    helo: envelope.helo,
    receiver: hostname,
  });
  const verifier = new DkimVerifier({ resolver, crypto, now: new Date() });
  for await (const chunk of createReadStream(file)) verifier.update(chunk as Buffer);
  const dkim = await verifier.finish();
  const author = fromDomain(splitHeaderFields(await headerBlock(file)));
  const dmarc = author.ok
    ? await evaluateDmarc(
        { fromDomain: author.domain, spf: { result: spf.result, domain: spfDomain }, dkim },
        { resolver, sample: Math.random() },
      )
    : undefined;
  const header = authenticationResults(hostname, {
    spf: envelope.mailFrom
      ? { verdict: spf, mailFrom: envelope.mailFrom }
      : { verdict: spf, helo: envelope.helo },
    dkim,
    ...(dmarc ? { dmarc } : {}),
  });
  return {
    header,
    reject: dmarc?.result === 'fail' && dmarc.policy === 'reject',
    ...(author.ok ? { fromDomain: author.domain } : {}),
  };
}

export interface OutboundSigner {
  /** The `DKIM-Signature:` field for the spooled message, CRLF included. */
  sign(file: string): Promise<string>;
}

export function createOutboundSigner(config: Config): OutboundSigner | undefined {
  const dkim = config.dkim;
  if (!dkim) return undefined;
  const privateKey = readFileSync(dkim.keyFile, 'utf8');
  return {
    async sign(file) {
      const signer = new DkimSigner({
        crypto,
        domain: dkim.domain,
        selector: dkim.selector,
        privateKey,
        algorithm: dkim.algorithm,
        timestamp: new Date(),
      });
      for await (const chunk of createReadStream(file)) signer.update(chunk as Buffer);
      return signer.finish();
    },
  };
}
