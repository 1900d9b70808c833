import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { resolveRange, sliceChunks, sourceChunks } from './source.js';

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of iterable) out.push(...chunk);
  return out;
}

describe('sourceChunks', () => {
  it('accepts a buffer, sync chunks and async chunks', async () => {
    expect(await collect(sourceChunks(new Uint8Array([1, 2])))).toEqual([1, 2]);
    expect(await collect(sourceChunks([new Uint8Array([1]), new Uint8Array([2, 3])]))).toEqual([1, 2, 3]);
    async function* gen() {
      yield new Uint8Array([4]);
      yield new Uint8Array([]);
      yield new Uint8Array([5]);
    }
    expect(await collect(sourceChunks(gen()))).toEqual([4, 5]);
  });

  it('refuses other sources and chunks with ERR_STORE_INVALID', async () => {
    await expect(collect(sourceChunks('text' as never))).rejects.toThrow(InvalidError);
    await expect(collect(sourceChunks(42 as never))).rejects.toThrow(InvalidError);
    await expect(collect(sourceChunks(['text'] as never))).rejects.toThrow(InvalidError);
  });
});

describe('resolveRange', () => {
  it('clamps to the message', () => {
    expect(resolveRange(undefined, 10)).toEqual({ start: 0, end: 10 });
    expect(resolveRange({ start: 3 }, 10)).toEqual({ start: 3, end: 10 });
    expect(resolveRange({ start: 8, end: 100 }, 10)).toEqual({ start: 8, end: 10 });
    expect(resolveRange({ start: 20, end: 30 }, 10)).toEqual({ start: 10, end: 10 });
    expect(resolveRange({ start: 5, end: 2 }, 10)).toEqual({ start: 5, end: 5 });
    expect(resolveRange({ end: Number.POSITIVE_INFINITY }, 10)).toEqual({ start: 0, end: 10 });
  });

  it.each([{ start: -1 }, { end: -5 }, { start: 1.5 }, { start: Number.NaN }])('refuses %j', (range) => {
    expect(() => resolveRange(range, 10)).toThrow(InvalidError);
  });
});

describe('sliceChunks', () => {
  it('yields views across chunk boundaries', async () => {
    const chunks = [new Uint8Array([0, 1, 2]), new Uint8Array([3, 4]), new Uint8Array([5, 6, 7])];
    expect(await collect(sliceChunks(chunks, 2, 6))).toEqual([2, 3, 4, 5]);
    expect(await collect(sliceChunks(chunks, 0, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await collect(sliceChunks(chunks, 4, 4))).toEqual([]);
    expect(await collect(sliceChunks(chunks, 3, 5))).toEqual([3, 4]);
  });
});
