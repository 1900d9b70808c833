/**
 * End to end over real sockets with clients nobody here wrote: Python's poplib and curl, against
 * `serve()` on `@mailwire/node`'s `listen()` and the in-memory store.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, type MailwireServer, createSelfSignedCertificate } from '@mailwire/node';
import { createMemoryStore, type MailStore } from '@mailwire/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/index.js';
import { bytesOf } from './helpers.js';

const MESSAGES = [
  'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: first\r\n\r\nHello Alice.\r\n.\r\n..dots\r\n.x\r\n',
  'Subject: unix line endings\n\nline one\n.line two\n',
  'Subject: third\r\n\r\n\u00e9t\u00e9 8-bit body\r\nlast line without newline',
];

function canonical(text: string): string {
  let out = text.replace(/\r?\n/g, '\r\n');
  if (!out.endsWith('\r\n')) out += '\r\n';
  return out;
}

function run(
  file: string,
  args: readonly string[],
  input?: string,
  env?: NodeJS.ProcessEnv,
): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const options = { encoding: 'buffer' as const, timeout: 20_000, ...(env ? { env } : {}) };
    const child = execFile(file, args, options, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${error.message}\n${stderr.toString()}`));
      else resolve({ stdout, stderr: stderr.toString() });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** fetchmail is a Debian package CI installs (.ci/run); elsewhere its test is skipped. */
const HAS_FETCHMAIL = spawnSync('fetchmail', ['--version']).error === undefined;

const POPLIB_SCRIPT = String.raw`
import json, poplib, ssl, sys
port, tls, user = int(sys.argv[1]), sys.argv[2] == 'stls', sys.argv[3]
p = poplib.POP3('127.0.0.1', port, timeout=10)
out = {'welcome': p.getwelcome().decode()}
out['capa'] = sorted(p.capa().keys())
if tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    p.stls(ctx)
    out['capa_after_tls'] = sorted(p.capa().keys())
p.user(user)
p.pass_('secret')
out['stat'] = list(p.stat())
resp, listing, _ = p.list()
out['list'] = [l.decode() for l in listing]
resp, uidls, _ = p.uidl()
out['uidl'] = [l.decode() for l in uidls]
out['retr'] = []
for n in range(1, out['stat'][0] + 1):
    resp, lines, octets = p.retr(n)
    out['retr'].append({'resp': resp.decode(), 'hex': (b'\r\n'.join(lines) + b'\r\n').hex()})
resp, lines, _ = p.top(1, 0)
out['top'] = (b'\r\n'.join(lines) + b'\r\n').hex()
out['dele'] = p.dele(2).decode()
out['quit'] = p.quit().decode()
print(json.dumps(out))
`;

describe('end to end over TCP', () => {
  let store: MailStore;
  let server: MailwireServer;
  /** Whether each finished connection had upgraded to TLS. */
  const secureAtEnd: boolean[] = [];

  /** Waits until `n` connections have finished on the server (they end just after the client). */
  async function connectionsDone(n: number): Promise<void> {
    for (let i = 0; i < 200 && secureAtEnd.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  }

  /** A fresh account holding MESSAGES. */
  async function account(address: string): Promise<{ mailboxId: string; uidValidity: number }> {
    const created = await store.accounts.createAccount({ address, password: 'secret' });
    const mailbox = (await store.getMailbox(created.id, 'INBOX'))!;
    for (const text of MESSAGES) await store.deliver(address, bytesOf(text), { internalDate: 0 });
    return { mailboxId: mailbox.id, uidValidity: mailbox.uidValidity };
  }

  async function remaining(mailboxId: string): Promise<number> {
    return (await store.fetchMessages(mailboxId, [[1, Number.POSITIVE_INFINITY]])).length;
  }

  beforeAll(async () => {
    store = createMemoryStore();
    const { key, cert } = createSelfSignedCertificate();
    server = await listen({
      port: 0,
      tls: { key, cert },
      onConnection: async (transport) => {
        await serve(transport, { store, allowInsecureAuth: true, starttls: true });
        secureAtEnd.push(transport.info.secure);
      },
    });
  });

  afterAll(async () => {
    await server?.close({ graceMs: 1000 });
  });

  for (const mode of ['plain', 'stls'] as const) {
    it(`Python poplib (${mode}): stat, list, uidl, retr bytes equal what was stored, dele, quit`, async () => {
      const address = `${mode}@example.com`;
      const { mailboxId, uidValidity } = await account(address);
      const before = secureAtEnd.length;
      const { stdout } = await run('python3', ['-c', POPLIB_SCRIPT, String(server.port), mode, address]);
      await connectionsDone(before + 1);
      expect(secureAtEnd.slice(before)).toEqual([mode === 'stls']);
      const out = JSON.parse(stdout.toString()) as {
        capa: string[];
        capa_after_tls?: string[];
        stat: [number, number];
        list: string[];
        uidl: string[];
        retr: { resp: string; hex: string }[];
        top: string;
        dele: string;
        quit: string;
      };
      expect(out.capa).toEqual(
        expect.arrayContaining(['TOP', 'UIDL', 'USER', 'PIPELINING', 'RESP-CODES', 'STLS']),
      );
      if (mode === 'stls') expect(out.capa_after_tls).not.toContain('STLS');
      expect(out.stat[0]).toBe(MESSAGES.length);
      MESSAGES.forEach((text, i) => {
        const wire = Buffer.from(canonical(text), 'latin1');
        expect(Buffer.from(out.retr[i]!.hex, 'hex').equals(wire)).toBe(true);
        expect(out.retr[i]!.resp).toBe(`+OK ${wire.length} octets`);
        expect(out.list[i]).toBe(`${i + 1} ${wire.length}`);
      });
      expect(out.stat[1]).toBe(
        MESSAGES.reduce((sum, t) => sum + Buffer.byteLength(canonical(t), 'latin1'), 0),
      );
      expect(out.uidl[0]).toBe(`1 ${uidValidity}.1`);
      expect(Buffer.from(out.top, 'hex').toString('latin1')).toBe(
        'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: first\r\n\r\n',
      );
      expect(out.dele).toBe('+OK message 2 deleted');
      expect(out.quit).toMatch(/^\+OK/);
      expect(await remaining(mailboxId)).toBe(MESSAGES.length - 1);
    });
  }

  it('curl pop3:// lists and retrieves a message byte for byte', async () => {
    const { mailboxId } = await account('curl@example.com');
    const url = `pop3://127.0.0.1:${server.port}`;
    const auth = ['-u', 'curl@example.com:secret', '--max-time', '15', '-sS'];
    const list = await run('curl', [...auth, `${url}/`]);
    const lines = list.stdout.toString('latin1').trim().split('\r\n');
    expect(lines[0]).toMatch(/^1 \d+$/);
    const one = await run('curl', [...auth, `${url}/1`]);
    expect(one.stdout.toString('latin1')).toBe(canonical(MESSAGES[0]!));
    expect(one.stdout.length).toBe(Number(lines[0]!.split(' ')[1]));
    // A second connection works: the first one released the maildrop lock.
    const again = await run('curl', [...auth, `${url}/1`]);
    expect(again.stdout.equals(one.stdout)).toBe(true);
    expect(await remaining(mailboxId)).toBe(MESSAGES.length);
  });

  it.skipIf(!HAS_FETCHMAIL)(
    'fetchmail (STLS, UIDL) fetches every message and deletes them at QUIT',
    async () => {
      const { mailboxId } = await account('fetchmail@example.com');
      const dir = mkdtempSync(join(tmpdir(), 'mailwire-pop3-fetchmail-'));
      try {
        const rc = join(dir, 'fetchmailrc');
        writeFileSync(
          rc,
          [
            'set no bouncemail',
            `poll 127.0.0.1 service ${server.port} protocol POP3 uidl auth password timeout 15`,
            `  user "fetchmail@example.com" password "secret" is "nobody" here`,
            '  sslproto tls1.2+ no sslcertck',
            `  mda "/bin/sh -c 'cat > ${dir}/msg.$$'"`,
            '',
          ].join('\n'),
        );
        chmodSync(rc, 0o600);
        const env = { ...process.env, HOME: dir, FETCHMAILHOME: dir };
        const before = secureAtEnd.length;
        await run('fetchmail', ['-N', '--nosyslog', '-f', rc, '-i', join(dir, 'ids')], undefined, env);
        await connectionsDone(before + 1);
        expect(secureAtEnd.slice(before)).toEqual([true]);
        const delivered = readdirSync(dir)
          .filter((f) => f.startsWith('msg.'))
          .map((f) => readFileSync(join(dir, f), 'latin1').replace(/\r\n/g, '\n'));
        expect(delivered).toHaveLength(MESSAGES.length);
        for (const text of MESSAGES) {
          // fetchmail prepends a Received: header and hands the MDA LF line endings.
          const lf = canonical(text).replace(/\r\n/g, '\n');
          expect(delivered.some((d) => d.endsWith(lf))).toBe(true);
        }
        expect(await remaining(mailboxId)).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
