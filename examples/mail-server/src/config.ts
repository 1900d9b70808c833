/**
 * Every setting of the example server, from (lowest to highest precedence) the defaults, a JSON
 * config file (`--config FILE` or `MAILWIRE_CONFIG`), and environment variables. The table in
 * docs/mail-server.md lists them all; keep the two in step.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export type StoreKind = 'sqlite' | 'memory' | 'maildir' | 'postgres';

export interface Ports {
  /** Inbound SMTP (the MX role): local domains only, no AUTH needed. */
  readonly smtp: number;
  /** Submission with STARTTLS, AUTH required (RFC 6409). */
  readonly submission: number;
  /** Submission over implicit TLS (RFC 8314). */
  readonly submissions: number;
  readonly imap: number;
  readonly imaps: number;
  readonly pop3: number;
  readonly pop3s: number;
  /** Prometheus `/metrics` on the loopback address; 0 picks a free port, -1 disables. */
  readonly metrics: number;
}

export interface Limits {
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly idleTimeoutMs: number;
  /** AUTH failures per client IP within `authFailureWindowMs` before it is refused. */
  readonly authFailuresPerIp: number;
  readonly authFailureWindowMs: number;
}

export interface Config {
  readonly host: string;
  /** The name in greetings and Received: headers. */
  readonly hostname: string;
  readonly dataDir: string;
  readonly ports: Ports;
  readonly store: {
    readonly kind: StoreKind;
    readonly url?: string | undefined;
    readonly schema?: string | undefined;
  };
  /** Domains this server receives mail for (plus those added with `domain add`). */
  readonly domains: readonly string[];
  readonly tls: { readonly cert?: string | undefined; readonly key?: string | undefined };
  readonly limits: Limits;
  /** Allow PLAIN/LOGIN over unencrypted connections (tests only). */
  readonly allowInsecureAuth: boolean;
  /** Create the demo account at first start. */
  readonly demo: boolean;
  readonly log: 'json' | 'pretty' | 'auto' | 'silent';
  /** Static routes for outbound mail: domain → host and port, instead of the domain's MX. */
  readonly routes: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
  /** Outbound retry schedule (RFC 5321 §4.5.4.1). */
  readonly retry: { readonly initialMs: number; readonly maxMs: number; readonly lifetimeMs: number };
  /** How often the outbound queue looks for due messages. */
  readonly queueIntervalMs: number;
  /** DKIM-sign submitted mail with this key (RFC 6376); unset: no signature. */
  readonly dkim?: {
    readonly domain: string;
    readonly selector: string;
    readonly keyFile: string;
    readonly algorithm: 'rsa-sha256' | 'ed25519-sha256';
  };
  /** SPF/DKIM/DMARC verdicts on inbound mail (Authentication-Results); DMARC p=reject refused. */
  readonly inboundAuth: boolean;
  /**
   * Apply recipient domains' MTA-STS policies to outbound mail (RFC 8461): `enforce` delivers
   * only to policy MX hosts over validated TLS, `testing` logs failures.
   */
  readonly mtaSts: boolean;
}

export const defaults: Config = {
  host: '127.0.0.1',
  hostname: 'localhost',
  dataDir: './data',
  ports: {
    smtp: 2525,
    submission: 2587,
    submissions: 2465,
    imap: 1143,
    imaps: 1993,
    pop3: 1110,
    pop3s: 1995,
    metrics: 9465,
  },
  store: { kind: 'sqlite' },
  domains: ['example.test'],
  tls: {},
  limits: {
    maxMessageSize: 25 * 1024 * 1024,
    maxRecipients: 100,
    maxConnections: 1000,
    maxConnectionsPerIp: 50,
    idleTimeoutMs: 5 * 60_000,
    authFailuresPerIp: 10,
    authFailureWindowMs: 15 * 60_000,
  },
  allowInsecureAuth: false,
  demo: true,
  log: 'auto',
  routes: {},
  retry: { initialMs: 30 * 60_000, maxMs: 4 * 3600_000, lifetimeMs: 5 * 24 * 3600_000 },
  queueIntervalMs: 30_000,
  inboundAuth: true,
  mtaSts: false,
};

/** Environment variable → setting path, with its parser. */
export const environment: Record<string, { path: string; parse: (value: string) => unknown }> = {
  MAILWIRE_HOST: { path: 'host', parse: String },
  MAILWIRE_HOSTNAME: { path: 'hostname', parse: String },
  MAILWIRE_DATA_DIR: { path: 'dataDir', parse: String },
  MAILWIRE_SMTP_PORT: { path: 'ports.smtp', parse: port },
  MAILWIRE_SUBMISSION_PORT: { path: 'ports.submission', parse: port },
  MAILWIRE_SUBMISSIONS_PORT: { path: 'ports.submissions', parse: port },
  MAILWIRE_IMAP_PORT: { path: 'ports.imap', parse: port },
  MAILWIRE_IMAPS_PORT: { path: 'ports.imaps', parse: port },
  MAILWIRE_POP3_PORT: { path: 'ports.pop3', parse: port },
  MAILWIRE_POP3S_PORT: { path: 'ports.pop3s', parse: port },
  MAILWIRE_METRICS_PORT: { path: 'ports.metrics', parse: port },
  MAILWIRE_STORE: { path: 'store.kind', parse: storeKind },
  MAILWIRE_STORE_URL: { path: 'store.url', parse: String },
  MAILWIRE_STORE_SCHEMA: { path: 'store.schema', parse: String },
  MAILWIRE_DOMAINS: {
    path: 'domains',
    parse: (v) =>
      v
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter(Boolean),
  },
  MAILWIRE_TLS_CERT: { path: 'tls.cert', parse: String },
  MAILWIRE_TLS_KEY: { path: 'tls.key', parse: String },
  MAILWIRE_MAX_MESSAGE_SIZE: { path: 'limits.maxMessageSize', parse: positiveInt },
  MAILWIRE_MAX_RECIPIENTS: { path: 'limits.maxRecipients', parse: positiveInt },
  MAILWIRE_MAX_CONNECTIONS: { path: 'limits.maxConnections', parse: positiveInt },
  MAILWIRE_MAX_CONNECTIONS_PER_IP: { path: 'limits.maxConnectionsPerIp', parse: positiveInt },
  MAILWIRE_IDLE_TIMEOUT_MS: { path: 'limits.idleTimeoutMs', parse: positiveInt },
  MAILWIRE_AUTH_FAILURES_PER_IP: { path: 'limits.authFailuresPerIp', parse: positiveInt },
  MAILWIRE_ALLOW_INSECURE_AUTH: { path: 'allowInsecureAuth', parse: bool },
  MAILWIRE_DEMO: { path: 'demo', parse: bool },
  MAILWIRE_LOG: { path: 'log', parse: (v) => oneOf(v, ['json', 'pretty', 'auto', 'silent']) },
  MAILWIRE_ROUTES: { path: 'routes', parse: routes },
  MAILWIRE_RETRY_INITIAL_MS: { path: 'retry.initialMs', parse: positiveInt },
  MAILWIRE_RETRY_MAX_MS: { path: 'retry.maxMs', parse: positiveInt },
  MAILWIRE_QUEUE_LIFETIME_MS: { path: 'retry.lifetimeMs', parse: positiveInt },
  MAILWIRE_QUEUE_INTERVAL_MS: { path: 'queueIntervalMs', parse: positiveInt },
  MAILWIRE_DKIM_DOMAIN: { path: 'dkim.domain', parse: String },
  MAILWIRE_DKIM_SELECTOR: { path: 'dkim.selector', parse: String },
  MAILWIRE_DKIM_KEY: { path: 'dkim.keyFile', parse: String },
  MAILWIRE_DKIM_ALGORITHM: {
    path: 'dkim.algorithm',
    parse: (v) => oneOf(v, ['rsa-sha256', 'ed25519-sha256']),
  },
  MAILWIRE_INBOUND_AUTH: { path: 'inboundAuth', parse: bool },
  MAILWIRE_MTA_STS: { path: 'mtaSts', parse: bool },
};

/** `domain=host:port,domain2=host` (port 25 when omitted; IPv6 in brackets). */
export function routes(text: string): Record<string, { host: string; port: number }> {
  const out: Record<string, { host: string; port: number }> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^([^=\s]+)=(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+|[a-zA-Z0-9.-]+))(?::(\d+))?$/.exec(entry);
    if (!m) throw new ConfigError(`not a route: ${entry} (use domain=host:port)`);
    out[m[1]!.toLowerCase()] = { host: (m[2] ?? m[3])!, port: m[4] ? port(m[4]) : 25 };
  }
  return out;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1 || n > 65535) throw new ConfigError(`not a port number: ${value}`);
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`not a positive integer: ${value}`);
  return n;
}

function bool(value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`not a boolean: ${value}`);
}

function oneOf<T extends string>(value: string, options: readonly T[]): T {
  if (!options.includes(value as T))
    throw new ConfigError(`expected one of ${options.join(', ')}, got ${value}`);
  return value as T;
}

function storeKind(value: string): StoreKind {
  return oneOf(value, ['sqlite', 'memory', 'maildir', 'postgres']);
}

type Mutable = Record<string, unknown>;

function setPath(target: Mutable, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] = { ...((node[key] as Mutable | undefined) ?? {}) };
    node = node[key] as Mutable;
  }
  node[keys[keys.length - 1]!] = value;
}

function merge(base: Mutable, over: Mutable): Mutable {
  const out: Mutable = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prior && typeof prior === 'object'
        ? merge(prior as Mutable, value as Mutable)
        : value;
  }
  return out;
}

/** Loads the configuration: defaults, then the config file, then the environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.MAILWIRE_CONFIG): Config {
  let config = defaults as unknown as Mutable;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object')
      throw new ConfigError(`config file ${file} must hold a JSON object`);
    config = merge(config, parsed as Mutable);
  }
  const fromEnv: Mutable = {};
  for (const [name, { path, parse }] of Object.entries(environment)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    try {
      setPath(fromEnv, path, parse(value));
    } catch (error) {
      throw new ConfigError(`${name}: ${(error as Error).message}`);
    }
  }
  let result = merge(config, fromEnv) as unknown as Config;
  if (result.store.kind === 'postgres' && !result.store.url) {
    throw new ConfigError('store kind postgres needs MAILWIRE_STORE_URL (postgres://user:pass@host/db)');
  }
  if (result.dkim) {
    const { domain, selector, keyFile } = result.dkim;
    if (!domain || !selector || !keyFile) {
      throw new ConfigError(
        'DKIM signing needs MAILWIRE_DKIM_DOMAIN, MAILWIRE_DKIM_SELECTOR and MAILWIRE_DKIM_KEY',
      );
    }
    result = { ...result, dkim: { ...result.dkim, algorithm: result.dkim.algorithm ?? 'rsa-sha256' } };
  }
  return { ...result, dataDir: resolve(result.dataDir), domains: result.domains.map((d) => d.toLowerCase()) };
}
