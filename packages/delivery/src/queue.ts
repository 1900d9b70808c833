/**
 * The outbound queue's contract. A `Queue` keeps messages and the state of each recipient until
 * every recipient is delivered or bounced. `enqueue()` resolves only once the message is
 * durable: a submission server answers 250 after it resolves, never before.
 */

import type { DsnNotify } from '@mailwire/smtp';

export type RecipientState = 'pending' | 'delivered' | 'bounced';

export interface QueuedRecipient {
  readonly address: string;
  readonly state: RecipientState;
  /** RFC 3461 NOTIFY as given by the submitter; `[]` is NEVER. */
  readonly notify?: readonly DsnNotify[] | undefined;
  /** RFC 3461 ORCPT (the original recipient address). */
  readonly orcpt?: string | undefined;
  /** The last reply for this recipient, `"550 5.1.1 No such user"`. */
  readonly lastReply?: string | undefined;
  /** The host that gave `lastReply`. */
  readonly remoteMta?: string | undefined;
}

export interface QueuedMessage {
  readonly id: string;
  /** The reverse-path; `''` is the null sender (bounces). */
  readonly from: string;
  readonly recipients: readonly QueuedRecipient[];
  /** Milliseconds since the epoch, from the queue's clock at enqueue time. */
  readonly createdAt: number;
  readonly nextAttemptAt: number;
  readonly attempts: number;
  readonly size: number;
  /** The body has octets above 127 (needs 8BITMIME). */
  readonly eightBit: boolean;
  readonly smtpUtf8: boolean;
  readonly envid?: string | undefined;
  readonly ret?: 'FULL' | 'HDRS' | undefined;
  /** A delay warning was sent. */
  readonly warned: boolean;
}

export interface EnqueueInput {
  readonly from: string;
  readonly to: readonly (
    | string
    | { readonly address: string; readonly notify?: readonly DsnNotify[]; readonly orcpt?: string }
  )[];
  readonly message: Uint8Array | AsyncIterable<Uint8Array>;
  readonly smtpUtf8?: boolean;
  readonly envid?: string;
  readonly ret?: 'FULL' | 'HDRS';
  /** When the first attempt is due; default now. */
  readonly notBefore?: number;
}

export interface RecipientUpdate {
  readonly address: string;
  readonly state: RecipientState;
  readonly lastReply?: string;
  readonly remoteMta?: string;
}

export interface AttemptUpdate {
  readonly recipients: readonly RecipientUpdate[];
  /** When to try the pending recipients again. */
  readonly nextAttemptAt: number;
  readonly warned?: boolean;
}

export interface Queue {
  /** Stores the message durably and resolves with its id. */
  enqueue(input: EnqueueInput): Promise<string>;
  /** Messages with pending recipients whose next attempt is due at `now`, oldest first. */
  due(now: number, limit?: number): Promise<QueuedMessage[]>;
  get(id: string): Promise<QueuedMessage | undefined>;
  /** The message bytes, streamed. */
  read(id: string): AsyncIterable<Uint8Array>;
  /** The first `max` octets of the message (for the headers of a bounce). */
  head(id: string, max: number): Promise<Uint8Array>;
  /** Records an attempt; a message without pending recipients is removed. */
  update(id: string, update: AttemptUpdate): Promise<void>;
  /** Every message still queued. */
  list(): Promise<QueuedMessage[]>;
  /** Makes every queued message due at `now` (the CLI's `queue flush`). */
  flush(now: number): Promise<number>;
  close(): Promise<void>;
}
