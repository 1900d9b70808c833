/**
 * Starting and stopping the two servers, each pinned to core 0 (`taskset -c 0`) when taskset exists.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { PASSWORD, USER } from './populate.js';

export interface RunningServer {
  readonly port: number;
  stop(): Promise<void>;
}

const DOVECOT = '/usr/sbin/dovecot';

export function dovecotInstalled(): boolean {
  return existsSync(DOVECOT);
}

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function pinned(core: number, command: string, args: readonly string[]): [string, string[]] {
  return hasTaskset ? ['taskset', ['-c', String(core), command, ...args]] : [command, [...args]];
}

/** Pins this process (the client) to `cores` (a taskset list such as `1` or `0-1`). */
export function pinSelf(cores: string): void {
  if (hasTaskset)
    execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });
}

function freePort(): number {
  const out = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ]);
  return Number(out.toString().trim());
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

async function waitForListener(port: number, child: ChildProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function userIds(name: string): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', name]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', name]).toString().trim()),
  };
}

/** The user Dovecot's mail processes run as, and owner of the Maildir. */
export function dovecotMailUser(): { name: string; uid: number; gid: number } {
  return { name: 'dovecot', ...userIds('dovecot') };
}

/**
 * A throwaway Dovecot 2.3 instance in `dir` (config, sockets, state, log), plaintext LOGIN on
 * 127.0.0.1 only, serving `<dir>/Maildir` as the INBOX of one passwd-file user.
 */
export async function startDovecot(dir: string): Promise<RunningServer> {
  const port = freePort();
  const mailUser = dovecotMailUser();
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'state', 'home']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'users'), `${USER}:{PLAIN}${PASSWORD}\n`);
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = mailwire-bench-${port}
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${mailUser.name}
default_internal_group = ${mailUser.name}
default_login_user = dovenull
mail_location = maildir:${dir}/Maildir
mail_uid = ${mailUser.uid}
mail_gid = ${mailUser.gid}
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${mailUser.uid} gid=${mailUser.gid} home=${dir}/home
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`,
  );
  execFileSync('chown', [`${mailUser.uid}:${mailUser.gid}`, join(dir, 'home')]);
  const [command, args] = pinned(0, DOVECOT, ['-F', '-c', conf]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForListener(port, child);
  return { port, stop: stopper(child) };
}

/** The Mailwire server script (mailwire-imap.ts) in a child process on the store in `storeDir`. */
export async function startMailwire(storeDir: string): Promise<RunningServer> {
  const script = resolve(import.meta.dirname, 'mailwire-imap.ts');
  const [command, args] = pinned(0, process.execPath, [
    '--conditions=@mailwire/source',
    '--import',
    'tsx',
    script,
    storeDir,
  ]);
  const child = spawn(command, args, {
    cwd: resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(\d+)\n/.exec(out);
      if (m) ok(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`mailwire-imap exited with ${code}`)));
  });
  return { port, stop: stopper(child) };
}
