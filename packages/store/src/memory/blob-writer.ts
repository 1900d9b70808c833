/**
 * Collects a message's chunks into fixed 64 KiB blocks (copies: the caller may reuse its buffers),
 * hashing as it goes so identical content can be found again. The hash only narrows the search;
 * equality is decided by comparing bytes, so a collision can never merge different messages.
 */
import { QuotaExceededError, TooLargeError } from '../errors.js';
import type { QuotaResource } from '../errors.js';

export const BLOCK_SIZE = 64 * 1024;

export interface WriterLimits {
  /** Refuse with `ERR_STORE_TOO_LARGE` beyond this many octets. */
  readonly maxSize?: number;
  /** Refuse with `ERR_STORE_QUOTA` beyond this many octets (what is left of STORAGE). */
  readonly quota?: { readonly resource: QuotaResource; readonly limit: number; readonly usage: number };
}

export interface WrittenBlob {
  readonly blocks: Uint8Array[];
  readonly size: number;
  /** FNV-1a (32-bit) of the content and its size, as a lookup key. */
  readonly key: string;
}

export class BlobWriter {
  private readonly blocks: Uint8Array[] = [];
  private current = new Uint8Array(BLOCK_SIZE);
  private used = 0;
  private size = 0;
  private hash = 0x811c9dc5;

  constructor(private readonly limits: WriterLimits = {}) {}

  write(chunk: Uint8Array): void {
    const size = this.size + chunk.length;
    const { maxSize, quota } = this.limits;
    if (maxSize !== undefined && size > maxSize) throw new TooLargeError(maxSize);
    if (quota !== undefined && quota.usage + size > quota.limit) {
      throw new QuotaExceededError({ ...quota, requested: size });
    }
    this.size = size;
    let h = this.hash;
    for (let i = 0; i < chunk.length; i++) h = Math.imul(h ^ chunk[i]!, 0x01000193);
    this.hash = h;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(BLOCK_SIZE - this.used, chunk.length - offset);
      this.current.set(chunk.subarray(offset, offset + take), this.used);
      this.used += take;
      offset += take;
      if (this.used === BLOCK_SIZE) {
        this.blocks.push(this.current);
        this.current = new Uint8Array(BLOCK_SIZE);
        this.used = 0;
      }
    }
  }

  finish(): WrittenBlob {
    if (this.used > 0) this.blocks.push(this.current.slice(0, this.used));
    this.current = new Uint8Array(0);
    return { blocks: this.blocks, size: this.size, key: `${(this.hash >>> 0).toString(16)}:${this.size}` };
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
