/** The RFC5322.From domain DMARC judges (RFC 7489 §6.6.1). */

import { parseAddressList } from '@mailwire/core';
import type { RawHeaderField } from '../header.js';

export type FromDomainResult =
  | { readonly ok: true; readonly domain: string }
  | { readonly ok: false; readonly reason: 'no-from' | 'multiple-from' | 'multiple-authors' | 'unparsable' };

/**
 * Finds the single author domain. RFC 7489 §6.6.1: a message with several From fields, or a
 * From with several addresses, cannot be judged (the receiver may reject it).
 */
export function fromDomain(fields: readonly RawHeaderField[]): FromDomainResult {
  const from = fields.filter((field) => field.name.toLowerCase() === 'from');
  if (from.length === 0) return { ok: false, reason: 'no-from' };
  if (from.length > 1) return { ok: false, reason: 'multiple-from' };
  const raw = from[0]!.raw;
  const value = raw.slice(raw.indexOf(':') + 1).replace(/\r\n/g, '');
  const parsed = parseAddressList(value);
  if (!parsed.ok) return { ok: false, reason: 'unparsable' };
  const mailboxes = parsed.value.flatMap((entry) => (entry.type === 'group' ? entry.members : [entry]));
  if (mailboxes.length !== 1)
    return { ok: false, reason: mailboxes.length === 0 ? 'unparsable' : 'multiple-authors' };
  const domain = mailboxes[0]!.domain.replace(/\.$/, '').toLowerCase();
  return domain === '' ? { ok: false, reason: 'unparsable' } : { ok: true, domain };
}
