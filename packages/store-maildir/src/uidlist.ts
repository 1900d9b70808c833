/**
 * The per-folder `mailwire-uidlist` file: what Maildir itself cannot hold. It follows the shape of
 * Dovecot's `dovecot-uidlist` version 3 (a header of one-letter fields, then one line per message,
 * `<uid> <fields> :<file name>`), under its own name so neither tool misreads the other's fields:
 *
 *     MW1 V<uidvalidity> N<next uid> M<highest modseq> E<expunge floor> I<mailbox id> [U<special-use>]
 *     <uid> M<modseq> A<modseq when added> T<internal date ms> S<size> H<sha-256 hex> :<file name>
 *     -<uid> M<modseq>                                      (an expunge, for changesSince)
 *
 * The file is always replaced whole (temp file, fsync, rename), so a reader sees the old or the new
 * version, never a mix. Lines it does not understand are ignored.
 */
import type { SpecialUse } from '@mailwire/store';

export interface UidlistEntry {
  readonly uid: number;
  modseq: number;
  /** The MODSEQ at which the message appeared (so another instance can replay exists + flags). */
  added?: number;
  internalDate: number;
  size: number;
  hash: string;
  /** The file name (in `new/` when it has no `:2,` info, else in `cur/`). */
  fileName: string;
}

export interface Uidlist {
  mailboxId: string;
  uidValidity: number;
  nextUid: number;
  highestModseq: number;
  /** Expunges with a MODSEQ at or below this are forgotten (history trimmed). */
  expungeFloor: number;
  specialUse?: SpecialUse;
  /** Ascending by UID. */
  entries: UidlistEntry[];
  /** Ascending by MODSEQ. */
  expunges: { uid: number; modseq: number }[];
}

const SPECIAL_USES = new Set(['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash']);

function fields(parts: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of parts) if (part.length > 1) out.set(part[0]!, part.slice(1));
  return out;
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return undefined;
  return Number(value);
}

/** Parses a `mailwire-uidlist`; `undefined` when the header is unusable. */
export function parseUidlist(text: string): Uidlist | undefined {
  const lines = text.split('\n');
  const head = lines[0]!.split(' ');
  if (head[0] !== 'MW1') return undefined;
  const h = fields(head.slice(1));
  const uidValidity = int(h.get('V'));
  const nextUid = int(h.get('N'));
  const highestModseq = int(h.get('M'));
  const mailboxId = h.get('I');
  if (uidValidity === undefined || nextUid === undefined || highestModseq === undefined || !mailboxId)
    return undefined;
  const special = h.get('U');
  const list: Uidlist = {
    mailboxId,
    uidValidity,
    nextUid,
    highestModseq,
    expungeFloor: int(h.get('E')) ?? 0,
    ...(special !== undefined && SPECIAL_USES.has(special) ? { specialUse: special as SpecialUse } : {}),
    entries: [],
    expunges: [],
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('-')) {
      const [uidText, modseqText] = line.slice(1).split(' ');
      const uid = int(uidText);
      const modseq = int(modseqText?.slice(1));
      if (uid !== undefined && modseq !== undefined) list.expunges.push({ uid, modseq });
      continue;
    }
    const colon = line.indexOf(' :');
    if (colon === -1) continue;
    const parts = line.slice(0, colon).split(' ');
    const uid = int(parts[0]);
    const f = fields(parts.slice(1));
    const modseq = int(f.get('M'));
    const internalDate = int(f.get('T'));
    const size = int(f.get('S'));
    const hash = f.get('H');
    const fileName = line.slice(colon + 2);
    if (
      uid === undefined ||
      uid < 1 ||
      modseq === undefined ||
      internalDate === undefined ||
      size === undefined ||
      hash === undefined ||
      fileName.length === 0
    )
      continue;
    const added = int(f.get('A'));
    list.entries.push({
      uid,
      modseq,
      ...(added === undefined ? {} : { added }),
      internalDate,
      size,
      hash,
      fileName,
    });
  }
  list.entries.sort((a, b) => a.uid - b.uid);
  list.expunges.sort((a, b) => a.modseq - b.modseq);
  // Never hand out a UID or MODSEQ at or below one already recorded.
  for (const e of list.entries) {
    if (e.uid >= list.nextUid) list.nextUid = e.uid + 1;
    if (e.modseq > list.highestModseq) list.highestModseq = e.modseq;
  }
  for (const x of list.expunges) {
    if (x.uid >= list.nextUid) list.nextUid = x.uid + 1;
    if (x.modseq > list.highestModseq) list.highestModseq = x.modseq;
  }
  return list;
}

export function serializeUidlist(list: Uidlist): string {
  const head = [
    'MW1',
    `V${list.uidValidity}`,
    `N${list.nextUid}`,
    `M${list.highestModseq}`,
    `E${list.expungeFloor}`,
    `I${list.mailboxId}`,
  ];
  if (list.specialUse !== undefined) head.push(`U${list.specialUse}`);
  const out = [head.join(' ')];
  for (const e of list.entries)
    out.push(
      `${e.uid} M${e.modseq}${e.added === undefined ? '' : ` A${e.added}`} T${e.internalDate} S${e.size} H${e.hash} :${e.fileName}`,
    );
  for (const x of list.expunges) out.push(`-${x.uid} M${x.modseq}`);
  return `${out.join('\n')}\n`;
}

/**
 * Reads Dovecot's `dovecot-uidlist` (versions 1 and 3) so a folder Dovecot already numbered keeps
 * its UIDVALIDITY and UIDs when Mailwire first opens it: `uidValidity`, `nextUid` and base name →
 * UID.
 */
export function parseDovecotUidlist(
  text: string,
): { uidValidity: number; nextUid: number; uids: Map<string, number> } | undefined {
  const lines = text.split('\n');
  const head = lines[0]!.split(' ');
  let uidValidity: number | undefined;
  let nextUid: number | undefined;
  if (head[0] === '3') {
    const h = fields(head.slice(1));
    uidValidity = int(h.get('V'));
    nextUid = int(h.get('N'));
  } else if (head[0] === '1') {
    uidValidity = int(head[1]);
    nextUid = int(head[2]);
  }
  if (uidValidity === undefined || uidValidity === 0 || nextUid === undefined) return undefined;
  const uids = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(' :');
    const space = line.indexOf(' ');
    if (space === -1) continue;
    const uid = int(line.slice(0, space));
    const name = colon === -1 ? line.slice(space + 1) : line.slice(colon + 2);
    if (uid === undefined || uid < 1 || name.length === 0) continue;
    const base = name.includes(':') ? name.slice(0, name.indexOf(':')) : name;
    uids.set(base, uid);
    if (uid >= nextUid) nextUid = uid + 1;
  }
  return { uidValidity, nextUid, uids };
}
