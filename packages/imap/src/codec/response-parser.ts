import type { CommandFrame } from './fragmentizer.js';
import { Fragmentizer } from './fragmentizer.js';
import { decodeText, ImapSyntaxError, TokenReader } from './reader.js';
import type { FetchValue, NValue, Response, ResponseCode, StatusName } from './response.js';
import type { Section, StatusItem } from './types.js';

/**
 * The response grammar, for clients and tests: frames server output (a `Fragmentizer` in response
 * mode: `{n}` literals need no continuation) and parses each response. Never throws.
 */

export type ResponseParseResult =
  | { readonly ok: true; readonly response: Response }
  | { readonly ok: false; readonly message: string };

export class ResponseParser {
  private readonly fragmentizer = new Fragmentizer({ maxLineLength: 1 << 20, maxLiteralSize: 1 << 30 });

  push(bytes: Uint8Array): void {
    this.fragmentizer.push(bytes);
  }

  next(): ResponseParseResult | undefined {
    for (;;) {
      const fragment = this.fragmentizer.next();
      if (fragment === undefined) return undefined;
      if (fragment.type === 'continue') {
        this.fragmentizer.accept();
        continue;
      }
      if (fragment.type === 'error') return { ok: false, message: fragment.reason };
      if (fragment.type !== 'command') continue; // response mode never streams
      return parseResponse(fragment.frame);
    }
  }
}

/** Parses all complete responses in `bytes`. */
export function parseResponses(bytes: Uint8Array): ResponseParseResult[] {
  const parser = new ResponseParser();
  parser.push(bytes);
  const out: ResponseParseResult[] = [];
  for (let r = parser.next(); r !== undefined; r = parser.next()) out.push(r);
  return out;
}

export function parseResponse(frame: CommandFrame): ResponseParseResult {
  const r = new TokenReader(frame, { maxDepth: 64 });
  try {
    const response = parseBody(r);
    r.end();
    return { ok: true, response };
  } catch (error) {
    if (error instanceof ImapSyntaxError) return { ok: false, message: error.message };
    return { ok: false, message: 'Response too complex' };
  }
}

const STATUS = new Set(['OK', 'NO', 'BAD', 'PREAUTH', 'BYE']);

function parseBody(r: TokenReader): Response {
  if (r.maybe(0x2b)) {
    if (!r.maybe(0x20)) return { type: 'continuation', text: '' };
    return { type: 'continuation', text: r.rest() };
  }
  let tag = '*';
  if (!r.maybe(0x2a)) tag = r.run((c) => c > 0x20 && c < 0x7f && c !== 0x2b, 'tag');
  r.sp();
  if (tag === '*' && r.peek() >= 0x30 && r.peek() <= 0x39) {
    const n = r.number();
    r.sp();
    const kind = r.keyword();
    if (kind === 'EXISTS') return { type: 'exists', count: n };
    if (kind === 'RECENT') return { type: 'recent', count: n };
    if (kind === 'EXPUNGE') return { type: 'expunge', count: n };
    if (kind === 'FETCH') {
      r.sp();
      return { type: 'fetch', seq: n, items: fetchValues(r) };
    }
    return r.fail('unknown message data');
  }
  const word = r.keyword();
  if (STATUS.has(word)) return statusResponse(r, tag, word as StatusName);
  if (tag !== '*') return r.fail('tagged response must be a status');
  switch (word) {
    case 'CAPABILITY':
    case 'ENABLED': {
      const capabilities: string[] = [];
      while (r.maybe(0x20)) capabilities.push(r.atom());
      return { type: word === 'CAPABILITY' ? 'capability' : 'enabled', capabilities };
    }
    case 'FLAGS':
      r.sp();
      return { type: 'flags', flags: r.flagList() };
    case 'LIST':
    case 'LSUB': {
      r.sp();
      const attributes = r.flagList();
      r.sp();
      const delimiter = r.nstring();
      r.sp();
      const mailbox = r.mailbox();
      const base = { type: word === 'LIST' ? 'list' : 'lsub', attributes, delimiter, mailbox } as const;
      if (r.maybe(0x20)) {
        r.openList();
        if (!r.maybeWord('CHILDINFO ')) r.fail('unknown LIST extension');
        r.openList();
        const childInfo = [r.string()];
        while (r.maybe(0x20)) childInfo.push(r.string());
        r.closeList();
        r.closeList();
        return { ...base, childInfo };
      }
      return base;
    }
    case 'STATUS': {
      r.sp();
      const mailbox = r.mailbox();
      r.sp();
      r.openList();
      const items: [StatusItem, number][] = [];
      if (r.peek() !== 0x29) {
        do {
          const key = r.keyword() as StatusItem;
          r.sp();
          items.push([key, r.number()]);
        } while (r.maybe(0x20));
      }
      r.closeList();
      return { type: 'status-data', mailbox, items };
    }
    case 'SEARCH': {
      const ids: number[] = [];
      while (r.maybe(0x20)) ids.push(r.number());
      return { type: 'search', ids };
    }
    case 'ESEARCH':
      return esearch(r);
    case 'NAMESPACE': {
      r.sp();
      const personal = namespace(r);
      r.sp();
      const other = namespace(r);
      r.sp();
      return { type: 'namespace', personal, other, shared: namespace(r) };
    }
    case 'ID': {
      r.sp();
      if (r.maybeNil()) return { type: 'id', params: null };
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
      return { type: 'id', params };
    }
    default:
      return r.fail(`unknown response ${word.slice(0, 40)}`);
  }
}

function statusResponse(r: TokenReader, tag: string, status: StatusName): Response {
  let code: ResponseCode | undefined;
  if (!r.maybe(0x20)) return { type: 'status', tag, status, text: '' };
  if (r.maybe(0x5b)) {
    const name = r.run((c) => c > 0x20 && c < 0x7f && c !== 0x5d, 'response code').toUpperCase();
    if (r.maybe(0x20)) code = { name, data: r.until(0x5d) };
    else code = { name };
    r.expectByte(0x5d, ']');
    if (!r.maybe(0x20)) return { type: 'status', tag, status, code, text: '' };
  }
  const text = r.rest();
  return code === undefined
    ? { type: 'status', tag, status, text }
    : { type: 'status', tag, status, code, text };
}

function esearch(r: TokenReader): Response {
  let tag: string | undefined;
  let uid = false;
  const result: { min?: number; max?: number; count?: number; all?: ReturnType<TokenReader['sequenceSet']> } =
    {};
  if (r.peek() === 0x20 && r.peekAt(1) === 0x28) {
    r.sp();
    r.openList();
    if (!r.maybeWord('TAG ')) r.fail('expected TAG');
    tag = r.string();
    r.closeList();
  }
  while (r.maybe(0x20)) {
    const key = r.keyword();
    if (key === 'UID') {
      uid = true;
      continue;
    }
    r.sp();
    if (key === 'MIN') result.min = r.number();
    else if (key === 'MAX') result.max = r.number();
    else if (key === 'COUNT') result.count = r.number();
    else if (key === 'ALL') result.all = r.sequenceSet();
    else r.fail('unknown ESEARCH item');
  }
  return { type: 'esearch', ...(tag === undefined ? {} : { tag }), uid, ...result };
}

function namespace(r: TokenReader): [string, string | null][] | null {
  if (r.maybeNil()) return null;
  r.openList();
  const out: [string, string | null][] = [];
  do {
    r.openList();
    const prefix = r.string();
    r.sp();
    out.push([prefix, r.nstring()]);
    r.closeList();
  } while (r.peek() === 0x28);
  r.closeList();
  return out;
}

function value(r: TokenReader): NValue {
  if (r.peek() === 0x28) {
    r.openList();
    const items: NValue[] = [];
    if (r.peek() !== 0x29) {
      items.push(listItem(r));
      while (r.maybe(0x20)) items.push(listItem(r));
    }
    r.closeList();
    return items;
  }
  if (r.peek() >= 0x30 && r.peek() <= 0x39) return r.number();
  if (r.maybeNil()) return null;
  return r.string();
}

/** A list item; lists written back to back become one `concat`. */
function listItem(r: TokenReader): NValue {
  const first = value(r);
  if (!Array.isArray(first) || r.peek() !== 0x28) return first;
  const concat: NValue[][] = [first as NValue[]];
  while (r.peek() === 0x28) concat.push(value(r) as NValue[]);
  return { concat };
}

function dataValue(r: TokenReader): Uint8Array | null {
  if (r.maybeNil()) return null;
  return r.stringBytes(true);
}

function partNumbers(r: TokenReader): number[] {
  const part: number[] = [];
  if (r.peek() !== 0x5d) {
    part.push(r.nzNumber());
    while (r.maybe(0x2e)) part.push(r.nzNumber());
  }
  return part;
}

function section(r: TokenReader): Section {
  const part: number[] = [];
  while (r.peek() >= 0x31 && r.peek() <= 0x39) {
    part.push(r.nzNumber());
    if (!r.maybe(0x2e)) break;
  }
  if (r.peek() === 0x5d) return { part };
  const text = r
    .run((c) => (c >= 0x41 && c <= 0x5a) || c === 0x2e, 'section')
    .toUpperCase() as Section['text'];
  if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') {
    r.sp();
    r.openList();
    const fields = [r.astring()];
    while (r.maybe(0x20)) fields.push(r.astring());
    r.closeList();
    return { part, text, fields };
  }
  return text === undefined ? { part } : { part, text };
}

function origin(r: TokenReader): number | undefined {
  if (!r.maybe(0x3c)) return undefined;
  const n = r.number();
  r.expectByte(0x3e, '>');
  return n;
}

function fetchValues(r: TokenReader): FetchValue[] {
  r.openList();
  const items: FetchValue[] = [];
  if (r.peek() !== 0x29) {
    do items.push(fetchValue(r));
    while (r.maybe(0x20));
  }
  r.closeList();
  return items;
}

function fetchValue(r: TokenReader): FetchValue {
  const name = r
    .run(
      (c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e,
      'item',
    )
    .toUpperCase();
  if (r.maybe(0x5b)) {
    if (name === 'BODY') {
      const s = section(r);
      r.expectByte(0x5d, ']');
      const o = origin(r);
      r.sp();
      const data = dataValue(r);
      return o === undefined
        ? { item: 'BODY[]', section: s, data }
        : { item: 'BODY[]', section: s, origin: o, data };
    }
    const part = partNumbers(r);
    r.expectByte(0x5d, ']');
    if (name === 'BINARY.SIZE') {
      r.sp();
      return { item: 'BINARY.SIZE', part, size: r.number() };
    }
    if (name !== 'BINARY') r.fail('unknown section item');
    const o = origin(r);
    r.sp();
    const data = dataValue(r);
    return o === undefined ? { item: 'BINARY[]', part, data } : { item: 'BINARY[]', part, origin: o, data };
  }
  r.sp();
  switch (name) {
    case 'FLAGS':
      return { item: 'FLAGS', flags: r.flagList() };
    case 'UID':
    case 'RFC822.SIZE':
      return { item: name, value: r.number() };
    case 'MODSEQ': {
      r.openList();
      const v = r.number();
      r.closeList();
      return { item: 'MODSEQ', value: v };
    }
    case 'INTERNALDATE':
      return { item: 'INTERNALDATE', value: r.dateTime() };
    case 'ENVELOPE':
    case 'BODYSTRUCTURE':
    case 'BODY':
      return { item: name, value: value(r) };
    case 'RFC822':
    case 'RFC822.HEADER':
    case 'RFC822.TEXT':
      return { item: name, data: dataValue(r) };
    default:
      return r.fail(`unknown fetch item ${name.slice(0, 40)}`);
  }
}

export { decodeText };
