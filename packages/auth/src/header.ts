/**
 * The header block of a message as DKIM sees it: raw fields in order (RFC 5322 §2.2), split
 * from the body as the message streams, with a hard size limit. Header text is handled as latin1
 * (one character per octet) so that UTF-8 header fields (RFC 6532) hash byte for byte.
 */

import { concatBytes, latin1 } from '@mailwire/core';

export interface RawHeaderField {
  /** The field name as written, without trailing whitespace. */
  readonly name: string;
  /** The whole field, folding included, without its final line break; lines joined with CRLF. */
  readonly raw: string;
}

/** Default limit of the header block: 1 MiB, far above any real message's header. */
export const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;

/**
 * Splits a header block (latin1 text, lines ended by CRLF or LF) into fields. Lines that neither
 * start a field (`name:`) nor continue one are dropped — they cannot be signed.
 */
export function splitHeaderFields(block: string): RawHeaderField[] {
  const lines = block.split(/\r?\n/);
  const fields: { name: string; lines: string[] }[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) {
      fields[fields.length - 1]!.lines.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).replace(/[ \t]+$/, '');
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    fields.push({ name, lines: [line] });
  }
  return fields.map((field) => ({ name: field.name, raw: field.lines.join('\r\n') }));
}

/** RFC 6376 §3.4.1 "simple": the field unchanged, with its CRLF. */
export function simpleHeader(field: RawHeaderField): string {
  return `${field.raw}\r\n`;
}

/**
 * RFC 6376 §3.4.2 "relaxed": name lowercased, value unfolded, runs of WSP as one SP, WSP
 * removed at the end of the value and around the colon.
 */
export function relaxedHeader(field: RawHeaderField): string {
  const colon = field.raw.indexOf(':');
  const value = field.raw
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
  return `${field.name.toLowerCase()}:${value}\r\n`;
}

export type Canonicalization = 'simple' | 'relaxed';

export function canonicalHeader(field: RawHeaderField, canon: Canonicalization): string {
  return canon === 'relaxed' ? relaxedHeader(field) : simpleHeader(field);
}

/**
 * Splits a streamed message into its header block and body chunks. `push()` returns the body
 * bytes of the chunk (empty while the header is still arriving).
 */
export class HeaderSplitter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private lineLength = 0;
  private done = false;
  private overflow = false;
  private block: string | undefined;

  constructor(private readonly maxBytes: number = DEFAULT_MAX_HEADER_BYTES) {}

  /** True once the blank line after the header has been seen. */
  get complete(): boolean {
    return this.done;
  }

  /** True when the header went over the limit; the rest of it is dropped. */
  get tooLarge(): boolean {
    return this.overflow;
  }

  push(chunk: Uint8Array): Uint8Array {
    if (this.done) return chunk;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x0a) {
        if (this.lineLength === 0) {
          this.keep(chunk.subarray(0, i + 1));
          this.done = true;
          return chunk.subarray(i + 1);
        }
        this.lineLength = 0;
      } else if (byte !== 0x0d) {
        this.lineLength++;
      }
    }
    this.keep(chunk);
    return new Uint8Array(0);
  }

  /** The header fields; call once the message has ended or `complete` is true. */
  fields(): RawHeaderField[] {
    this.block ??= latin1(concatBytes(this.parts));
    return splitHeaderFields(this.block);
  }

  private keep(bytes: Uint8Array): void {
    if (this.overflow) return;
    if (this.size + bytes.length > this.maxBytes) {
      this.overflow = true;
      return;
    }
    this.parts.push(bytes.slice());
    this.size += bytes.length;
  }
}
