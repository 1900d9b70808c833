/**
 * Tag=value lists (RFC 6376 §3.2), shared by DKIM signatures, DKIM key records, ARC and DMARC
 * (RFC 7489 §6.4 uses the same grammar).
 */

export type TagList = ReadonlyMap<string, string>;

export type TagListResult =
  | { readonly ok: true; readonly tags: TagList; readonly order: readonly string[] }
  | { readonly ok: false; readonly reason: string };

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
// RFC 6376 §3.2: tag-value is VALCHARs (%x21-3A / %x3C-7E) separated by FWS; we accept any octet
// above 0x7e too, because header fields carrying UTF-8 (RFC 6532) reach us decoded as latin1.
const TAG_VALUE = /^[\x21-\x3a\x3c-\x7e\x80-\xff]*(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e\x80-\xff]+)*$/;

/**
 * Parses `tag=value; tag=value`. Duplicate tags are an error (RFC 6376 §3.2: "Tags with
 * duplicate names MUST NOT occur within a single tag-list"); a trailing `;` is allowed.
 */
export function parseTagList(text: string): TagListResult {
  const tags = new Map<string, string>();
  const order: string[] = [];
  const parts = text.split(';');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.trim() === '') {
      if (i === parts.length - 1) break;
      return { ok: false, reason: 'empty tag' };
    }
    const eq = part.indexOf('=');
    if (eq === -1) return { ok: false, reason: `tag without "=": "${part.trim()}"` };
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (!TAG_NAME.test(name)) return { ok: false, reason: `bad tag name "${name}"` };
    if (!TAG_VALUE.test(value)) return { ok: false, reason: `bad value for tag "${name}"` };
    if (tags.has(name)) return { ok: false, reason: `duplicate tag "${name}"` };
    tags.set(name, value);
    order.push(name);
  }
  return { ok: true, tags, order };
}

/** Removes folding whitespace, as `b=`, `bh=` and `p=` values need before base64 decoding. */
export function stripWhitespace(value: string): string {
  return value.replace(/[ \t\r\n]+/g, '');
}
