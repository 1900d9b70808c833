/**
 * SASLprep (RFC 4013), the stringprep profile SCRAM applies to user names and passwords
 * (RFC 5802 §2.2 `Normalize()`).
 *
 * Implemented: the mapping step (non-ASCII spaces to U+0020, RFC 3454 table B.1 to nothing),
 * NFKC, and the prohibited-output tables C.1.2 and C.2.1–C.9. For stored strings (passwords
 * hashed into SCRAM keys), code points unassigned in the JavaScript engine's Unicode version are
 * refused as well (RFC 3454 §7 asks for Unicode 3.2's table A.1; a newer Unicode assigns more, so
 * this is slightly more permissive). Not implemented: the bidirectional check of RFC 3454 §6.
 * ASCII input without control characters is returned unchanged.
 */

// RFC 3454 B.1 (commonly mapped to nothing) and C.1.2 (non-ASCII space), mapped first (RFC 4013 §2.1).
// biome-ignore lint/suspicious/noMisleadingCharacterClass: code point ranges from RFC 3454 tables, not text
const MAP_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/gu;
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;

// RFC 4013 §2.3: C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9 (C.1.2 is mapped away above).
const PROHIBITED =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: code point ranges from RFC 3454 tables, not text
  /[\u0000-\u001f\u007f-\u009f\u0340\u0341\u06dd\u070f\u180e\u200c-\u200f\u2028-\u202e\u2060-\u2063\u206a-\u206f\u2ff0-\u2ffb\ue000-\uf8ff\ufdd0-\ufdef\ufeff\ufff9-\uffff\u{1d173}-\u{1d17a}\u{e0001}\u{e0020}-\u{e007f}\u{f0000}-\u{10ffff}]|[\u{1fffe}\u{1ffff}\u{2fffe}\u{2ffff}\u{3fffe}\u{3ffff}\u{4fffe}\u{4ffff}\u{5fffe}\u{5ffff}\u{6fffe}\u{6ffff}\u{7fffe}\u{7ffff}\u{8fffe}\u{8ffff}\u{9fffe}\u{9ffff}\u{afffe}\u{affff}\u{bfffe}\u{bffff}\u{cfffe}\u{cffff}\u{dfffe}\u{dffff}\u{efffe}\u{effff}]|\p{Cs}/u;

const UNASSIGNED = /\p{Cn}/u;

export interface SaslprepOptions {
  /** A stored string (RFC 3454 §7): also refuse unassigned code points. Defaults to false (a query). */
  readonly stored?: boolean;
}

/**
 * Prepares a user name or password with SASLprep; `undefined` when the string holds a
 * prohibited character (or, for stored strings, an unassigned one).
 *
 * @example
 * saslprep('I\u00adX'); // 'IX'
 * saslprep('\u2168');   // 'IX' (NFKC)
 * saslprep('a\u0007');  // undefined
 */
export function saslprep(text: string, options: SaslprepOptions = {}): string | undefined {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const mapped = text.replace(NON_ASCII_SPACE, ' ').replace(MAP_TO_NOTHING, '').normalize('NFKC');
  if (PROHIBITED.test(mapped)) return undefined;
  if (options.stored === true && UNASSIGNED.test(mapped)) return undefined;
  return mapped;
}
