import {
  createDecoder,
  createTextDecoder,
  getParam,
  type MimeIndex,
  parseHeaderFields,
  type RawEnvelope,
  textParts,
} from '@mailwire/mime';
import type { MessageMeta } from '@mailwire/store';
import type { ImapDate, SearchKey } from '../codec/types.js';
import type { MailboxView } from '../session/mailbox-view.js';
import type { CommandContext, CommandOf, Handler } from './context.js';
import { decodeWords } from './decode.js';
import { mimeIndexOf, readBytes } from './message.js';
import { done, toSequenceSet } from './util.js';

/**
 * SEARCH and UID SEARCH (RFC 9051 §6.4.4) with ESEARCH return options (RFC 4731) and SEARCHRES
 * (RFC 5182). Header keys match the RFC 2047-decoded header; BODY and TEXT match the text parts
 * decoded from their transfer encoding and charset, streamed from the store part by part (only
 * text/* parts are read, never attachments, and never held whole). Matching is substring after
 * case folding: NFC normalisation then `toLowerCase()` (Unicode default case conversion), on both
 * sides — close to the i;unicode-casemap comparator RFC 9051 §6.4.4 asks for, without its
 * decomposition of titlecase and compatibility characters.
 */

const CHARSETS = new Set(['UTF-8', 'US-ASCII']);

export const search: Handler<CommandOf<'SEARCH'>> = async (ctx, command) => {
  if (command.charset !== undefined && !CHARSETS.has(command.charset.toUpperCase())) {
    ctx.tagged(command.tag, 'NO', 'Unsupported charset', { name: 'BADCHARSET', data: '(UTF-8 US-ASCII)' });
    return;
  }
  const view = ctx.selected!;
  const live = view.expunged.size === 0 ? view.uids : view.uids.filter((u) => !view.expunged.has(u));
  const matched: number[] = [];
  const needles = new Set<string>();
  for (const key of command.criteria) collectBodyNeedles(key, needles);
  const needleList = [...needles];
  // The MIME index only when a key looks at headers or text.
  const content = command.criteria.some(needsContent);
  // Only envelope header fields (SUBJECT, FROM, …): their folded values may be memoised per blob,
  // and the indexes are then read only for the messages missing from the memo.
  const fields = content ? memoFields(command.criteria) : undefined;
  const memo = fields === undefined ? undefined : memoOf(ctx);
  const options = content ? { mimeIndex: true } : {};
  // Metadata in batches, so a SEARCH over a large mailbox stays bounded.
  for (let i = 0; i < live.length; i += SEARCH_BATCH) {
    const batch = live.slice(i, i + SEARCH_BATCH);
    const from = batch[0]!;
    const to = batch[batch.length - 1]!;
    const known = live === view.uids ? undefined : new Set(batch);
    const metas =
      memo === undefined
        ? await ctx.store.fetchMessages(view.mailboxId, [[from, to]], options)
        : await withMissingIndexes(ctx, view.mailboxId, [from, to], memo, fields!);
    for (const meta of metas) {
      if (known !== undefined ? !known.has(meta.uid) : view.msnOf(meta.uid) === undefined) continue;
      const message = new Candidate(ctx, view, meta, needleList, memo);
      let ok = true;
      for (const key of command.criteria) {
        const now = matchesNow(message, key);
        if (now === false || (now === undefined && !(await matches(message, key)))) {
          ok = false;
          break;
        }
      }
      if (ok) matched.push(meta.uid);
    }
  }
  const ids = command.uid ? matched : matched.map((u) => view.msnOf(u)!).sort((a, b) => a - b);
  // RFC 9051 §6.4.4: IMAP4rev2 answers SEARCH with ESEARCH (`* SEARCH` is for IMAP4rev1 only).
  const returns = command.returns ?? (ctx.rev2 ? [] : undefined);
  if (returns === undefined) {
    ctx.send({ type: 'search', ids });
  } else {
    const options = new Set(returns.length === 0 ? ['ALL'] : returns);
    if (options.has('SAVE')) {
      ctx.savedSearch = matched;
      options.delete('SAVE');
    }
    // RFC 5182 §2.4: with SAVE alone, no ESEARCH response.
    if (options.size > 0 || returns.length === 0) {
      ctx.send({
        type: 'esearch',
        tag: command.tag,
        uid: command.uid,
        ...(options.has('MIN') && ids.length > 0 ? { min: ids[0]! } : {}),
        ...(options.has('MAX') && ids.length > 0 ? { max: ids[ids.length - 1]! } : {}),
        ...(options.has('ALL') && ids.length > 0 ? { all: toSequenceSet(ids) } : {}),
        ...(options.has('COUNT') ? { count: ids.length } : {}),
      });
    }
  }
  done(ctx, command);
};

/** UIDs per metadata read. */
const SEARCH_BATCH = 2000;

/**
 * Folded (RFC 2047-decoded, case-folded) values of the envelope header fields SEARCH matched,
 * per blob: a SEARCH SUBJECT over a mailbox larger than the store's cache of parsed indexes then
 * reads only the metadata of messages it saw before, instead of every message's whole index. A
 * blob id always names the same content (a content hash or a never-reused id in every store), and
 * these values depend on the content alone, so an entry never goes stale. Bounded: at most
 * `MEMO_ENTRIES` values in all (about 200 octets each with a typical subject), the oldest dropped
 * first.
 */
export class FieldMemo {
  /** Per field slot: blob id → folded value (`null`: the message has no such field). */
  readonly #fields: (Map<string, string | null> | undefined)[] = [];
  /** Entries in insertion order, as a ring (blob id and field slot): the oldest is dropped first. */
  readonly #ringKeys: (string | undefined)[] = [];
  readonly #ringSlots: number[] = [];
  #next = 0;
  #size = 0;
  #misses = 0;

  constructor(readonly max: number) {}

  /** Values held (all fields). */
  get size(): number {
    return this.#size;
  }

  /** Field `slot`'s folded value (`null`: the message has no such field; `undefined`: unknown). */
  get(blobId: string, slot: number): string | null | undefined {
    return this.#fields[slot]?.get(blobId);
  }

  set(blobId: string, slot: number, value: string | null): void {
    let field = this.#fields[slot];
    if (field === undefined) this.#fields[slot] = field = new Map();
    if (field.has(blobId)) return;
    // Full: one new value in ADMIT takes the place of the oldest (as the store's index cache does),
    // so a pass over more messages than the memo holds still finds part of them.
    if (this.#size >= this.max && ++this.#misses % ADMIT !== 0) return;
    const at = this.#next;
    const evicted = this.#ringKeys[at];
    if (evicted !== undefined) {
      this.#fields[this.#ringSlots[at]!]!.delete(evicted);
      this.#size--;
    }
    this.#ringKeys[at] = blobId;
    this.#ringSlots[at] = slot;
    this.#next = (at + 1) % this.max;
    field.set(blobId, value);
    this.#size++;
  }
}

/** When the memo is full, one new value in this many is kept. */
const ADMIT = 8;

/** Folded envelope field values SEARCH keeps (per store, all fields together). */
export const MEMO_ENTRIES = 100_000;

const memos = new WeakMap<object, FieldMemo>();

/** The memo of the session's store (one per store object, shared by its sessions). */
function memoOf(ctx: CommandContext): FieldMemo {
  let memo = memos.get(ctx.store);
  if (memo === undefined) memos.set(ctx.store, (memo = new FieldMemo(MEMO_ENTRIES)));
  return memo;
}

/**
 * The envelope fields a criteria tree needs, when it needs no other content (`undefined`
 * otherwise: BODY, TEXT, SENT*, HEADER of another field).
 */
function memoFields(criteria: readonly SearchKey[]): number[] | undefined {
  const out = new Set<number>();
  const walk = (key: SearchKey): boolean => {
    switch (key.key) {
      case 'FROM':
      case 'TO':
      case 'CC':
      case 'BCC':
      case 'SUBJECT':
        out.add(SLOTS.get(INDEXED_FIELDS.get(key.key.toLowerCase())!)!);
        return true;
      case 'HEADER': {
        const field = INDEXED_FIELDS.get(key.field.toLowerCase());
        if (field === undefined) return false;
        out.add(SLOTS.get(field)!);
        return true;
      }
      case 'NOT':
        return walk(key.inner);
      case 'OR':
        return walk(key.left) && walk(key.right);
      case 'AND':
        return key.keys.every(walk);
      default:
        return !needsContent(key);
    }
  };
  return criteria.every(walk) ? [...out] : undefined;
}

/**
 * Metadata of a UID range, with the MIME index only for the messages whose fields the memo does
 * not hold (a second read, for those UIDs alone).
 */
async function withMissingIndexes(
  ctx: CommandContext,
  mailboxId: string,
  range: [number, number],
  memo: FieldMemo,
  fields: readonly number[],
): Promise<readonly MessageMeta[]> {
  const metas = await ctx.store.fetchMessages(mailboxId, [range]);
  const missing: number[] = [];
  for (const meta of metas) {
    if (fields.some((f) => memo.get(meta.blobId, f) === undefined)) missing.push(meta.uid);
  }
  if (missing.length === 0) return metas;
  const indexed = new Map<number, MessageMeta>();
  const uids = missing.length === metas.length ? [range] : missing;
  for (const meta of await ctx.store.fetchMessages(mailboxId, uids, { mimeIndex: true }))
    indexed.set(meta.uid, meta);
  // A message expunged between the two reads is left out; one without an index stays as it was.
  return metas.map((m) => indexed.get(m.uid) ?? m);
}

/** Whether a key needs the message's headers or text (and so its MIME index). */
function needsContent(key: SearchKey): boolean {
  switch (key.key) {
    case 'SENTBEFORE':
    case 'SENTON':
    case 'SENTSINCE':
    case 'FROM':
    case 'TO':
    case 'CC':
    case 'BCC':
    case 'SUBJECT':
    case 'HEADER':
    case 'BODY':
    case 'TEXT':
      return true;
    case 'NOT':
      return needsContent(key.inner);
    case 'OR':
      return needsContent(key.left) || needsContent(key.right);
    case 'AND':
      return key.keys.some(needsContent);
    default:
      return false;
  }
}

/** The BODY / TEXT search strings of a criteria tree, folded, so one pass over a body finds them all. */
function collectBodyNeedles(key: SearchKey, out: Set<string>): void {
  switch (key.key) {
    case 'BODY':
    case 'TEXT':
      out.add(fold(key.value));
      return;
    case 'NOT':
      collectBodyNeedles(key.inner, out);
      return;
    case 'OR':
      collectBodyNeedles(key.left, out);
      collectBodyNeedles(key.right, out);
      return;
    case 'AND':
      for (const k of key.keys) collectBodyNeedles(k, out);
      return;
    default:
      return;
  }
}

/**
 * Looks for several folded strings in text that arrives in pieces, keeping only the last
 * `longest - 1` characters between pieces: memory stays bounded whatever the body's size.
 */
export class StreamMatcher {
  readonly found = new Set<string>();
  private tail = '';
  private readonly keep: number;

  constructor(private readonly needles: readonly string[]) {
    this.keep = Math.max(0, ...needles.map((n) => n.length - 1));
  }

  get done(): boolean {
    return this.found.size === this.needles.length;
  }

  /** Feeds decoded text (not yet folded). */
  write(text: string): void {
    if (text.length === 0) return;
    const window = this.tail + fold(text);
    for (const needle of this.needles) {
      if (!this.found.has(needle) && window.includes(needle)) this.found.add(needle);
    }
    this.tail = this.keep === 0 ? '' : window.slice(-this.keep);
  }
}

class Candidate {
  private index: MimeIndex | undefined;
  private headerFields: { name: string; value: string }[] | undefined;
  private bodyFound: Set<string> | undefined;
  constructor(
    readonly ctx: CommandContext,
    readonly view: MailboxView,
    readonly meta: MessageMeta,
    private readonly needles: readonly string[],
    private readonly memo?: FieldMemo,
  ) {}

  get flags(): readonly string[] {
    return this.view.flagsOf(this.meta.uid, this.meta.flags);
  }

  hasFlag(flag: string): boolean {
    const lower = flag.toLowerCase();
    return this.flags.some((f) => f.toLowerCase() === lower);
  }

  async mime(): Promise<MimeIndex> {
    const cached = this.meta.mimeIndex as MimeIndex | undefined | null;
    if (this.index === undefined && cached !== undefined && cached !== null && cached.version === 1)
      this.index = cached;
    this.index ??= await mimeIndexOf(this.ctx.store, this.view.mailboxId, this.meta);
    return this.index;
  }

  async headers(): Promise<{ name: string; value: string }[]> {
    if (this.headerFields === undefined) {
      const index = await this.mime();
      const bytes = await readBytes(
        this.ctx.store,
        this.view.mailboxId,
        this.meta.uid,
        index.root.headerStart,
        index.root.headerEnd,
      );
      this.headerFields = parseHeaderFields(bytes).map((f) => ({
        name: f.name.toLowerCase(),
        value: decodeWords(f.value.replace(/\r?\n[ \t]/g, ' ').trim()),
      }));
    }
    return this.headerFields;
  }

  /**
   * The header's values decoded and case-folded. Values the MIME index keeps are decoded and
   * folded once per index object (the store hands out the same parsed index again while it caches
   * it), so a repeated SEARCH on them costs a lookup per message.
   */
  async foldedHeader(name: string): Promise<string[]> {
    const now = this.foldedHeaderNow(name);
    if (now !== undefined) return now;
    if (INDEXED_FIELDS.has(name.toLowerCase()) && this.headerFields === undefined) {
      await this.mime();
      const again = this.foldedHeaderNow(name);
      if (again !== undefined) return again;
    }
    return (await this.header(name)).map(fold);
  }

  /** `foldedHeader` when it needs no store call (`undefined` otherwise). */
  foldedHeaderNow(name: string): string[] | undefined {
    const lower = name.toLowerCase();
    if (this.headerFields !== undefined)
      return this.headerFields.filter((f) => f.name === lower).map((f) => fold(f.value));
    const key = INDEXED_FIELDS.get(lower);
    if (key === undefined) return undefined;
    const slot = SLOTS.get(key)!;
    const known = this.memo?.get(this.meta.blobId, slot);
    if (known !== undefined) return known === null ? [] : [known];
    const index = this.mimeNow();
    const envelope = index?.root.envelope;
    if (envelope === undefined || index!.limits?.includes('header')) return undefined;
    const value = envelope[key];
    if (this.memo !== undefined) {
      const folded = value === undefined ? null : fold(decodeWords(value));
      this.memo.set(this.meta.blobId, slot, folded);
      return folded === null ? [] : [folded];
    }
    let memo = foldedFields.get(envelope);
    if (memo === undefined) foldedFields.set(envelope, (memo = new Map()));
    let folded = memo.get(key);
    if (folded === undefined) {
      folded = value === undefined ? null : fold(decodeWords(value));
      memo.set(key, folded);
    }
    return folded === null ? [] : [folded];
  }

  /** The MIME index when it is at hand (cached by the store or read already). */
  mimeNow(): MimeIndex | undefined {
    const cached = this.meta.mimeIndex as MimeIndex | undefined | null;
    if (this.index === undefined && cached !== undefined && cached !== null && cached.version === 1)
      this.index = cached;
    return this.index;
  }

  async header(name: string): Promise<string[]> {
    const lower = name.toLowerCase();
    const key = INDEXED_FIELDS.get(lower);
    if (key !== undefined && this.headerFields === undefined) {
      // The MIME index keeps the envelope fields' raw values (the first occurrence, unfolded and
      // trimmed): no blob read, unless a header limit cut the index short.
      const index = await this.mime();
      const envelope = index.root.envelope;
      if (envelope !== undefined && !index.limits?.includes('header')) {
        const value = envelope[key];
        return value === undefined ? [] : [decodeWords(value)];
      }
    }
    return (await this.headers()).filter((f) => f.name === lower).map((f) => f.value);
  }

  /** Whether the decoded text of the text/* parts contains `value` (case-folded). */
  async bodyContains(value: string): Promise<boolean> {
    const needle = fold(value);
    if (needle === '') return true;
    this.bodyFound ??= await this.scanBody(this.needles.includes(needle) ? this.needles : [needle]);
    if (!this.bodyFound.has(needle) && !this.needles.includes(needle)) {
      return (await this.scanBody([needle])).has(needle);
    }
    return this.bodyFound.has(needle);
  }

  /**
   * One streamed pass over the text/* parts: each part's range is read from the store, undone
   * from its transfer encoding and charset chunk by chunk (`@mailwire/mime` decoders), and
   * matched with a bounded carry-over. Stops as soon as every needle was found.
   */
  private async scanBody(needles: readonly string[]): Promise<Set<string>> {
    const matcher = new StreamMatcher(needles.filter((n) => n !== ''));
    if (matcher.done) return matcher.found;
    const index = await this.mime();
    for (const part of textParts(index)) {
      const transfer = createDecoder(part.encoding) ?? createDecoder('binary')!;
      const text = createTextDecoder(getParam(part.params, 'charset'));
      if (part.bodyEnd > part.bodyStart) {
        const source = await this.ctx.store.readMessage(
          { mailboxId: this.view.mailboxId, uid: this.meta.uid },
          { start: part.bodyStart, end: part.bodyEnd },
        );
        for await (const chunk of source) {
          matcher.write(text.write(transfer.write(chunk)));
          if (matcher.done) return matcher.found;
        }
      }
      matcher.write(`${text.write(transfer.end())}${text.end()}\n`);
      if (matcher.done) return matcher.found;
    }
    return matcher.found;
  }
}

/** Decoded, folded envelope values, per (shared, immutable) parsed index envelope. */
const foldedFields = new WeakMap<RawEnvelope, Map<keyof RawEnvelope, string | null>>();

/** Search strings folded once per SEARCH, not once per message. */
const foldedNeedles = new WeakMap<SearchKey, string>();

function needleOf(key: SearchKey & { readonly value: string }): string {
  let folded = foldedNeedles.get(key);
  if (folded === undefined) foldedNeedles.set(key, (folded = fold(key.value)));
  return folded;
}

/** Header fields whose (first) raw value the MIME index holds, by lowercased name. */
const INDEXED_FIELDS = new Map<string, keyof RawEnvelope>([
  ['date', 'date'],
  ['subject', 'subject'],
  ['from', 'from'],
  ['sender', 'sender'],
  ['reply-to', 'replyTo'],
  ['to', 'to'],
  ['cc', 'cc'],
  ['bcc', 'bcc'],
  ['in-reply-to', 'inReplyTo'],
  ['message-id', 'messageId'],
]);

/** Each indexed field's slot in a `FieldMemo` entry. */
const SLOTS = new Map<keyof RawEnvelope, number>([...INDEXED_FIELDS.values()].map((f, i) => [f, i]));

const ASCII = /^[\x00-\x7f]*$/;

/** Case folding for SEARCH (see the note at the top). */
function fold(text: string): string {
  // ASCII is already NFC.
  return ASCII.test(text) ? text.toLowerCase() : text.normalize('NFC').toLowerCase();
}

function contains(haystack: string, needle: string): boolean {
  return fold(haystack).includes(fold(needle));
}

function dayNumber(d: ImapDate): number {
  return Date.UTC(d.year, d.month - 1, d.day) / 86_400_000;
}

function internalDay(ms: number): number {
  return Math.floor(ms / 86_400_000);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The calendar day of a Date: header, disregarding time and zone (RFC 9051 §6.4.4). */
function sentDay(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(value);
  if (m === null) return undefined;
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  if (month === -1) return undefined;
  let year = Number(m[3]);
  if (year < 50) year += 2000;
  else if (year < 1000) year += 1900;
  return Date.UTC(year, month, Number(m[1])) / 86_400_000;
}

function compareDay(day: number | undefined, target: number, key: string): boolean {
  if (day === undefined) return false;
  if (key.endsWith('BEFORE')) return day < target;
  if (key.endsWith('ON')) return day === target;
  return day >= target;
}

/** Sequence sets resolved once per SEARCH, not once per message. */
const resolved = new WeakMap<SearchKey, Set<number>>();

/**
 * `matches` without any store call, for the keys that need none (flags, sizes, dates, sets, and
 * envelope header fields when the MIME index is at hand): `undefined` when it would need one.
 * A SEARCH over many messages then awaits nothing per message.
 */
function matchesNow(m: Candidate, key: SearchKey): boolean | undefined {
  switch (key.key) {
    case 'ALL':
      return true;
    case 'ANSWERED':
      return m.hasFlag('\\Answered');
    case 'DELETED':
      return m.hasFlag('\\Deleted');
    case 'DRAFT':
      return m.hasFlag('\\Draft');
    case 'FLAGGED':
      return m.hasFlag('\\Flagged');
    case 'SEEN':
      return m.hasFlag('\\Seen');
    case 'UNANSWERED':
      return !m.hasFlag('\\Answered');
    case 'UNDELETED':
      return !m.hasFlag('\\Deleted');
    case 'UNDRAFT':
      return !m.hasFlag('\\Draft');
    case 'UNFLAGGED':
      return !m.hasFlag('\\Flagged');
    case 'UNSEEN':
      return !m.hasFlag('\\Seen');
    case 'RECENT':
      return m.view.recent.has(m.meta.uid);
    case 'NEW':
      return m.view.recent.has(m.meta.uid) && !m.hasFlag('\\Seen');
    case 'OLD':
      return !m.view.recent.has(m.meta.uid);
    case 'KEYWORD':
      return m.hasFlag(key.flag);
    case 'UNKEYWORD':
      return !m.hasFlag(key.flag);
    case 'LARGER':
      return m.meta.size > key.size;
    case 'SMALLER':
      return m.meta.size < key.size;
    case 'BEFORE':
    case 'ON':
    case 'SINCE':
      return compareDay(internalDay(m.meta.internalDate), dayNumber(key.date), key.key);
    case 'FROM':
    case 'TO':
    case 'CC':
    case 'BCC':
    case 'SUBJECT': {
      const values = m.foldedHeaderNow(key.key);
      if (values === undefined) return undefined;
      const needle = needleOf(key);
      return values.some((v) => v.includes(needle));
    }
    case 'HEADER': {
      const values = m.foldedHeaderNow(key.field);
      if (values === undefined) return undefined;
      // RFC 9051 §6.4.4: an empty string matches every message that has the field.
      if (key.value === '') return values.length > 0;
      const needle = needleOf(key);
      return values.some((v) => v.includes(needle));
    }
    case 'UID':
    case 'SEQ': {
      let set = resolved.get(key);
      if (set === undefined) {
        set = new Set(m.view.resolve(key.set, key.key === 'UID', m.ctx.savedSearch) ?? []);
        resolved.set(key, set);
      }
      return set.has(m.meta.uid);
    }
    case 'NOT': {
      const inner = matchesNow(m, key.inner);
      return inner === undefined ? undefined : !inner;
    }
    case 'OR': {
      const left = matchesNow(m, key.left);
      if (left === true) return true;
      const right = matchesNow(m, key.right);
      if (right === true) return true;
      return left === false && right === false ? false : undefined;
    }
    case 'AND': {
      let unknown = false;
      for (const k of key.keys) {
        const r = matchesNow(m, k);
        if (r === false) return false;
        if (r === undefined) unknown = true;
      }
      return unknown ? undefined : true;
    }
    default:
      return undefined;
  }
}

async function matches(m: Candidate, key: SearchKey): Promise<boolean> {
  const now = matchesNow(m, key);
  if (now !== undefined) return now;
  switch (key.key) {
    case 'SENTBEFORE':
    case 'SENTON':
    case 'SENTSINCE':
      return compareDay(sentDay((await m.header('date'))[0]), dayNumber(key.date), key.key);
    case 'FROM':
    case 'TO':
    case 'CC':
    case 'BCC':
    case 'SUBJECT': {
      const needle = needleOf(key);
      return (await m.foldedHeader(key.key)).some((v) => v.includes(needle));
    }
    case 'HEADER': {
      const values = await m.foldedHeader(key.field);
      // RFC 9051 §6.4.4: an empty string matches every message that has the field.
      if (key.value === '') return values.length > 0;
      const needle = needleOf(key);
      return values.some((v) => v.includes(needle));
    }
    case 'BODY':
      return m.bodyContains(key.value);
    case 'TEXT': {
      const headers = await m.headers();
      if (headers.some((h) => contains(`${h.name}: ${h.value}`, key.value))) return true;
      return m.bodyContains(key.value);
    }
    case 'NOT':
      return !(await matches(m, key.inner));
    case 'OR':
      return (await matches(m, key.left)) || (await matches(m, key.right));
    case 'AND':
      for (const k of key.keys) if (!(await matches(m, k))) return false;
      return true;
    default:
      // Every other key is answered by `matchesNow`.
      throw new Error(`unhandled SEARCH key ${key.key}`);
  }
}
