import { describe, expect, it } from 'vitest';
import { connect, loggedIn, makeStore, SAMPLE } from './helpers.js';

async function withMessages(n = 1) {
  const store = await makeStore();
  const c = await loggedIn(store);
  for (let i = 0; i < n; i++) {
    c.write(
      `A${i} APPEND INBOX (\\Flagged) " 7-Feb-1994 21:52:25 -0800" {${SAMPLE.length}+}\r\n${SAMPLE}\r\n`,
    );
    await c.until(new RegExp(`A${i} OK [^\\n]*\\r\\n`));
  }
  return { store, c };
}

describe('IMAP session', () => {
  it('greets with capabilities and advertises honestly before and after login', async () => {
    const store = await makeStore();
    const c = await connect(store, { allowInsecureAuth: false });
    const caps = await c.command('a CAPABILITY');
    expect(caps).toContain('STARTTLS');
    expect(caps).toContain('LOGINDISABLED');
    expect(caps).not.toContain('AUTH=PLAIN');
    expect(await c.command('b LOGIN alice@example.com secret')).toMatch(/b NO \[PRIVACYREQUIRED\]/);
    await c.close();
    const d = await connect(store);
    const before = await d.command('a CAPABILITY');
    expect(before).toContain('AUTH=PLAIN');
    expect(before).not.toContain('LOGINDISABLED');
    expect(await d.command('b LOGIN alice@example.com wrong')).toMatch(/b NO \[AUTHENTICATIONFAILED\]/);
    expect(await d.command('c LOGIN alice@example.com secret')).toMatch(/c OK \[CAPABILITY [^\]]*UIDPLUS/);
    await d.close();
  });

  it('authenticates with SASL PLAIN, with SASL-IR and with a continuation', async () => {
    const store = await makeStore();
    const c = await connect(store);
    const ir = Buffer.from('\0alice@example.com\0secret').toString('base64');
    expect(await c.command(`a AUTHENTICATE PLAIN ${ir}`)).toMatch(/a OK/);
    await c.close();
    const d = await connect(store);
    d.write('b AUTHENTICATE PLAIN\r\n');
    expect(await d.until(/\+ \r\n/)).toBe('+ \r\n');
    d.write(`${ir}\r\n`);
    expect(await d.until(/b (OK|NO|BAD)[^\n]*\r\n/)).toMatch(/b OK/);
    await d.close();
    const e = await connect(store);
    e.write('c AUTHENTICATE PLAIN\r\n');
    await e.until(/\+ \r\n/);
    e.write('*\r\n');
    expect(await e.until(/c (OK|NO|BAD)[^\n]*\r\n/)).toMatch(/c BAD/);
    await e.close();
  });

  it('refuses commands in the wrong state and answers BAD to garbage', async () => {
    const store = await makeStore();
    const c = await connect(store);
    expect(await c.command('a SELECT INBOX')).toMatch(/a BAD/);
    expect(await c.command('b FROB')).toMatch(/b BAD/);
    // Before login even a non-synchronising literal is capped (8 KiB): skipped, not buffered.
    c.write(`l LOGIN {20000+}\r\n${'x'.repeat(20000)} x\r\n`);
    expect(await c.until(/l (OK|NO|BAD)[^\n]*\r\n/)).toMatch(/l NO \[TOOBIG\]/);
    c.write('\r\n');
    expect(await c.until(/\* BAD[^\n]*\r\n/)).toContain('* BAD');
    expect(await c.command('c NOOP')).toMatch(/c OK/);
    await c.close();
  });

  it('appends with a synchronising literal and answers APPENDUID', async () => {
    const store = await makeStore();
    const c = await loggedIn(store);
    c.write(`a APPEND INBOX {${SAMPLE.length}}\r\n`);
    expect(await c.until(/\+ [^\n]*\r\n/)).toMatch(/^\+ \S/);
    c.write(`${SAMPLE}\r\n`);
    expect(await c.until(/a OK[^\n]*\r\n/)).toMatch(/a OK \[APPENDUID \d+ 1\]/);
    expect(await c.command('b STATUS INBOX (MESSAGES UIDNEXT UNSEEN SIZE)')).toContain(
      `* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UNSEEN 1 SIZE ${SAMPLE.length})`,
    );
    await c.close();
  });

  it('refuses a literal over APPENDLIMIT with NO [TOOBIG] and carries on', async () => {
    const store = await makeStore();
    const c = await loggedIn(store, { appendLimit: 100 });
    expect(await c.command('a APPEND INBOX {1000}')).toMatch(/a NO \[TOOBIG\]/);
    c.write(`b APPEND INBOX {200+}\r\n${'x'.repeat(200)}\r\n`);
    expect(await c.until(/b NO[^\n]*\r\n/)).toMatch(/b NO \[TOOBIG\]/);
    expect(await c.command('c NOOP')).toMatch(/c OK/);
    c.write('u APPEND INBOX UTF8 (~{12+}\r\nSubject: x\r\n)\r\n');
    expect(await c.until(/u (OK|NO|BAD)[^\n]*\r\n/)).toMatch(/u OK \[APPENDUID/);
    await c.close();
  });

  it('selects, fetches structure, partial bodies and sets \\Seen only without PEEK', async () => {
    const { c } = await withMessages(2);
    const sel = await c.command('s SELECT INBOX');
    expect(sel).toContain('* 2 EXISTS');
    expect(sel).toMatch(/\* OK \[UIDVALIDITY \d+\]/);
    expect(sel).toContain('* OK [UIDNEXT 3]');
    expect(sel).toContain('s OK [READ-WRITE]');
    const f = await c.command(
      'f FETCH 1 (FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[1]<0.4> INTERNALDATE RFC822.SIZE)',
    );
    expect(f).toContain('FLAGS (\\Flagged \\Recent)');
    expect(f).toContain('INTERNALDATE " 8-Feb-1994 05:52:25 +0000"');
    expect(f).toContain(`RFC822.SIZE ${SAMPLE.length}`);
    expect(f).toContain('BODY[1]<0> {4}\r\nCaf=');
    expect(f).toMatch(
      /BODYSTRUCTURE \(\("text" "plain" \("charset" "utf-8"\) NIL NIL "quoted-printable" 19 1 NIL NIL NIL NIL\)\("application" "octet-stream" NIL NIL NIL "base64" 8 NIL NIL NIL NIL\) "mixed"/,
    );
    expect(f).toContain('ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800"');
    expect(f).toContain('(("Alice" NIL "alice" "example.com"))');
    const g = await c.command('g FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)] BINARY[2] BINARY.SIZE[1])');
    expect(g).toContain(
      'BODY[HEADER.FIELDS (SUBJECT)] {46}\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= hello\r\n\r\n',
    );
    expect(g).toContain('BINARY[2] ~{4}\r\n\x00\x01\x02\x03');
    expect(g).toContain('BINARY.SIZE[1] 15');
    expect(g).toMatch(/FLAGS \(\\Flagged \\Seen \\Recent\)/);
    const u = await c.command('u UID FETCH 2 (RFC822.HEADER)');
    expect(u).toMatch(/\* 2 FETCH \(UID 2 RFC822.HEADER \{\d+\}/);
    await c.close();
  });

  it('streams large bodies as literals of the exact size', async () => {
    const store = await makeStore();
    const c = await loggedIn(store, { streamThreshold: 10 });
    const big = `Subject: big\r\n\r\n${'0123456789'.repeat(50_000)}`;
    c.write(`a APPEND INBOX {${big.length}+}\r\n${big}\r\n`);
    await c.until(/a OK[^\n]*\r\n/);
    await c.command('s SELECT INBOX');
    const f = await c.command('f FETCH 1 BODY.PEEK[]');
    expect(f).toContain(`BODY[] {${big.length}}\r\n${big})\r\n`);
    await c.close();
  });

  it('gives \\Recent to the first session that sees a message, across sessions; STATUS RECENT', async () => {
    const { store, c } = await withMessages(1);
    expect(await c.command('a STATUS INBOX (RECENT MESSAGES)')).toContain(
      '* STATUS INBOX (RECENT 1 MESSAGES 1)',
    );
    const other = await loggedIn(store);
    expect(await other.command('b EXAMINE INBOX')).toContain('* 1 RECENT\r\n');
    expect(await c.command('c SELECT INBOX')).toContain('* 1 RECENT\r\n');
    expect(await other.command('d SELECT INBOX')).toContain('* 0 RECENT\r\n');
    expect(await other.command('e STATUS INBOX (RECENT)')).toContain('* STATUS INBOX (RECENT 0)');
    expect(await other.command('f FETCH 1 (FLAGS)')).toContain('* 1 FETCH (FLAGS (\\Flagged))');
    expect(await c.command('g FETCH 1 (FLAGS)')).toContain('* 1 FETCH (FLAGS (\\Flagged \\Recent))');
    await other.close();
    await c.close();
  });

  it('streams BINARY[] and BINARY.SIZE of a large base64 part, literal8 when it holds NUL', async () => {
    const store = await makeStore();
    const c = await loggedIn(store, { streamThreshold: 1000 });
    const content = Buffer.alloc(300_000);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7) & 0xff;
    const b64 = (content.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
    const message = [
      'Subject: bin',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'hi',
      '--b',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      b64,
      '--b--',
      '',
    ].join('\r\n');
    c.write(`a APPEND INBOX {${message.length}+}\r\n${message}\r\n`);
    await c.until(/a OK[^\n]*\r\n/);
    await c.command('s SELECT INBOX');
    const size = await c.command('b FETCH 1 (BINARY.SIZE[2])');
    expect(size).toContain(`BINARY.SIZE[2] ${content.length}`);
    const whole = await c.command('c FETCH 1 (BINARY.PEEK[2])');
    expect(whole).toContain(`BINARY[2] ~{${content.length}}\r\n${content.toString('latin1')})\r\n`);
    const part = await c.command('d FETCH 1 (BINARY.PEEK[2]<100000.70000>)');
    expect(part).toContain(
      `BINARY[2]<100000> ~{70000}\r\n${content.subarray(100_000, 170_000).toString('latin1')})`,
    );
    await c.close();
  });

  it('searches BODY and TEXT by streaming large text parts, case-folded (NFC, Unicode lower case)', async () => {
    const store = await makeStore();
    const c = await loggedIn(store);
    // A 16.5 MiB base64 text part (above the old 16 MiB scan cap) whose last words only count.
    const body = `${'lorem ipsum '.repeat((33 * 512 * 1024) / 12)}Grüße aus Köln ÉTÉ`;
    const b64 = (
      Buffer.from(body, 'utf8')
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    ).join('\r\n');
    const message = [
      'From: a@example.com',
      'Subject: big',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('needle in an attachment').toString('base64'),
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64,
      '--b--',
      '',
    ].join('\r\n');
    c.write(`A APPEND INBOX {${message.length}+}\r\n${message}\r\n`);
    await c.until(/A OK [^\n]*\r\n/);
    await c.command('s SELECT INBOX');
    const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const lit = (text: string) => `{${Buffer.byteLength(text, 'utf8')}+}\r\n${utf8(text)}`;
    expect(await c.command(`a SEARCH CHARSET UTF-8 BODY ${lit('GRÜSSE')}`)).toContain('* SEARCH\r\n');
    expect(await c.command(`b SEARCH CHARSET UTF-8 BODY ${lit('grüße AUS köln')}`)).toContain(
      '* SEARCH 1\r\n',
    );
    // Decomposed é (e + U+0301) matches the precomposed one after NFC.
    expect(await c.command(`c SEARCH CHARSET UTF-8 TEXT ${lit('e\u0301te\u0301')}`)).toContain(
      '* SEARCH 1\r\n',
    );
    expect(await c.command('d SEARCH BODY needle')).toContain('* SEARCH\r\n');
    expect(await c.command(`e SEARCH CHARSET UTF-8 OR BODY nothing BODY ${lit('ÉTÉ')}`)).toContain(
      '* SEARCH 1\r\n',
    );
    await c.close();
  }, 30_000);

  it('searches with the full key grammar, ESEARCH and SEARCHRES', async () => {
    const { c } = await withMessages(3);
    await c.command('s SELECT INBOX');
    await c.command('t STORE 2 +FLAGS.SILENT (\\Seen)');
    expect(await c.command('a SEARCH UNSEEN')).toContain('* SEARCH 1 3\r\n');
    expect(await c.command('b SEARCH OR SEEN NOT FLAGGED')).toContain('* SEARCH 2\r\n');
    expect(await c.command('c UID SEARCH SUBJECT "grüße" NOT 1')).toContain('* SEARCH 2 3\r\n');
    expect(await c.command('d SEARCH CHARSET UTF-8 BODY {5+}\r\ncaf\xc3\xa9')).toContain(
      '* SEARCH 1 2 3\r\n',
    );
    expect(await c.command('e SEARCH SENTON 7-Feb-1994 LARGER 10 (FROM alice TO bob)')).toContain(
      '* SEARCH 1 2 3\r\n',
    );
    expect(await c.command('f SEARCH RETURN (MIN MAX COUNT) 2:3')).toContain(
      '* ESEARCH (TAG "f") MIN 2 MAX 3 COUNT 2',
    );
    expect(await c.command('g UID SEARCH RETURN (SAVE) UNSEEN')).not.toContain('ESEARCH');
    expect(await c.command('h UID FETCH $ (FLAGS)')).toMatch(/\* 1 FETCH[\s\S]*\* 3 FETCH/);
    expect(await c.command('i SEARCH CHARSET KOI8-R ALL')).toMatch(/i NO \[BADCHARSET/);
    expect(await c.command('j SEARCH HEADER Message-ID "<1@"')).toContain('* SEARCH 1 2 3');
    await c.command('k ENABLE IMAP4rev2');
    // RFC 9051 §6.4.4: IMAP4rev2 gets ESEARCH for a plain SEARCH.
    expect(await c.command('l SEARCH UNSEEN')).toContain('* ESEARCH (TAG "l") ALL 1,3\r\n');
    await c.close();
  });

  it('stores flags, copies and moves with COPYUID, expunges', async () => {
    const { c } = await withMessages(3);
    await c.command('c CREATE Archive');
    await c.command('s SELECT INBOX');
    expect(await c.command('a STORE 1:2 +FLAGS (\\Deleted)')).toMatch(
      /\* 1 FETCH \(FLAGS \(\\Flagged \\Deleted \\Recent\)\)/,
    );
    expect(await c.command('b COPY 1 Archive')).toMatch(/b OK \[COPYUID \d+ 1 1\]/);
    expect(await c.command('x COPY 1 Nope')).toMatch(/x NO \[TRYCREATE\]/);
    const m = await c.command('m UID MOVE 3 Archive');
    expect(m).toMatch(/\* OK \[COPYUID \d+ 3 2\]/);
    expect(m).toContain('* 3 EXPUNGE');
    const e = await c.command('e EXPUNGE');
    expect(e).toContain('* 2 EXPUNGE\r\n* 1 EXPUNGE');
    expect(await c.command('st STATUS Archive (MESSAGES)')).toContain('(MESSAGES 2)');
    await c.command('ex EXAMINE Archive');
    expect(await c.command('ro STORE 1 +FLAGS (\\Seen)')).toMatch(/ro NO \[READ-ONLY\]/);
    await c.close();
  });

  it('lists with LIST-EXTENDED, special-use, LIST-STATUS, LSUB and modified UTF-7', async () => {
    const store = await makeStore();
    const account = (await store.accounts.lookup('alice@example.com'))!;
    await store.createMailbox(account.id, 'Sent', { specialUse: '\\Sent', subscribe: true });
    await store.createMailbox(account.id, 'Work/Café');
    const c = await loggedIn(store);
    const l = await c.command('a LIST "" *');
    expect(l).toContain('* LIST (\\HasNoChildren) "/" INBOX');
    expect(l).toContain('* LIST (\\HasNoChildren \\Sent) "/" Sent');
    expect(l).toContain('* LIST (\\HasChildren) "/" Work');
    expect(l).toContain('* LIST (\\HasNoChildren) "/" Work/Caf&AOk-');
    expect(await c.command('b LIST "" ""')).toContain('* LIST (\\Noselect) "/" ""');
    const s = await c.command('d LIST (SUBSCRIBED) "" "*" RETURN (STATUS (MESSAGES))');
    expect(s).toContain('\\Subscribed) "/" Sent');
    expect(s).toContain('* STATUS Sent (MESSAGES 0)');
    expect(await c.command('e LSUB "" *')).toContain('* LSUB () "/" Sent');
    await c.command('e2 SUBSCRIBE Work/Caf&AOk-');
    const r = await c.command('e3 LIST (SUBSCRIBED RECURSIVEMATCH) "" %');
    expect(r).toContain('* LIST (\\HasChildren) "/" Work (CHILDINFO ("SUBSCRIBED"))');
    expect(r).not.toContain('Caf');
    expect(await c.command('e4 LIST (RECURSIVEMATCH) "" %')).toMatch(/e4 BAD/);
    expect(await c.command('f SELECT "Work/Caf&AOk-"')).toMatch(/f OK/);
    expect(await c.command('g ENABLE UTF8=ACCEPT')).toContain('* ENABLED UTF8=ACCEPT');
    expect(await c.command('h LIST "" Work/%')).toContain('"/" {10}\r\nWork/Caf\xc3\xa9');
    await c.close();
  });

  it('creates, renames and deletes mailboxes with the INBOX rules', async () => {
    const store = await makeStore();
    const c = await loggedIn(store);
    expect(await c.command('a CREATE INBOX')).toMatch(/a NO \[ALREADYEXISTS\]/);
    expect(await c.command('b CREATE Projects/2024/')).toMatch(/b OK/);
    expect(await c.command('c RENAME Projects Old')).toMatch(/c OK/);
    expect(await c.command('d LIST "" Old*')).toContain('Old/2024');
    expect(await c.command('e DELETE INBOX')).toMatch(/e NO/);
    expect(await c.command('f DELETE Old/2024')).toMatch(/f OK/);
    expect(await c.command('g DELETE Nope')).toMatch(/g NO \[NONEXISTENT\]/);
    expect(await c.command('h SUBSCRIBE Old')).toMatch(/h OK/);
    await c.close();
  });

  it('delivers changes from another session in IDLE and at NOOP, never EXPUNGE during FETCH', async () => {
    const { store, c } = await withMessages(2);
    const other = await loggedIn(store);
    await c.command('s SELECT INBOX');
    await other.command('s SELECT INBOX');
    c.write('i IDLE\r\n');
    await c.until(/\+ idling\r\n/);
    other.write(`a APPEND INBOX {${SAMPLE.length}+}\r\n${SAMPLE}\r\n`);
    expect(await c.until(/\* 3 EXISTS\r\n/)).toContain('* 3 EXISTS');
    await other.until(/a OK[^\n]*\r\n/);
    // DONE pipelined with the next command in one packet.
    c.write('DONE\r\nn NOOP\r\n');
    await c.until(/i OK[^\n]*\r\n/);
    await c.until(/n OK[^\n]*\r\n/);
    await other.command('x STORE 1 +FLAGS (\\Deleted)');
    await other.command('y EXPUNGE');
    const f = await c.command('f FETCH 1:3 (FLAGS)');
    expect(f).not.toContain('EXPUNGE');
    expect(f).toContain('* 2 FETCH');
    const n = await c.command('n2 NOOP');
    expect(n).toContain('* 1 EXPUNGE');
    await other.close();
    await c.close();
  });

  it('IDLE on an empty mailbox says 0 EXISTS once and waits', async () => {
    const store = await makeStore();
    const c = await loggedIn(store);
    expect(await c.command('s SELECT INBOX')).toContain('* 0 EXISTS');
    expect(await c.command('f FETCH 1:* (FLAGS)')).toMatch(/^f OK/);
    c.write('i IDLE\r\n');
    await c.until(/\+ idling\r\n/);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.pending()).toBe('');
    c.write('DONE\r\n');
    await c.until(/i OK[^\n]*\r\n/);
    await c.close();
  });

  it('IDLE without a selected mailbox ends on DONE; a peer that leaves mid-IDLE ends the session', async () => {
    const store = await makeStore();
    const c = await loggedIn(store);
    c.write('i IDLE\r\n');
    await c.until(/\+ idling\r\n/);
    c.write('done\r\n');
    expect(await c.until(/i (OK|NO|BAD)[^\n]*\r\n/)).toMatch(/i OK/);
    c.write('j IDLE\r\n');
    await c.until(/\+ idling\r\n/);
    c.write('NOPE\r\n');
    expect(await c.until(/j (OK|NO|BAD)[^\n]*\r\n/)).toMatch(/j BAD/);
    c.write('k IDLE\r\n');
    await c.until(/\+ idling\r\n/);
    await c.close(); // serve() resolves: the session saw the end of the stream while idling
  });

  it('answers ID, NAMESPACE, UNSELECT, CLOSE and LOGOUT', async () => {
    const { c } = await withMessages(1);
    expect(await c.command('a ID ("name" "test")')).toContain('* ID ("name" "Mailwire")');
    expect(await c.command('b NAMESPACE')).toContain('* NAMESPACE (("" "/")) NIL NIL');
    await c.command('s SELECT INBOX');
    expect(await c.command('u UNSELECT')).toMatch(/u OK/);
    expect(await c.command('f FETCH 1 FLAGS')).toMatch(/f BAD/);
    await c.command('s2 SELECT INBOX');
    await c.command('d STORE 1 +FLAGS (\\Deleted)');
    await c.command('c CLOSE');
    expect(await c.command('st STATUS INBOX (MESSAGES)')).toContain('(MESSAGES 0)');
    const bye = await c.command('z LOGOUT');
    expect(bye).toContain('* BYE');
    await c.close();
  });

  it('discards input pipelined after STARTTLS (injection defence)', async () => {
    const store = await makeStore();
    const c = await connect(store, { allowInsecureAuth: false });
    c.write('a STARTTLS\r\nb LOGIN alice@example.com secret\r\n');
    await c.until(/a OK[^\n]*\r\n/);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.pending()).toBe('');
    const caps = await c.command('c CAPABILITY');
    expect(caps).not.toContain('STARTTLS');
    expect(caps).toContain('AUTH=PLAIN');
    expect(await c.command('d LOGIN alice@example.com secret')).toMatch(/d OK/);
    await c.close();
  });

  it('streams a large APPEND to the store as it arrives, checking the mailbox before the +', async () => {
    const store = await makeStore();
    const c = await loggedIn(store, { appendStreamThreshold: 100 });
    const big = `Subject: big\r\n\r\n${'abcdefghij'.repeat(30_000)}`;
    expect(await c.command(`n APPEND Nope {${big.length}}`)).toMatch(/n NO \[TRYCREATE\]/);
    c.write(`a APPEND INBOX (\\Flagged) {${big.length}}\r\n`);
    await c.until(/\+ [^\n]*\r\n/);
    for (let i = 0; i < big.length; i += 50_000) c.write(big.slice(i, i + 50_000));
    c.write('\r\n');
    expect(await c.until(/a OK[^\n]*\r\n/)).toMatch(/a OK \[APPENDUID \d+ 1\]/);
    // Non-synchronising literal to a missing mailbox: refused, skipped exactly, stream in sync.
    c.write(`m APPEND Nope {${big.length}+}\r\n${big}\r\n`);
    expect(await c.until(/m NO[^\n]*\r\n/)).toMatch(/m NO \[TRYCREATE\]/);
    // MULTIAPPEND mixing a streamed and a buffered message.
    c.write(`x APPEND INBOX {${big.length}+}\r\n${big} (\\Seen) {5+}\r\nsmall\r\n`);
    expect(await c.until(/x OK[^\n]*\r\n/)).toMatch(/x OK \[APPENDUID \d+ 2:3\]/);
    await c.command('s SELECT INBOX');
    const f = await c.command('f FETCH 1:3 (FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    expect(f).toContain(
      `* 1 FETCH (FLAGS (\\Flagged \\Recent) RFC822.SIZE ${big.length} BODY[HEADER.FIELDS (SUBJECT)] {16}\r\nSubject: big\r\n\r\n)`,
    );
    expect(f).toContain('* 3 FETCH (FLAGS (\\Seen \\Recent) RFC822.SIZE 5');
    expect(await c.command('b FETCH 1 BODY.PEEK[]')).toContain(big);
    await c.close();
  });
});
