import { claimRecent, recentMark } from '../session/recent.js';
import { MailboxView } from '../session/mailbox-view.js';
import type { CommandOf, Handler } from './context.js';
import { accountId, done, storeName } from './util.js';

const SYSTEM = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3). */
export const select: Handler<CommandOf<'SELECT' | 'EXAMINE'>> = async (ctx, command) => {
  if (ctx.selected !== undefined) {
    // RFC 9051 §7.1: [CLOSED] marks where the old mailbox's responses end.
    ctx.setSelected(undefined);
    ctx.send({
      type: 'status',
      tag: '*',
      status: 'OK',
      code: { name: 'CLOSED' },
      text: 'Previous mailbox closed',
    });
  }
  const name = storeName(ctx, command, command.mailbox);
  if (name === undefined) return;
  const info = await ctx.store.getMailbox(accountId(ctx), name);
  if (info === undefined) {
    ctx.tagged(command.tag, 'NO', 'No such mailbox', { name: 'NONEXISTENT' });
    return;
  }
  const readOnly = command.name === 'EXAMINE';
  // The UIDs (for the MSN map), the first unseen (rev1 [UNSEEN n]) and the keywords: from the
  // store's UID listing and the mailbox's keyword list when it has them, else from every
  // message's metadata.
  let view: MailboxView;
  let firstUnseen = 0;
  const keywords = new Set<string>(info.keywords ?? []);
  if (ctx.store.listUids !== undefined && info.keywords !== undefined) {
    const listing = await ctx.store.listUids(info.id);
    view = new MailboxView(info.id, info.name, info.uidValidity, readOnly, listing.uids, info.highestModseq);
    firstUnseen = listing.firstUnseen;
  } else {
    const messages = await ctx.store.fetchMessages(info.id, [[1, Infinity]]);
    view = new MailboxView(info.id, info.name, info.uidValidity, readOnly, messages, info.highestModseq);
    firstUnseen = messages.find((m) => !m.flags.includes('\\Seen'))?.uid ?? 0;
    if (info.keywords === undefined) {
      for (const m of messages) for (const f of m.flags) if (!f.startsWith('\\')) keywords.add(f);
    }
  }
  // RFC 3501 §2.3.2: \Recent goes to the first session that sees a message; EXAMINE shows the
  // messages no session claimed yet without claiming them.
  const store = ctx.store;
  const mark = recentMark(store, info.id, info.uidValidity);
  view.claimRecent = readOnly
    ? (uid) => uid > recentMark(store, info.id, info.uidValidity)
    : (uid) => claimRecent(store, info.id, info.uidValidity, uid);
  for (let i = view.firstIndexAtLeast(mark + 1); i < view.uids.length; i++) {
    const uid = view.uids[i]!;
    if (view.claimRecent(uid)) view.recent.add(uid);
  }
  ctx.setSelected(view);
  const flags = [...SYSTEM, ...keywords];
  const rev1 = !ctx.rev2;
  ctx.send({ type: 'exists', count: view.exists });
  if (rev1) ctx.send({ type: 'recent', count: view.recent.size });
  ctx.send({ type: 'flags', flags });
  ctx.send({
    type: 'status',
    tag: '*',
    status: 'OK',
    code: { name: 'PERMANENTFLAGS', data: readOnly ? '()' : `(${[...flags, '\\*'].join(' ')})` },
    text: readOnly ? 'No permanent flags' : 'Flags permitted',
  });
  if (rev1 && firstUnseen !== 0) {
    const msn = view.msnOf(firstUnseen);
    if (msn !== undefined)
      ctx.send({
        type: 'status',
        tag: '*',
        status: 'OK',
        code: { name: 'UNSEEN', data: String(msn) },
        text: 'First unseen',
      });
  }
  ctx.send({
    type: 'status',
    tag: '*',
    status: 'OK',
    code: { name: 'UIDVALIDITY', data: String(info.uidValidity) },
    text: 'UIDs valid',
  });
  ctx.send({
    type: 'status',
    tag: '*',
    status: 'OK',
    // The listing may be a moment younger than `info`: UIDNEXT stays above every UID it shows.
    code: { name: 'UIDNEXT', data: String(Math.max(info.uidNext, view.maxUid + 1)) },
    text: 'Predicted next UID',
  });
  if (ctx.rev2) {
    // RFC 9051 §6.3.2: a LIST response with the mailbox's name and attributes.
    ctx.send({
      type: 'list',
      attributes: [],
      delimiter: ctx.store.delimiter,
      mailbox: ctx.encodeName(info.name),
    });
  }
  done(ctx, command, `${command.name} completed`, { name: readOnly ? 'READ-ONLY' : 'READ-WRITE' });
};

/** CLOSE (RFC 9051 §6.4.1): expunges silently unless read-only. UNSELECT (RFC 3691): does not. */
export const close: Handler<CommandOf<'CLOSE' | 'UNSELECT'>> = async (ctx, command) => {
  const view = ctx.selected!;
  if (command.name === 'CLOSE' && !view.readOnly) await ctx.store.expunge(view.mailboxId);
  ctx.setSelected(undefined);
  ctx.tagged(command.tag, 'OK', `${command.name} completed`);
};
