/**
 * End to end with clients nobody here wrote: Python's smtplib and poplib, curl, swaks and
 * nodemailer against the example server on real sockets.
 */
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, PASSWORD, python, run, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await addUser(server, 'alice@example.test');
  await addUser(server, 'bob@second.test');
});
afterAll(() => server?.dispose());

const SEND = `
import smtplib, sys
port, sender, rcpt, body = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with smtplib.SMTP('127.0.0.1', port) as s:
    s.ehlo('client.example')
    try:
        refused = s.sendmail(sender, [rcpt], body.encode().replace(b'\\n', b'\\r\\n'))
        print('OK', refused)
    except smtplib.SMTPRecipientsRefused as e:
        for r, (code, msg) in e.recipients.items():
            print('REFUSED', code, msg.decode())
`;

// poplib with STLS; prints JSON of what it saw. Optional actions: dele N, drop (no QUIT).
const POP = `
import poplib, ssl, sys, json, base64
port, user, password, action = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
c = poplib.POP3('127.0.0.1', port, timeout=10)
c.stls(ssl._create_unverified_context())
c.user(user); c.pass_(password)
count, size = c.stat()
out = {'count': count, 'size': size, 'uidl': [u.decode() for u in c.uidl()[1]], 'messages': []}
for i in range(1, count + 1):
    resp, lines, octets = c.retr(i)
    out['messages'].append({'octets': octets, 'b64': base64.b64encode(b'\\r\\n'.join(lines) + b'\\r\\n').decode()})
if action.startswith('dele'):
    c.dele(int(action.split()[1]))
if action == 'drop':
    c.sock.close()
else:
    c.quit()
print(json.dumps(out))
`;

async function pop(user: string, action = 'none') {
  const result = await python(POP, [server.ports.pop3!, user, PASSWORD, action]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as {
    count: number;
    size: number;
    uidl: string[];
    messages: { octets: number; b64: string }[];
  };
}

describe('inbound SMTP → POP3', () => {
  it('delivers with smtplib and retrieves the same bytes with poplib, sizes exact', async () => {
    const body =
      'From: x@elsewhere.test\nTo: alice@example.test\nSubject: first\n\nHello Alice.\n..leading dot\n';
    const sent = await python(SEND, [server.ports.smtp!, 'x@elsewhere.test', 'alice@example.test', body]);
    expect(sent.stdout.trim()).toBe('OK {}');
    const seen = await pop('alice@example.test');
    expect(seen.count).toBe(1);
    const message = Buffer.from(seen.messages[0]!.b64, 'base64').toString('latin1');
    // The server prepends its verdicts (RFC 8601) and its Received: trace header (RFC 5321 §4.4);
    // the rest is byte-identical.
    expect(message).toMatch(
      /^Authentication-Results: localhost;\s+spf=none[\s\S]*?\r\nReceived: from client\.example \(\[127\.0\.0\.1\]\)/,
    );
    expect(message.endsWith(body.replace(/\n/g, '\r\n'))).toBe(true);
    expect(seen.size).toBe(Buffer.byteLength(message, 'latin1'));
  });

  it('refuses relaying for other domains with 554 5.7.1 and unknown local users with 550', async () => {
    const relay = await python(SEND, [
      server.ports.smtp!,
      'x@elsewhere.test',
      'victim@far.test',
      'Subject: x\n\nx\n',
    ]);
    expect(relay.stdout).toMatch(/^REFUSED 554 5\.7\.1/);
    const unknown = await python(SEND, [
      server.ports.smtp!,
      'x@elsewhere.test',
      'nobody@example.test',
      'Subject: x\n\nx\n',
    ]);
    expect(unknown.stdout).toMatch(/^REFUSED 550 5\.1\.1/);
  });

  it('keeps UIDLs across reconnects, deletes nothing on a dropped connection, deletes on DELE + QUIT', async () => {
    await python(SEND, [server.ports.smtp!, 'x@elsewhere.test', 'bob@second.test', 'Subject: one\n\n1\n']);
    await python(SEND, [server.ports.smtp!, 'x@elsewhere.test', 'bob@second.test', 'Subject: two\n\n2\n']);
    const first = await pop('bob@second.test', 'drop');
    expect(first.count).toBe(2);
    const again = await pop('bob@second.test', 'dele 1');
    expect(again.uidl).toEqual(first.uidl);
    const after = await pop('bob@second.test');
    expect(after.count).toBe(1);
    expect(after.uidl[0]!.split(' ')[1]).toBe(first.uidl[1]!.split(' ')[1]);
  });
});

describe('curl and swaks', () => {
  it('curl uploads over SMTP and reads it back over POP3S (implicit TLS)', async () => {
    const mail = 'From: c@elsewhere.test\r\nTo: alice@example.test\r\nSubject: via curl\r\n\r\ncurl body\r\n';
    const up = await run(
      'curl',
      [
        '-sS',
        `smtp://127.0.0.1:${server.ports.smtp}`,
        '--mail-from',
        'c@elsewhere.test',
        '--mail-rcpt',
        'alice@example.test',
        '--upload-file',
        '-',
      ],
      mail,
    );
    expect(up.code).toBe(0);
    const list = await run('curl', [
      '-sS',
      '-k',
      `pop3s://127.0.0.1:${server.ports.pop3s}/`,
      '-u',
      `alice@example.test:${PASSWORD}`,
    ]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split(/\r?\n/);
    const last = lines[lines.length - 1]!.split(' ')[0];
    const retr = await run('curl', [
      '-sS',
      '-k',
      `pop3s://127.0.0.1:${server.ports.pop3s}/${last}`,
      '-u',
      `alice@example.test:${PASSWORD}`,
    ]);
    expect(retr.stdout).toContain('Subject: via curl');
    expect(retr.stdout).toContain('curl body');
  });

  it('swaks submits with STARTTLS and AUTH PLAIN on the submission port', async () => {
    const result = await run('swaks', [
      '--server',
      `127.0.0.1:${server.ports.submission}`,
      '--tls',
      '--auth',
      'PLAIN',
      '--auth-user',
      'alice@example.test',
      '--auth-password',
      PASSWORD,
      '--from',
      'alice@example.test',
      '--to',
      'bob@second.test',
      '--header',
      'Subject: via swaks',
    ]);
    expect(result.stdout).toMatch(/<[-~*] +235 2\.7\.0/);
    expect(result.stdout).toMatch(/<[-~*] +250 2\.0\.0/);
    expect(result.code).toBe(0);
  });
});

describe('submission', () => {
  it('refuses MAIL before TLS and AUTH', async () => {
    const script = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1])); s.ehlo('x')
print(s.docmd('MAIL', 'FROM:<alice@example.test>')[0]); print(s.has_extn('auth'))`;
    const result = await python(script, [server.ports.submission!]);
    expect(result.stdout.split('\n')[0]).toBe('530');
    expect(result.stdout.split('\n')[1]).toBe('False');
  });

  it('nodemailer submits with AUTH over STARTTLS, verifying the generated certificate', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: server.ports.submission,
      secure: false,
      requireTLS: true,
      auth: { user: 'alice@example.test', pass: PASSWORD },
      tls: { ca: readFileSync(server.certificate.path), servername: 'localhost' },
    });
    const info = await transport.sendMail({
      from: 'alice@example.test',
      to: 'bob@second.test',
      subject: 'nodemailer',
      text: 'hi bob',
    });
    expect(info.accepted).toEqual(['bob@second.test']);
    transport.close();
  });

  it('nodemailer over implicit TLS; a wrong password is refused with 535', async () => {
    const bad = nodemailer.createTransport({
      host: '127.0.0.1',
      port: server.ports.submissions,
      secure: true,
      auth: { user: 'alice@example.test', pass: 'wrong' },
      tls: { rejectUnauthorized: false },
    });
    await expect(
      bad.sendMail({ from: 'alice@example.test', to: 'bob@second.test', text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 535 });
    bad.close();
  });

  it('refuses a sender address the user does not own', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: server.ports.submissions,
      secure: true,
      auth: { user: 'alice@example.test', pass: PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    await expect(
      transport.sendMail({ from: 'bob@second.test', to: 'bob@second.test', text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 553 });
    transport.close();
  });
});

describe('operations', () => {
  it('exposes Prometheus metrics on loopback', async () => {
    const res = await fetch(`http://127.0.0.1:${server.ports.metrics}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/mailwire_messages_received_total\{role="mx"\} \d+/);
    expect(text).toContain('# TYPE mailwire_connections_total counter');
  });

  it('keeps every message across a restart', async () => {
    const before = await pop('alice@example.test');
    server = await server.restart();
    const after = await pop('alice@example.test');
    expect(after.uidl).toEqual(before.uidl);
    expect(after.messages.map((m) => m.b64)).toEqual(before.messages.map((m) => m.b64));
  });
});
