/**
 * Group commit: makes many appends durable with a few fsyncs instead of three each.
 *
 * An append (or `appendMany`, or a delivery) streams its message(s) into `blobs/tmp/` without
 * fsync and submits a job: its staged files and the function that inserts its rows. Jobs that
 * arrive while a batch is being made durable wait and form the next batch. Per batch:
 *
 * 1. fsync every staged file, concurrently (they run in libuv's thread pool, whose size
 *    `UV_THREADPOOL_SIZE` bounds how many run at once; the journal commits of concurrent fsyncs
 *    are shared by the file system);
 * 2. link every file under its hash (`BlobStore.linkStaged`), then fsync each distinct shard
 *    directory once, concurrently, so the names are durable;
 * 3. run every job's metadata in ONE SQLite transaction (`transact`: each job in its own
 *    SAVEPOINT, so one failing job — quota, a vanished mailbox — fails alone), in submission
 *    order: UIDs and MODSEQs are allocated inside it, so commit order stays UID order and the
 *    EXISTS events follow. With `synchronous=FULL` its COMMIT fsyncs the WAL;
 * 4. resolve or reject each job.
 *
 * The ordering argument of `blob-store.ts` holds for every file of the batch: its data is durable
 * before its name, and its name before the row that refers to it. A crash anywhere before the
 * COMMIT leaves temp files (removed at the next open) and complete, correct final files that no
 * row names (invisible, reused by an identical append, removed by `sweep: 'full'`).
 *
 * A step that fails for one file fails only the jobs that own it (an fsync error of a shard
 * directory fails the jobs with a file in it).
 */

import type { BlobStore, StagedBlob } from './blob-store.js';

/** The outcome of one job inside the batch transaction. */
export type JobOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** Runs the jobs' metadata as one transaction; one outcome per job, in order. Throws when the whole transaction failed. */
export type Transact<C> = (runs: readonly ((ctx: C) => unknown)[]) => JobOutcome[];

/** The file steps the committer needs (a `BlobStore`). */
export type BatchFiles = Pick<BlobStore, 'syncStaged' | 'linkStaged' | 'syncDirAsync'>;

export interface GroupCommitOptions<C> {
  readonly blobs: BatchFiles;
  readonly transact: Transact<C>;
  /** A batch closes once it holds this many files (a single larger job still forms one batch). Default 512. */
  readonly maxBatchFiles?: number;
  /** fsyncs (and open file descriptors) in flight at once. Default 128. */
  readonly concurrency?: number;
}

interface Job<C> {
  readonly files: readonly StagedBlob[];
  readonly run: (ctx: C) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  failed?: unknown;
}

/** Statistics of the batches so far (for benchmarks and tests). */
export interface GroupCommitStats {
  batches: number;
  jobs: number;
  files: number;
  largestBatch: number;
}

export class GroupCommitter<C> {
  readonly #blobs: BatchFiles;
  readonly #transact: Transact<C>;
  readonly #maxBatchFiles: number;
  readonly #concurrency: number;
  readonly #queue: Job<C>[] = [];
  #running = false;
  #idle: Promise<void> = Promise.resolve();
  #settleIdle: () => void = () => {};
  readonly stats: GroupCommitStats = { batches: 0, jobs: 0, files: 0, largestBatch: 0 };
  /**
   * @internal Test seam: called after a batch's files and names are durable, right before its
   * transaction (the crash test kills the process here).
   */
  beforeCommit: (() => void) | undefined;

  constructor(options: GroupCommitOptions<C>) {
    this.#blobs = options.blobs;
    this.#transact = options.transact;
    this.#maxBatchFiles = Math.max(1, options.maxBatchFiles ?? 512);
    this.#concurrency = Math.max(1, options.concurrency ?? 128);
  }

  /** Queues a job; resolves with what `run` returned once its batch committed. */
  submit<T>(files: readonly StagedBlob[], run: (ctx: C) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ files, run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#running) {
        this.#running = true;
        this.#idle = new Promise((settle) => {
          this.#settleIdle = settle;
        });
        // One turn of the event loop first, so appends that became ready together start together.
        setImmediate(() => void this.#loop());
      }
    });
  }

  /** Resolves when no batch is queued or running. */
  idle(): Promise<void> {
    return this.#idle;
  }

  async #loop(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#batch(this.#take());
    } finally {
      this.#running = false;
      this.#settleIdle();
    }
  }

  #take(): Job<C>[] {
    let files = 0;
    let count = 0;
    while (count < this.#queue.length) {
      const next = this.#queue[count]!.files.length;
      if (count > 0 && files + next > this.#maxBatchFiles) break;
      files += next;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #batch(jobs: Job<C>[]): Promise<void> {
    const stats = this.stats;
    stats.batches++;
    stats.jobs += jobs.length;
    const fileCount = jobs.reduce((n, job) => n + job.files.length, 0);
    stats.files += fileCount;
    stats.largestBatch = Math.max(stats.largestBatch, fileCount);
    const live = () => jobs.filter((job) => job.failed === undefined);
    const each = (fn: (file: StagedBlob, job: Job<C>) => Promise<void>) =>
      limited(
        live().flatMap((job) => job.files.map((file) => ({ file, job }))),
        this.#concurrency,
        async ({ file, job }) => {
          if (job.failed !== undefined) return;
          try {
            await fn(file, job);
          } catch (error) {
            job.failed ??= error;
          }
        },
      );
    // 1. File data durable.
    await each((file) => this.#blobs.syncStaged(file));
    // 2. Final names, then each distinct directory once.
    const dirs = new Map<string, Job<C>[]>();
    await each(async (file, job) => {
      const dir = this.#blobs.linkStaged(file);
      const owners = dirs.get(dir);
      if (owners === undefined) dirs.set(dir, [job]);
      else owners.push(job);
    });
    await limited([...dirs], this.#concurrency, async ([dir, owners]) => {
      try {
        await this.#blobs.syncDirAsync(dir);
      } catch (error) {
        for (const job of owners) job.failed ??= error;
      }
    });
    // 3. Metadata: one transaction for every job still standing.
    const ready = live();
    let outcomes: JobOutcome[] = [];
    if (ready.length > 0) {
      try {
        this.beforeCommit?.();
        outcomes = this.#transact(ready.map((job) => job.run));
      } catch (error) {
        for (const job of ready) job.failed ??= error;
      }
    }
    // 4. Answers, in submission order.
    const inTransaction = new Set(ready);
    let i = 0;
    for (const job of jobs) {
      if (!inTransaction.has(job)) {
        job.reject(job.failed);
        continue;
      }
      const outcome = outcomes[i++];
      if (outcome === undefined) job.reject(job.failed);
      else if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function limited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
