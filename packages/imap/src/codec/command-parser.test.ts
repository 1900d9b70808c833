import { fromLatin1, latin1, utf8 } from '@mailwire/core';
import { describe, expect, it } from 'vitest';
import { parseCommand } from './command-parser.js';
import { serializeCommand } from './command-serializer.js';
import { type Fragment, Fragmentizer } from './fragmentizer.js';
import type { Command } from './types.js';

function frames(text: string | Uint8Array, options = {}): Fragment[] {
  const f = new Fragmentizer(options);
  f.push(typeof text === 'string' ? fromLatin1(text) : text);
  const out: Fragment[] = [];
  for (let x = f.next(); x !== undefined; x = f.next()) {
    out.push(x);
    if (x.type === 'continue') f.accept();
  }
  return out;
}

function parse(text: string): Command {
  const fs = frames(text).filter((f) => f.type === 'command');
  expect(fs).toHaveLength(1);
  const result = parseCommand(fs[0]!.type === 'command' ? fs[0]!.frame : { lines: [], literals: [] });
  if (!result.ok) throw new Error(result.message);
  return result.command;
}

function bad(text: string): string | undefined {
  const fs = frames(text).filter((f) => f.type === 'command');
  const result = parseCommand(fs[0]!.type === 'command' ? fs[0]!.frame : { lines: [], literals: [] });
  expect(result.ok).toBe(false);
  return result.ok ? undefined : result.tag;
}

describe('fragmentizer', () => {
  it('frames lines and synchronising literals, asking for a continuation', () => {
    const out = frames('a1 LOGIN {3}\r\nfoo {3+}\r\nbar\r\n');
    expect(out.map((f) => f.type)).toEqual(['continue', 'command']);
    const cmd = out[1]!;
    if (cmd.type !== 'command') throw new Error();
    expect(cmd.frame.literals.map(latin1)).toEqual(['foo', 'bar']);
    expect(cmd.frame.lines.map(latin1)).toEqual(['a1 LOGIN {3}', ' {3+}', '']);
  });

  it('refuses a too large synchronising literal without waiting for its bytes', () => {
    const out = frames('a1 APPEND INBOX {100}\r\na2 NOOP\r\n', { maxLiteralSize: 10 });
    expect(out).toEqual([
      { type: 'error', tag: 'a1', reason: 'literal-too-large' },
      expect.objectContaining({ type: 'command' }),
    ]);
  });

  it('skips a too large non-synchronising literal exactly and resynchronises', () => {
    const out = frames(`a1 APPEND INBOX {20+}\r\n${'x'.repeat(18)}\r\n {2+}\r\nab\r\na2 NOOP\r\n`, {
      maxLiteralSize: 10,
    });
    expect(out.map((f) => f.type)).toEqual(['error', 'command']);
    const cmd = out[1]!;
    if (cmd.type !== 'command') throw new Error();
    expect(latin1(cmd.frame.lines[0]!)).toBe('a2 NOOP');
  });

  it('applies LITERAL- to non-synchronising literals over 4096 octets', () => {
    const out = frames(`a1 APPEND INBOX {5000+}\r\n${'x'.repeat(5000)}\r\na2 NOOP\r\n`, {
      literalMinus: true,
    });
    expect(out.map((f) => f.type)).toEqual(['error', 'command']);
  });

  it('reports an overlong line with its tag and goes on', () => {
    const out = frames(`a1 NOOP ${'x'.repeat(100)}\r\na2 NOOP\r\n`, { maxLineLength: 50 });
    expect(out.map((f) => f.type)).toEqual(['error', 'command']);
  });

  it('frames literal8 and empty literals', () => {
    const out = frames('a1 APPEND INBOX ~{2}\r\n\0\x01 {0}\r\n\r\n');
    const cmd = out.find((f) => f.type === 'command');
    if (cmd?.type !== 'command') throw new Error();
    expect(cmd.frame.literals.map((l) => l.length)).toEqual([2, 0]);
  });
});

describe('command grammar', () => {
  it('parses tags, atoms, quoted strings with escapes and literals', () => {
    expect(parse('a1 LOGIN "fr\\"ed" {4}\r\np\\ss\r\n')).toEqual({
      tag: 'a1',
      name: 'LOGIN',
      username: 'fr"ed',
      password: 'p\\ss',
    });
  });

  it('parses sequence sets with *, reversed ranges and $', () => {
    expect(parse('a UID FETCH 5:3,*,7:* (UID)\r\n')).toMatchObject({
      uid: true,
      sequence: [
        [5, 3],
        ['*', '*'],
        [7, '*'],
      ],
    });
    expect(parse('a FETCH $ FLAGS\r\n')).toMatchObject({ sequence: '$' });
  });

  it('parses BODY sections with partials and HEADER.FIELDS', () => {
    const cmd = parse(
      'a FETCH 1 (BODY.PEEK[1.2.HEADER.FIELDS (From "To")]<10.20> BINARY[2] BINARY.SIZE[1] RFC822)\r\n',
    );
    expect(cmd).toMatchObject({
      items: [
        {
          item: 'BODY[]',
          peek: true,
          section: { part: [1, 2], text: 'HEADER.FIELDS', fields: ['FROM', 'TO'] },
          partial: { offset: 10, length: 20 },
        },
        { item: 'BINARY[]', peek: false, part: [2] },
        { item: 'BINARY.SIZE', part: [1] },
        { item: 'RFC822' },
      ],
    });
  });

  it('expands fetch macros', () => {
    expect(parse('a FETCH 1:* FAST\r\n')).toMatchObject({
      items: [{ item: 'FLAGS' }, { item: 'INTERNALDATE' }, { item: 'RFC822.SIZE' }],
    });
  });

  it('parses the search grammar: OR, NOT, nested lists, dates, sizes, headers', () => {
    const cmd = parse(
      'a UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM bob NOT SEEN) 1:5 SINCE 1-Feb-1994 LARGER 100 HEADER X-Y "z"\r\n',
    );
    expect(cmd).toEqual({
      tag: 'a',
      name: 'SEARCH',
      uid: true,
      charset: 'UTF-8',
      returns: ['MIN', 'COUNT'],
      criteria: [
        {
          key: 'OR',
          left: {
            key: 'AND',
            keys: [
              { key: 'FROM', value: 'bob' },
              { key: 'NOT', inner: { key: 'SEEN' } },
            ],
          },
          right: { key: 'SEQ', set: [[1, 5]] },
        },
        { key: 'SINCE', date: { year: 1994, month: 2, day: 1 } },
        { key: 'LARGER', size: 100 },
        { key: 'HEADER', field: 'X-Y', value: 'z' },
      ],
    });
  });

  it('limits search nesting depth', () => {
    expect(bad(`a SEARCH ${'('.repeat(100)}ALL${')'.repeat(100)}\r\n`)).toBe('a');
    expect(bad(`a SEARCH ${'NOT '.repeat(100)}ALL\r\n`)).toBe('a');
  });

  it('parses APPEND with flags, date-time and MULTIAPPEND', () => {
    const cmd = parse('a APPEND saved (\\Seen) " 7-Feb-1994 21:52:25 -0800" {3}\r\nabc ~{1}\r\n\0\r\n');
    expect(cmd).toMatchObject({
      mailbox: 'saved',
      messages: [
        {
          flags: ['\\Seen'],
          date: { day: 7, month: 2, year: 1994, hour: 21, minute: 52, second: 25, zone: -480 },
          binary: false,
        },
        { flags: [], binary: true },
      ],
    });
  });

  it('parses LIST-EXTENDED and LIST-STATUS', () => {
    expect(
      parse('a LIST (SUBSCRIBED) "" ("INBOX" "Lists/%") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n'),
    ).toEqual({
      tag: 'a',
      name: 'LIST',
      selection: ['SUBSCRIBED'],
      reference: '',
      patterns: ['INBOX', 'Lists/%'],
      returns: { subscribed: false, children: true, specialUse: false, status: ['MESSAGES', 'UNSEEN'] },
    });
  });

  it('normalises INBOX and keeps other names', () => {
    expect(parse('a SELECT inbox\r\n')).toMatchObject({ mailbox: 'INBOX' });
    expect(parse('a SELECT "&AOQ-"\r\n')).toMatchObject({ mailbox: '&AOQ-' });
  });

  it('parses STORE, COPY, MOVE, UID EXPUNGE, ENABLE, ID, AUTHENTICATE', () => {
    expect(parse('a STORE 1 +FLAGS.SILENT (\\Deleted)\r\n')).toMatchObject({
      mode: 'add',
      silent: true,
      flags: ['\\Deleted'],
    });
    expect(parse('a UID MOVE 1:2 Trash\r\n')).toMatchObject({ name: 'MOVE', uid: true });
    expect(parse('a UID EXPUNGE 3\r\n')).toMatchObject({ name: 'UID EXPUNGE' });
    expect(parse('a ENABLE UTF8=ACCEPT IMAP4rev2\r\n')).toMatchObject({
      capabilities: ['UTF8=ACCEPT', 'IMAP4REV2'],
    });
    expect(parse('a ID ("name" "x" "v" NIL)\r\n')).toMatchObject({
      params: [
        ['name', 'x'],
        ['v', null],
      ],
    });
    expect(parse('a AUTHENTICATE PLAIN AGZvbwBiYXI=\r\n')).toMatchObject({ initialResponse: 'AGZvbwBiYXI=' });
  });

  it('answers BAD with the tag on malformed commands', () => {
    expect(bad('a1 FETCH 0 FLAGS\r\n')).toBe('a1');
    expect(bad('a1 LOGIN "unterminated\r\n')).toBe('a1');
    expect(bad('a1 FROB\r\n')).toBe('a1');
    expect(bad('a1 NOOP extra\r\n')).toBe('a1');
    expect(bad('+bad NOOP\r\n')).toBeUndefined();
  });

  it('serializes commands with literals for 8-bit and CR/LF values', () => {
    const bytes = serializeCommand(
      { tag: 'a', name: 'LOGIN', username: 'jörg', password: 'a"b' },
      { literal: 'plus' },
    );
    expect(latin1(bytes)).toBe(`a LOGIN {5+}\r\n${latin1(utf8('jörg'))} "a\\"b"\r\n`);
  });
});

describe('fragmentizer streaming', () => {
  it('streams large APPEND literals and keeps the rest of the command', () => {
    const f = new Fragmentizer({ streamAbove: 4 });
    f.push(fromLatin1('a APPEND INBOX {10}\r\n0123456789 {2+}\r\nab\r\nb NOOP\r\n'));
    const start = f.next();
    expect(start).toMatchObject({ type: 'literal-start', tag: 'a', size: 10, sync: true });
    expect(f.next()).toBeUndefined();
    f.accept();
    expect(f.next()).toMatchObject({ type: 'literal-data', end: true });
    const cmd = f.next();
    if (cmd?.type !== 'command') throw new Error('expected command');
    const parsed = parseCommand(cmd.frame);
    expect(
      parsed.ok && parsed.command.name === 'APPEND' && parsed.command.messages.map((m) => m.data.length),
    ).toEqual([0, 2]);
    expect(f.next()).toMatchObject({ type: 'command' });
  });

  it('skips a refused non-synchronising streamed literal silently', () => {
    const f = new Fragmentizer({ streamAbove: 4 });
    f.push(fromLatin1('a APPEND INBOX {10+}\r\n0123456789 {3+}\r\nabc\r\nb NOOP\r\n'));
    expect(f.next()).toMatchObject({ type: 'literal-start', sync: false });
    f.refuse();
    const next = f.next();
    if (next?.type !== 'command') throw new Error('expected command');
    expect(latin1(next.frame.lines[0]!)).toBe('b NOOP');
  });
});

describe('fragmentizer framing', () => {
  it('drops an overlong line that arrives in pieces, then frames the next command', () => {
    const f = new Fragmentizer({ maxLineLength: 16 });
    const enc = new TextEncoder();
    const out: string[] = [];
    for (const piece of [
      'a1 NOOP xxxxxxxx',
      'xxxxxxxxxxxxxxxx',
      'xxxxxxxxxxxxxxxxxxx',
      'xx\r\na2 NO',
      'OP\r\n',
    ]) {
      f.push(enc.encode(piece));
      for (let x = f.next(); x !== undefined; x = f.next()) {
        out.push(x.type === 'command' ? `command ${new TextDecoder().decode(x.frame.lines[0])}` : x.type);
      }
    }
    expect(out).toEqual(['error', 'command a2 NOOP']);
    expect(f.buffered).toBe(0);
  });
});
