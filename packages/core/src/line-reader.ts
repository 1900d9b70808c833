/**
 * Incremental framing of a byte stream into lines and known-length runs of bytes.
 *
 * Theory of operation: `push()` only stores the chunk (no copy, no scan). `next()` then
 * returns one frame at a time:
 *
 * - `line`: the bytes before the line feed, without the terminator. `terminator` says whether
 *   it was CRLF or a bare LF, and `bareCr` whether a CR occurs inside the line, so that each
 *   protocol can apply its own policy (SMTP refuses them, IMAP tolerates a bare LF…).
 * - `overflow`: a line longer than `maxLineLength`. Its bytes are dropped as they arrive, never
 *   buffered; the frame is returned once the line's terminator is seen, so the protocol answers
 *   "line too long" once and resynchronises on the next line.
 * - `bytes`: after `expect(n)`, the next `n` octets are handed over raw (IMAP literals, SMTP BDAT
 *   chunks), in as many frames as the input was split into, each a view of the input chunk:
 *   literal bytes are never scanned nor copied.
 *
 * Memory: a partial line holds at most `maxLineLength + 2` octets; complete but unread lines are
 * the caller's to bound (read `buffered` and stop reading from the transport).
 *
 * `push()` takes ownership of the chunk: the caller must not modify it afterwards, because the
 * frames returned are views into it.
 */

export interface LineReaderOptions {
  /** Longest accepted line in octets, excluding the line terminator. */
  readonly maxLineLength: number;
}

export type Frame =
  | {
      readonly type: 'line';
      readonly bytes: Uint8Array;
      readonly terminator: 'crlf' | 'lf';
      readonly bareCr: boolean;
    }
  | { readonly type: 'overflow'; readonly length: number }
  | { readonly type: 'bytes'; readonly bytes: Uint8Array; readonly remaining: number };

const LF = 10;
const CR = 13;
const EMPTY = new Uint8Array(0);

export class LineReader {
  maxLineLength: number;
  private chunks: Uint8Array[] = [];
  private offset = 0;
  private size = 0;
  /** Index into `chunks` and position inside it where the search for LF resumes. */
  private scanChunk = 0;
  private scanPos = 0;
  /** Octets of the current line already searched without finding a LF. */
  private scanned = 0;
  private discarding = false;
  private discarded = 0;
  private literal = 0;

  constructor(options: LineReaderOptions) {
    this.maxLineLength = options.maxLineLength;
  }

  /** Unread octets held (excluding those dropped from an overlong line). */
  get buffered(): number {
    return this.size;
  }

  /** Octets still to be delivered raw by the current `expect()`. */
  get expecting(): number {
    return this.literal;
  }

  /** True while an overlong line is being dropped. */
  get overflowing(): boolean {
    return this.discarding;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.discarding && this.literal === 0) {
      const lf = chunk.indexOf(LF);
      if (lf === -1) {
        this.discarded += chunk.length;
        return;
      }
      this.discarded += lf + 1;
      this.pendingOverflow = this.discarded;
      this.discarding = false;
      this.discarded = 0;
      chunk = chunk.subarray(lf + 1);
      if (chunk.length === 0) return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  private pendingOverflow = -1;

  /** The next `n` octets are returned raw as `bytes` frames. */
  expect(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`expect(${n}): not a byte count`);
    this.literal = n;
    this.resetScan();
  }

  /** Drops everything buffered, returning how many octets were dropped (STARTTLS injection defence). */
  discardBuffered(): number {
    const dropped = this.size + (this.discarding ? this.discarded : 0);
    this.chunks = [];
    this.offset = 0;
    this.size = 0;
    this.discarding = false;
    this.discarded = 0;
    this.pendingOverflow = -1;
    this.literal = 0;
    this.resetScan();
    return dropped;
  }

  next(): Frame | undefined {
    if (this.pendingOverflow >= 0) {
      const length = this.pendingOverflow;
      this.pendingOverflow = -1;
      return { type: 'overflow', length };
    }
    if (this.literal > 0) return this.nextBytes();
    if (this.literal === 0 && this.size === 0) return undefined;
    return this.nextLine();
  }

  private nextBytes(): Frame | undefined {
    const first = this.chunks[0];
    if (first === undefined) return undefined;
    const available = first.length - this.offset;
    const n = Math.min(available, this.literal);
    const bytes = first.subarray(this.offset, this.offset + n);
    this.consume(n);
    this.literal -= n;
    return { type: 'bytes', bytes, remaining: this.literal };
  }

  private nextLine(): Frame | undefined {
    for (;;) {
      const chunk = this.chunks[this.scanChunk];
      if (chunk === undefined) break;
      const start = this.scanChunk === 0 ? Math.max(this.scanPos, this.offset) : this.scanPos;
      const lf = chunk.indexOf(LF, start);
      if (lf !== -1) {
        const length = this.scanned + (lf - start);
        return this.takeLine(length);
      }
      this.scanned += chunk.length - start;
      this.scanChunk += 1;
      this.scanPos = 0;
    }
    if (this.scanned > this.maxLineLength + 1) {
      // Too long already, and no terminator yet: drop what we hold and keep dropping in push().
      this.discarding = true;
      this.discarded = this.size;
      this.chunks = [];
      this.offset = 0;
      this.size = 0;
      this.resetScan();
    }
    return undefined;
  }

  /** Removes `length` octets plus the LF from the buffer and frames them. */
  private takeLine(length: number): Frame {
    const line = this.read(length);
    this.consume(1);
    this.resetScan();
    let bytes = line;
    let terminator: 'crlf' | 'lf' = 'lf';
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) {
      bytes = bytes.subarray(0, bytes.length - 1);
      terminator = 'crlf';
    }
    if (bytes.length > this.maxLineLength) return { type: 'overflow', length: length + 1 };
    return { type: 'line', bytes, terminator, bareCr: bytes.indexOf(CR) !== -1 };
  }

  /** Reads `n` buffered octets: a view when they sit in one chunk, a copy when they span chunks. */
  private read(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) {
      const view = first.subarray(this.offset, this.offset + n);
      this.consume(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.offset, n - filled);
      out.set(chunk.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.consume(take);
    }
    return out;
  }

  private consume(n: number): void {
    this.size -= n;
    this.offset += n;
    while (this.chunks.length > 0 && this.offset >= this.chunks[0]!.length) {
      this.offset -= this.chunks[0]!.length;
      this.chunks.shift();
      if (this.scanChunk > 0) this.scanChunk -= 1;
    }
  }

  private resetScan(): void {
    this.scanChunk = 0;
    this.scanPos = 0;
    this.scanned = 0;
  }
}
