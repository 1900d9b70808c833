/**
 * Domain names between Unicode and ASCII (IDNA2008, RFC 5890–5891), pragmatically.
 *
 * `domainToAscii()` and `domainToUnicode()` map the full stops U+3002, U+FF0E and U+FF61 to `.`,
 * lowercase, normalize to NFC, then check each label:
 *
 * - an ASCII label is letters, digits and inner hyphens (LDH, RFC 5890 §2.3.1), at most 63
 *   octets; an `xn--` label must be valid Punycode whose decoded form is a valid U-label and
 *   re-encodes to the same A-label (RFC 5891 §5.4);
 * - a U-label holds only lowercase letters, other letters, marks and decimal digits
 *   (`\p{Ll}\p{Lo}\p{Lm}\p{Mn}\p{Mc}\p{Nd}`) and hyphens, does not start with a combining mark,
 *   hyphen, nor end with a hyphen, has no `--` in positions 3–4 (RFC 5891 §4.2.3.1), and its
 *   A-label is at most 63 octets.
 *
 * Not implemented (documented limits): the exact IDNA2008 derived-property tables (RFC 5892) —
 * Unicode general categories stand in for PVALID/DISALLOWED; the CONTEXTJ/CONTEXTO rules (so
 * ZWJ, ZWNJ, MIDDLE DOT and similar are refused outright); the Bidi rule (RFC 5893); and the
 * full UTS #46 mapping (only lowercasing and NFC are applied).
 */

import { punycodeDecode, punycodeEncode } from './punycode.js';
import { AddressError, type ParseResult, Refusal } from './result.js';

/** RFC 1035 §2.3.4 */
export const MAX_LABEL_LENGTH = 63;
/** RFC 1035 §2.3.4: 255 octets on the wire, 253 characters as text without the root dot. */
export const MAX_DOMAIN_NAME_LENGTH = 253;

const LDH = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const U_LABEL_CHARS = /^[\p{Ll}\p{Lo}\p{Lm}\p{Mn}\p{Mc}\p{Nd}-]+$/u;
const STARTS_WITH_MARK = /^\p{M}/u;

/** Checks one lowercase NFC label; returns its A-label and U-label forms. */
export function checkLabel(label: string, offset: number): { ascii: string; unicode: string } {
  if (label === '') throw new Refusal('invalid-domain', 'empty domain label', offset);
  if (/^[\x00-\x7f]*$/.test(label)) {
    if (!LDH.test(label)) {
      throw new Refusal(
        'invalid-domain',
        `label "${label}" is not letters, digits and inner hyphens`,
        offset,
      );
    }
    if (label.length > MAX_LABEL_LENGTH) {
      throw new Refusal('label-too-long', `label over ${MAX_LABEL_LENGTH} octets`, offset);
    }
    if (!label.startsWith('xn--')) return { ascii: label, unicode: label };
    const unicode = punycodeDecode(label.slice(4));
    // RFC 5891 §5.4: an A-label must decode to a valid U-label that encodes back to it.
    if (unicode === undefined || unicode === '' || /^[\x00-\x7f]*$/.test(unicode)) {
      throw new Refusal('invalid-idna', `"${label}" is not a valid A-label`, offset);
    }
    const again = checkULabel(unicode, offset);
    if (again !== label) throw new Refusal('invalid-idna', `"${label}" is not a canonical A-label`, offset);
    return { ascii: label, unicode };
  }
  return { ascii: checkULabel(label, offset), unicode: label };
}

function checkULabel(label: string, offset: number): string {
  if (label.normalize('NFC') !== label) throw new Refusal('invalid-idna', 'label is not in NFC', offset);
  if (!U_LABEL_CHARS.test(label) || label !== label.toLowerCase()) {
    throw new Refusal('invalid-idna', `label "${label}" holds a character IDNA disallows`, offset);
  }
  if (STARTS_WITH_MARK.test(label) || label.startsWith('-') || label.endsWith('-')) {
    throw new Refusal(
      'invalid-idna',
      `label "${label}" starts with a mark or hyphen, or ends with a hyphen`,
      offset,
    );
  }
  // RFC 5891 §4.2.3.1
  if (label.slice(2, 4) === '--')
    throw new Refusal('invalid-idna', `label "${label}" has "--" in positions 3-4`, offset);
  const encoded = punycodeEncode(label);
  const ascii = `xn--${encoded ?? ''}`;
  if (encoded === undefined || ascii.length > MAX_LABEL_LENGTH) {
    throw new Refusal('label-too-long', `A-label of "${label}" over ${MAX_LABEL_LENGTH} octets`, offset);
  }
  return ascii;
}

function convert(domain: string, form: 'ascii' | 'unicode'): ParseResult<string> {
  try {
    if (domain === '') throw new Refusal('empty', 'empty domain', 0);
    if (domain.length > 4 * MAX_DOMAIN_NAME_LENGTH) {
      throw new Refusal('domain-too-long', 'domain name too long', 0);
    }
    const labels = domain.replace(/[\u3002\uff0e\uff61]/g, '.').split('.');
    const out: string[] = [];
    let offset = 0;
    let asciiLength = -1;
    for (const raw of labels) {
      const checked = checkLabel(raw.toLowerCase().normalize('NFC'), offset);
      out.push(checked[form]);
      asciiLength += checked.ascii.length + 1;
      offset += raw.length + 1;
    }
    if (asciiLength > MAX_DOMAIN_NAME_LENGTH) {
      throw new Refusal('domain-too-long', `domain name over ${MAX_DOMAIN_NAME_LENGTH} octets`, 0);
    }
    return { ok: true, value: out.join('.') };
  } catch (error) {
    if (error instanceof Refusal) {
      return { ok: false, error: new AddressError(error.reason, error.message, error.offset) };
    }
    throw error;
  }
}

/**
 * A domain name in its ASCII form (A-labels), lowercased; for DNS look-ups and comparisons.
 *
 * @example
 * domainToAscii('Bücher.example'); // { ok: true, value: 'xn--bcher-kva.example' }
 * domainToAscii('a..b');           // { ok: false, error: AddressError (invalid-domain) }
 */
export function domainToAscii(domain: string): ParseResult<string> {
  return convert(domain, 'ascii');
}

/**
 * A domain name in its Unicode form (U-labels), lowercased; for display.
 *
 * @example
 * domainToUnicode('xn--bcher-kva.example'); // { ok: true, value: 'bücher.example' }
 */
export function domainToUnicode(domain: string): ParseResult<string> {
  return convert(domain, 'unicode');
}
