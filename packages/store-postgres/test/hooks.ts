/**
 * The multi-process and crash hooks of the conformance kit for `PostgresStore`: writers in child
 * processes (Node + tsx, so they run this package's TypeScript source) on the same schema, i.e.
 * other server nodes.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CrashHooks, conformanceMessage, type MultiProcessHooks } from '@mailwire/store/conformance';
import { POSTGRES_URL, schemaOf } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');

type Report = { index: number; uid: number } | { done: true } | { error: string };

function startWorker(): ChildProcess {
  return fork(join(here, 'worker.ts'), [], {
    cwd: packageDir,
    execArgv: ['--conditions=@mailwire/source', '--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Runs one worker; resolves with its acknowledgements when it exits (however it exits). */
function runWorker(
  job: { schema: string; address: string; mailbox: string; indexes: number[]; parallel: boolean },
  onStart?: (child: ChildProcess) => void,
): Promise<{ acks: { index: number; uid: number }[]; error?: string; done: boolean }> {
  return new Promise((resolve, reject) => {
    const child = startWorker();
    const acks: { index: number; uid: number }[] = [];
    let error: string | undefined;
    let done = false;
    child.on('message', (report: Report) => {
      if ('error' in report) error = report.error;
      else if ('done' in report) done = true;
      else acks.push(report);
    });
    child.on('error', reject);
    child.on('exit', () => resolve(error === undefined ? { acks, done } : { acks, error, done }));
    child.send({
      url: POSTGRES_URL,
      schema: job.schema,
      address: job.address,
      mailbox: job.mailbox,
      parallel: job.parallel,
      messages: job.indexes.map((index) => ({ index, bytes: conformanceMessage(index) })),
    });
    onStart?.(child);
  });
}

export const multiProcess: MultiProcessHooks = {
  async appendConcurrently({ store, address, mailbox, processes, perProcess }) {
    const schema = schemaOf(store);
    const runs = await Promise.all(
      Array.from({ length: processes }, (_, worker) =>
        runWorker({
          schema,
          address,
          mailbox,
          parallel: true,
          indexes: Array.from({ length: perProcess }, (_, i) => worker * perProcess + i),
        }),
      ),
    );
    for (const run of runs)
      if (run.error !== undefined || !run.done) throw new Error(run.error ?? 'worker died');
    return runs.flatMap((run) => run.acks.map((a) => a.uid));
  },
};

/** mulberry32: a small deterministic PRNG for the kill point. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const crash: CrashHooks = {
  async appendAndKill({ store, address, mailbox, count, seed }) {
    const random = prng(seed);
    let timer: NodeJS.Timeout | undefined;
    const run = await runWorker(
      {
        schema: schemaOf(store),
        address,
        mailbox,
        parallel: false,
        indexes: Array.from({ length: count }, (_, i) => i),
      },
      (child) => {
        // Kill after a random number of acknowledged appends plus a random 0–5 ms, so the kill
        // lands anywhere inside an append: streaming chunks, locking, inserting, COMMIT, the reply.
        // (Early in the run, to keep the suite fast: the phase inside an append is what varies.)
        const killAfterAcks = Math.floor(random() * Math.min(count, 150));
        const extraDelay = random() * 5;
        child.on('message', (report: Report) => {
          if ('index' in report && report.index >= killAfterAcks && timer === undefined) {
            timer = setTimeout(() => child.kill('SIGKILL'), extraDelay);
          }
        });
      },
    );
    if (timer !== undefined) clearTimeout(timer);
    if (run.error !== undefined) throw new Error(run.error);
    return run.acks;
  },
};
