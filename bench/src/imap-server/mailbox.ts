/**
 * A deterministic mailbox: `message(i)` always returns the same bytes for the same `i`. Messages
 * are 4–10 KB with CRLF line endings (as both servers store them), varied senders and subjects
 * (some RFC 2047 encoded), and a mix of structures: text/plain, multipart/alternative (text +
 * HTML) and multipart/mixed with a base64 attachment.
 */

const WORDS = (
  'the quarterly report meeting agenda budget review project update schedule invoice payment ' +
  'customer support ticket release notes deployment server migration database backup holiday ' +
  'travel booking confirmation newsletter weekly digest security alert password reset team ' +
  'lunch friday office move contract renewal proposal draft feedback design roadmap launch ' +
  'conference talk slides recording survey results hiring interview candidate onboarding ' +
  'welcome reminder deadline tomorrow invitation dinner garden photos family weekend plans'
).split(' ');

const NAMES = [
  'Alice Martin',
  'Bob Nguyen',
  'Chloé Dubois',
  'Dmitri Ivanov',
  'Eve Okafor',
  'Frank Müller',
  'Grace Hopper',
  'Hiro Tanaka',
  'Ines García',
  'Jamal Carter',
  'Kara Lindqvist',
  'Li Wei',
];

/** The word `UID SEARCH SUBJECT` looks for: in roughly one subject out of ten. */
export const SEARCH_WORD = 'invoice';

/** Milliseconds since the epoch of message `i`'s INTERNALDATE (and Date header). */
export function internalDate(i: number): number {
  return Date.UTC(2025, 0, 1) + i * 137_000;
}

/** `\Seen` on two messages out of three. */
export function flagsOf(i: number): string[] {
  return i % 3 === 2 ? [] : ['\\Seen'];
}

function rng(seed: number): () => number {
  let a = (seed * 2654435761) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function address(name: string): string {
  return `${name
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z ]/g, '')
    .replace(' ', '.')}@example.test`;
}

function encodedWord(text: string): string {
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function paragraph(random: () => number, words: number): string {
  const out: string[] = [];
  let line = '';
  for (let w = 0; w < words; w++) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    if (line.length + word.length + 1 > 72) {
      out.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out.join('\r\n');
}

function body(random: () => number, size: number): string {
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const p = paragraph(random, 20 + Math.floor(random() * 60));
    parts.push(p);
    length += p.length + 4;
  }
  return parts.join('\r\n\r\n');
}

function base64Lines(random: () => number, bytes: number): string {
  const raw = Buffer.alloc(bytes);
  for (let k = 0; k < bytes; k++) raw[k] = Math.floor(random() * 256);
  return raw.toString('base64').replace(/.{76}/g, '$&\r\n');
}

export function message(i: number): Uint8Array {
  const random = rng(i + 1);
  const from = NAMES[i % NAMES.length]!;
  const to = NAMES[(i * 7 + 3) % NAMES.length]!;
  const subjectWords = Array.from(
    { length: 3 + Math.floor(random() * 5) },
    () => WORDS[Math.floor(random() * WORDS.length)]!,
  );
  if (i % 10 === 4) subjectWords.splice(1, 0, SEARCH_WORD);
  else
    for (let k = 0; k < subjectWords.length; k++)
      if (subjectWords[k] === SEARCH_WORD) subjectWords[k] = 'bill';
  let subject = `${subjectWords.join(' ')} #${i}`;
  if (i % 5 === 1) subject = `Re: ${subject}`;
  const subjectHeader = i % 9 === 0 ? encodedWord(`${subject} — ✓`) : subject;
  const date = new Date(internalDate(i)).toUTCString().replace('GMT', '+0000');
  const size = 3500 + Math.floor(random() * 5500);
  const head = [
    `Return-Path: <${address(from)}>`,
    `Received: from mx.example.test (mx.example.test [192.0.2.${i % 250}]) by imap.example.test with ESMTPS id ${i.toString(36)}; ${date}`,
    `From: ${i % 4 === 0 ? encodedWord(from) : `"${from}"`} <${address(from)}>`,
    `To: ${to} <${address(to)}>`,
    ...(i % 6 === 0
      ? [`Cc: ${NAMES[(i + 5) % NAMES.length]} <${address(NAMES[(i + 5) % NAMES.length]!)}>`]
      : []),
    `Subject: ${subjectHeader}`,
    `Date: ${date}`,
    `Message-ID: <${i}.${(i * 7919).toString(36)}@example.test>`,
    ...(i % 5 === 1 ? [`In-Reply-To: <${i - 1}.${((i - 1) * 7919).toString(36)}@example.test>`] : []),
    'MIME-Version: 1.0',
  ];
  const kind = i % 7 === 0 ? 'mixed' : i % 3 === 0 ? 'alternative' : 'plain';
  let text: string;
  if (kind === 'plain') {
    text = `${head.join('\r\n')}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body(random, size)}\r\n`;
  } else if (kind === 'alternative') {
    const b = `=_alt_${i}`;
    const plain = body(random, size / 2);
    const html = `<html><body><p>${body(random, size / 2 - 60).replace(/\r\n\r\n/g, '</p>\r\n<p>')}</p></body></html>`;
    text =
      `${head.join('\r\n')}\r\nContent-Type: multipart/alternative; boundary="${b}"\r\n\r\n` +
      `--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${plain}\r\n` +
      `--${b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n--${b}--\r\n`;
  } else {
    const b = `=_mix_${i}`;
    text =
      `${head.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary="${b}"\r\n\r\n` +
      'This is a multi-part message in MIME format.\r\n\r\n' +
      `--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body(random, size / 3)}\r\n` +
      `--${b}\r\nContent-Type: application/pdf; name="report-${i}.pdf"\r\n` +
      `Content-Disposition: attachment; filename="report-${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      `${base64Lines(random, Math.floor(size / 2))}\r\n--${b}--\r\n`;
  }
  return new TextEncoder().encode(text);
}
