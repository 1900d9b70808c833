/**
 * The readable text of a message's text/* parts, decoded (transfer encoding, then charset) while
 * the raw message streams past — for SEARCH BODY / TEXT without holding the message in memory.
 */

import { createTextDecoder, type TextStreamDecoder } from './charset.js';
import { getParam } from './header.js';
import { listParts } from './section.js';
import { createDecoder, type TransferDecoder } from './transfer.js';
import type { MimeIndex, MimePart } from './types.js';

interface TextRange {
  start: number;
  end: number;
  transfer: TransferDecoder;
  text: TextStreamDecoder;
}

/** The text/* leaves of a message, encapsulated messages included, in byte order. */
export function textParts(index: MimeIndex): MimePart[] {
  const leaves = listParts(index)
    .map(({ part }) => part)
    .filter((p) => p.parts === undefined && p.message === undefined && p.type === 'text');
  return leaves.sort((a, b) => a.bodyStart - b.bodyStart);
}

/**
 * Feed the raw message in order (any chunking, starting at offset 0); get back the decoded text
 * of its text/* parts, each part's text followed by a line break. Parts in an unknown transfer
 * encoding are taken as they are; unknown charsets decode as UTF-8.
 *
 * @example
 * const ex = new BodyTextExtractor(index);
 * let text = '';
 * for await (const chunk of message) text += ex.write(chunk);
 * text += ex.end();
 */
export class BodyTextExtractor {
  private readonly ranges: TextRange[];
  private current = 0;
  private offset = 0;

  constructor(index: MimeIndex) {
    this.ranges = textParts(index).map((p) => ({
      start: p.bodyStart,
      end: p.bodyEnd,
      transfer: createDecoder(p.encoding) ?? (createDecoder('binary') as TransferDecoder),
      text: createTextDecoder(getParam(p.params, 'charset')),
    }));
  }

  write(chunk: Uint8Array): string {
    const from = this.offset;
    const to = from + chunk.length;
    this.offset = to;
    let out = '';
    while (this.current < this.ranges.length) {
      const r = this.ranges[this.current]!;
      if (r.start >= to) break;
      const s = Math.max(r.start, from);
      const e = Math.min(r.end, to);
      if (e > s) out += r.text.write(r.transfer.write(chunk.subarray(s - from, e - from)));
      if (r.end > to) break;
      out += this.finish(r);
      this.current++;
    }
    return out;
  }

  end(): string {
    let out = '';
    for (; this.current < this.ranges.length; this.current++) out += this.finish(this.ranges[this.current]!);
    return out;
  }

  private finish(r: TextRange): string {
    return `${r.text.write(r.transfer.end())}${r.text.end()}\n`;
  }
}
