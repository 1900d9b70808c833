import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from './command-parser.js';
import { serializeCommand } from './command-serializer.js';
import { Fragmentizer } from './fragmentizer.js';
import type { NValue, Response } from './response.js';
import { serializeResponse } from './response.js';
import { parseResponses } from './response-parser.js';
import type { Command, FetchItem, ImapDate, SearchKey, SequenceSet } from './types.js';

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const anyText = fc
  .string({ unit: 'binary', maxLength: 12 })
  .filter((s) => !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')));
const atom = fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/);
const tag = fc.stringMatching(/^[A-Za-z0-9.]{1,8}$/);
const mailbox = fc.oneof(text, anyText).map((s) => (s.toUpperCase() === 'INBOX' ? 'INBOX' : s));
const nz = fc.integer({ min: 1, max: 0xffffffff });
const seqNumber = fc.oneof(nz, fc.constant('*' as const));
const seqSet: fc.Arbitrary<SequenceSet> = fc.oneof(
  fc.constant('$' as const),
  fc.array(fc.tuple(seqNumber, seqNumber), { minLength: 1, maxLength: 4 }),
);
const flag = fc.oneof(atom, fc.constantFrom('\\Seen', '\\Deleted', '\\Answered', '\\Flagged', '\\Draft'));
const date: fc.Arbitrary<ImapDate> = fc.record({
  year: fc.integer({ min: 1000, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
});
const dateTime = fc.record({
  year: fc.integer({ min: 1000, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  zone: fc.integer({ min: -1439, max: 1439 }),
});
const part = fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 3 });
const partial = fc.record({ offset: fc.nat(), length: nz });

const searchKey: fc.Arbitrary<SearchKey> = fc.letrec<{ key: SearchKey }>((tie) => ({
  key: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .constantFrom('ALL', 'SEEN', 'UNSEEN', 'DELETED', 'NEW', 'RECENT', 'UNDRAFT')
      .map((key) => ({ key }) as SearchKey),
    fc.record({
      key: fc.constantFrom('FROM', 'SUBJECT', 'BODY', 'TEXT', 'TO', 'CC', 'BCC'),
      value: fc.oneof(text, anyText),
    }) as fc.Arbitrary<SearchKey>,
    fc.record({ key: fc.constant('HEADER'), field: atom, value: text }) as fc.Arbitrary<SearchKey>,
    fc.record({ key: fc.constantFrom('BEFORE', 'ON', 'SINCE', 'SENTON'), date }) as fc.Arbitrary<SearchKey>,
    fc.record({ key: fc.constantFrom('LARGER', 'SMALLER'), size: fc.nat() }) as fc.Arbitrary<SearchKey>,
    fc.record({ key: fc.constantFrom('UID', 'SEQ'), set: seqSet }) as fc.Arbitrary<SearchKey>,
    fc.record({ key: fc.constantFrom('KEYWORD', 'UNKEYWORD'), flag: atom }) as fc.Arbitrary<SearchKey>,
    fc.record({ key: fc.constant('NOT'), inner: tie('key') }) as fc.Arbitrary<SearchKey>,
    fc.record({ key: fc.constant('OR'), left: tie('key'), right: tie('key') }) as fc.Arbitrary<SearchKey>,
    fc.record({
      key: fc.constant('AND'),
      keys: fc.array(tie('key'), { minLength: 1, maxLength: 3 }),
    }) as fc.Arbitrary<SearchKey>,
  ),
})).key;

const fetchItem: fc.Arbitrary<FetchItem> = fc.oneof(
  fc
    .constantFrom(
      'FLAGS',
      'UID',
      'ENVELOPE',
      'BODYSTRUCTURE',
      'BODY',
      'RFC822',
      'RFC822.SIZE',
      'INTERNALDATE',
    )
    .map((item) => ({ item }) as FetchItem),
  fc
    .record({
      peek: fc.boolean(),
      part,
      text: fc.constantFrom(undefined, 'HEADER', 'TEXT', 'MIME', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT'),
      fields: fc.array(
        atom.map((s) => s.toUpperCase()),
        { minLength: 1, maxLength: 3 },
      ),
      partial: fc.option(partial, { nil: undefined }),
    })
    .map(({ peek, part, text, fields, partial }) => {
      const t = text === 'MIME' && part.length === 0 ? 'TEXT' : text;
      const section =
        t === undefined
          ? { part }
          : t.startsWith('HEADER.FIELDS')
            ? { part, text: t, fields }
            : { part, text: t };
      return (
        partial === undefined ? { item: 'BODY[]', peek, section } : { item: 'BODY[]', peek, section, partial }
      ) as FetchItem;
    }),
  fc.record({ item: fc.constant('BINARY.SIZE' as const), part }),
);

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    tag,
    name: fc.constantFrom('NOOP', 'CAPABILITY', 'LOGOUT', 'IDLE', 'EXPUNGE', 'NAMESPACE'),
  }) as fc.Arbitrary<Command>,
  fc.record({ tag, name: fc.constant('LOGIN' as const), username: anyText, password: anyText }),
  fc.record({
    tag,
    name: fc.constantFrom('SELECT', 'EXAMINE', 'CREATE', 'DELETE', 'SUBSCRIBE'),
    mailbox,
  }) as fc.Arbitrary<Command>,
  fc.record({ tag, name: fc.constant('RENAME' as const), mailbox, newName: mailbox }),
  fc.record({
    tag,
    name: fc.constant('LIST' as const),
    selection: fc.array(fc.constantFrom('SUBSCRIBED', 'REMOTE'), { maxLength: 2 }),
    reference: mailbox,
    patterns: fc.array(mailbox, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    tag,
    name: fc.constant('STATUS' as const),
    mailbox,
    items: fc.array(fc.constantFrom('MESSAGES', 'UIDNEXT', 'UNSEEN', 'SIZE'), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    tag,
    name: fc.constant('APPEND' as const),
    mailbox,
    messages: fc.array(
      fc.record(
        {
          flags: fc.array(flag, { maxLength: 3 }),
          data: fc.uint8Array({ maxLength: 40 }),
          binary: fc.boolean(),
          utf8: fc.constant(true),
        },
        { requiredKeys: ['flags', 'data', 'binary'] },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    tag,
    name: fc.constant('APPEND' as const),
    mailbox,
    messages: fc.array(
      fc.record({
        flags: fc.constant([]),
        date: dateTime,
        data: fc.uint8Array({ maxLength: 10 }),
        binary: fc.constant(false),
      }),
      { minLength: 1, maxLength: 2 },
    ),
  }),
  fc.record(
    {
      tag,
      name: fc.constant('SEARCH' as const),
      uid: fc.boolean(),
      charset: fc.constant('UTF-8'),
      returns: fc.array(fc.constantFrom('MIN', 'MAX', 'COUNT', 'ALL', 'SAVE'), { maxLength: 3 }),
      criteria: fc.array(searchKey, { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: ['tag', 'name', 'uid', 'criteria'] },
  ) as fc.Arbitrary<Command>,
  fc.record({
    tag,
    name: fc.constant('FETCH' as const),
    uid: fc.boolean(),
    sequence: seqSet,
    items: fc.array(fetchItem, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    tag,
    name: fc.constant('STORE' as const),
    uid: fc.boolean(),
    sequence: seqSet,
    mode: fc.constantFrom('set', 'add', 'remove'),
    silent: fc.boolean(),
    flags: fc.array(flag, { maxLength: 3 }),
  }) as fc.Arbitrary<Command>,
  fc.record({
    tag,
    name: fc.constantFrom('COPY', 'MOVE'),
    uid: fc.boolean(),
    sequence: seqSet,
    mailbox,
  }) as fc.Arbitrary<Command>,
  fc.record({ tag, name: fc.constant('UID EXPUNGE' as const), sequence: seqSet }),
  fc.record({
    tag,
    name: fc.constant('ENABLE' as const),
    capabilities: fc.array(
      atom.map((a) => a.toUpperCase()),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    tag,
    name: fc.constant('ID' as const),
    params: fc.option(fc.array(fc.tuple(text, fc.option(text, { nil: null })), { maxLength: 3 }), {
      nil: null,
    }),
  }),
);

function parseAll(bytes: Uint8Array) {
  const f = new Fragmentizer();
  f.push(bytes);
  const results = [];
  for (let x = f.next(); x !== undefined; x = f.next()) {
    if (x.type === 'continue') f.accept();
    else if (x.type === 'command') results.push(parseCommand(x.frame));
    else if (x.type === 'error') results.push({ ok: false as const, tag: x.tag, message: x.reason });
  }
  return results;
}

const nvalue: fc.Arbitrary<NValue> = fc.letrec<{ v: NValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.nat(),
    anyText,
    text,
    fc.array(tie('v'), { maxLength: 4 }),
    fc
      .array(fc.array(tie('v'), { maxLength: 3 }), { minLength: 2, maxLength: 3 })
      .map((concat) => ({ concat })),
  ),
})).v;
const topValue = fc.array(nvalue, { maxLength: 5 });

const response: fc.Arbitrary<Response> = fc.oneof(
  fc.record({
    type: fc.constant('status' as const),
    tag: fc.oneof(tag, fc.constant('*')),
    status: fc.constantFrom('OK', 'NO', 'BAD'),
    text: atom,
  }),
  fc.record({
    type: fc.constant('status' as const),
    tag,
    status: fc.constantFrom('OK', 'NO'),
    code: fc.record(
      { name: fc.constantFrom('TOOBIG', 'READ-ONLY'), data: fc.constantFrom('1 2', 'x') },
      { requiredKeys: ['name'] },
    ),
    text: atom,
  }),
  fc.record({ type: fc.constant('continuation' as const), text: atom }),
  fc.record({
    type: fc.constantFrom('capability', 'enabled'),
    capabilities: fc.array(atom, { maxLength: 4 }),
  }) as fc.Arbitrary<Response>,
  fc.record({
    type: fc.constantFrom('exists', 'recent', 'expunge'),
    count: fc.nat(),
  }) as fc.Arbitrary<Response>,
  fc.record({
    type: fc.constant('list' as const),
    attributes: fc.array(fc.constantFrom('\\HasChildren', '\\Noselect', '\\Sent'), { maxLength: 2 }),
    delimiter: fc.constantFrom('/', '.', null),
    mailbox,
  }),
  fc.record({
    type: fc.constant('status-data' as const),
    mailbox,
    items: fc.array(fc.tuple(fc.constantFrom('MESSAGES', 'UIDNEXT'), fc.nat()), { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('search' as const), ids: fc.array(nz, { maxLength: 5 }) }),
  fc.record(
    {
      type: fc.constant('esearch' as const),
      tag,
      uid: fc.boolean(),
      min: nz,
      max: nz,
      count: fc.nat(),
      all: seqSet.filter((s) => s !== '$'),
    },
    { requiredKeys: ['type', 'uid'] },
  ),
  fc.record({
    type: fc.constant('fetch' as const),
    seq: nz,
    items: fc.array(
      fc.oneof(
        fc.record({ item: fc.constant('FLAGS' as const), flags: fc.array(flag, { maxLength: 3 }) }),
        fc.record({ item: fc.constantFrom('UID', 'RFC822.SIZE'), value: fc.nat() }),
        fc.record({ item: fc.constant('INTERNALDATE' as const), value: dateTime }),
        fc.record({ item: fc.constantFrom('ENVELOPE', 'BODYSTRUCTURE'), value: topValue }),
        fc.record(
          {
            item: fc.constant('BODY[]' as const),
            section: fc.constant({ part: [1, 2], text: 'TEXT' as const }),
            origin: fc.nat(),
            data: fc.option(fc.uint8Array({ maxLength: 30 }), { nil: null }),
          },
          { requiredKeys: ['item', 'section', 'data'] },
        ),
        fc.record({ item: fc.constant('BINARY[]' as const), part, data: fc.uint8Array({ maxLength: 30 }) }),
        fc.record({ item: fc.constantFrom('RFC822', 'RFC822.TEXT'), data: fc.uint8Array({ maxLength: 30 }) }),
      ) as fc.Arbitrary<never>,
      { maxLength: 4 },
    ),
  }),
);

describe('codec properties', () => {
  it('every command round-trips through serialize and parse', () => {
    fc.assert(
      fc.property(
        command,
        fc.constantFrom('sync', 'plus') as fc.Arbitrary<'sync' | 'plus'>,
        (cmd, literal) => {
          const results = parseAll(serializeCommand(cmd, { literal }));
          expect(results).toEqual([{ ok: true, command: cmd }]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every response round-trips through serialize and parse', () => {
    fc.assert(
      fc.property(response, (r) => {
        expect(parseResponses(serializeResponse(r))).toEqual([{ ok: true, response: r }]);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes give commands or errors, never a throw or a hang', () => {
    const alphabet = fc.constantFrom(
      ...'a1 {}~+()[]<>"\\*$:,.\r\nFETCH SEARCH OR NOT UID 0 5 BODY'.split(''),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.array(alphabet, { maxLength: 80 }).map((a) => new TextEncoder().encode(a.join(''))),
        ),
        (bytes) => {
          parseAll(bytes);
          parseResponses(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('fragmentizer properties', () => {
  function frameAll(chunks: Uint8Array[]) {
    const f = new Fragmentizer({ maxLineLength: 64, maxLiteralSize: 32, streamAbove: 16 });
    const out: unknown[] = [];
    for (const chunk of chunks) {
      f.push(chunk);
      for (let x = f.next(); x !== undefined; x = f.next()) {
        if (x.type === 'continue' || x.type === 'literal-start') f.accept();
        if (x.type === 'literal-data') out.push({ type: 'data', bytes: [...x.bytes] });
        else if (x.type === 'command')
          out.push({
            type: 'command',
            lines: x.frame.lines.map((l) => [...l]),
            literals: x.frame.literals.map((l) => [...l]),
          });
        else out.push(x.type === 'literal-start' ? { type: x.type, size: x.size } : x);
      }
    }
    // Streamed literal data may arrive in different pieces: compare it joined.
    const joined: unknown[] = [];
    for (const item of out) {
      const last = joined[joined.length - 1] as { type: string; bytes: number[] } | undefined;
      const cur = item as { type: string; bytes?: number[] };
      if (cur.type === 'data' && last?.type === 'data') last.bytes.push(...cur.bytes!);
      else joined.push(cur.type === 'data' ? { type: 'data', bytes: [...cur.bytes!] } : item);
    }
    return joined;
  }

  it('frames the same commands whatever the input split', () => {
    const alphabet = fc.constantFrom(
      ...[
        'a APPEND x ',
        'b NOOP',
        '{3}\r\n',
        '{20+}\r\n',
        '~{2}\r\n',
        'abc',
        'x'.repeat(30),
        '\r\n',
        '\n',
        ' ',
      ],
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (parts, cuts) => {
          const bytes = new TextEncoder().encode(parts.join(''));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (const p of points) {
            chunks.push(bytes.slice(at, p));
            at = p;
          }
          chunks.push(bytes.slice(at));
          expect(frameAll(chunks)).toEqual(frameAll([bytes]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
