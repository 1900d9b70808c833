/** Deterministic test messages for the benchmarks. */

function lines(seed: number, bytes: number, width = 76): string {
  const words = [
    'mail',
    'wire',
    'lorem',
    'ipsum',
    'dolor',
    'sit',
    'amet',
    'protocol',
    'message',
    'header',
    'body',
    'octet',
  ];
  let out = '';
  let line = '';
  let i = seed;
  while (out.length < bytes) {
    const w = words[i++ % words.length]!;
    if (line.length + w.length + 1 > width) {
      out += `${line}\r\n`;
      line = '';
    }
    line += line ? ` ${w}` : w;
  }
  return out;
}

function base64Block(bytes: number): string {
  const raw = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) raw[i] = (i * 2654435761) >>> 24;
  return raw.toString('base64').replace(/.{76}/g, '$&\r\n');
}

/** A multipart/mixed message of about `size` octets: text, HTML alternative, and an attachment. */
export function multipartMessage(size: number): Buffer {
  const text = Math.max(200, Math.floor(size * 0.2));
  const attachment = Math.max(300, Math.floor(size * 0.55));
  const msg =
    'From: "Alice Example" <alice@example.test>\r\n' +
    'To: Bob <bob@example.test>, carol@example.test\r\n' +
    'Subject: =?UTF-8?Q?Quarterly_report_=E2=80=94_numbers?=\r\n' +
    'Date: Sat, 28 Nov 2026 09:00:00 +0000\r\n' +
    'Message-ID: <bench@example.test>\r\n' +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: multipart/mixed; boundary="outer-boundary"\r\n\r\n' +
    'This is a multi-part message in MIME format.\r\n' +
    '--outer-boundary\r\n' +
    'Content-Type: multipart/alternative; boundary="inner-boundary"\r\n\r\n' +
    '--inner-boundary\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n' +
    lines(1, text) +
    '\r\n--inner-boundary\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' +
    `<html><body><p>${lines(2, text).replace(/\r\n/g, '=\r\n')}</p></body></html>` +
    '\r\n--inner-boundary--\r\n' +
    '--outer-boundary\r\nContent-Type: application/octet-stream; name="data.bin"\r\n' +
    'Content-Disposition: attachment; filename="data.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
    base64Block(Math.floor((attachment * 3) / 4)) +
    '\r\n--outer-boundary--\r\n';
  return Buffer.from(msg, 'latin1');
}

/**
 * A realistic mix of the commands IMAP clients send most (login, list, select, the header-list
 * FETCH of a mail client opening a folder, search, flag changes, move, status, idle), one per
 * string, without the CRLF.
 */
export const imapCommands: readonly string[] = [
  'a1 CAPABILITY',
  'a2 LOGIN "alice@example.test" "correct horse battery staple"',
  'a3 LIST "" "*"',
  'a4 SELECT INBOX',
  'a5 UID FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)',
  'a6 UID FETCH 1200:1250 (UID FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Subject Date Message-ID Content-Type)])',
  'a7 UID SEARCH SINCE 1-Nov-2026 NOT DELETED OR FROM "alice" SUBJECT "report"',
  'a8 UID STORE 1:100,200,300:400 +FLAGS.SILENT (\\Seen \\Flagged)',
  'a9 UID MOVE 17,19:21 "Archive/2026"',
  'a10 STATUS "Sent" (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)',
  'a11 NOOP',
  'a12 IDLE',
];
