/**
 * Domain names between presentation text and wire labels (RFC 1035 §2.3.1, §3.1, §5.1).
 *
 * Internally a name is a list of labels, each a string of code units 0–255 (one per octet), so
 * names with any octet survive a round trip. As text, a name has no trailing dot (`example.com`);
 * the root is `.`. Octets outside `!`–`~`, and `.`, `\`, are written `\DDD` / `\.` / `\\`
 * (RFC 1035 §5.1); the parser accepts the same escapes. Text input must be ASCII: convert
 * internationalised names to A-labels first (`domainToAscii` from `@mailwire/core`).
 */

import { UsageError } from '@mailwire/core';

/** RFC 1035 §2.3.4 */
export const MAX_NAME_WIRE_LENGTH = 255;
/** RFC 1035 §2.3.4 */
export const MAX_LABEL_WIRE_LENGTH = 63;

export type Labels = readonly string[];

/** Parses presentation text into labels; `undefined` when it is not a valid name. */
export function tryParseName(text: string): Labels | undefined {
  if (text === '.' || text === '') return [];
  const labels: string[] = [];
  let label = '';
  let wire = 1;
  let i = 0;
  let closed = false;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || c < 0x20) return undefined;
    if (c === 0x2e) {
      if (label === '' || label.length > MAX_LABEL_WIRE_LENGTH) return undefined;
      labels.push(label);
      wire += label.length + 1;
      label = '';
      i++;
      if (i === text.length) closed = true;
      continue;
    }
    if (c === 0x5c) {
      const next = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(next)) {
        const value = Number(next);
        if (value > 255) return undefined;
        label += String.fromCharCode(value);
        i += 4;
        continue;
      }
      if (i + 1 >= text.length) return undefined;
      label += text[i + 1];
      i += 2;
      continue;
    }
    label += text[i];
    i++;
  }
  if (!closed) {
    if (label === '' || label.length > MAX_LABEL_WIRE_LENGTH) return undefined;
    labels.push(label);
    wire += label.length + 1;
  }
  return wire > MAX_NAME_WIRE_LENGTH ? undefined : labels;
}

/** Parses presentation text into labels; throws `UsageError` for an invalid name (caller input). */
export function parseName(text: string): Labels {
  const labels = tryParseName(text);
  if (labels === undefined) throw new UsageError('ERR_DNS_INVALID_NAME', `invalid domain name "${text}"`);
  return labels;
}

/** Labels as presentation text (no trailing dot; the root is `.`). */
export function formatName(labels: Labels): string {
  if (labels.length === 0) return '.';
  return labels.map(escapeLabel).join('.');
}

function escapeLabel(label: string): string {
  let out = '';
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c === 0x2e || c === 0x5c) out += `\\${label[i]}`;
    else if (c < 0x21 || c > 0x7e) out += `\\${c.toString().padStart(3, '0')}`;
    else out += label[i];
  }
  return out;
}

/** Compares two names ASCII-case-insensitively (RFC 4343), in any spelling. */
export function sameName(a: string, b: string): boolean {
  const x = tryParseName(a);
  const y = tryParseName(b);
  if (x === undefined || y === undefined || x.length !== y.length) return false;
  return x.every((label, i) => asciiLower(label) === asciiLower(y[i]!));
}

/** The canonical lowercase spelling of a name (for keys and comparisons); `undefined` if invalid. */
export function canonicalName(text: string): string | undefined {
  const labels = tryParseName(text);
  return labels === undefined ? undefined : formatName(labels.map((l) => asciiLower(l)));
}

function asciiLower(label: string): string {
  return label.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
