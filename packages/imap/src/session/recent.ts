/**
 * `\Recent` across sessions for IMAP4rev1 (RFC 3501 §2.3.2): a message is recent in exactly one
 * session, the first to see it. The tracker is per process, keyed by store and mailbox (and
 * UIDVALIDITY): it remembers the highest UID already claimed. Sessions of other processes, and a
 * restarted process, do not share it (a message may then be recent once per process).
 */

const marks = new WeakMap<object, Map<string, number>>();

function table(store: object): Map<string, number> {
  let map = marks.get(store);
  if (map === undefined) {
    map = new Map();
    marks.set(store, map);
  }
  return map;
}

/** The highest UID claimed in this mailbox so far (0 when none). */
export function recentMark(store: object, mailboxId: string, uidValidity: number): number {
  return table(store).get(`${uidValidity}/${mailboxId}`) ?? 0;
}

/** Claims `uid` for the calling session; true when no session saw it before. */
export function claimRecent(store: object, mailboxId: string, uidValidity: number, uid: number): boolean {
  const map = table(store);
  const key = `${uidValidity}/${mailboxId}`;
  if (uid <= (map.get(key) ?? 0)) return false;
  map.set(key, uid);
  return true;
}
