/**
 * End to end over real sockets: @mailwire/node's listen() + serve(), driven by clients nobody here
 * wrote — Python's smtplib and curl.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { latin1 } from '@mailwire/core';
import { createSelfSignedCertificate, listen, type MailwireServer } from '@mailwire/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpEnvelope, serve } from '../src/index.js';

const run = promisify(execFile);

interface Delivered {
  readonly envelope: SmtpEnvelope;
  readonly body: string;
}

let server: MailwireServer;
let dir: string;
const delivered: Delivered[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailwire-smtp-e2e-'));
  const cert = createSelfSignedCertificate();
  server = await listen({
    port: 0,
    tls: cert,
    onConnection: async (transport) => {
      await serve(
        transport,
        {
          onAuth: (c) =>
            c.mechanism !== 'SCRAM-SHA-256' &&
            'password' in c &&
            c.username === 'alice' &&
            c.password === 'secret',
          onRcptTo: (to) =>
            to.localPart === 'nobody' ? { code: 550, enhanced: '5.1.1', text: 'No such user' } : undefined,
          async onData(message, envelope) {
            let body = '';
            for await (const chunk of message) body += latin1(chunk);
            delivered.push({ envelope, body });
            return undefined;
          },
        },
        {
          hostname: 'localhost',
          starttls: true,
          auth: { mechanisms: ['PLAIN', 'LOGIN'] },
          sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))),
          now: () => performance.now(),
        },
      );
    },
  });
});

afterAll(async () => {
  await server?.close({ graceMs: 100 });
  if (dir) await rm(dir, { recursive: true, force: true });
});

const PYTHON = `
import smtplib, ssl, sys, json
port = int(sys.argv[1])
out = {}
s = smtplib.SMTP('127.0.0.1', port, timeout=10)
out['ehlo'] = s.ehlo()[0]
out['features'] = sorted(s.esmtp_features.keys())
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
out['starttls'] = s.starttls(context=ctx)[0]
out['ehlo2'] = s.ehlo()[0]
out['features2'] = sorted(s.esmtp_features.keys())
try:
    s.login('alice', 'wrong')
except smtplib.SMTPAuthenticationError as e:
    out['badlogin'] = e.smtp_code
out['login'] = s.login('alice', 'secret')[0]
msg = 'From: a@example.org\\r\\nTo: b@example.org\\r\\nSubject: e2e\\r\\n\\r\\n.leading dot\\r\\n..two\\r\\nbody\\r\\n'
refused = s.sendmail('a@example.org', ['b@example.org', 'nobody@example.org'], msg)
out['refused'] = {k: v[0] for k, v in refused.items()}
out['quit'] = s.quit()[0]
print(json.dumps(out))
`;

describe('e2e over @mailwire/node', () => {
  it('Python smtplib: EHLO, STARTTLS, AUTH, a refused recipient, a dot-stuffed message', async () => {
    const before = delivered.length;
    const { stdout } = await run('python3', ['-c', PYTHON, String(server.port)], { timeout: 20_000 });
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ ehlo: 250, starttls: 220, ehlo2: 250, badlogin: 535, login: 235, quit: 221 });
    expect(out.features).toContain('starttls');
    expect(out.features).not.toContain('auth');
    expect(out.features2).toContain('auth');
    expect(out.features2).not.toContain('starttls');
    expect(out.refused).toEqual({ 'nobody@example.org': 550 });
    const message = delivered.at(before);
    expect(message?.body).toBe(
      'From: a@example.org\r\nTo: b@example.org\r\nSubject: e2e\r\n\r\n.leading dot\r\n..two\r\nbody\r\n',
    );
    expect(message?.envelope).toMatchObject({
      user: 'alice',
      secure: true,
      recipients: [{ to: { localPart: 'b' } }],
    });
  });

  it('curl: plain SMTP and STARTTLS uploads', async () => {
    const file = join(dir, 'mail.txt');
    await writeFile(file, 'Subject: curl\r\n\r\nHello from curl\r\n.\r\nnot the end\r\n');
    const before = delivered.length;
    await run(
      'curl',
      [
        '-sS',
        `smtp://127.0.0.1:${server.port}`,
        '--mail-from',
        'a@example.org',
        '--mail-rcpt',
        'c@example.org',
        '--upload-file',
        file,
      ],
      { timeout: 20_000 },
    );
    await run(
      'curl',
      [
        '-sS',
        '--ssl-reqd',
        '-k',
        `smtp://127.0.0.1:${server.port}`,
        '--mail-from',
        'a@example.org',
        '--mail-rcpt',
        'd@example.org',
        '--upload-file',
        file,
      ],
      { timeout: 20_000 },
    );
    expect(
      delivered.slice(before).map((d) => [d.envelope.recipients[0]?.to.localPart, d.envelope.secure, d.body]),
    ).toEqual([
      ['c', false, 'Subject: curl\r\n\r\nHello from curl\r\n.\r\nnot the end\r\n'],
      ['d', true, 'Subject: curl\r\n\r\nHello from curl\r\n.\r\nnot the end\r\n'],
    ]);
  });
});
