import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, BlobWriter, sameBlocks } from './blob-writer.js';

describe('BlobWriter', () => {
  it('lays content out in full blocks whatever the chunking, so equal content compares equal', () => {
    const bytes = new Uint8Array(BLOCK_SIZE * 2 + 10).map((_, i) => i * 7);
    const one = new BlobWriter();
    one.write(bytes);
    const many = new BlobWriter();
    for (let i = 0; i < bytes.length; i += 999) many.write(bytes.subarray(i, i + 999));
    const a = one.finish();
    const b = many.finish();
    expect(a.blocks.map((x) => x.length)).toEqual([BLOCK_SIZE, BLOCK_SIZE, 10]);
    expect(a.key).toBe(b.key);
    expect(sameBlocks(a.blocks, b.blocks)).toBe(true);
    const other = new BlobWriter();
    const changed = bytes.slice();
    changed[BLOCK_SIZE + 5]! ^= 1;
    other.write(changed);
    expect(sameBlocks(a.blocks, other.finish().blocks)).toBe(false);
  });

  it('stops at the size and quota limits with typed errors', () => {
    const limited = new BlobWriter({ maxSize: 10 });
    limited.write(new Uint8Array(10));
    expect(() => limited.write(new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_TOO_LARGE' }),
    );
    const quota = new BlobWriter({ quota: { resource: 'STORAGE', limit: 100, usage: 95 } });
    quota.write(new Uint8Array(5));
    expect(() => quota.write(new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_QUOTA' }),
    );
  });
});
