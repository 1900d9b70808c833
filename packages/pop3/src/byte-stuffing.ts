/**
 * Multi-line responses (RFC 1939 §3): every line ends with CRLF, a line that begins with "." gets
 * one more "." in front, and the response ends with ".CRLF".
 *
 * `MultilineEncoder` turns a message, given in chunks of any size, into that form as it goes, so a
 * 200 MB message never sits in memory: each `encode(chunk)` returns at most twice the chunk's
 * length. It also puts messages into the canonical form POP3 sends:
 *
 * - a bare LF becomes CRLF (stores often keep Unix line endings; RFC 1939 §3 requires CRLF);
 * - a last line without a line ending gets one, so the terminator stands on its own line;
 * - a CR that is not followed by LF is content, sent as is.
 *
 * `octets` counts the canonical message octets sent (without the added dots and without the
 * terminator); RFC 1939 §5 requires STAT/LIST sizes to be exactly that, and `Pop3SizeCounter`
 * computes the same number from the stored bytes.
 *
 * With `bodyLines` (TOP, RFC 1939 §7) it stops after the header, the blank line that ends it and
 * that many body lines, and `done` tells the caller to stop reading the source.
 *
 * `MultilineDecoder` is the reverse, for clients and tests.
 */

const CR = 13;
const LF = 10;
const DOT = 46;
const TERMINATOR = new Uint8Array([DOT, CR, LF]);

export interface MultilineEncoderOptions {
  /** TOP: send the header, the blank line after it and at most this many body lines. */
  readonly bodyLines?: number;
}

export class MultilineEncoder {
  /** Canonical message octets produced so far (dot-stuffing and terminator excluded). */
  octets = 0;
  private atLineStart = true;
  private lastCr = false;
  private lineLength = 0;
  private inHeader = true;
  private bodyLinesLeft: number;
  private finished = false;
  private ended = false;

  constructor(options: MultilineEncoderOptions = {}) {
    this.bodyLinesLeft = options.bodyLines ?? Number.POSITIVE_INFINITY;
  }

  /** True once TOP has sent all it should: further input is ignored, the source can be closed. */
  get done(): boolean {
    return this.finished;
  }

  /** Encodes the next chunk of the message. */
  encode(chunk: Uint8Array): Uint8Array {
    if (this.finished || this.ended || chunk.length === 0) return new Uint8Array(0);
    const out = new Uint8Array(chunk.length * 2);
    let o = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.atLineStart) {
        this.atLineStart = false;
        if (chunk[i] === DOT) out[o++] = DOT; // RFC 1939 §3: byte-stuff a leading termination octet
      }
      const lf = chunk.indexOf(LF, i);
      const end = lf === -1 ? n : lf;
      if (end > i) {
        out.set(chunk.subarray(i, end), o);
        o += end - i;
        this.octets += end - i;
        this.lineLength += end - i;
        this.lastCr = chunk[end - 1] === CR;
      }
      if (lf === -1) break;
      if (!this.lastCr) {
        out[o++] = CR;
        this.octets += 1;
      }
      out[o++] = LF;
      this.octets += 1;
      i = lf + 1;
      const empty = this.lineLength === 0 || (this.lineLength === 1 && this.lastCr);
      this.atLineStart = true;
      this.lastCr = false;
      this.lineLength = 0;
      if (this.countLine(empty)) {
        this.finished = true;
        break;
      }
    }
    return out.subarray(0, o);
  }

  /** Ends the message: completes a last unterminated line, then ".CRLF". */
  end(): Uint8Array {
    if (this.ended) return new Uint8Array(0);
    this.ended = true;
    if (this.atLineStart) return TERMINATOR.slice();
    if (this.lastCr) {
      this.octets += 1;
      return new Uint8Array([LF, DOT, CR, LF]);
    }
    this.octets += 2;
    return new Uint8Array([CR, LF, DOT, CR, LF]);
  }

  /** TOP bookkeeping after each complete line; true when nothing more should be sent. */
  private countLine(empty: boolean): boolean {
    if (this.bodyLinesLeft === Number.POSITIVE_INFINITY) return false;
    if (this.inHeader) {
      if (!empty) return false;
      this.inHeader = false;
      return this.bodyLinesLeft === 0;
    }
    this.bodyLinesLeft -= 1;
    return this.bodyLinesLeft <= 0;
  }
}

/**
 * Counts the octets `MultilineEncoder` will send for a message (its `octets`), from the stored
 * bytes in chunks: the exact size STAT and LIST report (RFC 1939 §5).
 *
 * @example
 * const counter = new Pop3SizeCounter();
 * counter.push(utf8('Subject: x\n\nhi'));
 * counter.size; // 17: two LFs become CRLF and the last line gets a CRLF
 */
export class Pop3SizeCounter {
  private count = 0;
  private last = -1;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.count += chunk.length;
    let lf = chunk.indexOf(LF);
    while (lf !== -1) {
      const before = lf === 0 ? this.last : chunk[lf - 1]!;
      if (before !== CR) this.count += 1;
      lf = chunk.indexOf(LF, lf + 1);
    }
    this.last = chunk[chunk.length - 1]!;
  }

  get size(): number {
    if (this.last === -1 || this.last === LF) return this.count;
    return this.count + (this.last === CR ? 1 : 2);
  }
}

/** The canonical form POP3 sends for a message held whole (CRLF line endings, last line ended). */
export function toPop3Canonical(message: Uint8Array): Uint8Array {
  const encoder = new MultilineDecoder();
  const stuffer = new MultilineEncoder();
  const a = encoder.push(stuffer.encode(message));
  const b = encoder.push(stuffer.end());
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Reverses `MultilineEncoder`: strips the stuffed dots and stops at the terminating ".CRLF"
 * (RFC 1939 §3). Feed it what follows the `+OK` line, in chunks of any size.
 */
export class MultilineDecoder {
  private lineStart = true;
  private dot = false;
  private dotCr = false;
  private finished = false;
  private after: Uint8Array[] = [];

  /** True once the terminating line has been seen. */
  get done(): boolean {
    return this.finished;
  }

  /** Bytes received after the terminator (the next response). */
  get rest(): Uint8Array {
    let length = 0;
    for (const part of this.after) length += part.length;
    const out = new Uint8Array(length);
    let offset = 0;
    for (const part of this.after) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  /** Returns the message bytes carried by this chunk. */
  push(chunk: Uint8Array): Uint8Array {
    if (this.finished) {
      this.after.push(chunk.slice());
      return new Uint8Array(0);
    }
    const out = new Uint8Array(chunk.length + 2);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.dotCr) {
        this.dotCr = false;
        if (byte === LF) {
          this.finished = true;
          if (i + 1 < chunk.length) this.after.push(chunk.slice(i + 1));
          break;
        }
        out[o++] = CR; // "." + CR + something: the dot was stuffing, the CR is content
      } else if (this.dot) {
        this.dot = false;
        if (byte === CR) {
          this.dotCr = true;
          continue;
        }
      } else if (this.lineStart && byte === DOT) {
        this.dot = true;
        this.lineStart = false;
        continue;
      }
      out[o++] = byte;
      this.lineStart = byte === LF;
    }
    return out.subarray(0, o);
  }
}
