import { concatBytes } from '@mailwire/core';
import {
  createDecoder,
  filterHeaderFields,
  type MimeIndex,
  resolvePart,
  resolveSection,
} from '@mailwire/mime';
import type { FlagChange, MessageMeta, UidSet } from '@mailwire/store';
import {
  type BodyData,
  type FetchValue,
  type LiteralSource,
  type Response,
  writeFetchResponse,
} from '../codec/response.js';
import { WireWriter } from '../codec/wire.js';
import type { FetchItem, Partial, Section } from '../codec/types.js';
import type { CommandContext, CommandOf, Handler } from './context.js';
import {
  bodyStructureOf,
  envelopeOf,
  mimeIndexOf,
  readBytes,
  structureItemBytes,
  toDateTime,
} from './message.js';
import { done } from './util.js';

/**
 * FETCH and UID FETCH (RFC 9051 §6.4.5, RFC 3516 BINARY). Body sections are resolved from the
 * message's MIME index to byte ranges; ranges above `streamThreshold` are streamed from the store
 * as literals, never held whole. BODY[...] without PEEK (and RFC822, RFC822.TEXT, BINARY[...])
 * set \Seen unless the mailbox is read-only (§6.4.5), and the new FLAGS are returned.
 */

const SETS_SEEN = (item: FetchItem) =>
  (item.item === 'BODY[]' && !item.peek) ||
  (item.item === 'BINARY[]' && !item.peek) ||
  item.item === 'RFC822' ||
  item.item === 'RFC822.TEXT';

const NEEDS_INDEX = (item: FetchItem) =>
  item.item === 'ENVELOPE' ||
  item.item === 'BODYSTRUCTURE' ||
  item.item === 'BODY' ||
  item.item === 'BINARY[]' ||
  item.item === 'BINARY.SIZE' ||
  item.item === 'RFC822.HEADER' ||
  item.item === 'RFC822.TEXT' ||
  (item.item === 'BODY[]' && (item.section.part.length > 0 || item.section.text !== undefined));

/** Items answered from metadata and the cached MIME index alone, with no store read. */
const IN_MEMORY = (item: FetchItem) =>
  item.item === 'FLAGS' ||
  item.item === 'UID' ||
  item.item === 'RFC822.SIZE' ||
  item.item === 'MODSEQ' ||
  item.item === 'INTERNALDATE' ||
  item.item === 'ENVELOPE' ||
  item.item === 'BODYSTRUCTURE' ||
  item.item === 'BODY';

/** The MIME index the store returned with the metadata, when it is a current one. */
function cachedIndex(meta: MessageMeta): MimeIndex | undefined {
  const index = meta.mimeIndex as MimeIndex | undefined | null;
  return index !== undefined && index !== null && index.version === 1 ? index : undefined;
}

export const fetch: Handler<CommandOf<'FETCH'>> = async (ctx, command) => {
  const view = ctx.selected!;
  const uids = view.resolve(command.sequence, command.uid, ctx.savedSearch);
  if (uids === undefined) {
    ctx.tagged(command.tag, 'BAD', 'Invalid message sequence number');
    return;
  }
  let items = command.items;
  if (command.uid && !items.some((i) => i.item === 'UID')) items = [{ item: 'UID' }, ...items];
  const live = uids.filter((u) => !view.expunged.has(u));
  const setsSeen = !view.readOnly && items.some(SETS_SEEN);
  if (setsSeen && live.length > 0) {
    const result = await ctx.store.setFlags(view.mailboxId, live, { mode: 'add', flags: ['\\Seen'] });
    for (const change of result.changed) view.setFlags(change.uid, change.flags, change.modseq);
    if (result.changed.length > 0 && !items.some((i) => i.item === 'FLAGS'))
      items = [...items, { item: 'FLAGS' }];
  }
  const needsIndex = items.some(NEEDS_INDEX);
  const inMemory = items.every(IN_MEMORY);
  // The formatted ENVELOPE/BODYSTRUCTURE/BODY kept by the store (see `DERIVED`): asked only when
  // every item is answered in memory, so no row served by it needs its MIME index.
  const useDerived = inMemory && ctx.store.setDerived !== undefined && items.some(STRUCTURE);
  const fetchOptions = needsIndex ? { mimeIndex: true, ...(useDerived ? { derived: DERIVED } : {}) } : {};
  // Values computed in this command for the store to keep (a cache write, allowed read-only too).
  let computed: { blobId: string; value: Uint8Array }[] = [];
  const keep = async () => {
    const values = computed;
    computed = [];
    if (values.length > 0) await keepDerived(ctx, values);
  };
  const rev1 = !ctx.rev2;
  const threshold = ctx.options.streamThreshold ?? 65536;
  // Small messages' bytes read in groups (`readBlobs`), not one store read per message.
  const bodies = items.some(NEEDS_BYTES) && ctx.store.readBlobs !== undefined ? new Bodies(ctx) : undefined;
  // Responses ready to go, serialised together (one output chunk per batch, not one per message).
  let ready: Response[] = [];
  let readyBytes = 0;
  // In-memory FETCH lines of the batch (see below), queued as one chunk.
  const lines = new WireWriter('plain');
  const sendReady = async () => {
    const written = lines.toBytes();
    if (written.length > 0) ctx.sendRaw(written);
    if (ready.length > 0) ctx.sendMany(ready);
    ready = [];
    readyBytes = 0;
    if (ctx.backlogged) await ctx.drained();
  };
  // FETCH FLAGS (the client's resynchronisation): only UIDs, flags and MODSEQs from the store.
  const flagsOnly = ctx.store.fetchFlags !== undefined && items.every(FLAGS_ONLY);
  // Metadata in batches, so a FETCH 1:* over a large mailbox stays bounded.
  const batchSize = needsIndex || !inMemory ? BATCH : METADATA_BATCH;
  for (let i = 0; i < live.length; i += batchSize) {
    const batch = live.slice(i, i + batchSize);
    const set = uidSetOf(view, batch);
    if (flagsOnly) {
      writeFlagLines(lines, view, await ctx.store.fetchFlags!(view.mailboxId, set), items, rev1);
      await sendReady();
      continue;
    }
    const metas = await ctx.store.fetchMessages(view.mailboxId, set, fetchOptions);
    bodies?.reset();
    for (let k = 0; k < metas.length; k++) {
      const meta = metas[k]!;
      const msn = view.msnOf(meta.uid);
      if (msn === undefined || view.expunged.has(meta.uid)) continue;
      const kept = useDerived ? keptStructures(meta.derived) : undefined;
      // (Not read for a row served by its kept bytes: a store may parse the index only on access.)
      const cached = needsIndex && kept === undefined ? cachedIndex(meta) : undefined;
      if (inMemory && (!needsIndex || kept !== undefined || cached !== undefined)) {
        // Everything from metadata and the cached index, written straight into the batch's
        // buffer: no await and no response object per message.
        if (ready.length > 0) {
          // Keep the order: responses gathered before this one go first.
          ctx.sendMany(ready);
          ready = [];
          readyBytes = 0;
        }
        if (useDerived && kept === undefined && cached !== undefined)
          computed.push({ blobId: meta.blobId, value: encodeStructures(cached) });
        const values: (FetchValue | Uint8Array)[] = [];
        for (const item of items) {
          values.push(
            kept !== undefined && STRUCTURE(item)
              ? kept[item.item as StructureItem]
              : cached !== undefined && STRUCTURE(item)
                ? structureBytes(cached, item.item as StructureItem)
                : memoryValue(view, meta, cached, item, rev1)!,
          );
        }
        writeFetchResponse(lines, msn, values);
        continue;
      }
      if (bodies !== undefined && !bodies.has(meta.uid)) await bodies.load(metas, k, threshold);
      const index = needsIndex ? (cached ?? (await mimeIndexOf(ctx.store, view.mailboxId, meta))) : undefined;
      const values: FetchValue[] = [];
      const whole = bodies?.get(meta.uid);
      for (const item of items) {
        // Items known now (metadata, a whole message read in its group) without an await each.
        values.push(
          memoryValue(view, meta, index, item, rev1) ??
            (whole !== undefined ? wholeValue(item, whole) : undefined) ??
            (await fetchValue(ctx, meta, index, item, rev1, bodies)),
        );
      }
      const unknown = values.some((v) => v.item === 'BINARY[]' && v.data === null);
      if (unknown) {
        await sendReady();
        // RFC 3516 §4.3: a part whose Content-Transfer-Encoding we cannot decode.
        ctx.tagged(command.tag, 'NO', 'Unknown Content-Transfer-Encoding', { name: 'UNKNOWN-CTE' });
        return;
      }
      const response: Response = { type: 'fetch', seq: msn, items: values };
      if (lines.size > 0) await sendReady();
      if (values.some(streamed)) {
        await sendReady();
        await ctx.sendStreaming(response);
        continue;
      }
      ready.push(response);
      readyBytes += inlineBytes(values);
      if (readyBytes >= READY_BYTES) await sendReady();
    }
    await sendReady();
    if (computed.length >= KEEP_BATCH) await keep();
  }
  await keep();
  done(ctx, command);
};

/**
 * The name of the value a store keeps per message for FETCH (`MailStore.setDerived`): the wire
 * bytes of ENVELOPE, BODYSTRUCTURE and BODY (each as `structureItemBytes` writes it, item name
 * included), each after its length as 4 octets, big-endian. Like Dovecot's cache of formatted
 * strings: a repeated FETCH ENVELOPE BODYSTRUCTURE copies bytes instead of parsing the index and
 * formatting it again. Bump the version whenever what `structureItemBytes` writes changes, so a
 * store never serves bytes of an older formatter.
 */
export const DERIVED = 'imap.structure.1';

/** Values computed before they are handed to `setDerived` in one call. */
const KEEP_BATCH = 2000;

const KEPT_ITEMS: readonly StructureItem[] = ['ENVELOPE', 'BODYSTRUCTURE', 'BODY'];
/** `"ENVELOPE "`, `"BODYSTRUCTURE "`, `"BODY "`: how each kept segment must start. */
const KEPT_PREFIXES = KEPT_ITEMS.map((item) => Array.from(`${item} `, (c) => c.charCodeAt(0)));

/** The value kept for a message whose MIME index is `index` (see `DERIVED`). */
function encodeStructures(index: MimeIndex): Uint8Array {
  const parts = KEPT_ITEMS.map((item) => structureBytes(index, item));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const part of parts) {
    view.setUint32(at, part.length);
    out.set(part, at + 4);
    at += 4 + part.length;
  }
  return out;
}

/**
 * The three items of a kept value (views into it), or `undefined` when there is none or it is not
 * well formed (then they are computed again from the index; a bad value never reaches the wire).
 */
function keptStructures(value: Uint8Array | undefined): Record<StructureItem, Uint8Array> | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const prefix of KEPT_PREFIXES) {
    if (at + 4 > value.length) return undefined;
    const length =
      ((value[at]! << 24) | (value[at + 1]! << 16) | (value[at + 2]! << 8) | value[at + 3]!) >>> 0;
    at += 4;
    if (length < prefix.length || at + length > value.length) return undefined;
    for (let i = 0; i < prefix.length; i++) if (value[at + i] !== prefix[i]) return undefined;
    parts.push(value.subarray(at, at + length));
    at += length;
  }
  if (at !== value.length) return undefined;
  return { ENVELOPE: parts[0]!, BODYSTRUCTURE: parts[1]!, BODY: parts[2]! };
}

/** Hands computed values to the store; a failure is ignored (it is a cache; the FETCH succeeded). */
async function keepDerived(
  ctx: CommandContext,
  values: { blobId: string; value: Uint8Array }[],
): Promise<void> {
  try {
    await ctx.store.setDerived?.(DERIVED, values);
  } catch {
    // Nothing to do: the values are computed again next time.
  }
}

/**
 * The UIDs of a batch for the store: one range when they are consecutive messages of the view
 * (FETCH 1:*, 1:1000), whatever gaps expunges left in the UIDs, else the list.
 */
function uidSetOf(view: NonNullable<CommandContext['selected']>, batch: readonly number[]): UidSet {
  const first = batch[0]!;
  const last = batch[batch.length - 1]!;
  const a = view.msnOf(first);
  const b = view.msnOf(last);
  return a !== undefined && b !== undefined && b - a === batch.length - 1 ? [[first, last]] : batch;
}

type StructureItem = 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY';

const STRUCTURE = (item: FetchItem) =>
  item.item === 'ENVELOPE' || item.item === 'BODYSTRUCTURE' || item.item === 'BODY';

/**
 * Wire bytes of ENVELOPE, BODYSTRUCTURE and BODY per parsed MIME index. Stores hand out the same
 * (immutable) index object while they cache it, and these items depend on nothing else, so a
 * repeated FETCH of them copies bytes instead of rebuilding and re-serialising the trees. The
 * entries live as long as the store keeps the index object.
 */
const structures = new WeakMap<MimeIndex, { [K in StructureItem]?: Uint8Array }>();

function structureBytes(index: MimeIndex, item: StructureItem): Uint8Array {
  let entry = structures.get(index);
  if (entry === undefined) structures.set(index, (entry = {}));
  let bytes = entry[item];
  if (bytes === undefined) {
    entry[item] = bytes = structureItemBytes(index, item);
  }
  return bytes;
}

/** UIDs per metadata read. */
const BATCH = 500;
/** UIDs per metadata read when no MIME index or message data is needed. */
const METADATA_BATCH = 2000;

const FLAGS_ONLY = (item: FetchItem) =>
  item.item === 'FLAGS' || item.item === 'UID' || item.item === 'MODSEQ';

/**
 * FETCH lines of FLAGS, UID and MODSEQ items (what `writeFetchResponse` writes for them), for
 * `fetchFlags` rows ascending by UID: message numbers by walking the view alongside the rows.
 */
function writeFlagLines(
  w: WireWriter,
  view: NonNullable<CommandContext['selected']>,
  rows: readonly FlagChange[],
  items: readonly FetchItem[],
  rev1: boolean,
): void {
  if (rows.length === 0) return;
  const uids = view.uids;
  // Stores may hand out one array for every message with the same flags: join each once.
  const joined = new Map<readonly string[], string>();
  let at = view.firstIndexAtLeast(rows[0]!.uid);
  for (const row of rows) {
    while (at < uids.length && uids[at]! < row.uid) at++;
    if (at >= uids.length) break;
    if (uids[at] !== row.uid || view.expunged.has(row.uid)) continue;
    let line = `* ${at + 1} FETCH (`;
    for (let k = 0; k < items.length; k++) {
      if (k > 0) line += ' ';
      const item = items[k]!.item;
      if (item === 'FLAGS') {
        const flags = view.displayFlags(row.uid, rev1, row.flags);
        let text = joined.get(flags);
        if (text === undefined) {
          text = flags.join(' ');
          joined.set(flags, text);
        }
        line += `FLAGS (${text})`;
      } else if (item === 'UID') line += `UID ${row.uid}`;
      else line += `MODSEQ (${row.modseq})`;
    }
    w.text(`${line})\r\n`);
  }
}
/** Bytes of message data gathered before the responses holding them are serialised and queued. */
const READY_BYTES = 1024 * 1024;
/** Most bytes one `readBlobs` call asks for. */
const BLOB_GROUP_BYTES = 1024 * 1024;

/** The value of `BODY[]` or `RFC822` of a whole message in memory; `undefined` for other items. */
function wholeValue(item: FetchItem, whole: Uint8Array): FetchValue | undefined {
  if (item.item === 'RFC822') return { item: 'RFC822', data: whole };
  if (
    item.item === 'BODY[]' &&
    item.partial === undefined &&
    item.section.part.length === 0 &&
    item.section.text === undefined
  )
    return { item: 'BODY[]', section: item.section, data: whole };
  return undefined;
}

const NEEDS_BYTES = (item: FetchItem) =>
  item.item === 'BODY[]' ||
  item.item === 'RFC822' ||
  item.item === 'RFC822.HEADER' ||
  item.item === 'RFC822.TEXT';

function streamed(value: FetchValue): boolean {
  const data = (value as { data?: BodyData }).data;
  return data !== undefined && data !== null && !(data instanceof Uint8Array);
}

function inlineBytes(values: readonly FetchValue[]): number {
  let n = 0;
  for (const v of values) {
    const data = (v as { data?: BodyData }).data;
    if (data instanceof Uint8Array) n += data.length;
  }
  return n;
}

/**
 * Whole small messages of the current batch, read in groups of up to `BLOB_GROUP_BYTES` through
 * the store's optional `readBlobs`; any byte range of them is then a slice, with no store call.
 * While a group is written out, the next one is already being read (a store that reads off the
 * caller's thread overlaps the two).
 */
class Bodies {
  private readonly bytes = new Map<number, Uint8Array>();
  /** UIDs a group load already tried (so a message `readBlobs` did not return is not retried). */
  private readonly tried = new Set<number>();
  /** The read started ahead for the group after the current one. */
  private ahead: GroupRead | undefined;

  constructor(private readonly ctx: CommandContext) {}

  reset(): void {
    this.bytes.clear();
    this.tried.clear();
    this.ahead = undefined;
  }

  has(uid: number): boolean {
    return this.tried.has(uid);
  }

  /** The whole message, when loaded. */
  get(uid: number): Uint8Array | undefined {
    return this.bytes.get(uid);
  }

  /**
   * Loads the group of small messages starting at `metas[from]` (dropping the previous group),
   * and starts reading the next one; a large message (streamed) is only marked as tried.
   */
  async load(metas: readonly MessageMeta[], from: number, threshold: number): Promise<void> {
    if (metas[from]!.size > threshold) {
      this.tried.add(metas[from]!.uid);
      return;
    }
    const ahead = this.ahead;
    const current =
      ahead?.metas === metas && ahead.from === from ? ahead : this.start(metas, from, threshold);
    this.reset();
    let next = from + current.group.length;
    while (next < metas.length && metas[next]!.size > threshold) next++;
    if (next < metas.length) this.ahead = this.start(metas, next, threshold);
    const read = await current.read;
    const group = current.group;
    for (let k = 0; k < group.length; k++) {
      const meta = group[k]!;
      this.tried.add(meta.uid);
      const bytes = read[k];
      if (bytes !== undefined && bytes.length === meta.size) this.bytes.set(meta.uid, bytes);
    }
  }

  /** Starts reading the group of small messages at `metas[from]` (a small one). */
  private start(metas: readonly MessageMeta[], from: number, threshold: number): GroupRead {
    const group: MessageMeta[] = [];
    let total = 0;
    for (let k = from; k < metas.length; k++) {
      const meta = metas[k]!;
      if (meta.size > threshold) break;
      if (group.length > 0 && total + meta.size > BLOB_GROUP_BYTES) break;
      group.push(meta);
      total += meta.size;
    }
    const read = this.ctx.store.readBlobs!(group.map((m) => m.blobId));
    // A read started ahead may never be awaited (the command ends early): its failure is not lost
    // when awaited, and is not an unhandled rejection when not.
    read.catch(() => undefined);
    return { metas, from, group, read };
  }
}

interface GroupRead {
  readonly metas: readonly MessageMeta[];
  readonly from: number;
  readonly group: readonly MessageMeta[];
  readonly read: Promise<(Uint8Array | undefined)[]>;
}

/** An `IN_MEMORY` item's value (`undefined` for any other item). */
function memoryValue(
  view: NonNullable<CommandContext['selected']>,
  meta: MessageMeta,
  index: MimeIndex | undefined,
  item: FetchItem,
  rev1: boolean,
): FetchValue | undefined {
  switch (item.item) {
    case 'FLAGS':
      return { item: 'FLAGS', flags: view.displayFlags(meta.uid, rev1, meta.flags) };
    case 'UID':
      return { item: 'UID', value: meta.uid };
    case 'RFC822.SIZE':
      return { item: 'RFC822.SIZE', value: meta.size };
    case 'MODSEQ':
      return { item: 'MODSEQ', value: meta.modseq };
    case 'INTERNALDATE':
      return { item: 'INTERNALDATE', value: toDateTime(meta.internalDate) };
    case 'ENVELOPE':
      return { item: 'ENVELOPE', value: envelopeOf(index!) };
    case 'BODYSTRUCTURE':
      return { item: 'BODYSTRUCTURE', value: bodyStructureOf(index!, true) };
    case 'BODY':
      return { item: 'BODY', value: bodyStructureOf(index!, false) };
    default:
      return undefined;
  }
}

async function fetchValue(
  ctx: CommandContext,
  meta: MessageMeta,
  index: MimeIndex | undefined,
  item: FetchItem,
  rev1: boolean,
  bodies?: Bodies,
): Promise<FetchValue> {
  const known = memoryValue(ctx.selected!, meta, index, item, rev1);
  if (known !== undefined) return known;
  const whole = bodies?.get(meta.uid);
  switch (item.item) {
    case 'RFC822':
      return { item: 'RFC822', data: whole ?? range(ctx, meta, 0, meta.size) };
    case 'RFC822.HEADER':
      return {
        item: 'RFC822.HEADER',
        data:
          whole?.subarray(index!.root.headerStart, index!.root.headerEnd) ??
          range(ctx, meta, index!.root.headerStart, index!.root.headerEnd),
      };
    case 'RFC822.TEXT':
      return {
        item: 'RFC822.TEXT',
        data:
          whole?.subarray(index!.root.bodyStart, index!.root.bodyEnd) ??
          range(ctx, meta, index!.root.bodyStart, index!.root.bodyEnd),
      };
    case 'BODY[]':
      return bodySection(ctx, meta, index, item.section, item.partial, whole);
    case 'BINARY[]': {
      const data = await binaryData(ctx, meta, index!, item.part, item.partial);
      return item.partial === undefined
        ? { item: 'BINARY[]', part: item.part, data }
        : { item: 'BINARY[]', part: item.part, origin: item.partial.offset, data };
    }
    case 'BINARY.SIZE': {
      const entity = binaryEntity(meta, index!, item.part);
      let size = 0;
      if (entity !== null && createDecoder(entity.encoding) !== undefined) {
        // A decode pass, streamed: only the count is kept.
        for await (const chunk of decodedChunks(ctx, meta.uid, entity)) size += chunk.length;
      }
      return { item: 'BINARY.SIZE', part: item.part, size };
    }
    default:
      // Every other item is answered by `memoryValue` above.
      throw new Error(`unhandled FETCH item ${item.item}`);
  }
}

function slice(bytes: Uint8Array, partial: Partial | undefined): Uint8Array {
  if (partial === undefined) return bytes;
  return bytes.subarray(
    Math.min(partial.offset, bytes.length),
    Math.min(partial.offset + partial.length, bytes.length),
  );
}

/** A byte range of the message: streamed when large, read now when small. */
function range(ctx: CommandContext, meta: MessageMeta, start: number, end: number): BodyData {
  const view = ctx.selected!;
  const size = Math.max(0, end - start);
  const source: LiteralSource = {
    size,
    chunks: () => chunks(ctx, view.mailboxId, meta.uid, start, end),
  };
  return source;
}

async function* chunks(
  ctx: CommandContext,
  mailboxId: string,
  uid: number,
  start: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  if (end <= start) return;
  yield* await ctx.store.readMessage({ mailboxId, uid }, { start, end });
}

async function bodySection(
  ctx: CommandContext,
  meta: MessageMeta,
  index: MimeIndex | undefined,
  section: Section,
  partial: Partial | undefined,
  whole: Uint8Array | undefined,
): Promise<FetchValue> {
  const read = (start: number, end: number) =>
    whole !== undefined
      ? whole.subarray(start, Math.max(start, end))
      : readBytes(ctx.store, ctx.selected!.mailboxId, meta.uid, start, end);
  const origin = partial === undefined ? {} : { origin: partial.offset };
  let start = 0;
  let end = meta.size;
  if (index !== undefined && (section.part.length > 0 || section.text !== undefined)) {
    const spec = [...section.part.map(String), ...(section.text === undefined ? [] : [section.text])].join(
      '.',
    );
    const resolved = resolveSection(index, spec);
    if (resolved === null) return { item: 'BODY[]', section, ...origin, data: new Uint8Array(0) };
    start = resolved.start;
    end = resolved.end;
    if (section.fields !== undefined) {
      const header = await read(start, end);
      const filtered = filterHeaderFields(header, section.fields, section.text === 'HEADER.FIELDS.NOT');
      return { item: 'BODY[]', section, ...origin, data: slice(filtered, partial) };
    }
  }
  if (partial !== undefined) {
    const from = Math.min(start + partial.offset, end);
    end = Math.min(from + partial.length, end);
    start = from;
  }
  const threshold = ctx.options.streamThreshold ?? 65536;
  const data = end - start > threshold ? range(ctx, meta, start, end) : await read(start, end);
  return { item: 'BODY[]', section, ...origin, data };
}

interface BinaryEntity {
  readonly start: number;
  readonly end: number;
  readonly encoding: string | null | undefined;
}

/** The raw range and transfer encoding of a BINARY part (`[]`: the whole message, as is). */
function binaryEntity(meta: MessageMeta, index: MimeIndex, part: readonly number[]): BinaryEntity | null {
  if (part.length === 0) return { start: 0, end: meta.size, encoding: 'binary' };
  const entity = resolvePart(index, part);
  if (entity === null) return null;
  return { start: entity.bodyStart, end: entity.bodyEnd, encoding: entity.encoding };
}

/** The part's content decoded chunk by chunk from the store's streamed read (`@mailwire/mime` decoders). */
async function* decodedChunks(
  ctx: CommandContext,
  uid: number,
  entity: BinaryEntity,
): AsyncGenerator<Uint8Array> {
  const decoder = createDecoder(entity.encoding);
  if (decoder === undefined || entity.end <= entity.start) return;
  const source = await ctx.store.readMessage(
    { mailboxId: ctx.selected!.mailboxId, uid },
    { start: entity.start, end: entity.end },
  );
  for await (const chunk of source) {
    const out = decoder.write(chunk);
    if (out.length > 0) yield out;
  }
  const last = decoder.end();
  if (last.length > 0) yield last;
}

/** The octets `[offset, offset + length)` of a stream. */
async function* sliceChunks(
  source: AsyncIterable<Uint8Array>,
  partial: Partial | undefined,
): AsyncGenerator<Uint8Array> {
  if (partial === undefined) {
    yield* source;
    return;
  }
  const from = partial.offset;
  const to = partial.offset + partial.length;
  let at = 0;
  for await (const chunk of source) {
    const start = Math.max(from - at, 0);
    const end = Math.min(to - at, chunk.length);
    at += chunk.length;
    if (end > start) yield chunk.subarray(start, end);
    if (at >= to) return;
  }
}

/**
 * BINARY[part]<partial> (RFC 3516 §4.2): decoded in memory when the raw part is small; otherwise
 * one streamed decode pass learns the size (and whether a NUL forces literal8, §4.3), and the
 * literal is then produced by decoding the stream again as the client reads it. `null` for an
 * unknown Content-Transfer-Encoding.
 */
async function binaryData(
  ctx: CommandContext,
  meta: MessageMeta,
  index: MimeIndex,
  part: readonly number[],
  partial: Partial | undefined,
): Promise<BodyData> {
  const entity = binaryEntity(meta, index, part);
  if (entity === null) return new Uint8Array(0);
  if (createDecoder(entity.encoding) === undefined) return null;
  const chunks = () => sliceChunks(decodedChunks(ctx, meta.uid, entity), partial);
  const threshold = ctx.options.streamThreshold ?? 65536;
  if (entity.end - entity.start <= threshold) {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks()) parts.push(chunk);
    return parts.length === 1 ? parts[0]! : concatBytes(parts);
  }
  let size = 0;
  let nul = false;
  for await (const chunk of chunks()) {
    size += chunk.length;
    if (!nul && chunk.includes(0)) nul = true;
  }
  const source: LiteralSource = { size, binary: nul, chunks };
  return source;
}
