/**
 * `DeliveryAgent`: takes due messages from a `Queue` and delivers them through MX.
 *
 * One run (`runOnce()`): the due messages are grouped by recipient domain; each domain is
 * resolved with `resolveDeliveryTargets` (RFC 5321 §5.1); up to `perDestination` connections per
 * domain (and `concurrency` in all) each carry one message after another (connection reuse).
 * A connection is opened to the MX hosts in order and to each host's addresses in turn, until one
 * greets, says EHLO and (when asked) TLS. Each recipient's reply decides: 2xx delivered, 5xx
 * bounced, 4xx (and every network failure) retried later with exponential backoff, until the
 * message's lifetime (default 5 days, RFC 5321 §4.5.4.1 "at least 4-5 days") is over. Bounces
 * and delay warnings are RFC 3464 DSNs, queued to the envelope sender from the null sender, and
 * never sent for a message whose sender is null (RFC 3461 §6.2, RFC 5321 §6.1).
 *
 * Time is injected (`now()`); the timer loop of `start()` is the only place that sleeps.
 */

import { discoverMtaSts, type MtaStsPolicy, mxMatchesPolicy } from '@mailwire/auth';
import { concatBytes, type TlsInfo, type Transport } from '@mailwire/core';
import { type DeliveryTargetOptions, type Resolver, resolveDeliveryTargets } from '@mailwire/dns';
import { type ClientTlsInfo, type ConnectSmtpOptions, connectSmtp } from './client-transport.js';
import {
  certificateFailureType,
  createMemoryMtaStsCache,
  type MtaStsDeliveryOptions,
  type MtaStsReport,
} from './mta-sts.js';
import { type SmtpClientRecipient, SmtpClient, type SmtpReply, type TransactionResult } from '@mailwire/smtp';
import { buildDsn, type DsnRecipient, headerOf, statusOf } from './dsn.js';
import type { Queue, QueuedMessage, QueuedRecipient, RecipientUpdate } from './queue.js';

export interface RetryOptions {
  /** First retry after this long. Default 30 minutes (RFC 5321 §4.5.4.1: "at least 30 minutes"). */
  readonly initialMs?: number;
  /** Each retry waits this many times longer. Default 2. */
  readonly factor?: number;
  /** Longest wait between attempts. Default 4 hours. */
  readonly maxMs?: number;
  /** Give up (bounce) this long after the message arrived. Default 5 days (RFC 5321 §4.5.4.1). */
  readonly lifetimeMs?: number;
}

export interface DeliveryEventInfo {
  readonly id: string;
  readonly from: string;
  readonly recipient: string;
  /** `250 2.0.0 OK`, or what the agent made up for a network failure. */
  readonly reply: string;
  readonly remoteMta?: string | undefined;
  /** Attempts made before this one. */
  readonly attempts: number;
}

export interface LocalDelivery {
  /** True for domains this host delivers itself (bounces to local users come back here). */
  isLocal(domain: string): boolean;
  /** Stores the message for these local recipients; throwing defers it. */
  deliver(message: {
    readonly from: string;
    readonly to: readonly string[];
    readonly body: Uint8Array;
  }): Promise<void>;
}

export interface DeliveryAgentOptions {
  readonly queue: Queue;
  readonly resolver: Resolver;
  /** Our host name: EHLO, Reporting-MTA, MAILER-DAEMON. */
  readonly hostname: string;
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Opens a connection; default `connectSmtp()` (TCP, with a client-side STARTTLS upgrade). */
  readonly connect?: (address: string, port: number, host: string) => Promise<Transport>;
  /** The SMTP port for an MX host; default 25. */
  readonly portFor?: (host: string) => number;
  readonly targets?: DeliveryTargetOptions;
  /** Connections in all. Default 20. */
  readonly concurrency?: number;
  /** Connections per destination domain. Default 2. */
  readonly perDestination?: number;
  readonly retry?: RetryOptions;
  /** Send one delay warning (RFC 3464 Action: delayed) once a message waited this long. Default off. */
  readonly delayWarningAfterMs?: number;
  /** Client TLS upgrade after STARTTLS; default `transport.startTls()`. */
  readonly startTls?: (transport: Transport, host: string) => Promise<TlsInfo>;
  /**
   * STARTTLS policy. Default `'opportunistic'` with the default `connect` or a `startTls` hook
   * (a failed handshake is retried once in clear, RFC 7435), `'none'` with a custom `connect` and
   * no hook.
   */
  readonly tls?: 'none' | 'opportunistic' | 'required';
  /** TLS client settings for the default `connect` (e.g. `ca` for a private trust store). */
  readonly tlsClient?: ConnectSmtpOptions['tls'];
  /**
   * MTA-STS (RFC 8461): look up each recipient domain's policy and apply it — `enforce` delivers
   * only to matching MX hosts over STARTTLS with a certificate valid for the host (else defers),
   * `testing` reports failures and delivers. Default off.
   */
  readonly mtaSts?: MtaStsDeliveryOptions;
  readonly localDelivery?: LocalDelivery;
  /** Connect timeout, ms. Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** Most messages taken per run. Default 1000. */
  readonly batchSize?: number;
  readonly onDelivered?: (info: DeliveryEventInfo) => void;
  readonly onDeferred?: (info: DeliveryEventInfo) => void;
  readonly onBounced?: (info: DeliveryEventInfo) => void;
  readonly onDelayWarning?: (info: DeliveryEventInfo) => void;
  /** Free-form log lines (connection failures, DSNs queued). */
  readonly onLog?: (line: string) => void;
}

type Outcome = {
  kind: 'delivered' | 'permanent' | 'temporary';
  reply: string;
  remoteMta?: string | undefined;
};

/** A policy in `enforce` or `testing` mode, for one recipient domain. */
interface ActivePolicy {
  readonly domain: string;
  readonly policy: MtaStsPolicy;
  readonly id: string;
}

interface Job {
  readonly message: QueuedMessage;
  readonly recipients: readonly QueuedRecipient[];
  readonly outcomes: Map<string, Outcome>;
}

const DEFAULT_RETRY = {
  initialMs: 30 * 60_000,
  factor: 2,
  maxMs: 4 * 3600_000,
  lifetimeMs: 5 * 24 * 3600_000,
};

const replyText = (r: SmtpReply) =>
  `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} ${r.lines.join(' ')}`.trim();

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return (at < 0 ? '' : address.slice(at + 1)).toLowerCase();
}

class Semaphore {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

/** The delay before attempt `attempts + 1`. */
export function retryDelay(attempts: number, retry: RetryOptions = {}): number {
  const r = { ...DEFAULT_RETRY, ...retry };
  return Math.min(r.maxMs, r.initialMs * r.factor ** attempts);
}

/**
 * Delivers queued mail.
 *
 * @example
 * const agent = new DeliveryAgent({ queue, resolver, hostname: 'mta.example.org' });
 * agent.start();
 */
export class DeliveryAgent {
  private readonly options: DeliveryAgentOptions;
  private readonly now: () => number;
  private readonly slots: Semaphore;
  private readonly inFlight = new Set<string>();
  /** MTA-STS policies when `mtaSts.cache` is not given. */
  private readonly stsCache = createMemoryMtaStsCache();
  private running: Promise<void> | undefined;
  private loop: { stop: boolean; again: boolean; wake?: (() => void) | undefined } | undefined;

  constructor(options: DeliveryAgentOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.slots = new Semaphore(options.concurrency ?? 20);
  }

  /** Every queued message (the CLI's `queue list`). */
  list(): Promise<QueuedMessage[]> {
    return this.options.queue.list();
  }

  /** Makes every message due now and runs once (the CLI's `queue flush`). */
  async flush(): Promise<void> {
    await this.options.queue.flush(this.now());
    await this.runOnce();
  }

  /** Runs the loop: a run, then a pause of `intervalMs` (or until `wake()`). */
  start(intervalMs = 30_000): void {
    if (this.loop) return;
    const loop: { stop: boolean; again: boolean; wake?: (() => void) | undefined } = {
      stop: false,
      again: false,
    };
    this.loop = loop;
    this.running = (async () => {
      while (!loop.stop) {
        loop.again = false;
        try {
          await this.runOnce();
        } catch (error) {
          this.options.onLog?.(`delivery run failed: ${String(error)}`);
        }
        if (loop.stop) break;
        // A wake() during the run starts the next one at once.
        if (loop.again) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, intervalMs);
          loop.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        loop.wake = undefined;
      }
    })();
  }

  /** Starts a run now (after an enqueue). */
  wake(): void {
    if (!this.loop) return;
    this.loop.again = true;
    this.loop.wake?.();
  }

  async stop(): Promise<void> {
    if (!this.loop) return;
    this.loop.stop = true;
    this.loop.wake?.();
    await this.running;
    this.loop = undefined;
  }

  /** One pass over the due messages; resolves when every attempt of it is recorded. */
  async runOnce(): Promise<void> {
    const { queue } = this.options;
    const messages = (await queue.due(this.now(), this.options.batchSize ?? 1000)).filter(
      (m) => !this.inFlight.has(m.id),
    );
    for (const m of messages) this.inFlight.add(m.id);
    try {
      const byDomain = new Map<string, Job[]>();
      const jobsOf = new Map<string, Job[]>();
      for (const message of messages) {
        const perDomain = new Map<string, QueuedRecipient[]>();
        for (const r of message.recipients) {
          if (r.state !== 'pending') continue;
          const d = domainOf(r.address);
          perDomain.set(d, [...(perDomain.get(d) ?? []), r]);
        }
        const jobs: Job[] = [];
        for (const [domain, recipients] of perDomain) {
          const job: Job = { message, recipients, outcomes: new Map() };
          jobs.push(job);
          byDomain.set(domain, [...(byDomain.get(domain) ?? []), job]);
        }
        jobsOf.set(message.id, jobs);
      }
      await Promise.all([...byDomain].map(([domain, jobs]) => this.deliverDomain(domain, jobs)));
      for (const message of messages) await this.finish(message, jobsOf.get(message.id) ?? []);
    } finally {
      for (const m of messages) this.inFlight.delete(m.id);
    }
  }

  private async deliverDomain(domain: string, jobs: Job[]): Promise<void> {
    const { localDelivery } = this.options;
    if (localDelivery?.isLocal(domain)) {
      for (const job of jobs) {
        try {
          const body = await collect(this.options.queue.read(job.message.id));
          await localDelivery.deliver({
            from: job.message.from,
            to: job.recipients.map((r) => r.address),
            body,
          });
          for (const r of job.recipients)
            job.outcomes.set(r.address, { kind: 'delivered', reply: '250 2.0.0 Delivered locally' });
        } catch (error) {
          for (const r of job.recipients)
            job.outcomes.set(r.address, {
              kind: 'temporary',
              reply: `451 4.3.0 Local delivery failed: ${String(error)}`,
            });
        }
      }
      return;
    }
    const targets = await resolveDeliveryTargets(domain, this.options.resolver, this.options.targets);
    if (!targets.ok) {
      const reply = `${targets.reply.code} ${targets.reply.enhanced} ${targets.reply.text}`;
      for (const job of jobs)
        for (const r of job.recipients)
          job.outcomes.set(r.address, { kind: targets.permanent ? 'permanent' : 'temporary', reply });
      return;
    }
    const sts = await this.mtaStsPolicy(domain);
    let hosts = targets.hosts;
    if (sts) {
      // RFC 8461 §4.1, §5.1: MX hosts that match no `mx` pattern are not used under `enforce`.
      const matching = hosts.filter((host) => mxMatchesPolicy(host.name, sts.policy));
      for (const host of hosts)
        if (!matching.includes(host))
          this.reportMtaSts(sts, {
            resultType: 'validation-failure',
            mxHost: host.name,
            reason: `MX host ${host.name} matches no mx pattern of the policy`,
          });
      if (sts.policy.mode === 'enforce') {
        hosts = matching;
        if (hosts.length === 0) {
          const reply = `451 4.7.0 MTA-STS: no MX host of ${domain} matches its policy (enforce)`;
          this.options.onLog?.(reply);
          for (const job of jobs)
            for (const r of job.recipients) job.outcomes.set(r.address, { kind: 'temporary', reply });
          return;
        }
      }
    }
    const queueOfJobs = [...jobs];
    const workers = Math.max(1, Math.min(this.options.perDestination ?? 2, jobs.length));
    const worker = async () => {
      let connection: { client: SmtpClient; host: string } | undefined;
      try {
        for (let job = queueOfJobs.shift(); job; job = queueOfJobs.shift()) {
          if (!connection || connection.client.closed) {
            if (connection) {
              await connection.client.quit().catch(() => undefined);
              this.slots.release();
            }
            connection = undefined;
            await this.slots.acquire();
            const opened = await this.open(hosts, sts);
            if ('failure' in opened) {
              this.slots.release();
              // No host answers: this job and the rest of this worker's share wait for the next run.
              for (const j of [job, ...queueOfJobs.splice(0)])
                for (const r of j.recipients)
                  j.outcomes.set(r.address, { kind: 'temporary', reply: opened.failure });
              return;
            }
            connection = opened;
          }
          const { message } = job;
          const to: SmtpClientRecipient[] = job.recipients.map((r) => ({
            address: r.address,
            ...(r.notify !== undefined ? { notify: r.notify } : {}),
            ...(r.orcpt !== undefined ? { orcpt: r.orcpt } : {}),
          }));
          let result: TransactionResult;
          try {
            result = await connection.client.send(
              {
                from: message.from,
                to,
                size: message.size,
                eightBit: message.eightBit,
                smtpUtf8: message.smtpUtf8,
                ...(message.envid !== undefined ? { envid: message.envid } : {}),
                ...(message.ret !== undefined ? { ret: message.ret } : {}),
              },
              this.options.queue.read(message.id),
            );
          } catch (error) {
            result = {
              reply: {
                code: 451,
                enhanced: '4.3.0',
                lines: [`Local error reading the message: ${String(error)}`],
              },
              recipients: [],
            };
          }
          for (const r of job.recipients) {
            const got = result.recipients.find((x) => x.to === r.address);
            const reply = got?.reply ?? result.reply;
            const kind =
              got?.status === 'sent' ? 'delivered' : got?.status === 'permanent' ? 'permanent' : 'temporary';
            job.outcomes.set(r.address, { kind, reply: replyText(reply), remoteMta: connection.host });
          }
        }
      } finally {
        if (connection) {
          await connection.client.quit().catch(() => undefined);
          this.slots.release();
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  }

  /** MX hosts in order, each host's addresses in turn, until one is ready for mail. */
  private async open(
    hosts: readonly { readonly name: string; readonly addresses: readonly { readonly address: string }[] }[],
    sts?: ActivePolicy,
  ): Promise<{ client: SmtpClient; host: string } | { failure: string }> {
    const timeout = this.options.connectTimeoutMs ?? 30_000;
    const tlsClient = this.options.tlsClient;
    const connect =
      this.options.connect ??
      ((address: string, port: number, host: string) =>
        connectSmtp(address, port, {
          servername: host,
          connectTimeoutMs: timeout,
          ...(tlsClient ? { tls: tlsClient } : {}),
        }));
    const startTls = this.options.startTls;
    const enforce = sts?.policy.mode === 'enforce';
    // RFC 8461 §5.1: under `enforce`, STARTTLS is required and a failed handshake is not retried in clear.
    // Under `testing`, STARTTLS is at least tried, so that its failures can be reported.
    const configured =
      this.options.tls ?? (this.options.connect === undefined || startTls ? 'opportunistic' : 'none');
    const policy = enforce ? 'required' : sts && configured === 'none' ? 'opportunistic' : configured;
    let failure = '451 4.4.1 No answer from any mail exchanger';
    for (const host of hosts) {
      const port = this.options.portFor?.(host.name) ?? 25;
      for (const { address } of host.addresses) {
        let tlsReported = false;
        for (const tls of policy === 'opportunistic' ? (['opportunistic', 'none'] as const) : [policy]) {
          let transport: Transport;
          try {
            transport = await connect(address, port, host.name);
          } catch (error) {
            failure = `451 4.4.1 Connection to ${host.name} [${address}] failed: ${String((error as Error).message ?? error)}`;
            this.options.onLog?.(failure);
            break;
          }
          let tlsInfo: ClientTlsInfo | undefined;
          const client = new SmtpClient(transport, {
            hostname: this.options.hostname,
            tls,
            startTls: async (t: Transport) => {
              tlsInfo = await (startTls ? startTls(t, host.name) : t.startTls());
              return tlsInfo;
            },
          });
          const hello = await client.connect();
          if (hello.ok) {
            if (!sts) return { client, host: host.name };
            // RFC 8461 §4.2: the certificate must validate (chain and MX host name).
            const problem: Pick<MtaStsReport, 'resultType' | 'reason'> | undefined =
              tlsInfo === undefined
                ? { resultType: 'starttls-not-supported', reason: `${host.name} did not offer STARTTLS` }
                : tlsInfo.authorized === true
                  ? undefined
                  : {
                      resultType: certificateFailureType(tlsInfo.authorizationError),
                      reason: `certificate of ${host.name} not valid: ${tlsInfo.authorizationError ?? 'not authorized'}`,
                    };
            if (problem === undefined || tlsReported) return { client, host: host.name };
            this.reportMtaSts(sts, { ...problem, mxHost: host.name, address });
            if (!enforce) return { client, host: host.name };
            failure = `451 4.7.0 MTA-STS policy of ${sts.domain}: ${problem.reason}`;
            this.options.onLog?.(`${failure} [${address}]`);
            await client.quit().catch(() => undefined);
            break;
          }
          transport.destroy();
          if (client.tlsFailure !== undefined) {
            failure = `451 4.7.0 TLS with ${host.name} [${address}] failed`;
            this.options.onLog?.(`${failure}: ${String(client.tlsFailure)}`);
            tlsReported = sts !== undefined;
            if (sts)
              this.reportMtaSts(sts, {
                resultType: 'validation-failure',
                mxHost: host.name,
                address,
                reason: `TLS handshake with ${host.name} failed: ${String(client.tlsFailure)}`,
              });
            if (enforce) failure = `451 4.7.0 MTA-STS policy of ${sts?.domain}: TLS with ${host.name} failed`;
            continue; // opportunistic: once more in clear
          }
          if (sts && client.session.failure?.stage === 'starttls') {
            const reason = client.session.extensions.has('STARTTLS')
              ? `${host.name} refused STARTTLS (${replyText(hello.result.reply)})`
              : `${host.name} did not offer STARTTLS`;
            this.reportMtaSts(sts, {
              resultType: 'starttls-not-supported',
              mxHost: host.name,
              address,
              reason,
            });
            if (enforce) {
              failure = `451 4.7.0 MTA-STS policy of ${sts.domain} requires TLS: ${reason}`;
              this.options.onLog?.(`${failure} [${address}]`);
              break;
            }
          }
          failure = replyText(hello.result.reply);
          // A server that refuses us (greeting, EHLO, TLS) is a temporary problem for the message.
          if (failure.startsWith('5')) failure = `451 4.4.0 ${host.name} refused the connection: ${failure}`;
          this.options.onLog?.(`${host.name} [${address}]: ${failure}`);
          break;
        }
      }
    }
    return { failure };
  }

  /** The MTA-STS policy to apply to `domain` (`enforce` or `testing`), if any (RFC 8461 §3, §5). */
  private async mtaStsPolicy(domain: string): Promise<ActivePolicy | undefined> {
    const sts = this.options.mtaSts;
    if (!sts) return undefined;
    let found: Awaited<ReturnType<typeof discoverMtaSts>>;
    try {
      found = await discoverMtaSts(domain, {
        resolver: this.options.resolver,
        fetch: sts.fetch,
        cache: sts.cache ?? this.stsCache,
        now: new Date(this.now()),
      });
    } catch (error) {
      this.options.onLog?.(`MTA-STS discovery for ${domain} failed: ${String(error)}`);
      return undefined;
    }
    if (found.status === 'temperror') {
      // RFC 8461 §3.3: a record without a usable policy (and none cached) is as no policy at all.
      if (!found.reason.startsWith('DNS ')) {
        const report: MtaStsReport = {
          domain,
          resultType: found.reason.startsWith('fetch failed')
            ? 'sts-policy-fetch-error'
            : 'sts-policy-invalid',
          reason: found.reason,
          enforced: false,
        };
        this.options.onLog?.(`MTA-STS ${domain}: ${report.resultType}: ${report.reason}`);
        sts.onReport?.(report);
      }
      return undefined;
    }
    if (found.status !== 'policy' || found.policy.mode === 'none') return undefined;
    return { domain, policy: found.policy, id: found.id };
  }

  private reportMtaSts(
    sts: ActivePolicy,
    failure: Pick<MtaStsReport, 'resultType' | 'reason' | 'mxHost' | 'address'>,
  ): void {
    const report: MtaStsReport = {
      domain: sts.domain,
      mode: sts.policy.mode,
      policyId: sts.id,
      policy: sts.policy,
      ...failure,
      enforced: sts.policy.mode === 'enforce',
    };
    this.options.onLog?.(
      `MTA-STS ${sts.domain} (${sts.policy.mode}): ${report.resultType}: ${report.reason}`,
    );
    this.options.mtaSts?.onReport?.(report);
  }

  /** Records the attempt, bounces what failed or expired, warns about delays. */
  private async finish(message: QueuedMessage, jobs: Job[]): Promise<void> {
    const now = this.now();
    const retry = { ...DEFAULT_RETRY, ...this.options.retry };
    const updates: RecipientUpdate[] = [];
    const bounced: DsnRecipient[] = [];
    const pending: { r: QueuedRecipient; outcome: Outcome }[] = [];
    const expired = now - message.createdAt >= retry.lifetimeMs;
    for (const job of jobs) {
      for (const r of job.recipients) {
        const outcome = job.outcomes.get(r.address) ?? {
          kind: 'temporary',
          reply: '451 4.3.0 Not attempted',
        };
        const info: DeliveryEventInfo = {
          id: message.id,
          from: message.from,
          recipient: r.address,
          reply: outcome.reply,
          remoteMta: outcome.remoteMta,
          attempts: message.attempts,
        };
        const base = {
          address: r.address,
          lastReply: outcome.reply,
          ...(outcome.remoteMta ? { remoteMta: outcome.remoteMta } : {}),
        };
        if (outcome.kind === 'delivered') {
          updates.push({ ...base, state: 'delivered' });
          this.options.onDelivered?.(info);
        } else if (outcome.kind === 'permanent' || expired) {
          updates.push({ ...base, state: 'bounced' });
          this.options.onBounced?.(info);
          if (r.notify === undefined || r.notify.includes('FAILURE'))
            bounced.push({
              address: r.address,
              orcpt: r.orcpt,
              action: 'failed',
              // RFC 3463 §3.5: X.4.7 delivery time expired.
              status: outcome.kind === 'permanent' ? statusOf(outcome.reply, '5.0.0') : '4.4.7',
              diagnostic: outcome.reply,
              remoteMta: outcome.remoteMta,
            });
        } else {
          updates.push({ ...base, state: 'pending' });
          pending.push({ r, outcome });
          this.options.onDeferred?.(info);
        }
      }
    }
    let warned = false;
    const warnAfter = this.options.delayWarningAfterMs;
    const delayed =
      warnAfter !== undefined && !message.warned && now - message.createdAt >= warnAfter
        ? pending.filter(({ r }) => r.notify === undefined || r.notify.includes('DELAY'))
        : [];
    if (delayed.length > 0) {
      warned = true;
      for (const { r, outcome } of delayed)
        this.options.onDelayWarning?.({
          id: message.id,
          from: message.from,
          recipient: r.address,
          reply: outcome.reply,
          remoteMta: outcome.remoteMta,
          attempts: message.attempts,
        });
      await this.notify(
        message,
        delayed.map(({ r, outcome }) => ({
          address: r.address,
          orcpt: r.orcpt,
          action: 'delayed',
          status: statusOf(outcome.reply, '4.0.0').replace(/^5/, '4'),
          diagnostic: outcome.reply,
          remoteMta: outcome.remoteMta,
        })),
        now,
        message.createdAt + retry.lifetimeMs,
      );
    }
    // The DSN is queued before the attempt is recorded: a crash in between repeats it, never loses it.
    if (bounced.length > 0) await this.notify(message, bounced, now);
    await this.options.queue.update(message.id, {
      recipients: updates,
      nextAttemptAt: Math.min(
        now + retryDelay(message.attempts, retry),
        message.createdAt + retry.lifetimeMs,
      ),
      warned,
    });
  }

  private async notify(
    message: QueuedMessage,
    recipients: DsnRecipient[],
    now: number,
    willRetryUntil?: number,
  ) {
    // RFC 3461 §6.2 / RFC 5321 §6.1: never a notification about a notification (null sender).
    if (message.from === '') {
      this.options.onLog?.(`message ${message.id} from <>: no DSN sent`);
      return;
    }
    const full = message.ret === 'FULL';
    const original = full
      ? await collect(this.options.queue.read(message.id))
      : headerOf(await this.options.queue.head(message.id, 64 * 1024));
    const dsn = buildDsn({
      reportingMta: this.options.hostname,
      to: message.from,
      recipients,
      arrivalDate: message.createdAt,
      now,
      envid: message.envid,
      willRetryUntil,
      original,
      full,
    });
    const id = await this.options.queue.enqueue({ from: '', to: [message.from], message: dsn });
    this.options.onLog?.(`DSN ${id} queued to <${message.from}> for ${message.id}`);
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return concatBytes(parts);
}
