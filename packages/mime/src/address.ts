/**
 * Address lists (RFC 5322 §3.4) in the shape of the IMAP ENVELOPE (RFC 9051 §7.5.2):
 * name (the display phrase, raw), adl (source route), mailbox (local part), host (domain).
 * A group is a start marker (mailbox = group name, host = null) then its members then an end
 * marker (mailbox = null, host = null). Lenient: any input gives a list, never a throw.
 */

import { unfold } from './header.js';

export interface Address {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

interface Token {
  /** `a` atom, `q` quoted string, `d` domain literal, `c` comment, or a special char. */
  kind: string;
  /** Raw source text (quotes kept for `q`). */
  raw: string;
  /** Decoded text (unquoted / comment contents). */
  text: string;
  space: boolean;
}

const SPECIALS = '<>@,;:.';

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const n = s.length;
  let i = 0;
  let space = false;
  while (i < n) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      space = true;
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      let text = '';
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        text += s[i];
        i++;
      }
      i++;
      out.push({ kind: 'q', raw: s.slice(start, Math.min(i, n)), text, space });
    } else if (c === '(') {
      let depth = 0;
      let text = '';
      while (i < n) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < n) {
          i++;
          text += s[i];
        } else if (d === '(') {
          if (depth++ > 0) text += d;
        } else if (d === ')') {
          if (--depth === 0) {
            i++;
            break;
          }
          text += d;
        } else {
          text += d;
        }
        i++;
      }
      out.push({ kind: 'c', raw: s.slice(start, i), text: text.trim(), space });
    } else if (c === '[') {
      const close = s.indexOf(']', i);
      i = close < 0 ? n : close + 1;
      const raw = s.slice(start, i);
      out.push({ kind: 'd', raw, text: raw, space });
    } else if (SPECIALS.includes(c)) {
      i++;
      out.push({ kind: c, raw: c, text: c, space });
    } else {
      while (i < n) {
        const d = s[i]!;
        if (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === '"' || d === '(' || d === '[') break;
        if (SPECIALS.includes(d)) break;
        i++;
      }
      const raw = s.slice(start, i);
      out.push({ kind: 'a', raw, text: raw, space });
    }
    space = false;
  }
  return out;
}

/** A display phrase: words joined as written, quoted strings unquoted; null when empty. */
function phrase(tokens: readonly Token[]): string | null {
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'c') continue;
    if (out !== '' && t.space) out += ' ';
    out += t.text;
  }
  out = out.trim();
  return out === '' ? null : out;
}

function joinRaw(tokens: readonly Token[]): string {
  let out = '';
  for (const t of tokens) if (t.kind !== 'c') out += t.raw;
  return out;
}

function addrSpec(tokens: readonly Token[]): { mailbox: string | null; host: string | null } {
  let at = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (tokens[i]!.kind === '@') {
      at = i;
      break;
    }
  }
  if (at < 0) {
    const mailbox = joinRaw(tokens);
    return { mailbox: mailbox === '' ? null : mailbox, host: mailbox === '' ? null : '' };
  }
  return { mailbox: joinRaw(tokens.slice(0, at)), host: joinRaw(tokens.slice(at + 1)) };
}

function mailbox(tokens: readonly Token[]): Address | null {
  if (tokens.every((t) => t.kind === 'c')) return null;
  const lt = tokens.findIndex((t) => t.kind === '<');
  if (lt >= 0) {
    let gt = tokens.findIndex((t, i) => i > lt && t.kind === '>');
    if (gt < 0) gt = tokens.length;
    let inner = tokens.slice(lt + 1, gt);
    let adl: string | null = null;
    if (inner[0]?.kind === '@') {
      const colon = inner.findIndex((t) => t.kind === ':');
      if (colon >= 0) {
        adl = joinRaw(inner.slice(0, colon));
        inner = inner.slice(colon + 1);
      }
    }
    const spec = addrSpec(inner);
    let name = phrase(tokens.slice(0, lt));
    if (name === null) name = commentName(tokens);
    if (spec.mailbox === null && name === null) return null;
    return { name, adl, mailbox: spec.mailbox ?? '', host: spec.host ?? '' };
  }
  const spec = addrSpec(tokens);
  if (spec.mailbox === null) return null;
  return { name: commentName(tokens), adl: null, mailbox: spec.mailbox, host: spec.host };
}

/** Old-style `user@host (Real Name)`: the last comment serves as the name. */
function commentName(tokens: readonly Token[]): string | null {
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (t.kind === 'c' && t.text !== '') return t.text;
  }
  return null;
}

/**
 * Parses an address-list header value (raw, undecoded) into ENVELOPE address structures.
 * Returns an empty array when nothing address-like is found.
 *
 * @example
 * parseAddressList('"Doe, J" <j@example.com>, team: a@x.org;')
 * // [{name:'Doe, J',adl:null,mailbox:'j',host:'example.com'},
 * //  {name:null,adl:null,mailbox:'team',host:null}, {…a@x.org}, {name:null,adl:null,mailbox:null,host:null}]
 */
export function parseAddressList(raw: string): Address[] {
  const tokens = tokenize(unfold(raw));
  const out: Address[] = [];
  let item: Token[] = [];
  let angle = false;
  let inGroup = false;
  const flush = () => {
    const address = mailbox(item);
    if (address !== null) out.push(address);
    item = [];
  };
  for (const t of tokens) {
    if (angle) {
      item.push(t);
      if (t.kind === '>') angle = false;
      continue;
    }
    switch (t.kind) {
      case '<':
        angle = true;
        item.push(t);
        break;
      case ',':
        flush();
        break;
      case ':':
        if (!inGroup) {
          out.push({ name: null, adl: null, mailbox: phrase(item) ?? '', host: null });
          inGroup = true;
          item = [];
        } else {
          item.push(t);
        }
        break;
      case ';':
        flush();
        if (inGroup) {
          out.push({ name: null, adl: null, mailbox: null, host: null });
          inGroup = false;
        }
        break;
      default:
        item.push(t);
    }
  }
  flush();
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out;
}
