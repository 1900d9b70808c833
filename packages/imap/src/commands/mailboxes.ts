import { recentMark } from '../session/recent.js';
import type { MailboxInfo } from '@mailwire/store';
import type { StatusItem } from '../codec/types.js';
import type { CommandContext, CommandOf, Handler } from './context.js';
import { accountId, done, storeName } from './util.js';

/** CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS (RFC 9051 §6.3). */

export const create: Handler<CommandOf<'CREATE'>> = async (ctx, command) => {
  const name = storeName(ctx, command, command.mailbox);
  if (name === undefined) return;
  if (
    name.toUpperCase() === 'INBOX' ||
    (await ctx.store.getMailbox(accountId(ctx), name.replace(/\/$/, ''))) !== undefined
  ) {
    ctx.tagged(command.tag, 'NO', 'Mailbox already exists', { name: 'ALREADYEXISTS' });
    return;
  }
  await ctx.store.createMailbox(accountId(ctx), name);
  done(ctx, command);
};

export const remove: Handler<CommandOf<'DELETE'>> = async (ctx, command) => {
  const name = storeName(ctx, command, command.mailbox);
  if (name === undefined) return;
  if (name === 'INBOX') {
    ctx.tagged(command.tag, 'NO', 'INBOX cannot be deleted', { name: 'CANNOT' });
    return;
  }
  const info = await ctx.store.getMailbox(accountId(ctx), name);
  if (info === undefined) {
    ctx.tagged(command.tag, 'NO', 'No such mailbox', { name: 'NONEXISTENT' });
    return;
  }
  if (ctx.selected?.mailboxId === info.id) ctx.setSelected(undefined);
  await ctx.store.deleteMailbox(accountId(ctx), name);
  done(ctx, command);
};

export const rename: Handler<CommandOf<'RENAME'>> = async (ctx, command) => {
  const from = storeName(ctx, command, command.mailbox);
  if (from === undefined) return;
  const to = storeName(ctx, command, command.newName);
  if (to === undefined) return;
  if ((await ctx.store.getMailbox(accountId(ctx), from)) === undefined) {
    ctx.tagged(command.tag, 'NO', 'No such mailbox', { name: 'NONEXISTENT' });
    return;
  }
  if (to === 'INBOX' || (await ctx.store.getMailbox(accountId(ctx), to)) !== undefined) {
    ctx.tagged(command.tag, 'NO', 'Target mailbox exists', { name: 'ALREADYEXISTS' });
    return;
  }
  // RFC 9051 §6.3.6: renaming INBOX moves its messages and leaves INBOX empty (the store does it).
  await ctx.store.renameMailbox(accountId(ctx), from, to);
  done(ctx, command);
};

export const subscribe: Handler<CommandOf<'SUBSCRIBE' | 'UNSUBSCRIBE'>> = async (ctx, command) => {
  const name = storeName(ctx, command, command.mailbox);
  if (name === undefined) return;
  await ctx.store.setSubscribed(accountId(ctx), name, command.name === 'SUBSCRIBE');
  done(ctx, command);
};

/** Matches a LIST pattern (`*` anything, `%` anything but the delimiter). */
export function patternMatcher(pattern: string, delimiter: string): (name: string) => boolean {
  let source = '^';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '%') source += `[^${escapeRegex(delimiter)}]*`;
    else source += escapeRegex(ch);
  }
  const re = new RegExp(`${source}$`, 'su');
  const inboxRe = new RegExp(`${source}$`, 'isu');
  // INBOX matches case-insensitively (RFC 9051 §6.3.9).
  return (name) => re.test(name) || (name === 'INBOX' && inboxRe.test(name));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function canonical(ctx: CommandContext, reference: string, pattern: string): string | undefined {
  const ref = ctx.decodeName(reference);
  const pat = ctx.decodeName(pattern);
  if (ref === undefined || pat === undefined) return undefined;
  if (pat.startsWith(ctx.store.delimiter) || ref === '') return pat;
  return ref.endsWith(ctx.store.delimiter) ? ref + pat : `${ref}${ctx.store.delimiter}${pat}`;
}

export const list: Handler<CommandOf<'LIST'>> = async (ctx, command) => {
  const d = ctx.store.delimiter;
  if (command.patterns.length === 1 && command.patterns[0] === '' && command.selection.length === 0) {
    // RFC 9051 §6.3.9: the delimiter and root.
    ctx.send({ type: 'list', attributes: ['\\Noselect'], delimiter: d, mailbox: '' });
    done(ctx, command);
    return;
  }
  const matchers = command.patterns
    .map((p) => canonical(ctx, command.reference, p))
    .filter((p): p is string => p !== undefined)
    .map((p) => patternMatcher(p, d));
  const selection = new Set(command.selection);
  const recursive = selection.has('RECURSIVEMATCH');
  if (recursive && selection.size === 1) {
    // RFC 5258 §3: RECURSIVEMATCH needs another selection option.
    ctx.tagged(command.tag, 'BAD', 'RECURSIVEMATCH alone is not allowed');
    return;
  }
  const returns = command.returns;
  const subscribedOnly = selection.has('SUBSCRIBED');
  const specialOnly = selection.has('SPECIAL-USE');
  const mailboxes = await ctx.store.listMailboxes(accountId(ctx));
  const byName = new Map(mailboxes.map((m) => [m.name, m]));
  const subscribed = new Set(
    subscribedOnly || returns?.subscribed ? await ctx.store.listSubscriptions(accountId(ctx)) : [],
  );
  const names = new Set(subscribedOnly ? subscribed : mailboxes.map((m) => m.name));
  // RFC 5258 §3.5: with RECURSIVEMATCH, a superior whose inferior matched the selection is listed
  // with CHILDINFO even though it does not match itself.
  const parents = new Set<string>();
  if (recursive && subscribedOnly) {
    for (const name of subscribed) {
      const parts = name.split(d);
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join(d);
        if (!subscribed.has(parent)) parents.add(parent);
      }
    }
  }
  for (const name of [...names, ...parents].sort()) {
    if (!matchers.some((m) => m(name))) continue;
    const info = byName.get(name);
    if (specialOnly && info?.specialUse === undefined) continue;
    const attributes: string[] = [];
    if (info === undefined) attributes.push('\\NonExistent');
    else {
      const prefix = name + d;
      attributes.push(mailboxes.some((m) => m.name.startsWith(prefix)) ? '\\HasChildren' : '\\HasNoChildren');
      if (info.specialUse !== undefined) attributes.push(info.specialUse);
    }
    if (subscribed.has(name)) attributes.push('\\Subscribed');
    const mailbox = ctx.encodeName(name);
    if (parents.has(name) && !names.has(name)) {
      ctx.send({ type: 'list', attributes, delimiter: d, mailbox, childInfo: ['SUBSCRIBED'] });
    } else {
      ctx.send({ type: 'list', attributes, delimiter: d, mailbox });
    }
    if (returns?.status !== undefined && info !== undefined) await sendStatus(ctx, info, returns.status);
  }
  done(ctx, command);
};

/** LSUB (RFC 3501 §6.3.9), kept for IMAP4rev1 clients. */
export const lsub: Handler<CommandOf<'LSUB'>> = async (ctx, command) => {
  const pattern = canonical(ctx, command.reference, command.pattern);
  if (pattern !== undefined) {
    const match = patternMatcher(pattern, ctx.store.delimiter);
    const existing = new Set((await ctx.store.listMailboxes(accountId(ctx))).map((m) => m.name));
    for (const name of (await ctx.store.listSubscriptions(accountId(ctx))).sort()) {
      if (!match(name)) continue;
      const attributes = existing.has(name) ? [] : ['\\Noselect'];
      ctx.send({ type: 'lsub', attributes, delimiter: ctx.store.delimiter, mailbox: ctx.encodeName(name) });
    }
  }
  done(ctx, command);
};

async function sendStatus(
  ctx: CommandContext,
  info: MailboxInfo,
  items: readonly StatusItem[],
): Promise<void> {
  const values: [StatusItem, number][] = [];
  for (const item of items) {
    switch (item) {
      case 'MESSAGES':
        values.push([item, info.messages]);
        break;
      case 'UIDNEXT':
        values.push([item, info.uidNext]);
        break;
      case 'UIDVALIDITY':
        values.push([item, info.uidValidity]);
        break;
      case 'UNSEEN':
        values.push([item, info.unseen]);
        break;
      case 'DELETED':
        values.push([item, info.deleted]);
        break;
      case 'SIZE':
        values.push([item, info.size]);
        break;
      case 'RECENT': {
        // Messages no session has seen yet (RFC 3501 §2.3.2, see `recent.ts`).
        const mark = recentMark(ctx.store, info.id, info.uidValidity);
        const count =
          mark === 0
            ? info.messages
            : mark >= info.uidNext - 1
              ? 0
              : (await ctx.store.fetchMessages(info.id, [[mark + 1, Infinity]])).length;
        values.push([item, count]);
        break;
      }
      case 'APPENDLIMIT':
        values.push([item, ctx.appendLimit]);
        break;
      case 'HIGHESTMODSEQ':
        values.push([item, info.highestModseq]);
        break;
    }
  }
  ctx.send({ type: 'status-data', mailbox: ctx.encodeName(info.name), items: values });
}

export const status: Handler<CommandOf<'STATUS'>> = async (ctx, command) => {
  const name = storeName(ctx, command, command.mailbox);
  if (name === undefined) return;
  const info = await ctx.store.getMailbox(accountId(ctx), name);
  if (info === undefined) {
    ctx.tagged(command.tag, 'NO', 'No such mailbox', { name: 'NONEXISTENT' });
    return;
  }
  await sendStatus(ctx, info, command.items);
  done(ctx, command);
};
