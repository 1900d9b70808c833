import type { ResponseCode } from '../codec/response.js';
import type { Command, SequenceSet } from '../codec/types.js';
import type { CommandContext } from './context.js';

/**
 * Ends a command with its tagged OK, after the pending mailbox updates that may go now:
 * RFC 9051 §7.5.1 forbids EXPUNGE while answering FETCH, STORE or SEARCH (by sequence number),
 * since the client's MSNs must not move under it.
 */
export function done(ctx: CommandContext, command: Command, text?: string, code?: ResponseCode): void {
  const c = ctx.current ?? command;
  const msnCommand = (c.name === 'FETCH' || c.name === 'STORE' || c.name === 'SEARCH') && !c.uid;
  ctx.flushUpdates(!msnCommand);
  ctx.tagged(command.tag, 'OK', text ?? `${command.name} completed`, code);
}

/** Compresses ascending numbers into a sequence set (`1:3,7`). */
export function toSequenceSet(ids: readonly number[]): SequenceSet {
  const out: [number, number][] = [];
  for (const id of ids) {
    const last = out[out.length - 1];
    if (last !== undefined && id === last[1] + 1) last[1] = id;
    else out.push([id, id]);
  }
  return out;
}

export function formatIds(ids: readonly number[]): string {
  return (toSequenceSet(ids) as [number, number][])
    .map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`))
    .join(',');
}

/** Flags a client may set: `\Recent` is the server's (RFC 3501 §2.3.2). */
export function settableFlags(flags: readonly string[]): string[] {
  return flags.filter((f) => f.toLowerCase() !== '\\recent');
}

/** The mailbox's name in the store, or a tagged NO/BAD already sent (`undefined`). */
export function storeName(ctx: CommandContext, command: Command, name: string): string | undefined {
  const decoded = ctx.decodeName(name);
  if (decoded === undefined || decoded.includes('\0')) {
    ctx.tagged(command.tag, 'NO', 'Invalid mailbox name', { name: 'CANNOT' });
    return undefined;
  }
  return decoded;
}

export function accountId(ctx: CommandContext): string {
  return ctx.account!.id;
}
