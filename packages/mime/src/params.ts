/**
 * RFC 2231 parameter values: continuations (`name*0`, `name*1`…), charset and language
 * (`name*=utf-8'en'%E2%82%AC`), and the common non-standard forms (RFC 2047 encoded-words and
 * raw UTF-8 inside quoted values).
 */

import { fromLatin1, textDecoderFor } from './bytes.js';
import { decodeHeaderValue } from './encoded-word.js';
import type { MimeParam } from './types.js';

interface Section {
  n: number;
  extended: boolean;
  value: string;
}

function percentDecode(value: string, into: number[]): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 37 && i + 2 < value.length) {
      const hex = value.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        into.push(Number.parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    into.push(c & 0xff);
  }
}

function decodeBytes(bytes: Uint8Array, charset: string): string {
  const label = charset.toLowerCase();
  if (label !== '') {
    const decoder = textDecoderFor(label);
    if (decoder !== undefined) return decoder.decode(bytes);
  }
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return decodeHeaderValue(binary);
}

/**
 * Decodes a parameter list: continuations joined, RFC 2231 charsets applied, encoded-words in
 * plain values decoded. Names lose their `*` suffixes; each name appears once, where it first
 * appeared, the RFC 2231 form winning over a plain one of the same name.
 *
 * @example
 * decodeParams([['filename*0*', "utf-8''%C3%A9t%C3%A9"], ['filename*1', '.txt']])
 * // [['filename', 'été.txt']]
 */
export function decodeParams(params: readonly MimeParam[] | undefined): MimeParam[] {
  if (!params) return [];
  const order: string[] = [];
  const plain = new Map<string, string>();
  const sections = new Map<string, Section[]>();
  for (const [name, value] of params) {
    const m = /^(.*?)\*(?:([0-9]{1,4})(\*)?)?$/.exec(name);
    const base = m ? m[1]! : name;
    if (!plain.has(base) && !sections.has(base)) order.push(base);
    if (!m || base === '') {
      if (!plain.has(name)) plain.set(name, value);
      continue;
    }
    const list = sections.get(base) ?? [];
    if (m[2] === undefined) list.push({ n: 0, extended: true, value });
    else list.push({ n: Number(m[2]), extended: m[3] === '*', value });
    sections.set(base, list);
  }
  const out: MimeParam[] = [];
  for (const name of order) {
    const list = sections.get(name);
    if (list === undefined) {
      out.push([name, decodeHeaderValue(plain.get(name)!)]);
      continue;
    }
    list.sort((a, b) => a.n - b.n);
    let charset = '';
    const bytes: number[] = [];
    list.forEach((section, i) => {
      let value = section.value;
      if (section.extended) {
        if (i === 0) {
          const first = value.indexOf("'");
          const second = first < 0 ? -1 : value.indexOf("'", first + 1);
          if (second >= 0) {
            charset = value.slice(0, first);
            value = value.slice(second + 1);
          }
        }
        percentDecode(value, bytes);
      } else {
        for (const b of fromLatin1(value)) bytes.push(b);
      }
    });
    out.push([name, decodeBytes(Uint8Array.from(bytes), charset)]);
  }
  return out;
}
