/**
 * Framing under the `Fragmentizer`: lines (up to LF, CR stripped) and known-length runs of raw
 * octets (literals) from a queue of input chunks. It is `@mailwire/core`'s `LineReader` cut down
 * to what IMAP needs and shaped for speed: a line inside one chunk is a view found with the
 * native `indexOf`, no frame object is allocated, and the search for a line feed resumes where
 * it stopped when a line arrives in pieces. Literal octets are handed over as views, never
 * scanned nor copied. A line longer than `maxLineLength` is dropped as it arrives (memory stays
 * bounded) and reported once as `OVERFLOW` when its line feed is seen.
 */

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);
/** Octets searched for a line feed with a plain loop before `indexOf` takes over. */
const SHORT_SCAN = 128;

/** Returned by `line()` for an overlong line (already dropped). */
export const OVERFLOW: Uint8Array = new Uint8Array(0);

export class Framer {
  private chunks: Uint8Array[] = [];
  /** Index of the first unread chunk, and the read position inside it. */
  private head = 0;
  private offset = 0;
  /** Unread octets held. */
  buffered = 0;
  /** Where the search for the current line's LF resumes, and how much was searched already. */
  private scanChunk = 0;
  private scanPos = 0;
  private scanned = 0;
  /** Dropping an overlong line until its LF. */
  private dropping = false;
  /** Octets of the current literal still to be handed over. */
  remaining = 0;

  constructor(public maxLineLength: number) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next `n` octets are a literal, read with `bytes()`. */
  expect(n: number): void {
    this.remaining = n;
    this.resetScan();
  }

  /** Drops everything buffered; returns the number of octets dropped. */
  discard(): number {
    const dropped = this.buffered;
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.buffered = 0;
    this.dropping = false;
    this.remaining = 0;
    this.resetScan();
    return dropped;
  }

  /** A view of the literal's next octets (at most one chunk's worth), or `undefined`. */
  bytes(): Uint8Array | undefined {
    const chunk = this.chunks[this.head];
    if (chunk === undefined) return undefined;
    const available = chunk.length - this.offset;
    const n = Math.min(available, this.remaining);
    const view = chunk.subarray(this.offset, this.offset + n);
    this.advance(n);
    this.remaining -= n;
    if (this.remaining === 0) this.resetScan();
    return view;
  }

  /** The next line without its terminator, `OVERFLOW`, or `undefined` when incomplete. */
  line(): Uint8Array | undefined {
    if (this.dropping) {
      // `advance()` may replace `this.chunks`: read it afresh on each turn.
      while (this.head < this.chunks.length) {
        const chunk = this.chunks[this.head]!;
        const lf = chunk.indexOf(LF, this.offset);
        if (lf === -1) {
          this.advance(chunk.length - this.offset);
          continue;
        }
        this.advance(lf + 1 - this.offset);
        this.dropping = false;
        this.resetScan();
        return OVERFLOW;
      }
      return undefined;
    }
    const chunks = this.chunks;
    while (this.scanChunk < chunks.length) {
      const chunk = chunks[this.scanChunk]!;
      const start = this.scanPos;
      // Command lines are short: a plain loop over their first octets beats the native
      // `indexOf` call, which takes over for long lines and literal-free bulk.
      const limit = Math.min(chunk.length, start + SHORT_SCAN);
      let lf = start;
      while (lf < limit && chunk[lf] !== LF) lf += 1;
      if (lf === limit) lf = limit === chunk.length ? -1 : chunk.indexOf(LF, limit);
      if (lf !== -1) return this.takeLine(this.scanned + (lf - start));
      this.scanned += chunk.length - start;
      this.scanChunk += 1;
      this.scanPos = 0;
      if (this.scanned > this.maxLineLength + 1) {
        // Too long already and no terminator yet: drop what we hold and keep dropping.
        this.advance(this.buffered);
        this.dropping = true;
        return this.line();
      }
    }
    return undefined;
  }

  /** Takes `length` octets plus the LF. */
  private takeLine(length: number): Uint8Array {
    if (length > this.maxLineLength + 1) {
      this.advance(length + 1);
      this.resetScan();
      return OVERFLOW;
    }
    const chunk = this.chunks[this.head]!;
    let line: Uint8Array;
    if (chunk.length - this.offset > length) {
      // The line lies in one chunk: one view, the CR left out up front (a typed-array view
      // costs more than the comparison).
      const start = this.offset;
      const end = length > 0 && chunk[start + length - 1] === CR ? start + length - 1 : start + length;
      this.advance(length + 1);
      this.resetScan();
      return end - start > this.maxLineLength ? OVERFLOW : chunk.subarray(start, end);
    }
    line = this.copy(length);
    this.advance(1);
    this.resetScan();
    const n = line.length;
    if (n > 0 && line[n - 1] === CR) line = line.subarray(0, n - 1);
    return line.length > this.maxLineLength ? OVERFLOW : line;
  }

  /** Copies `n` octets that span chunks. */
  private copy(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head]!;
      const take = Math.min(chunk.length - this.offset, n - filled);
      out.set(chunk.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.advance(take);
    }
    return out;
  }

  private advance(n: number): void {
    this.buffered -= n;
    this.offset += n;
    const chunks = this.chunks;
    while (this.head < chunks.length && this.offset >= chunks[this.head]!.length) {
      this.offset -= chunks[this.head]!.length;
      this.head += 1;
    }
    if (this.head === chunks.length) {
      this.chunks = [];
      this.head = 0;
      this.offset = 0;
    } else if (this.head > 64) {
      chunks.splice(0, this.head);
      this.head = 0;
    }
  }

  private resetScan(): void {
    this.scanChunk = this.head;
    this.scanPos = this.offset;
    this.scanned = 0;
  }
}
