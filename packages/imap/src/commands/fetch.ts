import { concatBytes } from '@mailwire/core';
import {
  createDecoder,
  filterHeaderFields,
  type MimeIndex,
  resolvePart,
  resolveSection,
} from '@mailwire/mime';
import type { MessageMeta } from '@mailwire/store';
import type { BodyData, FetchValue, LiteralSource } from '../codec/response.js';
import type { FetchItem, Partial, Section } from '../codec/types.js';
import type { CommandContext, CommandOf, Handler } from './context.js';
import { bodyStructureOf, envelopeOf, mimeIndexOf, readBytes, toDateTime } from './message.js';
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
  const rev1 = !ctx.rev2;
  // Metadata in batches, so a FETCH 1:* over a large mailbox stays bounded.
  for (let i = 0; i < live.length; i += 500) {
    const batch = live.slice(i, i + 500);
    const metas = await ctx.store.fetchMessages(view.mailboxId, batch, needsIndex ? { mimeIndex: true } : {});
    for (const meta of metas) {
      const msn = view.msnOf(meta.uid);
      if (msn === undefined) continue;
      const cached = needsIndex ? cachedIndex(meta) : undefined;
      if (inMemory && (!needsIndex || cached !== undefined)) {
        // Everything from metadata and the cached index: no await per message, so a whole batch
        // is queued in one go (the driver then writes it in a few large writes).
        const values: FetchValue[] = [];
        for (const item of items) values.push(memoryValue(view, meta, cached, item, rev1)!);
        ctx.send({ type: 'fetch', seq: msn, items: values });
        if (ctx.backlogged) await ctx.drained();
        continue;
      }
      const index = needsIndex ? (cached ?? (await mimeIndexOf(ctx.store, view.mailboxId, meta))) : undefined;
      const values: FetchValue[] = [];
      for (const item of items) values.push(await fetchValue(ctx, meta, index, item, rev1));
      const unknown = values.some((v) => v.item === 'BINARY[]' && v.data === null);
      if (unknown) {
        // RFC 3516 §4.3: a part whose Content-Transfer-Encoding we cannot decode.
        ctx.tagged(command.tag, 'NO', 'Unknown Content-Transfer-Encoding', { name: 'UNKNOWN-CTE' });
        return;
      }
      await ctx.sendStreaming({ type: 'fetch', seq: msn, items: values });
    }
  }
  done(ctx, command);
};

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
      return { item: 'FLAGS', flags: view.displayFlags(meta.uid, rev1) };
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
): Promise<FetchValue> {
  const known = memoryValue(ctx.selected!, meta, index, item, rev1);
  if (known !== undefined) return known;
  switch (item.item) {
    case 'RFC822':
      return { item: 'RFC822', data: range(ctx, meta, 0, meta.size) };
    case 'RFC822.HEADER':
      return {
        item: 'RFC822.HEADER',
        data: range(ctx, meta, index!.root.headerStart, index!.root.headerEnd),
      };
    case 'RFC822.TEXT':
      return { item: 'RFC822.TEXT', data: range(ctx, meta, index!.root.bodyStart, index!.root.bodyEnd) };
    case 'BODY[]':
      return bodySection(ctx, meta, index, item.section, item.partial);
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
): Promise<FetchValue> {
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
      const header = await readBytes(ctx.store, ctx.selected!.mailboxId, meta.uid, start, end);
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
  const data =
    end - start > threshold
      ? range(ctx, meta, start, end)
      : await readBytes(ctx.store, ctx.selected!.mailboxId, meta.uid, start, end);
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
