import { describe, expect, it } from 'vitest';
import type { StagedBlob } from './blob-store.js';
import { type BatchFiles, GroupCommitter, type JobOutcome } from './group-commit.js';

/** Records the file steps; `failSync` names temp files whose fsync fails. */
function fakeFiles(failSync = new Set<string>(), failDir = new Set<string>()) {
  const log: string[] = [];
  const files: BatchFiles = {
    async syncStaged(staged) {
      log.push(`sync ${staged.tmpPath}`);
      if (failSync.has(staged.tmpPath)) throw new Error(`EIO ${staged.tmpPath}`);
    },
    linkStaged(staged) {
      log.push(`link ${staged.tmpPath}`);
      return `dir-${staged.hash.slice(0, 1)}`;
    },
    async syncDirAsync(dir) {
      log.push(`syncdir ${dir}`);
      if (failDir.has(dir)) throw new Error(`EIO ${dir}`);
    },
  };
  return { files, log };
}

const file = (name: string, hash = 'a'): StagedBlob => ({
  hash: `${hash}${'0'.repeat(63)}`,
  size: 1,
  tmpPath: name,
});

/** A transaction that runs each job, catching per-job errors like the store's SAVEPOINTs. */
function transactLog(log: string[]) {
  return (runs: readonly ((ctx: string[]) => unknown)[]): JobOutcome[] => {
    log.push(`commit ${runs.length}`);
    return runs.map((run) => {
      try {
        return { ok: true, value: run(log) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  };
}

describe('GroupCommitter', () => {
  it('makes a batch durable in order: all files, all names, each directory once, then one transaction', async () => {
    const { files, log } = fakeFiles();
    const committer = new GroupCommitter<string[]>({ blobs: files, transact: transactLog(log) });
    const results = await Promise.all([
      committer.submit([file('t1', 'a'), file('t2', 'b')], () => 1),
      committer.submit([file('t3', 'a')], () => 2),
    ]);
    expect(results).toEqual([1, 2]);
    expect(log).toEqual([
      'sync t1',
      'sync t2',
      'sync t3',
      'link t1',
      'link t2',
      'link t3',
      'syncdir dir-a',
      'syncdir dir-b',
      'commit 2',
    ]);
    expect(committer.stats).toMatchObject({ batches: 1, jobs: 2, files: 3, largestBatch: 3 });
  });

  it('lets jobs that arrive during a batch form the next batch', async () => {
    const { files, log } = fakeFiles();
    const committer = new GroupCommitter<string[]>({ blobs: files, transact: transactLog(log) });
    const first = committer.submit([file('t1')], () => 'first');
    // Submitted while the first batch is in its fsync phase.
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((i) => committer.submit([file(`t${i}`)], () => i));
    expect(await first).toBe('first');
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
    expect(log.filter((l) => l.startsWith('commit'))).toEqual(['commit 1', 'commit 3']);
    await committer.idle();
  });

  it('fails only the job whose file could not be made durable', async () => {
    const { files, log } = fakeFiles(new Set(['bad']));
    const committer = new GroupCommitter<string[]>({ blobs: files, transact: transactLog(log) });
    const results = await Promise.allSettled([
      committer.submit([file('ok1')], () => 1),
      committer.submit([file('x'), file('bad')], () => 2),
      committer.submit([file('ok2')], () => 3),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'EIO bad' });
    expect(log).not.toContain('link bad');
    expect(log).toContain('commit 2');
  });

  it('fails the jobs with a file in a directory whose fsync failed', async () => {
    const { files, log } = fakeFiles(new Set(), new Set(['dir-b']));
    const committer = new GroupCommitter<string[]>({ blobs: files, transact: transactLog(log) });
    const results = await Promise.allSettled([
      committer.submit([file('t1', 'a')], () => 1),
      committer.submit([file('t2', 'a'), file('t3', 'b')], () => 2),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(log).toContain('commit 1');
  });

  it('passes on per-job outcomes and a failure of the whole transaction', async () => {
    const { files, log } = fakeFiles();
    const committer = new GroupCommitter<string[]>({ blobs: files, transact: transactLog(log) });
    const results = await Promise.allSettled([
      committer.submit([file('t1')], () => 1),
      committer.submit([file('t2')], () => {
        throw new Error('quota');
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    const broken = new GroupCommitter<string[]>({
      blobs: files,
      transact: () => {
        throw new Error('SQLITE_FULL');
      },
    });
    const all = await Promise.allSettled([
      broken.submit([file('t3')], () => 1),
      broken.submit([file('t4')], () => 2),
    ]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((all[0] as PromiseRejectedResult).reason).toMatchObject({ message: 'SQLITE_FULL' });
  });

  it('caps a batch by files but never splits a job', async () => {
    const { files, log } = fakeFiles();
    const committer = new GroupCommitter<string[]>({
      blobs: files,
      transact: transactLog(log),
      maxBatchFiles: 3,
    });
    await Promise.all([
      committer.submit([file('a1'), file('a2')], () => 1),
      committer.submit([file('b1'), file('b2')], () => 2),
      committer.submit([file('c1'), file('c2'), file('c3'), file('c4')], () => 3),
    ]);
    expect(log.filter((l) => l.startsWith('commit'))).toEqual(['commit 1', 'commit 1', 'commit 1']);
    expect(committer.stats.largestBatch).toBe(4);
  });
});
