import { fromLatin1, latin1 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { ImapServerSession } from '../src/index.js';
import { makeStore } from './helpers.js';

/**
 * C:/S: transcripts run through the sans-I/O session against the memory store, whole and split
 * at every byte: the output must be identical, byte for byte.
 */
function parse(script: string): { input: string; expected: string } {
  let input = '';
  let expected = '';
  for (const line of script.split('\n')) {
    const trimmed = line.replace(/^\s+/, '');
    if (trimmed.startsWith('C:')) input += `${trimmed.slice(3)}\r\n`;
    else if (trimmed.startsWith('S:')) expected += `${trimmed.slice(3)}\r\n`;
  }
  return { input, expected };
}

async function run(chunks: string[]): Promise<string> {
  const store = await makeStore();
  const session = new ImapServerSession({ store, allowInsecureAuth: true, now: () => 0, hostname: 'test' });
  for (const chunk of chunks) session.receive(fromLatin1(chunk));
  let text = '';
  for (let i = 0; i < 5000 && session.state !== 'closed'; i++) {
    for (let e = session.next(); e !== undefined; e = session.next()) {
      if (e.type === 'login') {
        const account = await store.accounts.verifyPassword(e.username, e.password);
        if (account === undefined) e.decision.reject();
        else e.decision.accept(account);
      }
    }
    await Promise.race([session.changed(), new Promise((r) => setTimeout(r, 10))]);
    for (let o = session.output(); o !== undefined; o = session.output()) text += latin1(o);
  }
  for (let o = session.output(); o !== undefined; o = session.output()) text += latin1(o);
  return text;
}

const CAPS_AFTER =
  'IMAP4rev1 IMAP4rev2 LITERAL+ ID ENABLE IDLE SASL-IR UIDPLUS MOVE NAMESPACE UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS ESEARCH SEARCHRES BINARY MULTIAPPEND STATUS=SIZE APPENDLIMIT=26214400 UTF8=ACCEPT';

const SESSION = `
  S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ ID ENABLE IDLE SASL-IR STARTTLS AUTH=PLAIN AUTH=LOGIN] test IMAP4rev2 ready
  C: a1 LOGIN alice@example.com secret
  S: a1 OK [CAPABILITY ${CAPS_AFTER}] Logged in
  C: a2 APPEND INBOX (\\Seen) {23+}
  C: Subject: hi
  C:
  C: Hello!
  C:
  S: a2 OK [APPENDUID 1 1] APPEND completed
  C: a3 SELECT INBOX
  S: * 1 EXISTS
  S: * 1 RECENT
  S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
  S: * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted
  S: * OK [UIDVALIDITY 1] UIDs valid
  S: * OK [UIDNEXT 2] Predicted next UID
  S: a3 OK [READ-WRITE] SELECT completed
  C: a4 FETCH 1 (UID FLAGS RFC822.SIZE BODY[TEXT])
  S: * 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) RFC822.SIZE 23 BODY[TEXT] {8}
  S: Hello!
  S: )
  S: a4 OK FETCH completed
  C: a5 STORE 1 +FLAGS (\\Deleted)
  S: * 1 FETCH (FLAGS (\\Seen \\Deleted \\Recent))
  S: a5 OK STORE completed
  C: a6 UID SEARCH DELETED
  S: * SEARCH 1
  S: a6 OK SEARCH completed
  C: a7 EXPUNGE
  S: * 1 EXPUNGE
  S: a7 OK EXPUNGE completed
  C: a8 LOGOUT
  S: * BYE Logging out
  S: a8 OK LOGOUT completed
`;

const MAILBOXES = `
  S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ ID ENABLE IDLE SASL-IR STARTTLS AUTH=PLAIN AUTH=LOGIN] test IMAP4rev2 ready
  C: b1 LOGIN alice@example.com secret
  S: b1 OK [CAPABILITY ${CAPS_AFTER}] Logged in
  C: b2 ENABLE IMAP4rev2
  S: * ENABLED IMAP4rev2
  S: b2 OK ENABLE completed
  C: b3 CREATE Archive/2024
  S: b3 OK CREATE completed
  C: b4 LIST "" * RETURN (STATUS (MESSAGES UIDNEXT))
  S: * LIST (\\HasChildren) "/" Archive
  S: * STATUS Archive (MESSAGES 0 UIDNEXT 1)
  S: * LIST (\\HasNoChildren) "/" Archive/2024
  S: * STATUS Archive/2024 (MESSAGES 0 UIDNEXT 1)
  S: * LIST (\\HasNoChildren) "/" INBOX
  S: * STATUS INBOX (MESSAGES 0 UIDNEXT 1)
  S: b4 OK LIST completed
  C: b5 APPEND INBOX {7+}
  C: Hi: x
  C:
  S: b5 OK [APPENDUID 1 1] APPEND completed
  C: b6 EXAMINE INBOX
  S: * 1 EXISTS
  S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
  S: * OK [PERMANENTFLAGS ()] No permanent flags
  S: * OK [UIDVALIDITY 1] UIDs valid
  S: * OK [UIDNEXT 2] Predicted next UID
  S: * LIST () "/" INBOX
  S: b6 OK [READ-ONLY] EXAMINE completed
  C: b7 FETCH 1 BODY[]
  S: * 1 FETCH (BODY[] {7}
  S: Hi: x
  S: )
  S: b7 OK FETCH completed
  C: b8 UID COPY 1 Archive/2024
  S: b8 OK [COPYUID 3 1 1] COPY completed
  C: b9 UID MOVE 1 Archive
  S: b9 NO [READ-ONLY] Mailbox is read-only
  C: b10 SEARCH RETURN (COUNT) ALL
  S: * ESEARCH (TAG "b10") COUNT 1
  S: b10 OK SEARCH completed
  C: b11 LOGOUT
  S: * BYE Logging out
  S: b11 OK LOGOUT completed
`;

describe('transcripts', () => {
  it('LIST-STATUS, EXAMINE (read-only, no \\Seen), COPYUID, ESEARCH under IMAP4rev2', async () => {
    const { input, expected } = parse(MAILBOXES);
    expect(await run([input])).toBe(expected);
    for (let at = 1; at < input.length; at += 11) {
      expect(await run([input.slice(0, at), input.slice(at)])).toBe(expected);
    }
  });

  it('login, append, select, fetch, store, search, expunge, logout', async () => {
    const { input, expected } = parse(SESSION);
    expect(await run([input])).toBe(expected);
  });

  it('the same transcript split at every byte', async () => {
    const { input, expected } = parse(SESSION);
    expect(await run([...input])).toBe(expected);
    for (let at = 1; at < input.length; at += 3) {
      expect(await run([input.slice(0, at), input.slice(at)])).toBe(expected);
    }
  });
});
