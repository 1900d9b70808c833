/**
 * Operating the server: the `pnpm start` entry point (demo account, printed instructions, SIGTERM),
 * per-IP connection limits, AUTH failure throttling, and the spam-scoring hook.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addUser, PASSWORD, python, startTestServer } from './helpers.js';

function firstLine(port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    socket.setEncoding('latin1');
    socket.once('data', (d: string) => {
      ok(d.split('\r\n')[0]!);
      socket.destroy();
    });
    socket.once('error', fail);
  });
}

describe('the start command', () => {
  it('creates and prints a demo account, serves it, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mailwire-start-'));
    const env: Record<string, string | undefined> = {
      ...process.env,
      MAILWIRE_DATA_DIR: dataDir,
      MAILWIRE_LOG: 'json',
      MAILWIRE_INBOUND_AUTH: 'false',
    };
    for (const name of ['SMTP', 'SUBMISSION', 'SUBMISSIONS', 'IMAP', 'IMAPS', 'POP3', 'POP3S', 'METRICS'])
      env[`MAILWIRE_${name}_PORT`] = '0';
    const child = spawn(
      process.execPath,
      ['--conditions=@mailwire/source', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: resolve(import.meta.dirname, '..'),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((ok, fail) => {
        child.stdout.on('data', (d: string) => {
          out += d;
          if (out.includes('Thunderbird')) ok();
        });
        child.once('exit', (code) => fail(new Error(`exited with ${code}: ${out}`)));
      });
      const account = /Demo account: (\S+)\s+password: (\S+)/.exec(out)!;
      expect(account[1]).toBe('alice@example.test');
      const pop3 = Number(/POP3\s+(\d+) \(STLS\)/.exec(out)![1]);
      expect(await firstLine(pop3)).toMatch(/^\+OK/);
      const stat = await python(
        `import poplib, ssl, sys
c = poplib.POP3('127.0.0.1', int(sys.argv[1])); c.stls(ssl._create_unverified_context())
c.user(sys.argv[2]); c.pass_(sys.argv[3]); print(c.stat()); c.quit()`,
        [pop3, account[1]!, account[2]!],
      );
      expect(stat.stdout.trim()).toBe('(0, 0)');
      const exited = new Promise<number | null>((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('abuse limits', () => {
  it('answers a connection over the per-IP limit with 421 and closes it', async () => {
    const server = await startTestServer({ env: { MAILWIRE_MAX_CONNECTIONS_PER_IP: '2' } });
    const held = [connect(server.ports.smtp!, '127.0.0.1'), connect(server.ports.smtp!, '127.0.0.1')];
    try {
      await Promise.all(held.map((s) => new Promise((r) => s.once('data', r))));
      expect(await firstLine(server.ports.smtp!)).toMatch(/^421 4\.7\.0/);
    } finally {
      for (const s of held) s.destroy();
      await server.dispose();
    }
  });

  it('throttles an address after repeated AUTH failures, even with the right password', async () => {
    const server = await startTestServer({
      env: { MAILWIRE_AUTH_FAILURES_PER_IP: '2', MAILWIRE_ALLOW_INSECURE_AUTH: 'true' },
    });
    await addUser(server, 'alice@example.test');
    const script = `
import poplib, sys
out = []
for password in ['bad1', 'bad2', sys.argv[2]]:
    c = poplib.POP3('127.0.0.1', int(sys.argv[1]))
    c.user('alice@example.test')
    try:
        c.pass_(password); out.append('ok')
    except poplib.error_proto as e:
        out.append(e.args[0].decode())
    c.close()
print('|'.join(out))`;
    try {
      const result = await python(script, [server.ports.pop3!, PASSWORD]);
      const [first, second, third] = result.stdout.trim().split('|');
      expect(first).toMatch(/^-ERR \[AUTH\]/);
      expect(second).toMatch(/^-ERR \[AUTH\]/);
      expect(third).toMatch(/^-ERR \[AUTH\] too many failures/);
    } finally {
      await server.dispose();
    }
  });

  it('lets the spam hook refuse a message or add headers', async () => {
    const server = await startTestServer({
      hooks: {
        async spamCheck(file) {
          const { readFileSync } = await import('node:fs');
          const text = readFileSync(file, 'latin1');
          if (text.includes('cheap pills'))
            return { reject: { code: 550, enhanced: '5.7.1', text: 'Message looks like spam' } };
          return { headers: 'X-Spam-Score: 0.1\r\n' };
        },
      },
    });
    await addUser(server, 'alice@example.test');
    const send = `
import smtplib, sys
with smtplib.SMTP('127.0.0.1', int(sys.argv[1])) as s:
    try:
        s.sendmail('x@elsewhere.test', ['alice@example.test'], sys.argv[2].encode()); print('OK')
    except smtplib.SMTPDataError as e:
        print('REFUSED', e.smtp_code)`;
    try {
      expect(
        (await python(send, [server.ports.smtp!, 'Subject: offer\r\n\r\ncheap pills\r\n'])).stdout.trim(),
      ).toBe('REFUSED 550');
      expect((await python(send, [server.ports.smtp!, 'Subject: hello\r\n\r\nhi\r\n'])).stdout.trim()).toBe(
        'OK',
      );
      const account = await server.store.accounts.lookup('alice@example.test');
      const box = await server.store.getMailbox(account!.id, 'INBOX');
      const [meta] = await server.store.fetchMessages(box!.id, [[1, Number.POSITIVE_INFINITY]]);
      const chunks: Buffer[] = [];
      for await (const c of await server.store.readMessage({ mailboxId: box!.id, uid: meta!.uid }))
        chunks.push(Buffer.from(c));
      expect(Buffer.concat(chunks).toString('latin1')).toMatch(/X-Spam-Score: 0\.1\r\n/);
    } finally {
      await server.dispose();
    }
  });
});
