/**
 * Section specifiers (RFC 9051 §6.4.5): part numbers and HEADER / HEADER.FIELDS[.NOT] / TEXT /
 * MIME, resolved to byte ranges of the raw message. Partial fetches (`<origin.count>`) and the
 * HEADER.FIELDS subset (`filterHeaderFields`) are applied by the caller to that range.
 *
 * Numbering: a multipart's parts are 1..n; a non-multipart message (top-level or encapsulated)
 * has only part 1, its body; a message/rfc822 part's number followed by `.n` addresses the
 * parts of the encapsulated message.
 */

import type { MimeIndex, MimePart } from './types.js';

export interface SectionRange {
  start: number;
  end: number;
}

/** What a section text names: its part numbers and the trailing specifier, upper-cased. */
export interface SectionSpec {
  path: number[];
  /** '' | 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME' */
  specifier: string;
}

const SPECIFIERS = new Set(['', 'HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', 'TEXT', 'MIME']);

/** Parses `1.2.MIME`, `HEADER`, `3.TEXT`, `` … (the text inside the brackets, without a field list). */
export function parseSection(section: string): SectionSpec | null {
  const tokens = section === '' ? [] : section.split('.');
  const path: number[] = [];
  let i = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!/^[1-9][0-9]{0,8}$/.test(t)) break;
    path.push(Number(t));
  }
  const specifier = tokens.slice(i).join('.').toUpperCase();
  if (!SPECIFIERS.has(specifier)) return null;
  if (specifier === 'MIME' && path.length === 0) return null;
  return { path, specifier };
}

function emptyPartAt(offset: number): MimePart {
  return {
    headerStart: offset,
    headerEnd: offset,
    bodyStart: offset,
    bodyEnd: offset,
    lines: 0,
    type: 'text',
    subtype: 'plain',
    params: [['charset', 'us-ascii']],
  };
}

/**
 * The entity a part path names, or null when there is none. A multipart without parts has a
 * single empty part 1, matching its BODYSTRUCTURE.
 */
export function resolvePart(index: MimeIndex | MimePart, path: readonly number[] | string): MimePart | null {
  const nums =
    typeof path === 'string'
      ? path === ''
        ? []
        : path.split('.').map((t) => (/^[0-9]+$/.test(t) ? Number(t) : 0))
      : path;
  const root = 'root' in index ? index.root : index;
  let current: MimePart | null = null;
  for (const n of nums) {
    // The container numbered into: the message entity first, then the last part found.
    let container: MimePart;
    let messageContext: boolean;
    if (current === null) {
      container = root;
      messageContext = true;
    } else if (current.message !== undefined) {
      container = current.message;
      messageContext = true;
    } else if (current.parts !== undefined) {
      container = current;
      messageContext = false;
    } else {
      return null;
    }
    if (container.parts !== undefined) {
      if (n >= 1 && n <= container.parts.length) current = container.parts[n - 1]!;
      else if (n === 1 && container.parts.length === 0) current = emptyPartAt(container.bodyEnd);
      else return null;
    } else if (messageContext && n === 1) {
      current = container;
    } else {
      return null;
    }
  }
  return current ?? root;
}

/**
 * The byte range of a section, or null when the message has no such section.
 *
 * @example
 * resolveSection(index, '');          // the whole message
 * resolveSection(index, 'HEADER');    // the top-level header, blank line included
 * resolveSection(index, '2.1.MIME');  // the MIME header of part 2.1
 * resolveSection(index, '3.TEXT');    // the body of the message/rfc822 part 3
 */
export function resolveSection(index: MimeIndex, section: string): SectionRange | null {
  const spec = parseSection(section);
  if (spec === null) return null;
  const { path, specifier } = spec;
  if (path.length === 0) {
    const root = index.root;
    if (specifier === '') return { start: 0, end: index.size };
    if (specifier === 'TEXT') return { start: root.bodyStart, end: root.bodyEnd };
    return { start: root.headerStart, end: root.headerEnd };
  }
  const part = resolvePart(index, path);
  if (part === null) return null;
  switch (specifier) {
    case '':
      return { start: part.bodyStart, end: part.bodyEnd };
    case 'MIME':
      return { start: part.headerStart, end: part.headerEnd };
    case 'TEXT':
      return part.message ? { start: part.message.bodyStart, end: part.message.bodyEnd } : null;
    default:
      // RFC 9051 §6.4.5: HEADER* after part numbers only for message/rfc822 (or global) parts.
      return part.message ? { start: part.message.headerStart, end: part.message.headerEnd } : null;
  }
}

/** Every numbered part in order, with its section number (for SEARCH over body text, etc.). */
export function listParts(index: MimeIndex): Array<{ section: string; part: MimePart }> {
  const out: Array<{ section: string; part: MimePart }> = [];
  const walkMessage = (entity: MimePart, prefix: string) => {
    if (entity.parts !== undefined) walkParts(entity.parts, prefix);
    else visit(entity, `${prefix}1`, false);
  };
  const walkParts = (parts: MimePart[], prefix: string) => {
    parts.forEach((p, i) => {
      visit(p, `${prefix}${i + 1}`, true);
    });
  };
  const visit = (p: MimePart, section: string, descend: boolean) => {
    out.push({ section, part: p });
    if (p.message !== undefined) walkMessage(p.message, `${section}.`);
    else if (descend && p.parts !== undefined) walkParts(p.parts, `${section}.`);
  };
  walkMessage(index.root, '');
  return out;
}
