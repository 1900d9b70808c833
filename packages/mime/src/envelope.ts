/**
 * ENVELOPE (RFC 9051 §7.5.2) from the raw header values recorded in the index. Strings are
 * the header text as sent (binary strings, encoded-words not decoded), nils are `null`.
 */

import { type Address, parseAddressList } from './address.js';
import type { MimeIndex, MimePart } from './types.js';

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: Address[] | null;
  sender: Address[] | null;
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

function addresses(raw: string | undefined): Address[] | null {
  if (raw === undefined) return null;
  const list = parseAddressList(raw);
  return list.length > 0 ? list : null;
}

/**
 * The ENVELOPE of a message (an index) or of an encapsulated message (its entity,
 * `part.message`).
 *
 * @example
 * const env = envelope(index);
 * env.from?.[0]?.mailbox; // 'alice'
 */
export function envelope(source: MimeIndex | MimePart): Envelope {
  const part = 'root' in source ? source.root : source;
  const raw = part.envelope ?? {};
  const from = addresses(raw.from);
  return {
    date: raw.date ?? null,
    subject: raw.subject ?? null,
    from,
    // RFC 9051 §7.5.2: absent or empty Sender / Reply-To take the value of From.
    sender: addresses(raw.sender) ?? from,
    replyTo: addresses(raw.replyTo) ?? from,
    to: addresses(raw.to),
    cc: addresses(raw.cc),
    bcc: addresses(raw.bcc),
    inReplyTo: raw.inReplyTo ?? null,
    messageId: raw.messageId ?? null,
  };
}

/** The ENVELOPE of a message/rfc822 part whose content could not be parsed: all NIL. */
export const EMPTY_ENVELOPE: Envelope = Object.freeze({
  date: null,
  subject: null,
  from: null,
  sender: null,
  replyTo: null,
  to: null,
  cc: null,
  bcc: null,
  inReplyTo: null,
  messageId: null,
});
