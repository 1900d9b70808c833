/**
 * `pnpm start`: starts the example mail server with the configuration from the environment (and
 * `--config FILE`), creating a demo account at first start, and prints how to use it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startServer } from './server.js';

const configFlag = process.argv.indexOf('--config');
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(
    process.env,
    configFlag >= 0 ? process.argv[configFlag + 1] : process.env.MAILWIRE_CONFIG,
  );
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`mail-server: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
const logger = createLogger(config.log);
const server = await startServer(config, logger);

let demo: { address: string; password: string } | undefined;
if (config.demo) {
  const demoFile = join(config.dataDir, 'demo-account.json');
  const address = `alice@${config.domains[0] ?? 'example.test'}`;
  if (existsSync(demoFile)) {
    demo = JSON.parse(readFileSync(demoFile, 'utf8')) as { address: string; password: string };
  } else if (!(await server.store.accounts.lookup(address))) {
    demo = { address, password: randomBytes(9).toString('base64url') };
    await server.store.accounts.createAccount({ address, password: demo.password });
    writeFileSync(demoFile, `${JSON.stringify(demo)}\n`, { mode: 0o600 });
  }
}

const p = server.ports;
const lines = [
  '',
  `Mailwire example mail server on ${config.host} (data in ${config.dataDir}, store: ${config.store.kind})`,
  `  SMTP (MX)      ${p.smtp}        submission ${p.submission} (STARTTLS) / ${p.submissions} (TLS), AUTH required`,
  `  IMAP           ${p.imap ?? '-'} (STARTTLS) / ${p.imaps ?? '-'} (TLS)`,
  `  POP3           ${p.pop3} (STLS) / ${p.pop3s} (TLS)`,
  `  metrics        http://127.0.0.1:${p.metrics}/metrics`,
  `  certificate    ${server.certificate.path}${server.certificate.generated ? ' (self-signed, generated now)' : ''}`,
];
if (demo) {
  lines.push(
    '',
    `Demo account: ${demo.address}  password: ${demo.password}`,
    '',
    'Try it:',
    `  swaks --server ${config.host}:${p.smtp} --from bob@elsewhere.test --to ${demo.address}`,
    `  curl --ssl-reqd -k pop3://${config.host}:${p.pop3}/ -u '${demo.address}:${demo.password}'`,
    `  python3 -c "import poplib,ssl; c=poplib.POP3('${config.host}',${p.pop3}); c.stls(ssl._create_unverified_context()); c.user('${demo.address}'); c.pass_('${demo.password}'); print(c.stat())"`,
    `  Thunderbird: IMAP ${config.host}:${p.imap ?? p.imaps} STARTTLS, SMTP ${config.host}:${p.submission} STARTTLS, user ${demo.address} (accept the self-signed certificate)`,
  );
}
process.stdout.write(`${lines.join('\n')}\n\n`);

// The CLI's `queue flush` finds us here and asks for a queue run with SIGUSR1.
const pidFile = join(config.dataDir, 'server.pid');
writeFileSync(pidFile, `${process.pid}\n`);
process.on('SIGUSR1', () => server.outbound.agent.wake());

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.log('info', 'shutting down', { signal });
  await server.close();
  rmSync(pidFile, { force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
