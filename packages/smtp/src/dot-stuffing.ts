/**
 * DATA transparency (RFC 5321 §4.5.2): dot-stuffing for senders, streaming unstuffing with
 * end-of-data detection for receivers.
 *
 * A line starts only after `<CRLF>` (or at the start of the data). The end of data is only
 * `<CRLF>.<CRLF>` (RFC 5321 §4.1.1.4); `<LF>.<LF>`, `<CR>.<CR>`, `<LF>.<CRLF>` and `<CRLF>.<LF>`
 * are message content, so a bare line ending can never end the data nor start a second
 * transaction ("SMTP smuggling"). The decoder counts bare LF and bare CR so the session can refuse
 * the message (the default) or, with `bareLineEndings: 'normalize'`, turns each into CRLF — after
 * the end-of-data decision, so normalising never creates a terminator.
 */

import { concatBytes } from '@mailwire/core';

const CR = 13;
const LF = 10;
const DOT = 46;
const CR_BYTES = Uint8Array.of(CR);
const LF_BYTES = Uint8Array.of(LF);
const CRLF_BYTES = Uint8Array.of(CR, LF);

const LINE_START = 0;
const AFTER_DOT = 1;
const AFTER_DOT_CR = 2;
const MID = 3;
const AFTER_CR = 4;

export interface DataDecoderOptions {
  /** `'keep'` (default) passes bare CR/LF through and counts them; `'normalize'` turns them into CRLF. */
  readonly bareLineEndings?: 'keep' | 'normalize';
  /** Longest text line in octets without CRLF; longer lines are counted in `longLines`. Default 998 (RFC 5321 §4.5.3.1.6). */
  readonly maxLineLength?: number;
}

export interface DataPushResult {
  /** Unstuffed message bytes, in order; views into the input where possible. */
  readonly chunks: Uint8Array[];
  /** True once `<CRLF>.<CRLF>` was seen. */
  readonly done: boolean;
  /** Octets of the input consumed; after the end, the rest is the next command. */
  readonly consumed: number;
}

/**
 * Streaming DATA decoder: feed the raw bytes after the 354 reply, get message bytes.
 *
 * @example
 * const decoder = new DataDecoder();
 * const { chunks, done, consumed } = decoder.push(bytes);
 */
export class DataDecoder {
  /** Message octets produced so far. */
  size = 0;
  /** Bare LF seen (not preceded by CR). */
  bareLf = 0;
  /** Bare CR seen (not followed by LF). */
  bareCr = 0;
  /** Lines longer than `maxLineLength`. */
  longLines = 0;
  private state = LINE_START;
  private lineLength = 0;
  private finished = false;
  private readonly normalize: boolean;
  private readonly maxLineLength: number;

  constructor(options: DataDecoderOptions = {}) {
    this.normalize = options.bareLineEndings === 'normalize';
    this.maxLineLength = options.maxLineLength ?? 998;
  }

  get done(): boolean {
    return this.finished;
  }

  push(chunk: Uint8Array): DataPushResult {
    const chunks: Uint8Array[] = [];
    if (this.finished) return { chunks, done: true, consumed: 0 };
    const n = chunk.length;
    const max = this.maxLineLength;
    const normalize = this.normalize;
    let size = this.size;
    let start = 0;
    let state = this.state;
    let lineLength = this.lineLength;
    let i = 0;
    // Four octets at a time over the aligned middle of the chunk (see `skipWords`).
    const w0 = n < 64 ? 0 : ((chunk.byteOffset + 3) & ~3) - chunk.byteOffset;
    const words = n < 64 ? undefined : new Int32Array(chunk.buffer, chunk.byteOffset + w0, (n - w0) >> 2);
    while (i < n) {
      if (state === MID) {
        // The hot loop: ordinary octets up to the next CR or LF, one comparison for most of them.
        let j = i;
        let c = 0;
        if (words !== undefined) {
          while (j < n && ((j - w0) & 3) !== 0) {
            c = chunk[j]!;
            if (c <= CR) break;
            j++;
          }
          if (j < n && ((j - w0) & 3) === 0) j = w0 + 4 * skipWords(words, (j - w0) >> 2);
        }
        while (j < n) {
          c = chunk[j]!;
          if (c <= CR && (c === CR || c === LF)) break;
          j++;
        }
        lineLength += j - i;
        if (j === n) {
          i = n;
          break;
        }
        i = j + 1;
        if (c === CR) {
          state = AFTER_CR;
          continue;
        }
        // A bare LF: counted, and it never starts a line, so "<LF>.<CRLF>" cannot end the data.
        this.bareLf++;
        if (normalize) {
          size += emit(chunks, chunk.subarray(start, j));
          size += emit(chunks, CR_BYTES);
          start = j;
        }
        if (lineLength > max) this.longLines++;
        lineLength = 0;
        continue;
      }
      const b = chunk[i]!;
      if (state === AFTER_CR) {
        if (b === LF) {
          if (lineLength > max) this.longLines++;
          lineLength = 0;
          state = LINE_START;
          i++;
          continue;
        }
        this.bareCr++;
        if (normalize) {
          size += emit(chunks, chunk.subarray(start, i));
          size += emit(chunks, LF_BYTES);
          start = i;
        }
        if (lineLength > max) this.longLines++;
        lineLength = 0;
        state = MID;
        continue;
      }
      if (state === LINE_START) {
        // RFC 5321 §4.5.3.1.6: the dot duplicated for transparency does not count.
        lineLength = 0;
        if (b === DOT) {
          // The leading dot is either stuffing (dropped) or the terminator: never data.
          size += emit(chunks, chunk.subarray(start, i));
          start = i + 1;
          state = AFTER_DOT;
          i++;
          continue;
        }
        state = MID;
        continue;
      }
      if (state === AFTER_DOT) {
        if (b === CR) {
          start = i + 1;
          state = AFTER_DOT_CR;
          i++;
          continue;
        }
        state = MID;
        continue;
      }
      // AFTER_DOT_CR
      if (b === LF) {
        this.size = size;
        this.state = LINE_START;
        this.lineLength = 0;
        this.finished = true;
        return { chunks, done: true, consumed: i + 1 };
      }
      // "." CR not followed by LF: the CR is content, and bare.
      this.bareCr++;
      size += emit(chunks, normalize ? CRLF_BYTES : CR_BYTES);
      start = i;
      lineLength = 0;
      state = MID;
    }
    if (state !== AFTER_DOT_CR && state !== AFTER_DOT) size += emit(chunks, chunk.subarray(start, n));
    this.size = size;
    this.state = state;
    this.lineLength = lineLength;
    return { chunks, done: false, consumed: n };
  }
}

/**
 * The index of the first word from `k` holding an octet below 0x0E (CR, LF, or another control
 * octet), or `words.length`: `(v - 0x0E0E0E0E) & ~v & 0x80808080` is non-zero exactly when some
 * octet of `v` is below 0x0E (the classic "has less than" bit trick).
 */
function skipWords(words: Int32Array, k: number): number {
  const end = words.length;
  while (k < end) {
    const v = words[k]!;
    if (((v - 0x0e0e0e0e) & ~v & 0x80808080) !== 0) return k;
    k++;
  }
  return end;
}

function emit(chunks: Uint8Array[], bytes: Uint8Array): number {
  if (bytes.length > 0) chunks.push(bytes);
  return bytes.length;
}

/**
 * Streaming dot-stuffer: message bytes in, wire bytes out. `end()` returns the terminator,
 * preceded by a CRLF when the message does not end with one.
 */
export class DotStuffer {
  private atLineStart = true;
  private prevCr = false;
  private empty = true;

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.atLineStart && b === DOT) {
        out.push(chunk.subarray(start, i));
        out.push(Uint8Array.of(DOT));
        start = i;
      }
      this.atLineStart = b === LF && this.prevCr;
      this.prevCr = b === CR;
    }
    if (chunk.length > 0) this.empty = false;
    out.push(chunk.subarray(start));
    return out.filter((c) => c.length > 0);
  }

  end(): Uint8Array {
    return this.empty || this.atLineStart ? Uint8Array.of(DOT, CR, LF) : Uint8Array.of(CR, LF, DOT, CR, LF);
  }
}

/** Dot-stuffs a whole message and appends the terminator. */
export function dotStuff(message: Uint8Array): Uint8Array {
  const stuffer = new DotStuffer();
  return concatBytes([...stuffer.push(message), stuffer.end()]);
}

/** Unstuffs a whole DATA stream; `undefined` when it has no terminator. */
export function dotUnstuff(
  wire: Uint8Array,
  options?: DataDecoderOptions,
): { message: Uint8Array; rest: Uint8Array } | undefined {
  const decoder = new DataDecoder(options);
  const result = decoder.push(wire);
  if (!result.done) return undefined;
  return { message: concatBytes(result.chunks), rest: wire.subarray(result.consumed) };
}
