import type { MtaStsFetchResponse } from '@mailwire/auth';
import { createFakeResolver } from '@mailwire/dns';
import { type CertificatePair, createSelfSignedCertificate } from '@mailwire/node';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryAgent, type DeliveryAgentOptions } from '../src/agent.js';
import type { MtaStsReport } from '../src/mta-sts.js';
import { bytes, clockAndQueue, cleanTempDirs, type Sink, startSink } from './helpers.js';

const sinks: Sink[] = [];
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  cleanTempDirs();
});

const MESSAGE = 'From: alice@local.test\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nHello.\r\n';
const MIN = 60_000;

// One certificate per name, made once: key generation is the slow part.
const certificates = new Map<string, CertificatePair>();
function certificate(name: string): CertificatePair {
  let pair = certificates.get(name);
  if (!pair) {
    pair = createSelfSignedCertificate({ commonName: name, altNames: [name] });
    certificates.set(name, pair);
  }
  return pair;
}

function policy(mode: 'enforce' | 'testing' | 'none', mx: string[] = ['mx1.example.com']): string {
  return `version: STSv1\r\nmode: ${mode}\r\n${mx.map((m) => `mx: ${m}\r\n`).join('')}max_age: 86400\r\n`;
}

async function setup(options: {
  port: number;
  policy: string | undefined;
  trust?: CertificatePair;
  extra?: Partial<DeliveryAgentOptions>;
}) {
  const { clock, queue } = clockAndQueue();
  const resolver = createFakeResolver({
    'example.com': { mx: ['10 mx1.example.com'] },
    'mx1.example.com': { a: ['127.0.0.1'] },
    ...(options.policy === undefined ? {} : { '_mta-sts.example.com': { txt: ['v=STSv1; id=20261128'] } }),
  });
  const fetched: string[] = [];
  const fetch = async (url: string): Promise<MtaStsFetchResponse> => {
    fetched.push(url);
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: options.policy ?? '' };
  };
  const log: string[] = [];
  const reports: MtaStsReport[] = [];
  const agent = new DeliveryAgent({
    queue,
    resolver,
    hostname: 'mta.local.test',
    now: clock.get,
    portFor: () => options.port,
    ...(options.trust ? { tlsClient: { ca: options.trust.cert } } : {}),
    mtaSts: { fetch, onReport: (report) => reports.push(report) },
    onDelivered: (i) => log.push(`delivered ${i.recipient}`),
    onDeferred: (i) => log.push(`deferred ${i.recipient} ${i.reply}`),
    onBounced: (i) => log.push(`bounced ${i.recipient}`),
    ...options.extra,
  });
  await queue.enqueue({ from: 'alice@local.test', to: ['bob@example.com'], message: bytes(MESSAGE) });
  return { queue, agent, clock, log, reports, fetched };
}

async function sink(tls?: CertificatePair) {
  const s = await startSink(undefined, tls);
  sinks.push(s);
  return s;
}

describe('MTA-STS enforcement (RFC 8461 §4–§5)', () => {
  it('enforce + a certificate valid for the MX host → delivered over TLS; the policy is cached', async () => {
    const s = await sink(certificate('mx1.example.com'));
    const { agent, queue, log, reports, fetched, clock } = await setup({
      port: s.port,
      policy: policy('enforce', ['*.example.com']),
      trust: certificate('mx1.example.com'),
    });
    await agent.runOnce();
    expect(log).toEqual(['delivered bob@example.com']);
    expect(reports).toEqual([]);
    expect(s.messages).toEqual([
      { from: 'alice@local.test', to: ['bob@example.com'], body: MESSAGE, secure: true },
    ]);
    expect(fetched).toEqual(['https://mta-sts.example.com/.well-known/mta-sts.txt']);
    clock.advance(MIN);
    await queue.enqueue({ from: 'alice@local.test', to: ['carol@example.com'], message: bytes(MESSAGE) });
    await agent.runOnce();
    expect(log.at(-1)).toBe('delivered carol@example.com');
    expect(fetched).toHaveLength(1);
  });

  it('enforce + an MX host matching no mx pattern → deferred, nothing sent, reported', async () => {
    const s = await sink(certificate('mx1.example.com'));
    const { agent, log, reports } = await setup({
      port: s.port,
      policy: policy('enforce', ['mail.example.net', '*.mx.example.com']),
      trust: certificate('mx1.example.com'),
    });
    await agent.runOnce();
    expect(log).toEqual([
      'deferred bob@example.com 451 4.7.0 MTA-STS: no MX host of example.com matches its policy (enforce)',
    ]);
    expect(s.connections).toBe(0);
    expect(reports).toEqual([
      expect.objectContaining({
        domain: 'example.com',
        mode: 'enforce',
        policyId: '20261128',
        resultType: 'validation-failure',
        mxHost: 'mx1.example.com',
        enforced: true,
      }),
    ]);
    const [queued] = await agent.list();
    expect(queued!.recipients[0]!.state).toBe('pending');
  });

  it('enforce + a server without STARTTLS → deferred, never sent in clear', async () => {
    const s = await sink();
    const { agent, log, reports } = await setup({ port: s.port, policy: policy('enforce') });
    await agent.runOnce();
    expect(log).toEqual([
      'deferred bob@example.com 451 4.7.0 MTA-STS policy of example.com requires TLS: mx1.example.com did not offer STARTTLS',
    ]);
    expect(s.messages).toEqual([]);
    expect(reports.map((r) => r.resultType)).toEqual(['starttls-not-supported']);
  });

  it('enforce + a certificate that does not validate → deferred (untrusted, or for another host)', async () => {
    // Self-signed and not in our trust store.
    const untrusted = await sink(certificate('mx1.example.com'));
    const a = await setup({ port: untrusted.port, policy: policy('enforce') });
    await a.agent.runOnce();
    expect(a.log).toEqual([
      'deferred bob@example.com 451 4.7.0 MTA-STS policy of example.com: certificate of mx1.example.com not valid: DEPTH_ZERO_SELF_SIGNED_CERT',
    ]);
    expect(untrusted.messages).toEqual([]);
    expect(a.reports).toEqual([
      expect.objectContaining({
        resultType: 'certificate-not-trusted',
        mxHost: 'mx1.example.com',
        address: '127.0.0.1',
      }),
    ]);

    // Trusted, but issued for another name.
    const wrongName = await sink(certificate('other.example.org'));
    const b = await setup({
      port: wrongName.port,
      policy: policy('enforce'),
      trust: certificate('other.example.org'),
    });
    await b.agent.runOnce();
    expect(b.log[0]).toMatch(
      /^deferred bob@example.com 451 4\.7\.0 MTA-STS policy of example\.com: certificate of mx1\.example\.com not valid: ERR_TLS_CERT_ALTNAME_INVALID/,
    );
    expect(wrongName.messages).toEqual([]);
    expect(b.reports.map((r) => r.resultType)).toEqual(['certificate-host-mismatch']);
  });

  it('testing mode delivers as before and reports every failure', async () => {
    const s = await sink(certificate('mx1.example.com'));
    const { agent, log, reports } = await setup({
      port: s.port,
      policy: policy('testing', ['mail.example.net']),
    });
    await agent.runOnce();
    expect(log).toEqual(['delivered bob@example.com']);
    expect(s.messages.map((m) => m.secure)).toEqual([true]);
    expect(reports.map((r) => [r.mode, r.resultType, r.enforced])).toEqual([
      ['testing', 'validation-failure', false],
      ['testing', 'certificate-not-trusted', false],
    ]);

    const plain = await sink();
    const b = await setup({ port: plain.port, policy: policy('testing') });
    await b.agent.runOnce();
    expect(b.log).toEqual(['delivered bob@example.com']);
    expect(plain.messages.map((m) => m.secure)).toEqual([false]);
    expect(b.reports.map((r) => r.resultType)).toEqual(['starttls-not-supported']);
  });

  it('mode none, no record, or a policy that cannot be fetched: delivery as without MTA-STS', async () => {
    const plain = await sink();
    const none = await setup({ port: plain.port, policy: policy('none', []) });
    await none.agent.runOnce();
    expect(none.log).toEqual(['delivered bob@example.com']);
    expect(none.reports).toEqual([]);

    const noRecord = await setup({ port: plain.port, policy: undefined });
    await noRecord.agent.runOnce();
    expect(noRecord.log).toEqual(['delivered bob@example.com']);
    expect(noRecord.fetched).toEqual([]);

    // RFC 8461 §3.3: a record whose policy cannot be fetched (and none cached) is no policy.
    const broken = await setup({ port: plain.port, policy: 'this is not a policy' });
    await broken.agent.runOnce();
    expect(broken.log).toEqual(['delivered bob@example.com']);
    expect(broken.reports.map((r) => r.resultType)).toEqual(['sts-policy-invalid']);
    expect(plain.messages).toHaveLength(3);
  });
});
