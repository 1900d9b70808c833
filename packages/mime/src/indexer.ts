/**
 * The streaming MIME indexer.
 *
 * Theory of operation. The message is cut into lines (LF-terminated, CRLF or bare LF) with
 * native `indexOf` searches; each line is looked at once and then forgotten. A stack of frames
 * holds the open entities: the message, its body parts, encapsulated messages. An entity is
 * in its header until the blank line; then its body is either opaque (a leaf), a multipart
 * (preamble, parts between delimiter lines, epilogue) or a message/rfc822 (whose body is one
 * more entity, header first). Only lines starting with `--` are compared with the boundaries
 * of the open multiparts (innermost first); a match closes every entity above that multipart.
 *
 * Memory is bounded: header bytes are kept per entity up to `maxHeaderSize`, and a line cut by
 * a chunk edge is carried only as far as it can still matter (a header line, or a possible
 * delimiter line). Body bytes are never kept. Nothing here throws on malformed input: when a
 * limit is hit the remaining bytes become opaque body and the index says which limit.
 */

import { ByteBuffer, fromLatin1 } from './bytes.js';
import { MimeUsageError } from './errors.js';
import { latin1 } from './bytes.js';
import { cleanValue, forEachField, getParam, parseStructured } from './header.js';
import type { MimeIndex, MimeIndexerOptions, MimeLimit, MimePart, RawEnvelope } from './types.js';

const LF = 10;
const CR = 13;
const SP = 32;
const HT = 9;
const DASH = 45;

const HEADER = 0;
const BODY = 1;
const PREAMBLE = 2;
const IN_PART = 3;
const EPILOGUE = 4;
const MESSAGE = 5;

const OPEN = 1;
const CLOSE = 2;

/** Default limits; see MimeIndexerOptions. */
export const MIME_DEFAULTS = {
  maxDepth: 50,
  maxParts: 10_000,
  maxHeaderSize: 64 * 1024,
  maxBoundaryLength: 200,
} as const;

/** Transport padding accepted after a delimiter (RFC 2046 §5.1.1 allows any; we allow this much). */
const MAX_PADDING = 256;

interface Frame {
  part: MimePart;
  state: number;
  /** The delimiter of this multipart while it can still match (preamble or between parts). */
  boundary: Uint8Array | null;
  headerFull: boolean;
  lfStart: number;
  depth: number;
  messageRoot: boolean;
  /** Children default to message/rfc822 (multipart/digest, RFC 2046 §5.1.5). */
  digest: boolean;
  defaultRfc822: boolean;
}

const ENVELOPE_FIELDS: Record<string, keyof RawEnvelope> = {
  date: 'date',
  subject: 'subject',
  from: 'from',
  sender: 'sender',
  'reply-to': 'replyTo',
  to: 'to',
  cc: 'cc',
  bcc: 'bcc',
  'in-reply-to': 'inReplyTo',
  'message-id': 'messageId',
};

/** Lengths and first letters of the field names the index keeps (envelope and Content-*). */
const NAME_LENGTHS = new Set([2, 3, 4, 6, 7, 8, 10, 11, 12, 16, 19, 25]);
const NAME_FIRST = new Set(['b', 'c', 'd', 'f', 'i', 'm', 'r', 's', 't'].map((c) => c.charCodeAt(0)));

/** The lowercased field name when it may be one the index keeps (cheap filter, no allocation otherwise). */
function interestingName(bytes: Uint8Array, start: number, nameEnd: number): string | undefined {
  const len = nameEnd - start;
  if (!NAME_LENGTHS.has(len) || !NAME_FIRST.has(bytes[start]! | 0x20)) return undefined;
  let name = '';
  for (let i = start; i < nameEnd; i++) {
    const c = bytes[i]!;
    name += String.fromCharCode(c >= 65 && c <= 90 ? c | 0x20 : c);
  }
  return name;
}

/** Content-Transfer-Encodings under which an encapsulated message can be parsed in place. */
function isIdentityEncoding(encoding: string | undefined): boolean {
  return encoding === undefined || encoding === '7bit' || encoding === '8bit' || encoding === 'binary';
}

function matchBoundary(buf: Uint8Array, s: number, len: number, b: Uint8Array): number {
  const bl = b.length;
  if (len < 2 + bl) return 0;
  const at = s + 2;
  for (let k = 0; k < bl; k++) if (buf[at + k] !== b[k]) return 0;
  let i = at + bl;
  const end = s + len;
  let kind = OPEN;
  if (i + 1 < end && buf[i] === DASH && buf[i + 1] === DASH) {
    kind = CLOSE;
    i += 2;
  }
  // RFC 2046 §5.1.1: only transport padding (LWSP) may follow the boundary.
  for (; i < end; i++) {
    const c = buf[i];
    if (c !== SP && c !== HT) return 0;
  }
  return kind;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Indexes a message in one streaming pass, without keeping its body.
 *
 * @example
 * const ix = new MimeIndexer();
 * for await (const chunk of stream) ix.write(chunk);
 * const index = ix.end(); // JSON-serialisable MimeIndex
 */
export class MimeIndexer {
  private readonly maxDepth: number;
  private readonly maxParts: number;
  private readonly maxHeader: number;
  private readonly maxBoundary: number;
  private readonly maxBoundaryLine: number;

  private readonly frames: Frame[] = [];
  private readonly root: MimePart;
  private readonly limitsHit = new Set<MimeLimit>();
  private offset = 0;
  private lf = 0;
  private prevEol = 0;
  private prevEmpty = false;
  private active = 0;
  private frozen = false;
  private partCount = 0;
  private ended = false;

  /** Header bytes of the entity being read (only the innermost entity is ever in its header). */
  private readonly header = new ByteBuffer();
  private readonly pend = new ByteBuffer();
  /** The header being read when it lies in the current chunk: `[hdrStart, hdrEnd)` of it. */
  private hdrChunk: Uint8Array | null = null;
  private hdrStart = 0;
  private hdrEnd = 0;
  private pendLen = 0;
  private pendKeep = 0;
  private pendStart = 0;
  private pendLast = -1;
  private pendPrev = -1;

  constructor(options: MimeIndexerOptions = {}) {
    this.maxDepth = options.maxDepth ?? MIME_DEFAULTS.maxDepth;
    this.maxParts = options.maxParts ?? MIME_DEFAULTS.maxParts;
    this.maxHeader = options.maxHeaderSize ?? MIME_DEFAULTS.maxHeaderSize;
    this.maxBoundary = options.maxBoundaryLength ?? MIME_DEFAULTS.maxBoundaryLength;
    this.maxBoundaryLine = this.maxBoundary + 4 + MAX_PADDING;
    const root = this.newFrame(0, 0, true, false);
    this.root = root.part;
    this.frames.push(root);
  }

  /** Bytes consumed so far. */
  get size(): number {
    return this.offset;
  }

  /** Feeds the next bytes of the message; any split, any size. The chunk is not retained. */
  write(chunk: Uint8Array): void {
    if (this.ended) throw new MimeUsageError('ERR_MIME_ENDED', 'MimeIndexer.write() after end()');
    const n = chunk.length;
    if (n === 0) return;
    let pos = 0;
    if (this.pendLen > 0) {
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.extendPending(chunk, 0, n);
        this.offset += n;
        return;
      }
      this.extendPending(chunk, 0, lf + 1);
      const eol = this.pendLen >= 2 && this.pendPrev === CR ? 2 : 1;
      const len = this.pendLen - eol;
      const kept = this.pend.length;
      this.pendLen = 0;
      this.line(this.pend.bytes, 0, len, eol, kept, this.pendStart);
      this.pend.clear();
      pos = lf + 1;
    }
    const base = this.offset;
    for (;;) {
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) break;
      const eol = lf > pos && chunk[lf - 1] === CR ? 2 : 1;
      const len = lf + 1 - eol - pos;
      this.line(chunk, pos, len, eol, len + eol, base + pos);
      pos = lf + 1;
    }
    if (pos < n) {
      this.pendStart = base + pos;
      this.pendLen = 0;
      this.pendLast = -1;
      this.pendPrev = -1;
      this.pendKeep = this.keepLimit(chunk, pos, n);
      this.extendPending(chunk, pos, n);
    }
    this.spillHeader();
    this.offset += n;
  }

  /** Ends the message and returns its index. */
  end(): MimeIndex {
    if (this.ended) throw new MimeUsageError('ERR_MIME_ENDED', 'MimeIndexer.end() called twice');
    this.ended = true;
    if (this.pendLen > 0) {
      const len = this.pendLen;
      this.pendLen = 0;
      this.line(this.pend.bytes, 0, len, 0, this.pend.length, this.pendStart);
      this.pend.clear();
    }
    for (let j = this.frames.length - 1; j >= 0; j--) this.close(this.frames[j]!, this.offset, true, 0);
    this.frames.length = 0;
    const index: MimeIndex = { version: 1, size: this.offset, root: this.root };
    if (this.limitsHit.size > 0) index.limits = [...this.limitsHit];
    return index;
  }

  private keepLimit(chunk: Uint8Array, pos: number, n: number): number {
    const top = this.frames[this.frames.length - 1]!;
    if (top.state === HEADER) {
      const remaining = top.headerFull ? 0 : this.maxHeader - this.headerLength();
      return Math.max(remaining, this.maxBoundaryLine);
    }
    if (this.active === 0 || this.frozen) return 0;
    if (chunk[pos] !== DASH || (pos + 1 < n && chunk[pos + 1] !== DASH)) return 0;
    return this.maxBoundaryLine;
  }

  private extendPending(chunk: Uint8Array, s: number, e: number): void {
    const room = this.pendKeep - this.pend.length;
    if (room > 0) this.pend.push(chunk, s, Math.min(e, s + room));
    this.pendPrev = e - s >= 2 ? chunk[e - 2]! : this.pendLast;
    this.pendLast = chunk[e - 1]!;
    this.pendLen += e - s;
  }

  /** One line: `len` content bytes then `eol` terminator bytes; `kept` bytes of it are in `buf`. */
  private line(buf: Uint8Array, s: number, len: number, eol: number, kept: number, at: number): void {
    const frames = this.frames;
    if (
      this.active > 0 &&
      !this.frozen &&
      len >= 2 &&
      buf[s] === DASH &&
      buf[s + 1] === DASH &&
      len <= this.maxBoundaryLine &&
      kept >= len
    ) {
      for (let i = frames.length - 1; i >= 0; i--) {
        const b = frames[i]!.boundary;
        if (b === null) continue;
        const kind = matchBoundary(buf, s, len, b);
        if (kind === 0) continue;
        if (this.onBoundary(i, kind, at, at + len + eol)) {
          this.countLine(len, eol);
          return;
        }
        break;
      }
    }
    const top = frames[frames.length - 1]!;
    if (top.state === HEADER) {
      if (len === 0) {
        this.countLine(len, eol);
        this.endHeader(top, at + eol);
        return;
      }
      this.appendHeader(top, buf, s, len + eol, kept);
    }
    this.countLine(len, eol);
  }

  private countLine(len: number, eol: number): void {
    if (eol > 0) this.lf++;
    this.prevEol = eol;
    this.prevEmpty = len === 0;
  }

  private appendHeader(f: Frame, buf: Uint8Array, s: number, total: number, kept: number): void {
    if (f.headerFull) return;
    if (kept < total || this.headerLength() + total > this.maxHeader) {
      f.headerFull = true;
      this.limitsHit.add('header');
      return;
    }
    // A header inside the current chunk is only marked; it is copied if the chunk ends first.
    if (buf !== this.pend.bytes) {
      if (this.hdrChunk === null && this.header.length === 0) {
        this.hdrChunk = buf;
        this.hdrStart = s;
        this.hdrEnd = s + total;
        return;
      }
      if (this.hdrChunk === buf && this.hdrEnd === s) {
        this.hdrEnd = s + total;
        return;
      }
    }
    this.spillHeader();
    this.header.push(buf, s, s + total);
  }

  private headerLength(): number {
    return this.header.length + (this.hdrChunk === null ? 0 : this.hdrEnd - this.hdrStart);
  }

  private spillHeader(): void {
    if (this.hdrChunk === null) return;
    this.header.push(this.hdrChunk, this.hdrStart, this.hdrEnd);
    this.hdrChunk = null;
  }

  private newFrame(start: number, depth: number, messageRoot: boolean, defaultRfc822: boolean): Frame {
    this.partCount++;
    this.header.clear();
    this.hdrChunk = null;
    return {
      part: {
        headerStart: start,
        headerEnd: start,
        bodyStart: start,
        bodyEnd: start,
        lines: 0,
        type: '',
        subtype: '',
      },
      state: HEADER,
      boundary: null,
      headerFull: false,
      lfStart: this.lf,
      depth,
      messageRoot,
      digest: false,
      defaultRfc822,
    };
  }

  /** Returns false when the line must be treated as body (the parts limit froze the structure). */
  private onBoundary(i: number, kind: number, at: number, lineEnd: number): boolean {
    if (kind === OPEN && this.partCount >= this.maxParts) {
      this.frozen = true;
      this.limitsHit.add('parts');
      return false;
    }
    const frames = this.frames;
    let floor = 0;
    for (let j = frames.length - 1; j > i; j--) floor = this.close(frames[j]!, at, false, floor);
    frames.length = i + 1;
    const f = frames[i]!;
    if (kind === OPEN) {
      f.state = IN_PART;
      const child = this.newFrame(lineEnd, f.depth + 1, false, f.digest);
      f.part.parts!.push(child.part);
      frames.push(child);
    } else {
      f.state = EPILOGUE;
      f.boundary = null;
      this.active--;
    }
    return true;
  }

  /**
   * Closes an entity whose end is `at` (a delimiter line's start, or the end of input) and
   * returns where its body ends. At a delimiter the line break before it belongs to the
   * delimiter (RFC 2046 §5.1.1) — unless that line break already ended a header (an empty
   * part): then it stays in the header. `floor` is where the entity closed just inside ends,
   * so an enclosing entity always contains it.
   */
  private close(f: Frame, at: number, eof: boolean, floor: number): number {
    const p = f.part;
    const cut = eof ? at : at - this.prevEol;
    if (f.state === HEADER) {
      const end = Math.max(p.headerStart, cut, floor);
      this.finishHeader(f, end);
      p.bodyEnd = end;
      p.lines = 0;
    } else {
      const end = Math.max(p.bodyStart, cut, floor);
      p.bodyEnd = end;
      if (end === at) {
        // The body runs to `at`: every LF counted since it began is inside it.
        p.lines = this.lf - f.lfStart + (eof && end > p.bodyStart && this.prevEol === 0 ? 1 : 0);
      } else {
        p.lines =
          Math.max(0, this.lf - f.lfStart - (at > p.bodyStart ? 1 : 0)) +
          (end > p.bodyStart && !this.prevEmpty ? 1 : 0);
      }
    }
    if (f.boundary !== null) {
      f.boundary = null;
      this.active--;
    }
    return p.bodyEnd;
  }

  private finishHeader(f: Frame, end: number): void {
    const p = f.part;
    p.headerEnd = end;
    p.bodyStart = end;
    this.applyFields(f);
  }

  private endHeader(f: Frame, bodyStart: number): void {
    this.finishHeader(f, bodyStart);
    f.lfStart = this.lf;
    f.state = BODY;
    const p = f.part;
    if (p.type === 'multipart') {
      const boundary = getParam(p.params, 'boundary');
      if (boundary === undefined || boundary.length === 0) return;
      if (boundary.length > this.maxBoundary) {
        this.limitsHit.add('boundary');
        return;
      }
      if (f.depth >= this.maxDepth) {
        this.limitsHit.add('depth');
        return;
      }
      const b = fromLatin1(boundary);
      // A boundary equal to an enclosing one cannot be told apart (RFC 2046 §5.1.2 forbids
      // it): this multipart then has no parts, and its body runs to the enclosing delimiter.
      for (const g of this.frames) if (g.boundary !== null && sameBytes(g.boundary, b)) return;
      f.boundary = b;
      f.state = PREAMBLE;
      f.digest = p.subtype === 'digest';
      this.active++;
    } else if (
      p.type === 'message' &&
      (p.subtype === 'rfc822' || p.subtype === 'global') &&
      isIdentityEncoding(p.encoding)
    ) {
      if (f.depth >= this.maxDepth) {
        this.limitsHit.add('depth');
        return;
      }
      if (this.partCount >= this.maxParts) {
        this.limitsHit.add('parts');
        return;
      }
      f.state = MESSAGE;
      const child = this.newFrame(bodyStart, f.depth + 1, true, false);
      p.message = child.part;
      this.frames.push(child);
    }
  }

  private applyFields(f: Frame): void {
    const p = f.part;
    const bytes =
      this.hdrChunk === null ? this.header.view() : this.hdrChunk.subarray(this.hdrStart, this.hdrEnd);
    this.hdrChunk = null;
    const envelope: RawEnvelope | undefined = f.messageRoot ? {} : undefined;
    let contentType: string | undefined;
    forEachField(bytes, (start, nameEnd, colon, valueEnd) => {
      const name = interestingName(bytes, start, nameEnd);
      if (name === undefined) return;
      const field = { value: latin1(bytes, colon + 1, valueEnd) };
      switch (name) {
        case 'content-type':
          contentType ??= field.value;
          break;
        case 'content-transfer-encoding':
          if (p.encoding === undefined) {
            const encoding = parseStructured(field.value).value;
            if (encoding !== '') p.encoding = encoding;
          }
          break;
        case 'content-id':
          p.id ??= cleanValue(field.value);
          break;
        case 'content-description':
          p.description ??= cleanValue(field.value);
          break;
        case 'content-md5':
          p.md5 ??= cleanValue(field.value);
          break;
        case 'content-location':
          p.location ??= cleanValue(field.value).replace(/[ \t\r\n]+/g, '');
          break;
        case 'content-language':
          if (p.language === undefined) {
            const tags = cleanValue(field.value)
              .replace(/\([^()]*\)/g, ' ')
              .split(/[ \t,]+/)
              .filter((tag) => tag !== '');
            if (tags.length > 0) p.language = tags;
          }
          break;
        case 'content-disposition':
          if (p.disposition === undefined) {
            const d = parseStructured(field.value);
            if (d.value !== '') {
              p.disposition = d.params.length > 0 ? { type: d.value, params: d.params } : { type: d.value };
            }
          }
          break;
        default:
          if (envelope !== undefined) {
            const key = ENVELOPE_FIELDS[name];
            if (key !== undefined && envelope[key] === undefined) envelope[key] = cleanValue(field.value);
          }
      }
    });
    let typed = false;
    if (contentType !== undefined) {
      const ct = parseStructured(contentType);
      const slash = ct.value.indexOf('/');
      if (slash > 0 && slash < ct.value.length - 1) {
        p.type = ct.value.slice(0, slash);
        p.subtype = ct.value.slice(slash + 1);
        if (ct.params.length > 0) p.params = ct.params;
        typed = true;
      }
    }
    // RFC 2045 §5.2 (absent or invalid) and RFC 2046 §5.1.5 (inside multipart/digest).
    if (!typed) {
      if (f.defaultRfc822) {
        p.type = 'message';
        p.subtype = 'rfc822';
      } else {
        p.type = 'text';
        p.subtype = 'plain';
        p.params = [['charset', 'us-ascii']];
      }
    }
    if (p.type === 'multipart') p.parts = [];
    if (envelope !== undefined) p.envelope = envelope;
  }
}

/** Indexes a whole message held in memory. */
export function indexMessage(message: Uint8Array, options?: MimeIndexerOptions): MimeIndex {
  const ix = new MimeIndexer(options);
  ix.write(message);
  return ix.end();
}
