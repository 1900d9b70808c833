import { MimeIndexer } from '@mailwire/mime';
import type { AppendResult } from '@mailwire/store';
import { parseCommand } from '../codec/command-parser.js';
import type { CommandFrame } from '../codec/fragmentizer.js';
import { STREAMED } from '../codec/fragmentizer.js';
import type { AppendMessage, Command } from '../codec/types.js';
import type { CommandContext } from '../commands/context.js';
import { accountId, done, formatIds, settableFlags, storeName } from '../commands/util.js';
import { dateTimeToMillis } from '../commands/write.js';

/**
 * APPEND with a large message literal, streamed to the store as it arrives (RFC 9051 §6.3.12):
 * the fragmentizer hands the command so far at the literal header (`literal-start`), the
 * mailbox is checked before the client is told to send (a synchronising literal is refused with
 * a tagged NO instead of `+`), and the octets go to `store.append()` as an async source while a
 * `MimeIndexer` indexes the same chunks. Messages of a MULTIAPPEND are appended one by one, in
 * order (not atomically, unlike the buffered path, which uses `appendMany`).
 */

class ChunkQueue implements AsyncIterable<Uint8Array> {
  private items: Uint8Array[] = [];
  private ended = false;
  private waiter: (() => void) | undefined;
  failed = false;
  bytes = 0;

  push(bytes: Uint8Array): void {
    if (this.failed) return;
    this.items.push(bytes);
    this.bytes += bytes.length;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        this.bytes -= item.length;
        yield item;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
}

export class StreamingAppend {
  private readonly results: { result: AppendResult; flags: string[] }[] = [];
  private appended = 0;
  private chain: Promise<void> = Promise.resolve();
  private queue: ChunkQueue | undefined;
  private failure: unknown;
  private mailboxId: string | undefined;

  constructor(
    private readonly ctx: CommandContext,
    readonly tag: string,
  ) {}

  /** Octets received and not yet taken by the store (the driver stops reading above a bound). */
  get backlog(): number {
    return this.queue?.bytes ?? 0;
  }

  /**
   * A message literal is announced. Returns false after answering the command (bad syntax,
   * unknown mailbox): the literal must then be refused.
   */
  async start(frame: CommandFrame, size: number): Promise<boolean> {
    const ctx = this.ctx;
    const parsed = parseCommand({
      lines: [...frame.lines, new Uint8Array(0)],
      literals: [...frame.literals, STREAMED],
    });
    if (!parsed.ok || parsed.command.name !== 'APPEND') {
      ctx.tagged(this.tag, 'BAD', parsed.ok ? 'Bad APPEND' : parsed.message);
      return false;
    }
    if (ctx.stateName !== 'authenticated' && ctx.stateName !== 'selected') {
      ctx.tagged(this.tag, 'BAD', 'APPEND not allowed now');
      return false;
    }
    if (size > ctx.appendLimit) {
      ctx.tagged(this.tag, 'NO', 'Message too large', { name: 'TOOBIG' });
      return false;
    }
    const command = parsed.command;
    if (this.mailboxId === undefined) {
      const name = storeName(ctx, command, command.mailbox);
      if (name === undefined) return false;
      const info = await ctx.store.getMailbox(accountId(ctx), name);
      if (info === undefined) {
        ctx.tagged(this.tag, 'NO', 'No such mailbox', { name: 'TRYCREATE' });
        return false;
      }
      this.mailboxId = info.id;
    }
    const messages = command.messages;
    this.appendBuffered(messages.slice(this.appended, messages.length - 1));
    this.appended = messages.length;
    const current = messages[messages.length - 1]!;
    const queue = new ChunkQueue();
    this.queue = queue;
    const indexer = new MimeIndexer();
    const mailboxId = this.mailboxId;
    const source = (async function* () {
      for await (const chunk of queue) {
        indexer.write(chunk);
        yield chunk;
      }
    })();
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) {
        queue.failed = true;
        return;
      }
      try {
        const flags = settableFlags(current.flags);
        const result = await ctx.store.append(mailboxId, source, {
          flags,
          internalDate: this.internalDate(current),
          mimeIndex: () => indexer.end(),
        });
        this.results.push({ result, flags });
      } catch (error) {
        this.failure = error;
        queue.failed = true;
      }
    });
    return true;
  }

  data(bytes: Uint8Array, end: boolean): void {
    const queue = this.queue;
    if (queue === undefined) return;
    queue.push(bytes);
    if (end) {
      queue.end();
      this.queue = undefined;
    }
  }

  /** The whole command has arrived: append what is left, then answer. */
  async finish(command: Command): Promise<void> {
    const ctx = this.ctx;
    if (command.name !== 'APPEND') {
      await this.chain;
      ctx.tagged(this.tag, 'BAD', 'Bad APPEND');
      return;
    }
    this.appendBuffered(command.messages.slice(this.appended));
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
    const view = ctx.selected;
    if (view !== undefined && view.mailboxId === this.mailboxId) {
      for (const { result, flags } of this.results) {
        const message = { uid: result.uid, flags, modseq: result.modseq };
        view.onChange({
          type: 'exists',
          mailboxId: result.mailboxId,
          modseq: result.modseq,
          messages: [message],
        });
      }
    }
    done(ctx, command, 'APPEND completed', {
      name: 'APPENDUID',
      data: `${this.results[0]?.result.uidValidity ?? 0} ${formatIds(this.results.map((r) => r.result.uid))}`,
    });
  }

  /** Ends without a reply of its own (the caller answers), once pending appends settle. */
  async abort(): Promise<void> {
    if (this.queue !== undefined) {
      this.queue.failed = true;
      this.queue.end();
    }
    await this.chain;
  }

  private appendBuffered(messages: readonly AppendMessage[]): void {
    const ctx = this.ctx;
    for (const message of messages) {
      if (message.data === STREAMED) continue;
      this.chain = this.chain.then(async () => {
        if (this.failure !== undefined) return;
        try {
          const flags = settableFlags(message.flags);
          const result = await ctx.store.append(this.mailboxId!, message.data, {
            flags,
            internalDate: this.internalDate(message),
          });
          this.results.push({ result, flags });
        } catch (error) {
          this.failure = error;
        }
      });
    }
  }

  private internalDate(message: AppendMessage): number {
    return message.date === undefined ? (this.ctx.options.now?.() ?? 0) : dateTimeToMillis(message.date);
  }
}
