import type { FlagChange, MailboxChange, MessageMeta } from '@mailwire/store';
import type { Response } from '../codec/response.js';
import type { SeqNumber, SequenceSet } from '../codec/types.js';

/**
 * The session's view of its selected mailbox: message sequence numbers (MSN) ↔ UIDs, flags as
 * last told to the client, and the changes other sessions made that are not reported yet.
 *
 * RFC 9051 §7.5.1 and §5.5: the client's MSNs change only when the server says so. Changes from
 * the store's change feed are queued here and reported at points where the protocol allows it:
 * EXISTS and FETCH FLAGS at the end of any command, EXPUNGE only at the end of a command that is
 * not FETCH, STORE or SEARCH (by sequence number), and at once while idling. An expunged message
 * keeps its MSN until the EXPUNGE is sent.
 */
export class MailboxView {
  /** UIDs in MSN order (MSN = index + 1). */
  uids: number[] = [];
  /**
   * Flags as last told to the client, for the messages whose flags the session learnt after it
   * selected the mailbox (its own STORE, the change feed, new messages, or metadata passed to the
   * constructor). Other messages' flags are the store's: callers pass them in (`flagsOf(uid, stored)`).
   */
  private flags = new Map<number, { flags: readonly string[]; modseq: number }>();
  /** UIDs the client has not been told about yet. */
  private pendingNew: FlagChange[] = [];
  private pendingExpunged = new Set<number>();
  private pendingFlags = new Map<number, FlagChange>();
  /** UIDs gone from the store, whose EXPUNGE is not sent yet. */
  readonly expunged = new Set<number>();
  /** Session-local \Recent (IMAP4rev1): messages that arrived while this session had the mailbox selected. */
  readonly recent = new Set<number>();
  /** Decides whether a new message is `\Recent` in this session (see `recent.ts`). */
  claimRecent: (uid: number) => boolean = () => !this.readOnly;
  deleted = false;
  highestModseq: number;

  constructor(
    readonly mailboxId: string,
    public name: string,
    readonly uidValidity: number,
    readonly readOnly: boolean,
    /** The mailbox's messages ascending by UID: their metadata, or only their UIDs. */
    messages: readonly MessageMeta[] | ArrayLike<number>,
    highestModseq: number,
  ) {
    const length = messages.length;
    if (length > 0 && typeof messages[0] === 'number') {
      this.uids = Array.from(messages as ArrayLike<number>);
    } else {
      for (const m of messages as readonly MessageMeta[]) {
        this.uids.push(m.uid);
        this.flags.set(m.uid, { flags: m.flags, modseq: m.modseq });
      }
    }
    this.highestModseq = highestModseq;
  }

  get exists(): number {
    return this.uids.length;
  }

  get maxUid(): number {
    return this.uids[this.uids.length - 1] ?? 0;
  }

  /** The flags as last told to the client, else `stored` (the store's, from its metadata). */
  flagsOf(uid: number, stored: readonly string[] = []): readonly string[] {
    return this.flags.get(uid)?.flags ?? stored;
  }

  /** Whether the session tracks this message's flags itself (else `flagsOf` needs the store's). */
  knowsFlags(uid: number): boolean {
    return this.flags.has(uid);
  }

  msnOf(uid: number): number | undefined {
    // Binary search: UIDs ascend with MSN.
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.uids[mid]!;
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** UIDs named by a sequence set, ascending, without duplicates. `undefined`: a bad MSN. */
  resolve(set: SequenceSet, uid: boolean, saved: readonly number[] | undefined): number[] | undefined {
    if (set === '$') {
      const known = new Set(this.uids);
      return (saved ?? []).filter((u) => known.has(u));
    }
    if (set.length === 1) {
      // One range (`1:*`, `1:1000`, `42`): already ascending and unique, no set to build.
      const only = this.resolveRange(set[0]!, uid);
      if (only !== 'bad') return only;
    }
    const out = new Set<number>();
    if (uid) {
      const max = this.maxUid;
      for (const [a, b] of set) {
        const x = a === '*' ? max : a;
        const y = b === '*' ? max : b;
        const lo = Math.min(x, y);
        const hi = Math.max(x, y);
        // RFC 9051 §6.4.8: n:* with n > the largest UID still names the largest one.
        for (const u of this.uidsBetween(lo, hi)) out.add(u);
        if ((a === '*' || b === '*') && max > 0 && lo > max) out.add(max);
      }
    } else {
      const max = this.uids.length;
      for (const [a, b] of set) {
        // `*` in an empty mailbox names no message (many clients send FETCH 1:* blindly).
        if (max === 0 && (a === '*' || b === '*')) continue;
        const x = a === '*' ? max : a;
        const y = b === '*' ? max : b;
        if (x > max || y > max || x === 0 || y === 0) return undefined;
        for (let i = Math.min(x, y); i <= Math.max(x, y); i++) out.add(this.uids[i - 1]!);
      }
    }
    return [...out].sort((p, q) => p - q);
  }

  /** One range of a sequence set as ascending UIDs; `'bad'`: let the general path decide. */
  private resolveRange([a, b]: readonly [SeqNumber, SeqNumber], uid: boolean): number[] | 'bad' {
    const max = uid ? this.maxUid : this.uids.length;
    if (max === 0) return 'bad';
    const x = a === '*' ? max : a;
    const y = b === '*' ? max : b;
    const lo = Math.min(x, y);
    const hi = Math.max(x, y);
    if (uid) {
      if (lo > max) return 'bad';
      return this.uids.slice(this.firstIndexAtLeast(lo), this.firstIndexAtLeast(hi + 1));
    }
    if (lo === 0 || hi > max) return 'bad';
    return this.uids.slice(lo - 1, hi);
  }

  /** Index of the first UID ≥ `uid` (the length when none). */
  firstIndexAtLeast(uid: number): number {
    let i = 0;
    let j = this.uids.length;
    while (i < j) {
      const mid = (i + j) >> 1;
      if (this.uids[mid]! < uid) i = mid + 1;
      else j = mid;
    }
    return i;
  }

  private *uidsBetween(lo: number, hi: number): Generator<number> {
    let i = 0;
    let j = this.uids.length;
    while (i < j) {
      const mid = (i + j) >> 1;
      if (this.uids[mid]! < lo) i = mid + 1;
      else j = mid;
    }
    for (; i < this.uids.length && this.uids[i]! <= hi; i++) yield this.uids[i]!;
  }

  /** Records a change from the store's feed (delivered later by `flush()`). */
  onChange(change: MailboxChange): void {
    switch (change.type) {
      case 'exists':
        for (const m of change.messages) if (m.uid > this.maxUid) this.pendingNew.push(m);
        break;
      case 'flags':
        for (const m of change.messages) {
          const previous = this.pendingFlags.get(m.uid);
          if (previous === undefined || previous.modseq < m.modseq) this.pendingFlags.set(m.uid, m);
        }
        break;
      case 'expunge':
        for (const uid of change.uids) this.pendingExpunged.add(uid);
        break;
      case 'mailboxRenamed':
        this.name = change.name;
        break;
      case 'mailboxDeleted':
        this.deleted = true;
        break;
    }
    if (change.modseq > this.highestModseq) this.highestModseq = change.modseq;
  }

  /** Updates flags after our own STORE; returns true if they changed for the client. */
  setFlags(uid: number, flags: readonly string[], modseq: number): boolean {
    const current = this.flags.get(uid);
    if (current !== undefined && current.modseq >= modseq && sameFlags(current.flags, flags)) return false;
    this.flags.set(uid, { flags, modseq });
    return current === undefined || !sameFlags(current.flags, flags);
  }

  /** Removes UIDs at once (our own EXPUNGE or MOVE): returns the MSNs to report, in order. */
  removeNow(uids: readonly number[]): number[] {
    const msns: number[] = [];
    for (const uid of [...uids].sort((a, b) => b - a)) {
      const msn = this.msnOf(uid);
      if (msn === undefined) continue;
      this.uids.splice(msn - 1, 1);
      this.flags.delete(uid);
      this.expunged.delete(uid);
      this.recent.delete(uid);
      msns.push(msn);
    }
    // Highest first, so each MSN is valid when the client applies it; clients apply in order.
    return msns;
  }

  /** Adds messages we appended/copied into the selected mailbox ourselves. */
  addNow(messages: readonly FlagChange[]): boolean {
    let added = false;
    for (const m of messages) {
      if (m.uid <= this.maxUid) continue;
      this.uids.push(m.uid);
      this.flags.set(m.uid, { flags: m.flags, modseq: m.modseq });
      added = true;
    }
    return added;
  }

  /**
   * The untagged responses for pending changes. `expunges: false` keeps expunged messages
   * (and their MSNs) until a later flush.
   */
  flush(options: { expunges: boolean; rev1: boolean; uidInFetch: boolean }): Response[] {
    const out: Response[] = [];
    if (this.pendingExpunged.size > 0) {
      for (const uid of this.pendingExpunged) if (this.msnOf(uid) !== undefined) this.expunged.add(uid);
      this.pendingExpunged.clear();
    }
    if (options.expunges && this.expunged.size > 0) {
      for (const msn of this.removeNow([...this.expunged])) out.push({ type: 'expunge', count: msn });
    }
    for (const [uid, change] of this.pendingFlags) {
      const msn = this.msnOf(uid);
      if (msn === undefined || this.expunged.has(uid)) {
        if (msn === undefined && this.pendingNew.some((m) => m.uid === uid)) continue;
        this.pendingFlags.delete(uid);
        continue;
      }
      this.pendingFlags.delete(uid);
      if (this.setFlags(uid, change.flags, change.modseq)) {
        const flags = this.displayFlags(uid, options.rev1);
        out.push({
          type: 'fetch',
          seq: msn,
          items: options.uidInFetch
            ? [
                { item: 'UID', value: uid },
                { item: 'FLAGS', flags },
              ]
            : [{ item: 'FLAGS', flags }],
        });
      }
    }
    if (this.pendingNew.length > 0) {
      const fresh = this.pendingNew.filter((m) => m.uid > this.maxUid).sort((a, b) => a.uid - b.uid);
      this.pendingNew = [];
      for (const m of fresh) {
        if (m.uid <= this.maxUid) continue;
        this.uids.push(m.uid);
        const later = this.pendingFlags.get(m.uid);
        this.pendingFlags.delete(m.uid);
        const latest = later !== undefined && later.modseq > m.modseq ? later : m;
        this.flags.set(m.uid, { flags: latest.flags, modseq: latest.modseq });
        if (this.claimRecent(m.uid)) this.recent.add(m.uid);
      }
      if (fresh.length > 0) {
        out.push({ type: 'exists', count: this.uids.length });
        if (options.rev1) out.push({ type: 'recent', count: this.recent.size });
      }
    }
    return out;
  }

  /** Flags as shown to the client: `\Recent` added for IMAP4rev1 sessions. */
  displayFlags(uid: number, rev1: boolean, stored?: readonly string[]): readonly string[] {
    const known = this.flagsOf(uid, stored);
    if (!rev1 || !this.recent.has(uid)) return known;
    return [...known, '\\Recent'];
  }

  /** True when something is waiting to be reported. */
  get hasPending(): boolean {
    return (
      this.pendingNew.length > 0 ||
      this.pendingExpunged.size > 0 ||
      this.pendingFlags.size > 0 ||
      this.expunged.size > 0
    );
  }
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => set.has(f.toLowerCase()));
}
