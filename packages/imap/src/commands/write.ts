import { indexMessage } from '@mailwire/mime';
import type { AppendResult, FlagChange } from '@mailwire/store';
import type { ImapDateTime } from '../codec/types.js';
import type { CommandContext, CommandOf, Handler } from './context.js';
import { accountId, done, formatIds, settableFlags, storeName } from './util.js';

/** APPEND (+MULTIAPPEND), STORE, COPY, MOVE, EXPUNGE, UID EXPUNGE. */

export function dateTimeToMillis(d: ImapDateTime): number {
  return Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second) - d.zone * 60_000;
}

export const append: Handler<CommandOf<'APPEND'>> = async (ctx, command) => {
  const name = storeName(ctx, command, command.mailbox);
  if (name === undefined) return;
  for (const message of command.messages) {
    if (message.data.length > ctx.appendLimit) {
      ctx.tagged(command.tag, 'NO', 'Message too large', { name: 'TOOBIG' });
      return;
    }
  }
  const info = await ctx.store.getMailbox(accountId(ctx), name);
  if (info === undefined) {
    // RFC 9051 §6.3.12: TRYCREATE tells the client to CREATE and retry.
    ctx.tagged(command.tag, 'NO', 'No such mailbox', { name: 'TRYCREATE' });
    return;
  }
  const now = ctx.options.now?.() ?? 0;
  const items = command.messages.map((m) => ({
    source: m.data,
    flags: settableFlags(m.flags),
    internalDate: m.date === undefined ? now : dateTimeToMillis(m.date),
    mimeIndex: () => indexMessage(m.data),
  }));
  let results: AppendResult[];
  if (items.length === 1) results = [await ctx.store.append(info.id, items[0]!.source, items[0]!)];
  else if (ctx.store.appendMany !== undefined) results = await ctx.store.appendMany(info.id, items);
  else {
    results = [];
    for (const item of items) results.push(await ctx.store.append(info.id, item.source, item));
  }
  const view = ctx.selected;
  if (view?.mailboxId === info.id) {
    // Our own append is reported at once (the change feed's copy is then a no-op).
    const added: FlagChange[] = results.map((r, i) => ({
      uid: r.uid,
      flags: items[i]!.flags,
      modseq: r.modseq,
    }));
    for (const m of added)
      view.onChange({ type: 'exists', mailboxId: info.id, modseq: m.modseq, messages: [m] });
  }
  const uidValidity = results[0]?.uidValidity ?? info.uidValidity;
  done(ctx, command, 'APPEND completed', {
    name: 'APPENDUID',
    data: `${uidValidity} ${formatIds(results.map((r) => r.uid))}`,
  });
};

function readOnly(ctx: CommandContext, tag: string): boolean {
  if (!ctx.selected!.readOnly) return false;
  ctx.tagged(tag, 'NO', 'Mailbox is read-only', { name: 'READ-ONLY' });
  return true;
}

export const store: Handler<CommandOf<'STORE'>> = async (ctx, command) => {
  const view = ctx.selected!;
  const uids = view.resolve(command.sequence, command.uid, ctx.savedSearch);
  if (uids === undefined) {
    ctx.tagged(command.tag, 'BAD', 'Invalid message sequence number');
    return;
  }
  if (readOnly(ctx, command.tag)) return;
  const live = uids.filter((u) => !view.expunged.has(u));
  if (live.length > 0) {
    const mode = command.mode === 'set' ? 'replace' : command.mode;
    const result = await ctx.store.setFlags(view.mailboxId, live, {
      mode,
      flags: settableFlags(command.flags),
    });
    for (const change of result.changed) view.setFlags(change.uid, change.flags, change.modseq);
  }
  if (!command.silent) {
    const rev1 = !ctx.rev2;
    // Messages the STORE left as they were: their flags come from the store.
    const unknown = live.filter((uid) => !view.knowsFlags(uid));
    const stored = new Map<number, readonly string[]>();
    for (let i = 0; i < unknown.length; i += 500) {
      for (const meta of await ctx.store.fetchMessages(view.mailboxId, unknown.slice(i, i + 500)))
        stored.set(meta.uid, meta.flags);
    }
    for (const uid of live) {
      const msn = view.msnOf(uid);
      // Gone from the store meanwhile (its EXPUNGE is on its way): no flags to show.
      if (msn === undefined || (!view.knowsFlags(uid) && !stored.has(uid))) continue;
      const flags = view.displayFlags(uid, rev1, stored.get(uid));
      ctx.send({
        type: 'fetch',
        seq: msn,
        items: command.uid
          ? [
              { item: 'UID', value: uid },
              { item: 'FLAGS', flags },
            ]
          : [{ item: 'FLAGS', flags }],
      });
    }
  }
  done(ctx, command);
};

export const copy: Handler<CommandOf<'COPY' | 'MOVE'>> = async (ctx, command) => {
  const view = ctx.selected!;
  const uids = view.resolve(command.sequence, command.uid, ctx.savedSearch);
  if (uids === undefined) {
    ctx.tagged(command.tag, 'BAD', 'Invalid message sequence number');
    return;
  }
  if (command.name === 'MOVE' && readOnly(ctx, command.tag)) return;
  const name = storeName(ctx, command, command.mailbox);
  if (name === undefined) return;
  const dest = await ctx.store.getMailbox(accountId(ctx), name);
  if (dest === undefined) {
    ctx.tagged(command.tag, 'NO', 'No such mailbox', { name: 'TRYCREATE' });
    return;
  }
  const live = uids.filter((u) => !view.expunged.has(u));
  if (live.length === 0) {
    done(ctx, command);
    return;
  }
  if (command.name === 'COPY') {
    const result = await ctx.store.copy(view.mailboxId, live, dest.id);
    const code =
      result.mapping.length === 0
        ? undefined
        : {
            name: 'COPYUID',
            data: `${result.uidValidity} ${formatIds(result.mapping.map((m) => m.sourceUid))} ${formatIds(result.mapping.map((m) => m.destUid))}`,
          };
    done(ctx, command, 'COPY completed', code);
    return;
  }
  const result = await ctx.store.move(view.mailboxId, live, dest.id);
  if (result.mapping.length > 0) {
    // RFC 6851 §4.3: COPYUID goes in an untagged OK before the expunges.
    ctx.send({
      type: 'status',
      tag: '*',
      status: 'OK',
      code: {
        name: 'COPYUID',
        data: `${result.uidValidity} ${formatIds(result.mapping.map((m) => m.sourceUid))} ${formatIds(result.mapping.map((m) => m.destUid))}`,
      },
      text: 'Moved',
    });
  }
  for (const msn of view.removeNow(result.expunged)) ctx.send({ type: 'expunge', count: msn });
  done(ctx, command);
};

export const expunge: Handler<CommandOf<'EXPUNGE' | 'UID EXPUNGE'>> = async (ctx, command) => {
  const view = ctx.selected!;
  if (readOnly(ctx, command.tag)) return;
  let result: { expunged: readonly number[] };
  if (command.name === 'UID EXPUNGE') {
    const uids = view.resolve(command.sequence, true, ctx.savedSearch)!;
    result = uids.length === 0 ? { expunged: [] } : await ctx.store.expunge(view.mailboxId, { uids });
  } else {
    result = await ctx.store.expunge(view.mailboxId);
  }
  for (const msn of view.removeNow(result.expunged)) ctx.send({ type: 'expunge', count: msn });
  done(ctx, command);
};

/** IDLE (RFC 2177): updates as they happen until DONE. */
export const idle: Handler<CommandOf<'IDLE'>> = async (ctx, command) => {
  ctx.continuation('idling');
  for (;;) {
    ctx.flushUpdates(true);
    const woke = await ctx.waitIdle();
    if (woke === 'change') continue;
    const line = ctx.takeIdleLine();
    if (line === undefined) return;
    ctx.cancelIdleWait();
    if (String.fromCharCode(...line.subarray(0, 4)).toUpperCase() === 'DONE' && line.length === 4) {
      done(ctx, command, 'IDLE terminated');
    } else {
      ctx.tagged(command.tag, 'BAD', 'Expected DONE');
    }
    return;
  }
};
