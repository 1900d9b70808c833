import type { CommandFrame } from './fragmentizer.js';
import { peekTag } from './fragmentizer.js';
import { BASE64, NAME } from './chars.js';
import { ImapSyntaxError, TokenReader } from './reader.js';
import type {
  AppendMessage,
  Command,
  EsearchReturn,
  FetchItem,
  ListReturn,
  Partial,
  SearchKey,
  Section,
  StatusItem,
} from './types.js';

/**
 * The command grammar (RFC 9051 §9, with RFC 3501 items, LIST-EXTENDED, LIST-STATUS, ESEARCH,
 * SEARCHRES, MULTIAPPEND, BINARY, MOVE, UIDPLUS, ENABLE, ID, IDLE). Input is one framed command;
 * output is a typed `Command` or a syntax error carrying the tag to answer `BAD` to. Never throws.
 */

export type ParseResult =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly tag: string | undefined; readonly message: string };

export interface CommandParserOptions {
  /** Deepest parenthesised nesting (search keys). Default 32. */
  readonly maxDepth?: number;
}

const DEFAULT_LIMITS = { maxDepth: 32 };

export function parseCommand(frame: CommandFrame, options: CommandParserOptions = {}): ParseResult {
  const tag = peekTag(frame.lines[0]);
  if (tag === undefined) return { ok: false, tag: undefined, message: 'Missing or invalid tag' };
  const reader = new TokenReader(
    frame,
    options.maxDepth === undefined ? DEFAULT_LIMITS : { maxDepth: options.maxDepth },
  );
  try {
    reader.skip(tag.length);
    reader.sp();
    const command = parseBody(reader, tag);
    reader.end();
    return { ok: true, command };
  } catch (error) {
    if (error instanceof ImapSyntaxError) return { ok: false, tag, message: error.message };
    // RangeError from deep recursion on hostile input: still a syntax error, never a throw.
    return { ok: false, tag, message: 'Command too complex' };
  }
}

const SIMPLE = new Set([
  'CAPABILITY',
  'NOOP',
  'LOGOUT',
  'STARTTLS',
  'CLOSE',
  'UNSELECT',
  'EXPUNGE',
  'IDLE',
  'CHECK',
  'NAMESPACE',
]);

function parseBody(r: TokenReader, tag: string): Command {
  const name = r.keyword();
  if (SIMPLE.has(name)) return { tag, name } as Command;
  switch (name) {
    case 'LOGIN': {
      r.sp();
      const username = r.astring();
      r.sp();
      return { tag, name, username, password: r.astring() };
    }
    case 'AUTHENTICATE': {
      r.sp();
      const mechanism = r.keyword();
      if (r.maybe(0x20)) {
        const initialResponse = r.runClass(BASE64, 'base64');
        return { tag, name, mechanism, initialResponse };
      }
      return { tag, name, mechanism };
    }
    case 'ENABLE': {
      const capabilities: string[] = [];
      do {
        r.sp();
        capabilities.push(r.keyword());
      } while (!r.atEnd());
      return { tag, name, capabilities };
    }
    case 'ID': {
      r.sp();
      if (r.maybeNil()) return { tag, name, params: null };
      r.openList();
      const params: [string, string | null][] = [];
      if (r.peek() !== 0x29) {
        do {
          const key = r.string();
          r.sp();
          params.push([key, r.nstring()]);
        } while (r.maybe(0x20));
      }
      r.closeList();
      return { tag, name, params };
    }
    case 'SELECT':
    case 'EXAMINE':
    case 'CREATE':
    case 'DELETE':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      r.sp();
      return { tag, name, mailbox: r.mailbox() };
    case 'RENAME': {
      r.sp();
      const mailbox = r.mailbox();
      r.sp();
      return { tag, name, mailbox, newName: r.mailbox() };
    }
    case 'LIST':
      return parseList(r, tag);
    case 'LSUB': {
      r.sp();
      const reference = r.mailbox();
      r.sp();
      return { tag, name, reference, pattern: r.listMailbox() };
    }
    case 'STATUS': {
      r.sp();
      const mailbox = r.mailbox();
      r.sp();
      return { tag, name, mailbox, items: statusItems(r) };
    }
    case 'APPEND':
      return parseAppend(r, tag);
    case 'UID': {
      r.sp();
      const sub = r.keyword();
      if (sub === 'EXPUNGE') {
        r.sp();
        return { tag, name: 'UID EXPUNGE', sequence: r.sequenceSet() };
      }
      return parseSequenceCommand(r, tag, sub, true);
    }
    case 'SEARCH':
    case 'FETCH':
    case 'STORE':
    case 'COPY':
    case 'MOVE':
      return parseSequenceCommand(r, tag, name, false);
    default:
      return r.fail(`Unknown command ${name.slice(0, 40)}`);
  }
}

function parseSequenceCommand(r: TokenReader, tag: string, name: string, uid: boolean): Command {
  switch (name) {
    case 'SEARCH':
      return parseSearch(r, tag, uid);
    case 'FETCH': {
      r.sp();
      const sequence = r.sequenceSet();
      r.sp();
      return { tag, name, uid, sequence, items: fetchItems(r) };
    }
    case 'STORE': {
      r.sp();
      const sequence = r.sequenceSet();
      r.sp();
      let mode: 'set' | 'add' | 'remove' = 'set';
      if (r.maybe(0x2b)) mode = 'add';
      else if (r.maybe(0x2d)) mode = 'remove';
      if (!r.maybeWord('FLAGS')) r.fail('expected FLAGS');
      const silent = r.maybeWord('.SILENT');
      r.sp();
      let flags: string[];
      if (r.peek() === 0x28) flags = r.flagList();
      else {
        flags = [r.flag()];
        while (r.maybe(0x20)) flags.push(r.flag());
      }
      return { tag, name, uid, sequence, mode, silent, flags };
    }
    case 'COPY':
    case 'MOVE': {
      r.sp();
      const sequence = r.sequenceSet();
      r.sp();
      return { tag, name, uid, sequence, mailbox: r.mailbox() };
    }
    default:
      return r.fail(`Unknown UID command ${name.slice(0, 40)}`);
  }
}

const STATUS_ITEMS = new Set<string>([
  'MESSAGES',
  'UIDNEXT',
  'UIDVALIDITY',
  'UNSEEN',
  'DELETED',
  'SIZE',
  'RECENT',
  'APPENDLIMIT',
  'HIGHESTMODSEQ',
]);

function statusItems(r: TokenReader): StatusItem[] {
  r.openList();
  const items: StatusItem[] = [];
  do {
    const item = r.keyword();
    if (!STATUS_ITEMS.has(item)) r.fail(`Unknown status item ${item.slice(0, 40)}`);
    items.push(item as StatusItem);
  } while (r.maybe(0x20));
  r.closeList();
  return items;
}

function parseList(r: TokenReader, tag: string): Command {
  r.sp();
  const selection: string[] = [];
  if (r.peek() === 0x28) {
    r.openList();
    if (r.peek() !== 0x29) {
      do selection.push(r.keyword());
      while (r.maybe(0x20));
    }
    r.closeList();
    r.sp();
  }
  const reference = r.mailbox();
  r.sp();
  const patterns: string[] = [];
  if (r.peek() === 0x28) {
    r.openList();
    do patterns.push(r.listMailbox());
    while (r.maybe(0x20));
    r.closeList();
  } else {
    patterns.push(r.listMailbox());
  }
  if (!r.maybe(0x20)) return { tag, name: 'LIST', selection, reference, patterns };
  if (!r.maybeWord('RETURN')) r.fail('expected RETURN');
  r.sp();
  r.openList();
  let returns: ListReturn = { subscribed: false, children: false, specialUse: false };
  if (r.peek() !== 0x29) {
    do {
      const option = r.keyword();
      if (option === 'SUBSCRIBED') returns = { ...returns, subscribed: true };
      else if (option === 'CHILDREN') returns = { ...returns, children: true };
      else if (option === 'SPECIAL-USE') returns = { ...returns, specialUse: true };
      else if (option === 'STATUS') {
        r.sp();
        returns = { ...returns, status: statusItems(r) };
      } else r.fail(`Unknown LIST return option ${option.slice(0, 40)}`);
    } while (r.maybe(0x20));
  }
  r.closeList();
  return { tag, name: 'LIST', selection, reference, patterns, returns };
}

function parseAppend(r: TokenReader, tag: string): Command {
  r.sp();
  const mailbox = r.mailbox();
  const messages: AppendMessage[] = [];
  // RFC 3502: one or more messages, each with its own flags and date.
  while (r.maybe(0x20)) {
    let flags: string[] = [];
    let date: AppendMessage['date'];
    if (r.peek() === 0x28) {
      flags = r.flagList();
      r.sp();
    }
    if (r.peek() === 0x22) {
      date = r.dateTime();
      r.sp();
    }
    // RFC 6855 §4: UTF8 (literal8) carries a message with UTF-8 headers.
    const utf8 = r.maybeWord('UTF8 (');
    const { bytes, binary } = r.literal(true);
    if (utf8) r.expectByte(0x29, ')');
    const message: AppendMessage =
      date === undefined ? { flags, data: bytes, binary } : { flags, date, data: bytes, binary };
    messages.push(utf8 ? { ...message, utf8: true } : message);
  }
  if (messages.length === 0) r.fail('expected a message');
  return { tag, name: 'APPEND', mailbox, messages };
}

const RETURNS = new Set(['MIN', 'MAX', 'COUNT', 'ALL', 'SAVE']);

function parseSearch(r: TokenReader, tag: string, uid: boolean): Command {
  r.sp();
  let returns: EsearchReturn[] | undefined;
  if (r.maybeWord('RETURN ')) {
    returns = [];
    r.openList();
    if (r.peek() !== 0x29) {
      do {
        const option = r.keyword();
        if (!RETURNS.has(option)) r.fail(`Unknown search return option ${option.slice(0, 40)}`);
        returns.push(option as EsearchReturn);
      } while (r.maybe(0x20));
    }
    r.closeList();
    r.sp();
  }
  let charset: string | undefined;
  if (r.maybeWord('CHARSET ')) {
    charset = r.astring();
    r.sp();
  }
  const criteria: SearchKey[] = [searchKey(r)];
  while (r.maybe(0x20)) criteria.push(searchKey(r));
  if (charset === undefined) {
    return returns === undefined
      ? { tag, name: 'SEARCH', uid, criteria }
      : { tag, name: 'SEARCH', uid, returns, criteria };
  }
  return returns === undefined
    ? { tag, name: 'SEARCH', uid, charset, criteria }
    : { tag, name: 'SEARCH', uid, charset, returns, criteria };
}

const FLAG_KEYS = new Set([
  'ALL',
  'ANSWERED',
  'DELETED',
  'DRAFT',
  'FLAGGED',
  'NEW',
  'OLD',
  'RECENT',
  'SEEN',
  'UNANSWERED',
  'UNDELETED',
  'UNDRAFT',
  'UNFLAGGED',
  'UNSEEN',
]);
const STRING_KEYS = new Set(['BCC', 'BODY', 'CC', 'FROM', 'SUBJECT', 'TEXT', 'TO']);
const DATE_KEYS = new Set(['BEFORE', 'ON', 'SINCE', 'SENTBEFORE', 'SENTON', 'SENTSINCE']);

function searchKey(r: TokenReader): SearchKey {
  const c = r.peek();
  if (c === 0x28) {
    r.openList();
    const keys: SearchKey[] = [searchKey(r)];
    while (r.maybe(0x20)) keys.push(searchKey(r));
    r.closeList();
    return { key: 'AND', keys };
  }
  if ((c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x24) return { key: 'SEQ', set: r.sequenceSet() };
  const key = r.keyword();
  if (FLAG_KEYS.has(key)) return { key } as SearchKey;
  if (STRING_KEYS.has(key)) {
    r.sp();
    return { key, value: r.astring() } as SearchKey;
  }
  if (DATE_KEYS.has(key)) {
    r.sp();
    return { key, date: r.date() } as SearchKey;
  }
  switch (key) {
    case 'KEYWORD':
    case 'UNKEYWORD':
      r.sp();
      return { key, flag: r.atom() };
    case 'HEADER': {
      r.sp();
      const field = r.astring();
      r.sp();
      return { key, field, value: r.astring() };
    }
    case 'LARGER':
    case 'SMALLER':
      r.sp();
      return { key, size: r.number() };
    case 'UID':
      r.sp();
      return { key, set: r.sequenceSet() };
    case 'NOT': {
      r.sp();
      r.depth += 1;
      if (r.depth > r.limits.maxDepth) r.fail('nesting too deep');
      const inner = searchKey(r);
      r.depth -= 1;
      return { key, inner };
    }
    case 'OR': {
      r.sp();
      r.depth += 1;
      if (r.depth > r.limits.maxDepth) r.fail('nesting too deep');
      const left = searchKey(r);
      r.sp();
      const right = searchKey(r);
      r.depth -= 1;
      return { key, left, right };
    }
    default:
      return r.fail(`Unknown search key ${key.slice(0, 40)}`);
  }
}

const SIMPLE_FETCH = new Set([
  'FLAGS',
  'INTERNALDATE',
  'RFC822.SIZE',
  'ENVELOPE',
  'BODYSTRUCTURE',
  'BODY',
  'UID',
  'RFC822',
  'RFC822.HEADER',
  'RFC822.TEXT',
  'MODSEQ',
]);

function fetchItems(r: TokenReader): FetchItem[] {
  if (r.peek() === 0x28) {
    r.openList();
    const items = [fetchItem(r)];
    while (r.maybe(0x20)) items.push(fetchItem(r));
    r.closeList();
    return items;
  }
  // Macros (RFC 9051 §6.4.5).
  if (r.maybeWord('ALL')) return macro(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE']);
  if (r.maybeWord('FAST')) return macro(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE']);
  if (r.maybeWord('FULL')) return macro(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY']);
  return [fetchItem(r)];
}

function macro(names: string[]): FetchItem[] {
  return names.map((item) => ({ item }) as FetchItem);
}

function fetchItem(r: TokenReader): FetchItem {
  const name = r.upperRun(NAME, 'fetch attribute');
  if (r.peek() === 0x5b) {
    if (name === 'BODY' || name === 'BODY.PEEK') {
      const section = parseSection(r);
      const partial = parsePartial(r);
      const peek = name === 'BODY.PEEK';
      return partial === undefined
        ? { item: 'BODY[]', peek, section }
        : { item: 'BODY[]', peek, section, partial };
    }
    if (name === 'BINARY' || name === 'BINARY.PEEK' || name === 'BINARY.SIZE') {
      r.skip();
      const part: number[] = [];
      if (r.peek() !== 0x5d) {
        part.push(r.nzNumber());
        while (r.maybe(0x2e)) part.push(r.nzNumber());
      }
      r.expectByte(0x5d, ']');
      if (name === 'BINARY.SIZE') return { item: 'BINARY.SIZE', part };
      const partial = parsePartial(r);
      const peek = name === 'BINARY.PEEK';
      return partial === undefined
        ? { item: 'BINARY[]', peek, part }
        : { item: 'BINARY[]', peek, part, partial };
    }
    r.fail(`Unexpected section after ${name.slice(0, 40)}`);
  }
  if (SIMPLE_FETCH.has(name)) return { item: name } as FetchItem;
  return r.fail(`Unknown fetch attribute ${name.slice(0, 40)}`);
}

function parseSection(r: TokenReader): Section {
  r.expectByte(0x5b, '[');
  const part: number[] = [];
  let text: Section['text'];
  let fields: string[] | undefined;
  if (r.peek() !== 0x5d) {
    while (r.peek() >= 0x31 && r.peek() <= 0x39) {
      part.push(r.nzNumber());
      if (!r.maybe(0x2e)) break;
    }
    const last = r.peek();
    if (last !== 0x5d) {
      const word = r.upperRun(NAME, 'section text');
      if (word === 'HEADER' || word === 'TEXT' || (word === 'MIME' && part.length > 0)) text = word;
      else if (word === 'HEADER.FIELDS' || word === 'HEADER.FIELDS.NOT') {
        text = word;
        r.sp();
        r.openList();
        fields = [r.upperAstring()];
        while (r.maybe(0x20)) fields.push(r.upperAstring());
        r.closeList();
      } else r.fail('bad section');
    }
  }
  r.expectByte(0x5d, ']');
  const section: Section = { part };
  if (text === undefined) return section;
  return fields === undefined ? { part, text } : { part, text, fields };
}

function parsePartial(r: TokenReader): Partial | undefined {
  if (!r.maybe(0x3c)) return undefined;
  const offset = r.number();
  r.expectByte(0x2e, '.');
  const length = r.nzNumber();
  r.expectByte(0x3e, '>');
  return { offset, length };
}
