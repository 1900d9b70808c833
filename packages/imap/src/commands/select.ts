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
  const messages = await ctx.store.fetchMessages(info.id, [[1, Infinity]]);
  const readOnly = command.name === 'EXAMINE';
  const view = new MailboxView(info.id, info.name, info.uidValidity, readOnly, messages, info.highestModseq);
  // RFC 3501 §2.3.2: \Recent goes to the first session that sees a message; EXAMINE shows the
  // messages no session claimed yet without claiming them.
  const store = ctx.store;
  const mark = recentMark(store, info.id, info.uidValidity);
  view.claimRecent = readOnly
    ? (uid) => uid > recentMark(store, info.id, info.uidValidity)
    : (uid) => claimRecent(store, info.id, info.uidValidity, uid);
  for (const m of [...messages].sort((a, b) => a.uid - b.uid)) {
    if (m.uid > mark && view.claimRecent(m.uid)) view.recent.add(m.uid);
  }
  ctx.setSelected(view);
  const keywords = new Set<string>(info.keywords ?? []);
  if (info.keywords === undefined) {
    for (const m of messages) for (const f of m.flags) if (!f.startsWith('\\')) keywords.add(f);
  }
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
  if (rev1) {
    const firstUnseen = messages.findIndex((m) => !m.flags.includes('\\Seen'));
    if (firstUnseen !== -1)
      ctx.send({
        type: 'status',
        tag: '*',
        status: 'OK',
        code: { name: 'UNSEEN', data: String(firstUnseen + 1) },
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
    code: { name: 'UIDNEXT', data: String(info.uidNext) },
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
