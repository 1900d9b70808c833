import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError, parseSize, runCli } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/store.js';

let dataDir: string;
let env: Record<string, string>;
let printed: string[];
const cli = (...args: string[]) =>
  runCli(args, env, (line) => {
    printed.push(line);
    return true;
  });

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'mailwire-cli-'));
  env = { MAILWIRE_DATA_DIR: dataDir, MAILWIRE_DOMAINS: 'example.test' };
  printed = [];
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('mail-server CLI', () => {
  it('adds, lists, re-passwords and deletes users in the configured store', async () => {
    await cli('user', 'add', 'alice@example.test', '--password', 'one', '--alias', 'al@example.test');
    await cli('user', 'list');
    expect(printed[1]).toMatch(/^alice@example\.test \(aliases: al@example\.test\)\s+0 messages, 0 bytes$/);
    await cli('user', 'passwd', 'al@example.test', '--password', 'two');
    const store = await openStore(loadConfig(env, undefined));
    expect(await store.accounts.verifyPassword('alice@example.test', 'one')).toBeUndefined();
    expect((await store.accounts.verifyPassword('alice@example.test', 'two'))?.address).toBe(
      'alice@example.test',
    );
    await store.close();
    await cli('user', 'delete', 'alice@example.test');
    printed = [];
    await cli('user', 'list');
    expect(printed).toEqual([]);
  });

  it('sets and removes quotas with human sizes', async () => {
    await cli('user', 'add', 'bob@example.test', '--password', 'pw');
    await cli('user', 'quota', 'bob@example.test', '500M', '--messages', '1000');
    const store = await openStore(loadConfig(env, undefined));
    const account = (await store.accounts.lookup('bob@example.test'))!;
    expect((await store.accounts.getQuota(account.id)).limits).toEqual({
      storage: 500 * 1024 * 1024,
      messages: 1000,
    });
    await store.close();
    await cli('user', 'quota', 'bob@example.test', 'none');
    expect(printed.at(-1)).toBe('quota of bob@example.test removed');
  });

  it('adds domains, and refuses users of domains it does not serve', async () => {
    await expect(cli('user', 'add', 'carol@other.test', '--password', 'x')).rejects.toThrow(
      /other\.test is not a local domain/,
    );
    await cli('domain', 'add', 'Other.Test');
    await cli('user', 'add', 'carol@other.test', '--password', 'x');
    printed = [];
    await cli('domain', 'list');
    expect(printed).toEqual(['example.test', 'other.test']);
  });

  it('gives clear errors for bad input', async () => {
    await expect(cli('user', 'add', 'not-an-address', '--password', 'x')).rejects.toThrow(CliError);
    await expect(cli('user', 'add', 'not-an-address', '--password', 'x')).rejects.toThrow(
      'not an email address: not-an-address',
    );
    await expect(cli('user', 'passwd', 'ghost@example.test', '--password', 'x')).rejects.toThrow(
      'no such user: ghost@example.test',
    );
    await expect(cli('user', 'add', 'a@example.test', '--password')).rejects.toThrow(
      '--password needs a value',
    );
    await expect(cli('domain', 'add', 'not a domain')).rejects.toThrow('not a domain name');
    await expect(cli('frobnicate')).rejects.toThrow(/unknown command: frobnicate/);
    await cli('user', 'add', 'dup@example.test', '--password', 'x');
    await expect(cli('user', 'add', 'dup@example.test', '--password', 'x')).rejects.toThrow(
      'user exists: dup@example.test',
    );
    expect(() => parseSize('lots')).toThrow(CliError);
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
  });
});
