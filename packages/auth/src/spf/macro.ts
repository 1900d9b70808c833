/**
 * SPF macro expansion (RFC 7208 §7).
 */

export interface MacroContext {
  /** `s`: the sender, `local@domain`. */
  readonly sender: string;
  /** `d`: the current domain. */
  readonly domain: string;
  /** The client IP, 4 or 16 bytes. */
  readonly ip: Uint8Array;
  /** `h`: the HELO/EHLO domain. */
  readonly helo: string;
  /** `r`: the receiving host (exp only). */
  readonly receiver?: string;
  /** `t`: Unix seconds (exp only). */
  readonly timestamp?: number;
  /** `p`: resolves the validated domain name of the IP, on demand. */
  readonly validatedName?: () => Promise<string>;
}

export type MacroResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: string };

const DELIMITERS = '.-+,/_=';

/** Checks the syntax of a macro-string without expanding it (RFC 7208 §7.1). */
export function checkMacroString(text: string, explanation = false): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (text[i] === '%') {
      const next = text[i + 1];
      if (next === '%' || next === '_' || next === '-') {
        i++;
        continue;
      }
      if (next !== '{') return 'bad "%" in macro';
      const end = text.indexOf('}', i);
      if (end === -1) return 'unterminated macro';
      const body = text.slice(i + 2, end);
      const match = /^([a-zA-Z])(\d*)(r?)([.\-+,/_=]*)$/i.exec(body);
      if (!match) return `bad macro "%{${body}}"`;
      const letter = match[1]!.toLowerCase();
      if (!'slodiphv'.includes(letter) && !(explanation && 'crt'.includes(letter))) {
        return `macro letter "${match[1]}" not allowed here`;
      }
      if (match[2] !== '' && Number(match[2]) === 0) return 'macro digit transformer of 0';
      i = end;
      continue;
    }
    // macro-literal = %x21-24 / %x26-7E (explanations also allow SP).
    if (!((c >= 0x21 && c <= 0x7e) || (explanation && c === 0x20))) return 'bad character in macro-string';
  }
  return undefined;
}

function reverseIp(ip: Uint8Array): string[] {
  if (ip.length === 4) return [...ip].map(String);
  const nibbles: string[] = [];
  for (const byte of ip) nibbles.push((byte >> 4).toString(16), (byte & 15).toString(16));
  return nibbles;
}

function readableIp(ip: Uint8Array): string {
  if (ip.length === 4) return [...ip].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Expands a (syntax-checked) macro-string. */
export async function expandMacros(
  text: string,
  context: MacroContext,
  explanation = false,
): Promise<MacroResult> {
  const problem = checkMacroString(text, explanation);
  if (problem !== undefined) return { ok: false, reason: problem };
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '%') {
      out += text[i];
      continue;
    }
    const next = text[i + 1]!;
    i++;
    if (next === '%') out += '%';
    else if (next === '_') out += ' ';
    else if (next === '-') out += '%20';
    else {
      const end = text.indexOf('}', i);
      const match = /^([a-zA-Z])(\d*)(r?)([.\-+,/_=]*)$/i.exec(text.slice(i + 1, end))!;
      i = end;
      const letter = match[1]!;
      let value = await letterValue(letter.toLowerCase(), context);
      const delimiters = match[4] === '' ? '.' : match[4]!;
      let parts = letter.toLowerCase() === 'i' ? value.split('.') : splitOn(value, delimiters);
      if (match[3]!.toLowerCase() === 'r') parts = parts.reverse();
      if (match[2] !== '') parts = parts.slice(-Number(match[2]));
      value = parts.join('.');
      // RFC 7208 §7.3: uppercase macro letters are URL-escaped.
      if (letter !== letter.toLowerCase()) value = urlEscape(value);
      out += value;
    }
  }
  return { ok: true, value: out };
}

function splitOn(value: string, delimiters: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (const char of value) {
    if (delimiters.includes(char) && DELIMITERS.includes(char)) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function urlEscape(value: string): string {
  return value.replace(/[^A-Za-z0-9\-._~]/g, (char) =>
    [...new TextEncoderLike().encode(char)]
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

class TextEncoderLike {
  encode(char: string): number[] {
    const code = char.codePointAt(0)!;
    if (code < 0x80) return [code];
    if (code < 0x800) return [0xc0 | (code >> 6), 0x80 | (code & 63)];
    if (code < 0x10000) return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
    return [0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
  }
}

async function letterValue(letter: string, context: MacroContext): Promise<string> {
  const at = context.sender.lastIndexOf('@');
  switch (letter) {
    case 's':
      return context.sender;
    case 'l':
      return context.sender.slice(0, at);
    case 'o':
      return context.sender.slice(at + 1);
    case 'd':
      return context.domain;
    case 'i':
      return reverseIp(context.ip).join('.');
    case 'p':
      return context.validatedName ? await context.validatedName() : 'unknown';
    case 'v':
      return context.ip.length === 4 ? 'in-addr' : 'ip6';
    case 'h':
      return context.helo;
    case 'c':
      return readableIp(context.ip);
    case 'r':
      return context.receiver ?? 'unknown';
    default:
      return String(context.timestamp ?? 0);
  }
}
