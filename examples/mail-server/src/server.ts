/**
 * The example mail server: every Mailwire package composed into what a small mail host runs.
 *
 *   port        role                                   package
 *   2525        inbound SMTP (MX): local domains only  @mailwire/smtp serve() over @mailwire/node
 *   2587/2465   submission, STARTTLS / implicit TLS,   @mailwire/smtp, AUTH required
 *               AUTH required
 *   1143/1993   IMAP, STARTTLS / implicit TLS          @mailwire/imap serve()
 *   1110/1995   POP3, STLS / implicit TLS              @mailwire/pop3 serve()
 *   9465        Prometheus /metrics (loopback)         node:http
 *
 * Messages are stored in the configured `MailStore` (SQLite by default). An inbound message is
 * spooled to a file in `<dataDir>/spool` while it streams, then appended once per recipient (the
 * store keeps identical content once), and only then acknowledged with 250.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { ConnectionInfo } from '@mailwire/core';
import { listen, type MailwireServer, type NodeTransport } from '@mailwire/node';
import { serve as serveImap } from '@mailwire/imap';
import { serve as servePop3 } from '@mailwire/pop3';
import {
  buildReceivedHeader,
  serve as serveSmtp,
  type SmtpHookReply,
  type SmtpHooks,
  type SmtpMailbox,
} from '@mailwire/smtp';
import type { Resolver } from '@mailwire/dns';
import type { MailStore } from '@mailwire/store';
import { AuthLimiter } from './auth-limiter.js';
import type { Config } from './config.js';
import { createCredentialChecker } from './credentials.js';
import { localDomains } from './domains.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { openStore } from './store.js';
import { createOutboundSigner, verifyInbound } from './mail-auth.js';
import { type Outbound, startOutbound, systemResolver } from './outbound.js';
import { loadCertificate } from './tls.js';

export interface RunningServer {
  readonly config: Config;
  readonly store: MailStore;
  readonly metrics: Metrics;
  readonly outbound: Outbound;
  /** Bound ports by role (useful when the configuration asked for port 0). */
  readonly ports: Record<string, number>;
  readonly certificate: { readonly cert: string; readonly path: string; readonly generated: boolean };
  close(): Promise<void>;
}

export interface SpamVerdict {
  /** Refuse the message with this reply. */
  readonly reject?: SmtpHookReply;
  /** Header lines (CRLF-terminated) to prepend, e.g. `X-Spam-Score: 3.1\r\n`. */
  readonly headers?: string;
}

export interface ServerHooks {
  /**
   * The DNS resolver for inbound SPF/DKIM/DMARC and outbound MX look-ups (static routes are
   * answered before it). Default: the stub resolver over /etc/resolv.conf, with a TTL cache.
   */
  resolver?: Resolver;
  /**
   * Spam scoring: called with the spooled message file and its envelope before delivery; may
   * refuse the message or add headers.
   */
  spamCheck?(
    file: string,
    envelope: { from: string; to: readonly string[]; remoteAddress: string },
  ): Promise<SpamVerdict | undefined>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => performance.now();
const RELAY_DENIED: SmtpHookReply = { code: 554, enhanced: '5.7.1', text: 'Relaying denied' };

function address(mailbox: SmtpMailbox): string {
  return `${mailbox.localPart}@${mailbox.domain}`;
}

export async function startServer(
  config: Config,
  logger: Logger,
  hooks: ServerHooks = {},
): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const spoolDir = join(config.dataDir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  const store = await openStore(config);
  const certificate = loadCertificate(config);
  const tls = { key: certificate.key, cert: certificate.cert };
  const metrics = new Metrics();
  const connections = metrics.counter('mailwire_connections_total', 'Connections accepted, by protocol');
  const sessions = metrics.gauge('mailwire_sessions', 'Open sessions, by protocol');
  const messagesIn = metrics.counter('mailwire_messages_received_total', 'Messages accepted, by port role');
  const messagesOut = metrics.counter('mailwire_messages_delivered_total', 'Messages delivered to mailboxes');
  const authFailures = metrics.counter('mailwire_auth_failures_total', 'Failed authentications, by protocol');
  const rejected = metrics.counter('mailwire_connections_rejected_total', 'Connections refused by limits');
  const deliveries = metrics.counter('mailwire_deliveries_total', 'Outbound delivery attempts, by result');
  const localDomainsNow = () => localDomains(config);
  const resolver = hooks.resolver ?? systemResolver();
  const signer = createOutboundSigner(config);
  const outbound = startOutbound(
    config,
    resolver,
    {
      isLocal: (domain) => localDomainsNow().has(domain.toLowerCase()),
      async deliver(message) {
        // Bounces (DSNs) and other queue mail for local users.
        for (const to of message.to) await store.deliver(to, message.body, { internalDate: Date.now() });
      },
    },
    {
      delivered: () => deliveries({ result: 'delivered' }),
      deferred: () => deliveries({ result: 'deferred' }),
      bounced: () => deliveries({ result: 'bounced' }),
      log: (line) => logger.log('info', line, { component: 'delivery' }),
    },
  );
  const queueDepth = metrics.gauge('mailwire_queue_depth', 'Messages waiting in the outbound queue');
  metrics.collect(async () => {
    const waiting = await outbound.queue.list();
    queueDepth.set({}, waiting.length);
  });
  const limiter = new AuthLimiter(config.limits.authFailuresPerIp, config.limits.authFailureWindowMs);
  const checker = createCredentialChecker(store, limiter, {
    onFailure: (ip, mechanism) => logger.log('warn', 'authentication failed', { ip, mechanism }),
  });
  const limits = {
    maxConnections: config.limits.maxConnections,
    maxConnectionsPerIp: config.limits.maxConnectionsPerIp,
    idleTimeoutMs: config.limits.idleTimeoutMs,
  };

  async function isLocalRecipient(mailbox: SmtpMailbox): Promise<'local' | 'unknown' | 'remote'> {
    if (!localDomains(config).has(mailbox.domain.toLowerCase())) return 'remote';
    return (await store.accounts.lookup(address(mailbox))) ? 'local' : 'unknown';
  }

  function smtpHooks(role: 'mx' | 'submission'): SmtpHooks {
    let authenticated: string | undefined;
    return {
      onConnect(info) {
        connections({ protocol: role === 'mx' ? 'smtp' : 'submission' });
        logger.log('info', 'smtp connection', { role, ip: info.remoteAddress });
        return undefined;
      },
      async onAuth(credentials, ctx) {
        const result = await checker.check(credentials, ctx.transport.info.remoteAddress);
        if (!result.ok) {
          authFailures({ protocol: 'smtp' });
          if (result.reason === 'throttled')
            return { code: 454, enhanced: '4.7.0', text: 'Too many failed attempts, try later' };
          return false;
        }
        authenticated = result.account?.address;
        if (result.scramKeys) return { scramKeys: result.scramKeys };
        return true;
      },
      async onMailFrom(from) {
        if (role === 'submission' && from && authenticated) {
          // A submitted message's envelope sender must be the user or one of their aliases.
          const account = await store.accounts.lookup(address(from));
          if (!account || account.address.toLowerCase() !== authenticated.toLowerCase()) {
            return { code: 553, enhanced: '5.7.1', text: `Sender address not owned by ${authenticated}` };
          }
        }
        return undefined;
      },
      async onRcptTo(to) {
        const kind = await isLocalRecipient(to);
        if (kind === 'local') return undefined;
        if (kind === 'unknown') return { code: 550, enhanced: '5.1.1', text: 'No such user here' };
        if (role === 'mx') return RELAY_DENIED;
        // Submission: authenticated users may send anywhere; the queue delivers through MX.
        return undefined;
      },
      async onData(message, envelope, ctx) {
        const id = randomUUID();
        const file = join(spoolDir, `${id}.eml`);
        const receivedAt = new Date();
        const received = buildReceivedHeader({
          helo: envelope.helo,
          remoteAddress: envelope.remoteAddress,
          by: config.hostname,
          tls: envelope.tls,
          authenticatedUser: envelope.user,
          id,
          ...(envelope.recipients.length === 1 ? { for: envelope.recipients[0]!.to } : {}),
          date: receivedAt,
        });
        const out = createWriteStream(file);
        try {
          out.write(received);
          for await (const chunk of message) {
            if (!out.write(chunk)) await once(out, 'drain');
          }
          out.end();
          await once(out, 'finish');
          const to = envelope.recipients.map((r) => address(r.to));
          const verdict = await hooks.spamCheck?.(file, {
            from: envelope.from ? address(envelope.from) : '',
            to,
            remoteAddress: envelope.remoteAddress,
          });
          if (verdict?.reject) return verdict.reject;
          let trace = verdict?.headers ?? '';
          if (role === 'mx' && config.inboundAuth) {
            const auth = await verifyInbound(
              file,
              {
                ip: envelope.remoteAddress,
                helo: envelope.helo ?? '',
                mailFrom: envelope.from ? address(envelope.from) : '',
              },
              { resolver, hostname: config.hostname },
            );
            if (auth.reject)
              return {
                code: 550,
                enhanced: '5.7.1',
                text: `Rejected by the DMARC policy of ${auth.fromDomain}`,
              };
            trace = auth.header + trace;
          }
          const prefix = trace;
          const source = async function* (extra = '') {
            if (prefix || extra) yield new TextEncoder().encode(extra + prefix);
            for await (const chunk of createReadStream(file)) yield chunk as Uint8Array;
          };
          const local = localDomainsNow();
          const remote = envelope.recipients.filter((r) => !local.has(r.to.domain.toLowerCase()));
          for (const recipient of envelope.recipients) {
            if (!local.has(recipient.to.domain.toLowerCase())) continue;
            await store.deliver(address(recipient.to), source(), { internalDate: receivedAt.getTime() });
            messagesOut({});
          }
          if (remote.length > 0) {
            // Durable in the queue before the client gets its 250 (RFC 5321 §6.1).
            await outbound.queue.enqueue({
              from: envelope.from ? address(envelope.from) : '',
              to: remote.map((r) => ({
                address: address(r.to),
                ...(r.params.notify ? { notify: r.params.notify } : {}),
                ...(r.params.orcpt ? { orcpt: `${r.params.orcpt.addrType};${r.params.orcpt.address}` } : {}),
              })),
              message: source(signer ? await signer.sign(file) : ''),
              smtpUtf8: envelope.mailParams.smtpUtf8 === true,
              ...(envelope.mailParams.envid ? { envid: envelope.mailParams.envid } : {}),
              ...(envelope.mailParams.ret ? { ret: envelope.mailParams.ret } : {}),
            });
            outbound.agent.wake();
          }
          messagesIn({ role });
          logger.log('info', 'message accepted', {
            id,
            from: envelope.from ? address(envelope.from) : '<>',
            to,
            size: message.size,
            ip: ctx.transport.info.remoteAddress,
          });
          return undefined;
        } catch (error) {
          const code = (error as { code?: string }).code;
          logger.log('error', 'delivery failed', { id, error: (error as Error).message, code });
          if (code === 'ERR_STORE_QUOTA') return { code: 552, enhanced: '5.2.2', text: 'Mailbox full' };
          if (code === 'ERR_STORE_TOO_LARGE')
            return { code: 552, enhanced: '5.3.4', text: 'Message too big' };
          return { code: 451, enhanced: '4.3.0', text: 'Temporary local problem, try again later' };
        } finally {
          out.destroy();
          rmSync(file, { force: true });
        }
      },
      onHookError(error) {
        logger.log('error', 'smtp hook failed', { error: (error as Error).message });
      },
    };
  }

  const servers: { role: string; server: MailwireServer }[] = [];
  async function open(
    role: string,
    protocol: string,
    port: number,
    implicitTls: boolean,
    handle: (transport: NodeTransport) => Promise<unknown>,
    busyReply: string,
  ) {
    if (port < 0) return;
    const server = await listen({
      host: config.host,
      port,
      tls,
      implicitTls,
      limits,
      busyReply,
      onConnection: async (transport) => {
        sessions.add({ protocol }, 1);
        try {
          await handle(transport);
        } finally {
          sessions.add({ protocol }, -1);
        }
      },
      onRejected: async (transport, reason) => {
        rejected({ protocol, reason: String(reason) });
        await transport.write(new TextEncoder().encode(busyReply)).catch(() => {});
      },
      onError: (error) => logger.log('warn', 'connection error', { role, error: (error as Error).message }),
    });
    servers.push({ role, server });
  }

  const smtpBase = {
    hostname: config.hostname,
    maxMessageSize: config.limits.maxMessageSize,
    maxRecipients: config.limits.maxRecipients,
    sleep,
    now,
  };
  const busySmtp = '421 4.7.0 Too many connections, try again later\r\n';
  await open(
    'smtp',
    'smtp',
    config.ports.smtp,
    false,
    (t) => serveSmtp(t, smtpHooks('mx'), { ...smtpBase, starttls: true }),
    busySmtp,
  );
  const submission = (implicit: boolean) => (t: NodeTransport) =>
    serveSmtp(t, smtpHooks('submission'), {
      ...smtpBase,
      starttls: !implicit,
      requireTls: true,
      auth: {
        mechanisms: ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'],
        required: true,
        allowInsecure: config.allowInsecureAuth,
      },
    });
  await open('submission', 'submission', config.ports.submission, false, submission(false), busySmtp);
  await open('submissions', 'submission', config.ports.submissions, true, submission(true), busySmtp);

  const pop3 = (implicit: boolean) => (t: NodeTransport) => {
    connections({ protocol: 'pop3' });
    return servePop3(t, {
      store,
      hostname: config.hostname,
      starttls: !implicit,
      allowInsecureAuth: config.allowInsecureAuth,
      saslMechanisms: ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'],
      onAuth: async (credentials, ctx) => {
        const result = await checker.check(
          credentials as Parameters<typeof checker.check>[0],
          ctx.connection.remoteAddress,
        );
        if (!result.ok) {
          authFailures({ protocol: 'pop3' });
          return {
            ok: false,
            code: 'AUTH',
            text: result.reason === 'throttled' ? 'too many failures, try later' : 'authentication failed',
          };
        }
        return result.scramKeys
          ? { ok: true, user: result.account!.id, scramKeys: result.scramKeys }
          : { ok: true, user: result.account!.id };
      },
    });
  };
  const busyPop3 = '-ERR [SYS/TEMP] too many connections\r\n';
  await open('pop3', 'pop3', config.ports.pop3, false, pop3(false), busyPop3);
  await open('pop3s', 'pop3', config.ports.pop3s, true, pop3(true), busyPop3);

  const imap = (implicit: boolean) => (t: NodeTransport) => {
    connections({ protocol: 'imap' });
    const ip = t.info.remoteAddress;
    return serveImap(t, {
      store,
      now: Date.now,
      hostname: config.hostname,
      starttls: !implicit,
      allowInsecureAuth: config.allowInsecureAuth,
      saslMechanisms: ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'],
      appendLimit: config.limits.maxMessageSize,
      onLogin: async (username, password) => {
        const result = await checker.check({ mechanism: 'USER', username, password, authzid: '' }, ip);
        if (result.ok) return result.account;
        authFailures({ protocol: 'imap' });
        return undefined;
      },
      onAuthenticate: async (credentials) => {
        const result = await checker.check(credentials, ip);
        if (result.ok && result.account) {
          return result.scramKeys
            ? { account: result.account, scramKeys: result.scramKeys }
            : { account: result.account };
        }
        authFailures({ protocol: 'imap' });
        return undefined;
      },
    });
  };
  const busyImap = '* BYE [UNAVAILABLE] Too many connections\r\n';
  await open('imap', 'imap', config.ports.imap, false, imap(false), busyImap);
  await open('imaps', 'imap', config.ports.imaps, true, imap(true), busyImap);

  const ports: Record<string, number> = {};
  for (const { role, server } of servers) ports[role] = server.port;
  let metricsServer: import('node:http').Server | undefined;
  if (config.ports.metrics >= 0) {
    const bound = await metrics.listen('127.0.0.1', config.ports.metrics);
    metricsServer = bound.server;
    ports.metrics = bound.port;
  }

  return {
    config,
    store,
    metrics,
    outbound,
    ports,
    certificate: { cert: certificate.cert, path: certificate.certPath, generated: certificate.generated },
    async close() {
      await Promise.all(servers.map(({ server }) => server.close({ graceMs: 5000 })));
      await outbound.close();
      await new Promise<void>((r) => (metricsServer ? metricsServer.close(() => r()) : r()));
      await store.close();
    },
  };
}

export type { ConnectionInfo };
