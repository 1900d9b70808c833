import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeResolver } from '@mailwire/dns';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { type RunningServer, type ServerHooks, startServer } from '../src/server.js';

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  readonly env: Record<string, string>;
  restart(): Promise<TestServer>;
  dispose(): Promise<void>;
}

/** Starts the example server on free ports with a fresh data directory (or the given one). */
export async function startTestServer(
  options: { dataDir?: string; env?: Record<string, string>; hooks?: ServerHooks } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mailwire-e2e-'));
  const env: Record<string, string> = {
    MAILWIRE_DATA_DIR: dataDir,
    MAILWIRE_LOG: 'silent',
    MAILWIRE_DOMAINS: 'example.test,second.test',
    MAILWIRE_SMTP_PORT: '0',
    MAILWIRE_SUBMISSION_PORT: '0',
    MAILWIRE_SUBMISSIONS_PORT: '0',
    MAILWIRE_IMAP_PORT: '0',
    MAILWIRE_IMAPS_PORT: '0',
    MAILWIRE_POP3_PORT: '0',
    MAILWIRE_POP3S_PORT: '0',
    MAILWIRE_METRICS_PORT: '0',
    MAILWIRE_DEMO: 'false',
    ...options.env,
  };
  const config = loadConfig(env, undefined);
  // Tests never ask the system's DNS: an empty fake zone unless the test brings its own.
  const hooks: ServerHooks = { resolver: createFakeResolver({}), ...options.hooks };
  const server = await startServer(config, createLogger('silent'), hooks);
  let disposed = false;
  return {
    ...server,
    dataDir,
    env,
    async restart() {
      await server.close();
      disposed = true;
      return startTestServer({ ...options, dataDir });
    },
    async dispose() {
      if (!disposed) await server.close();
      disposed = true;
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion (never throws on a non-zero exit). */
export function run(
  command: string,
  args: readonly string[],
  input?: string,
  timeoutMs = 30_000,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs a Python 3 script (standard library clients: smtplib, poplib, imaplib). */
export function python(script: string, args: readonly (string | number)[] = []): Promise<RunResult> {
  return run('python3', ['-c', script, ...args.map(String)]);
}

export const PASSWORD = 'correct horse battery staple';

export async function addUser(server: RunningServer, address: string, password = PASSWORD) {
  return server.store.accounts.createAccount({ address, password });
}
