/**
 * Collects a message's chunks into 64 KiB blocks (copies: the caller may reuse its buffers), all
 * full but the last, so two blobs of equal content have equal layouts. A cheap key narrows the
 * search for identical content; equality is decided by comparing bytes, so a key collision can
 * never merge different messages.
 */
import { QuotaExceededError, TooLargeError } from '../errors.js';
import type { QuotaResource } from '../errors.js';

export const BLOCK_SIZE = 64 * 1024;
const SAMPLE = 4 * 1024;

export interface WriterLimits {
  /** Refuse with `ERR_STORE_TOO_LARGE` beyond this many octets. */
  readonly maxSize?: number;
  /** Refuse with `ERR_STORE_QUOTA` beyond this many octets (what is left of STORAGE). */
  readonly quota?: { readonly resource: QuotaResource; readonly limit: number; readonly usage: number };
}

export interface WrittenBlob {
  readonly blocks: Uint8Array[];
  readonly size: number;
  /** FNV-1a (32-bit) of the first and last 4 KiB, and the size: a lookup key, not an identity. */
  readonly key: string;
}

export class BlobWriter {
  private readonly blocks: Uint8Array[] = [];
  /** Copies of the chunks of the block being filled (allocating whole blocks up front would cost 64 KiB per small message). */
  private pending: Uint8Array[] = [];
  private pendingSize = 0;
  private size = 0;

  constructor(private readonly limits: WriterLimits = {}) {}

  write(chunk: Uint8Array): void {
    const size = this.size + chunk.length;
    const { maxSize, quota } = this.limits;
    if (maxSize !== undefined && size > maxSize) throw new TooLargeError(maxSize);
    if (quota !== undefined && quota.usage + size > quota.limit) {
      throw new QuotaExceededError({ ...quota, requested: size });
    }
    this.size = size;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(BLOCK_SIZE - this.pendingSize, chunk.length - offset);
      this.pending.push(chunk.slice(offset, offset + take));
      this.pendingSize += take;
      offset += take;
      if (this.pendingSize === BLOCK_SIZE) this.flush();
    }
  }

  finish(): WrittenBlob {
    if (this.pendingSize > 0) this.flush();
    const first = this.blocks[0] ?? new Uint8Array(0);
    const last = this.blocks[this.blocks.length - 1] ?? first;
    // The key samples the head and the tail only: equality is decided by comparing bytes anyway.
    let h = 0x811c9dc5;
    for (const part of [first.subarray(0, SAMPLE), last.subarray(Math.max(0, last.length - SAMPLE))]) {
      for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part[i]!, 0x01000193);
    }
    return { blocks: this.blocks, size: this.size, key: `${(h >>> 0).toString(16)}:${this.size}` };
  }

  private flush(): void {
    if (this.pending.length === 1) {
      this.blocks.push(this.pending[0]!);
    } else {
      const block = new Uint8Array(this.pendingSize);
      let at = 0;
      for (const part of this.pending) {
        block.set(part, at);
        at += part.length;
      }
      this.blocks.push(block);
    }
    this.pending = [];
    this.pendingSize = 0;
  }
}

/** True when two block lists (both from `BlobWriter`, so laid out alike) hold the same bytes. */
export function sameBlocks(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}
