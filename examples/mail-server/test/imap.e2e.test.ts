/**
 * IMAP end to end against the example server: Python's imaplib, curl and imapflow.
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, PASSWORD, python, run, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await addUser(server, 'dora@example.test');
});
afterAll(() => server?.dispose());

const SEND = `
import smtplib, sys
with smtplib.SMTP('127.0.0.1', int(sys.argv[1])) as s:
    s.sendmail(sys.argv[2], [sys.argv[3]], sys.argv[4].encode().replace(b'\\n', b'\\r\\n'))
`;

function deliver(to: string, body: string) {
  return python(SEND, [server.ports.smtp!, 'sender@elsewhere.test', to, body]);
}

describe('IMAP', () => {
  it('imaplib over STARTTLS sees the delivered message byte-identical, flags it, copies and expunges', async () => {
    const body =
      'From: sender@elsewhere.test\nTo: dora@example.test\nSubject: for imaplib\n\nHello over IMAP.\n';
    expect((await deliver('dora@example.test', body)).code).toBe(0);
    const script = `
import imaplib, ssl, sys, json, base64
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
caps_before = list(c.capabilities)
c.starttls(ssl._create_unverified_context())
c.login(sys.argv[2], sys.argv[3])
out = {'before': caps_before}
typ, data = c.select('INBOX'); out['exists'] = int(data[0])
typ, data = c.uid('FETCH', '1:*', '(UID RFC822.SIZE BODY.PEEK[])')
out['raw'] = base64.b64encode(data[0][1]).decode()
out['meta'] = data[0][0].decode()
typ, data = c.uid('SEARCH', None, 'SUBJECT', '"for imaplib"'); out['search'] = data[0].decode()
c.uid('STORE', '1', '+FLAGS', '(\\\\Flagged)')
typ, data = c.uid('FETCH', '1', '(FLAGS)'); out['flags'] = data[0].decode()
c.create('Archive')
typ, data = c.uid('COPY', '1', 'Archive'); out['copy'] = typ
typ, data = c.status('Archive', '(MESSAGES)'); out['archive'] = data[0].decode()
c.uid('STORE', '1', '+FLAGS', '(\\\\Deleted)')
typ, data = c.expunge(); out['expunged'] = [d.decode() for d in data if d]
c.logout()
print(json.dumps(out))
`;
    const result = await python(script, [server.ports.imap!, 'dora@example.test', PASSWORD]);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as Record<string, string | number | string[]>;
    expect(out.before).toContain('LOGINDISABLED');
    expect(out.exists).toBe(1);
    const raw = Buffer.from(out.raw as string, 'base64').toString('latin1');
    expect(raw).toMatch(/^Authentication-Results: [\s\S]*?\r\nReceived: /);
    expect(raw.endsWith(body.replace(/\n/g, '\r\n'))).toBe(true);
    expect(out.meta).toContain(`RFC822.SIZE ${Buffer.byteLength(raw, 'latin1')}`);
    expect(out.search).toBe('1');
    expect(out.flags).toMatch(/\\Flagged/);
    expect(out.copy).toBe('OK');
    expect(out.archive).toMatch(/MESSAGES 1/);
    expect(out.expunged).toEqual(['1']);
  });

  it('curl reads a message by UID over IMAPS', async () => {
    await deliver('dora@example.test', 'Subject: for curl\n\ncurl over imap\n');
    const result = await run('curl', [
      '-sS',
      '-k',
      `imaps://127.0.0.1:${server.ports.imaps}/INBOX;UID=2`,
      '-u',
      `dora@example.test:${PASSWORD}`,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Subject: for curl');
    expect(result.stdout).toContain('curl over imap');
  });

  it('imapflow IDLE sees a new delivery within a second', async () => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: server.ports.imaps!,
      secure: true,
      auth: { user: 'dora@example.test', pass: PASSWORD },
      tls: { rejectUnauthorized: false },
      logger: false,
    });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const before = (client.mailbox as { exists: number }).exists;
        const seen = new Promise<number>((resolve) => {
          client.on('exists', (data: { count: number }) => resolve(data.count));
        });
        // idle() resolves only when IDLE ends: start it and go on.
        void client.idle().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
        const started = Date.now();
        await deliver('dora@example.test', 'Subject: wake up\n\nidle\n');
        const count = await Promise.race([
          seen,
          new Promise<number>((_, reject) =>
            setTimeout(() => reject(new Error('no EXISTS within 5 s')), 5000),
          ),
        ]);
        expect(count).toBe(before + 1);
        expect(Date.now() - started).toBeLessThan(2000);
        const last = await client.fetchOne('*', { envelope: true });
        expect(last ? last.envelope?.subject : undefined).toBe('wake up');
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });
});

describe('restart', () => {
  it('keeps messages, flags and mailboxes across a restart', async () => {
    await deliver('dora@example.test', 'Subject: keep me\n\nsurvive a restart\n');
    const script = `
import imaplib, ssl, sys, json
c = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[1]), ssl_context=ssl._create_unverified_context())
c.login(sys.argv[2], sys.argv[3])
c.select('INBOX')
if sys.argv[4] == 'mark':
    c.uid('STORE', '1:*', '+FLAGS', '(\\\\Answered $Important)')
typ, data = c.uid('FETCH', '1:*', '(UID FLAGS RFC822.SIZE)')
typ2, boxes = c.list()
print(json.dumps({'fetch': [d.decode() for d in data if isinstance(d, bytes)], 'boxes': sorted(b.decode() for b in boxes)}))
c.logout()
`;
    const before = await python(script, [server.ports.imaps!, 'dora@example.test', PASSWORD, 'mark']);
    expect(before.stderr).toBe('');
    const seenBefore = JSON.parse(before.stdout) as { fetch: string[]; boxes: string[] };
    expect(seenBefore.fetch.join('\n')).toMatch(/\$Important/);
    server = await server.restart();
    const after = await python(script, [server.ports.imaps!, 'dora@example.test', PASSWORD, 'look']);
    // \Recent is session state, not a stored flag (and the recent tracker is per process).
    const stored = (seen: { fetch: string[]; boxes: string[] }) => ({
      ...seen,
      fetch: seen.fetch.map((line) => line.replace(/ ?\\Recent/, '')),
    });
    expect(stored(JSON.parse(after.stdout))).toEqual(stored(seenBefore));
  });
});
