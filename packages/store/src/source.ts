/** Reading a `MessageSource` and slicing stored chunks by byte range. */
import { InvalidError } from './errors.js';
import type { ByteRange, MessageSource } from './types.js';

/** Yields the chunks of a source, whatever its shape. Chunks may be views the caller reuses. */
export async function* sourceChunks(source: MessageSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) {
    for await (const chunk of source as AsyncIterable<Uint8Array>) yield checkChunk(chunk);
    return;
  }
  if (source !== null && typeof source === 'object' && Symbol.iterator in source) {
    for (const chunk of source as Iterable<Uint8Array>) yield checkChunk(chunk);
    return;
  }
  throw new InvalidError('Message source must be a Uint8Array or an iterable of Uint8Array');
}

function checkChunk(chunk: unknown): Uint8Array {
  if (!(chunk instanceof Uint8Array)) throw new InvalidError('Message source chunks must be Uint8Array');
  return chunk;
}

/**
 * The `[start, end)` a range means for a message of `size` octets, clamped. Throws
 * `ERR_STORE_INVALID` for negative or non-integer offsets.
 */
export function resolveRange(range: ByteRange | undefined, size: number): { start: number; end: number } {
  const start = range?.start ?? 0;
  const end = range?.end ?? size;
  for (const n of [start, end]) {
    if (!(Number.isInteger(n) || n === Number.POSITIVE_INFINITY) || n < 0) {
      throw new InvalidError(`Invalid byte offset: ${n}`);
    }
  }
  const s = Math.min(start, size);
  return { start: s, end: Math.max(s, Math.min(end, size)) };
}

/** Yields views of `[start, end)` across chunks stored back to back (no copies). */
export async function* sliceChunks(
  chunks: readonly Uint8Array[],
  start: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= end) return;
    const chunkEnd = offset + chunk.length;
    if (chunkEnd > start) {
      yield chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset));
    }
    offset = chunkEnd;
  }
}
