/**
 * The example server on each store kind: Maildir and PostgreSQL (the SQLite default is what every
 * other e2e file uses). One message through SMTP, read back over POP3 and IMAP, across a restart.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { addUser, PASSWORD, python, startTestServer, type TestServer } from './helpers.js';

const POSTGRES_URL =
  process.env.MAILWIRE_TEST_POSTGRES_URL ?? 'postgres://mailwire:mailwire@127.0.0.1:5432/mailwire';
const schema = `mw_e2e_${randomBytes(4).toString('hex')}`;

const FLOW = `
import smtplib, poplib, imaplib, ssl, sys, json
port_smtp, port_pop, port_imap, user, password = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
if sys.argv[6] == 'send':
    with smtplib.SMTP('127.0.0.1', port_smtp) as s:
        s.sendmail('x@elsewhere.test', [user], b'Subject: store check\\r\\n\\r\\nkept in the store\\r\\n')
ctx = ssl._create_unverified_context()
p = poplib.POP3('127.0.0.1', port_pop); p.stls(ctx); p.user(user); p.pass_(password)
count = p.stat()[0]; uidl = [u.decode() for u in p.uidl()[1]]; body = b'\\r\\n'.join(p.retr(count)[1]).decode(); p.quit()
i = imaplib.IMAP4('127.0.0.1', port_imap); i.starttls(ctx); i.login(user, password); i.select('INBOX')
typ, data = i.uid('SEARCH', None, 'SUBJECT', '"store check"'); i.logout()
print(json.dumps({'count': count, 'uidl': uidl, 'body': body, 'search': data[0].decode()}))
`;

async function flow(server: TestServer, action: 'send' | 'look') {
  const result = await python(FLOW, [
    server.ports.smtp!,
    server.ports.pop3!,
    server.ports.imap!,
    'sam@example.test',
    PASSWORD,
    action,
  ]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as { count: number; uidl: string[]; body: string; search: string };
}

afterAll(async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe.each([
  ['maildir', { MAILWIRE_STORE: 'maildir' }],
  [
    'postgres',
    { MAILWIRE_STORE: 'postgres', MAILWIRE_STORE_URL: POSTGRES_URL, MAILWIRE_STORE_SCHEMA: schema },
  ],
] as const)('store kind %s', (_kind, env) => {
  it('delivers, serves over POP3 and IMAP, and keeps everything across a restart', async () => {
    let server = await startTestServer({ env: { ...env } });
    try {
      await addUser(server, 'sam@example.test');
      const first = await flow(server, 'send');
      expect(first.count).toBe(1);
      expect(first.body).toContain('kept in the store');
      expect(first.search).toBe('1');
      server = await server.restart();
      const again = await flow(server, 'look');
      expect(again.uidl).toEqual(first.uidl);
      expect(again.body).toBe(first.body);
    } finally {
      await server.dispose();
    }
  });
});
