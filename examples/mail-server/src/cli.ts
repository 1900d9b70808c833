/**
 * The administration CLI:
 *
 *   mail-server user add ADDRESS [--password P] [--alias A]…   (prompts when --password is absent)
 *   mail-server user list
 *   mail-server user passwd ADDRESS [--password P]
 *   mail-server user quota ADDRESS (SIZE|none) [--messages N]   SIZE like 500M, 2G, 1048576
 *   mail-server user delete ADDRESS
 *   mail-server domain add DOMAIN
 *   mail-server domain list
 *   mail-server queue list
 *   mail-server queue flush          (every queued message due now; wakes a running server)
 *
 * It opens the same store as the server (same configuration and environment).
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { MailStore } from '@mailwire/store';
import { ConfigError, loadConfig } from './config.js';
import { addDomain, localDomains, normalizeDomain } from './domains.js';
import { openQueue } from './outbound.js';
import { openStore } from './store.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export class CliError extends Error {
  override name = 'CliError';
}

function takeFlag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new CliError(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

function takeAll(args: string[], name: string): string[] {
  const out: string[] = [];
  for (let v = takeFlag(args, name); v !== undefined; v = takeFlag(args, name)) out.push(v);
  return out;
}

const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

function checkAddress(address: string | undefined): string {
  if (!address) throw new CliError('an address is required, e.g. alice@example.test');
  if (!ADDRESS.test(address)) throw new CliError(`not an email address: ${address}`);
  return address;
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)B?$/i.exec(text.trim());
  if (!m) throw new CliError(`not a size: ${text} (use e.g. 500M, 2G or a number of bytes)`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[
    m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'
  ];
  return Math.round(Number(m[1]) * unit);
}

async function promptPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    // Scripts may pipe the password on standard input.
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    throw new CliError('no password given (use --password or type it)');
  }
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const ask = async (question: string) => {
    process.stdout.write(question);
    const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
    const answer = await new Promise<string>((r) => rl.question('', r));
    rl.close();
    process.stdout.write('\n');
    return answer;
  };
  const first = await ask('Password: ');
  const second = await ask('Again: ');
  if (first !== second) throw new CliError('the passwords differ');
  return first;
}

async function requireAccount(store: MailStore, address: string) {
  const account = await store.accounts.lookup(address);
  if (!account) throw new CliError(`no such user: ${address}`);
  return account;
}

export async function runCli(
  argv: readonly string[],
  env = process.env,
  print = (s: string) => process.stdout.write(`${s}\n`),
) {
  const args = [...argv];
  const configFile = takeFlag(args, '--config');
  const config = loadConfig(env, configFile ?? env.MAILWIRE_CONFIG);
  const [group, command, ...rest] = args;
  if (group === 'domain') {
    if (command === 'add') {
      const domain = normalizeDomain(rest[0] ?? '');
      if (!domain) throw new CliError(`not a domain name: ${rest[0] ?? '(none)'}`);
      addDomain(config, domain);
      print(`domain ${domain} added`);
      return;
    }
    if (command === 'list') {
      for (const d of [...localDomains(config)].sort()) print(d);
      return;
    }
    throw new CliError('usage: domain add DOMAIN | domain list');
  }
  if (group === 'queue') {
    const queue = openQueue(config);
    try {
      if (command === 'list') {
        const messages = await queue.list();
        if (messages.length === 0) print('queue is empty');
        for (const m of messages) {
          const pending = m.recipients.filter((r) => r.state === 'pending');
          print(
            `${m.id}  ${new Date(m.createdAt).toISOString()}  ${m.size} bytes  from <${m.from}>  attempts ${m.attempts}  next ${new Date(m.nextAttemptAt).toISOString()}`,
          );
          for (const r of pending)
            print(`    to <${r.address}>${r.lastReply ? `  last: ${r.lastReply}` : ''}`);
        }
        return;
      }
      if (command === 'flush') {
        const due = await queue.flush(Date.now());
        const woke = wakeServer(config.dataDir);
        print(
          `${due} message${due === 1 ? '' : 's'} due now${woke ? '; server notified' : ' (no running server found: delivered at its next start)'}`,
        );
        return;
      }
      throw new CliError('usage: queue list | queue flush');
    } finally {
      await (queue as { close?: () => Promise<void> | void }).close?.();
    }
  }
  if (group !== 'user')
    throw new CliError(
      `unknown command: ${[group, command].filter(Boolean).join(' ') || '(none)'}\n${usage}`,
    );
  const store = await openStore(config);
  try {
    switch (command) {
      case 'add': {
        const password = takeFlag(rest, '--password');
        const aliases = takeAll(rest, '--alias').map(checkAddress);
        const address = checkAddress(rest[0]);
        const domain = address.split('@')[1]!.toLowerCase();
        if (!localDomains(config).has(domain))
          throw new CliError(`${domain} is not a local domain (add it with: domain add ${domain})`);
        if (await store.accounts.lookup(address)) throw new CliError(`user exists: ${address}`);
        await store.accounts.createAccount({
          address,
          password: password ?? (await promptPassword()),
          aliases,
        });
        print(`user ${address} added`);
        return;
      }
      case 'list': {
        for (const account of await store.accounts.listAccounts()) {
          const { usage, limits } = await store.accounts.getQuota(account.id);
          const quota = limits.storage
            ? `${usage.storage}/${limits.storage} bytes`
            : `${usage.storage} bytes`;
          print(
            `${account.address}${account.aliases.length ? ` (aliases: ${account.aliases.join(', ')})` : ''}  ${usage.messages} messages, ${quota}`,
          );
        }
        return;
      }
      case 'passwd': {
        const password = takeFlag(rest, '--password');
        const account = await requireAccount(store, checkAddress(rest[0]));
        await store.accounts.setPassword(account.id, password ?? (await promptPassword()));
        print(`password of ${account.address} changed`);
        return;
      }
      case 'quota': {
        const messages = takeFlag(rest, '--messages');
        const account = await requireAccount(store, checkAddress(rest[0]));
        const size = rest[1];
        if (!size) throw new CliError('usage: user quota ADDRESS (SIZE|none) [--messages N]');
        if (size === 'none' && messages === undefined) {
          await store.accounts.setQuota(account.id, undefined);
          print(`quota of ${account.address} removed`);
          return;
        }
        const count = messages === undefined ? undefined : Number(messages);
        if (count !== undefined && (!Number.isSafeInteger(count) || count <= 0))
          throw new CliError(`not a message count: ${messages}`);
        await store.accounts.setQuota(account.id, {
          ...(size === 'none' ? {} : { storage: parseSize(size) }),
          ...(count === undefined ? {} : { messages: count }),
        });
        print(`quota of ${account.address} set`);
        return;
      }
      case 'delete': {
        const account = await requireAccount(store, checkAddress(rest[0]));
        await store.accounts.deleteAccount(account.id);
        print(`user ${account.address} deleted`);
        return;
      }
      default:
        throw new CliError(usage);
    }
  } finally {
    await store.close();
  }
}

/** Signals a running server (pid file in the data dir) to run its queue now. */
function wakeServer(dataDir: string): boolean {
  const pidFile = join(dataDir, 'server.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGUSR1');
    return true;
  } catch {
    return false;
  }
}

const usage = `usage:
  user add ADDRESS [--password P] [--alias A]   user list   user passwd ADDRESS [--password P]
  user quota ADDRESS (SIZE|none) [--messages N]   user delete ADDRESS
  domain add DOMAIN   domain list   queue list   queue flush`;

if (process.argv[1] && /cli\.[tj]s$/.test(process.argv[1])) {
  runCli(process.argv.slice(2)).catch((error: unknown) => {
    if (
      error instanceof CliError ||
      error instanceof ConfigError ||
      (error as { code?: string }).code?.startsWith('ERR_STORE')
    ) {
      process.stderr.write(`mail-server: ${(error as Error).message}\n`);
      process.exit(1);
    }
    throw error;
  });
}
