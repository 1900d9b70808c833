/**
 * The DKIM body hash (RFC 6376 §3.7), computed as the body streams: canonicalisation state
 * (a CR waiting for its LF, pending whitespace, empty lines held back because they may be the
 * trailing ones §3.4.3/§3.4.4 remove) carries across chunk boundaries, so any split of the body
 * gives the same hash and the body is never held.
 *
 * Lines may end with CRLF or a bare LF (a message stored with Unix line ends); both hash as CRLF.
 */

import type { Canonicalization } from '../header.js';
import { coreSha256, type DkimHash } from '../crypto.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;

export interface DkimBodyHasherOptions {
  /** Hash only this many canonical octets (`l=`, RFC 6376 §3.5); absent for the whole body. */
  readonly limit?: number;
  /** The SHA-256 to use; default the pure-TypeScript one of `@mailwire/core`. */
  readonly hash?: DkimHash;
}

/**
 * @example
 * const hasher = new DkimBodyHasher('relaxed');
 * for (const chunk of body) hasher.update(chunk);
 * const bh = encodeBase64(hasher.digest());
 */
export class DkimBodyHasher {
  private readonly hash: DkimHash;
  private readonly limit: number;
  private readonly relaxed: boolean;
  private readonly out = new Uint8Array(16 * 1024);
  private outLength = 0;
  private emitted = 0;
  private pendingEmptyLines = 0;
  private lineHasContent = false;
  private pendingCr = false;
  private pendingWsp = false;
  private finished = false;

  constructor(
    readonly canonicalization: Canonicalization,
    options: DkimBodyHasherOptions = {},
  ) {
    this.hash = options.hash ?? coreSha256();
    this.limit = options.limit ?? Number.POSITIVE_INFINITY;
    this.relaxed = canonicalization === 'relaxed';
  }

  /** Octets of canonical body seen so far (before any `l=` cut). */
  get canonicalLength(): number {
    return this.emitted + this.outLength;
  }

  update(chunk: Uint8Array): void {
    if (this.finished) return;
    const length = chunk.length;
    // Without l=, whole lines that canonicalisation leaves unchanged go to the hash uncopied.
    const fast = this.limit === Number.POSITIVE_INFINITY;
    let i = 0;
    while (i < length) {
      if (fast && !this.pendingCr && !this.lineHasContent && !this.pendingWsp) {
        const next = this.unchangedLines(chunk, i);
        if (next !== i) {
          i = next;
          continue;
        }
      }
      i = this.line(chunk, i);
    }
  }

  /**
   * From the start of a line: the longest run of complete lines that canonicalisation leaves as
   * they are (non-empty, ending in CRLF; relaxed: no TAB, no CR inside, no run of spaces, no
   * space before the CRLF) is hashed straight from the chunk. Returns where the run ends.
   */
  private unchangedLines(chunk: Uint8Array, start: number): number {
    const relaxed = this.relaxed;
    let pos = start;
    for (;;) {
      const lf = chunk.indexOf(LF, pos);
      const cr = lf - 1;
      // An empty line (maybe trailing, §3.4.3/§3.4.4), a bare LF or an incomplete line: not here.
      if (lf < 0 || cr <= pos || chunk[cr] !== CR) break;
      if (relaxed) {
        let previous = 0;
        let j = pos;
        for (; j < cr; j++) {
          const byte = chunk[j]!;
          if (byte === SP ? previous === SP : byte === TAB || byte === CR) break;
          previous = byte;
        }
        if (j < cr || previous === SP) break;
      }
      pos = lf + 1;
    }
    if (pos === start) return start;
    while (this.pendingEmptyLines > 0) {
      this.emitCrlf();
      this.pendingEmptyLines--;
    }
    this.flush();
    this.hash.update(chunk.subarray(start, pos));
    this.emitted += pos - start;
    return pos;
  }

  /** Canonicalises octet by octet up to and including the next line end; returns where it stopped. */
  private line(chunk: Uint8Array, start: number): number {
    const relaxed = this.relaxed;
    const length = chunk.length;
    let i = start;
    while (i < length) {
      const byte = chunk[i]!;
      if (this.pendingCr) {
        this.pendingCr = false;
        if (byte === LF) {
          this.endLine();
          return i + 1;
        }
        this.content(CR);
      }
      if (byte === CR) this.pendingCr = true;
      else if (byte === LF) {
        this.endLine();
        return i + 1;
      } else if (relaxed && (byte === SP || byte === TAB)) this.pendingWsp = true;
      else {
        // A run of ordinary octets is copied straight into the buffer: the common case.
        this.content(byte);
        const out = this.out;
        let o = this.outLength;
        let end = i + 1;
        while (end < length) {
          const next = chunk[end]!;
          if (next === CR || next === LF || (relaxed && (next === SP || next === TAB))) break;
          if (o === out.length) {
            this.outLength = o;
            this.flush();
            o = 0;
          }
          out[o++] = next;
          end++;
        }
        this.outLength = o;
        i = end;
        continue;
      }
      i++;
    }
    return i;
  }

  /** The SHA-256 of the canonical body; ends the hasher. */
  digest(): Uint8Array {
    if (!this.finished) {
      if (this.pendingCr) {
        this.pendingCr = false;
        this.content(CR);
      }
      // RFC 6376 §3.4.3: an empty body is one CRLF (simple); §3.4.4: nothing (relaxed).
      // A last line without its CRLF gets one, in both (errata 1384).
      if (this.lineHasContent) this.endLine();
      else if (!this.relaxed && this.canonicalLength === 0) this.emitCrlf();
      this.flush();
      this.finished = true;
    }
    return this.hash.digest();
  }

  private content(byte: number): void {
    if (!this.lineHasContent) {
      while (this.pendingEmptyLines > 0) {
        this.emitCrlf();
        this.pendingEmptyLines--;
      }
      this.lineHasContent = true;
    }
    if (this.pendingWsp) {
      this.pendingWsp = false;
      this.emit(SP);
    }
    this.emit(byte);
  }

  private endLine(): void {
    // RFC 6376 §3.4.4: whitespace at the end of a line is dropped (relaxed).
    this.pendingWsp = false;
    if (this.lineHasContent) {
      this.emitCrlf();
      this.lineHasContent = false;
    } else {
      this.pendingEmptyLines++;
    }
  }

  private emitCrlf(): void {
    this.emit(CR);
    this.emit(LF);
  }

  private emit(byte: number): void {
    if (this.outLength === this.out.length) this.flush();
    this.out[this.outLength++] = byte;
  }

  private flush(): void {
    if (this.outLength === 0) return;
    const room = this.limit - this.emitted;
    if (room > 0) this.hash.update(this.out.subarray(0, Math.min(room, this.outLength)));
    this.emitted += this.outLength;
    this.outLength = 0;
  }
}
