/**
 * Reads many small blob files off the main thread: one worker thread (shared by every store of
 * the process, started at first use, not keeping the process alive while idle) opens and reads a
 * list of files back to back into slabs it hands over (transferred, not copied). The caller's
 * thread meanwhile writes out the previous group: a FETCH BODY[] over a range spends most of its
 * time in open/read/close, which this takes off the thread that serialises the replies.
 */
import { Worker } from 'node:worker_threads';

/**
 * The worker's code (CommonJS, run with `eval`: no file to resolve, from sources or a bundle).
 * Request `{ seq, paths }`; reply `{ seq, slabs, spans }` with three numbers per path (slab,
 * offset, length; slab -1: the file does not exist) or `{ seq, error: { code, message } }`.
 * A file's end is the read shorter than the room offered (regular files read whole up to their
 * end); one that fills the room is finished in a buffer of its own, sized by fstat.
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync, fstatSync } = require('node:fs');
const SLAB = ${1024 * 1024};
const MIN_FREE = ${64 * 1024};
parentPort.on('message', ({ seq, paths }) => {
  const slabs = [];
  const spans = new Float64Array(paths.length * 3);
  let slab = new Uint8Array(0);
  let slabIndex = -1;
  let used = 0;
  try {
    for (let i = 0; i < paths.length; i++) {
      let fd;
      try {
        fd = openSync(paths[i], 'r');
      } catch (error) {
        if (error && error.code === 'ENOENT') { spans[i * 3] = -1; continue; }
        throw error;
      }
      try {
        if (slab.length - used < MIN_FREE) {
          slab = new Uint8Array(SLAB);
          slabIndex = slabs.push(slab.buffer) - 1;
          used = 0;
        }
        const room = slab.length - used;
        const n = readSync(fd, slab, used, room, 0);
        if (n < room) {
          spans[i * 3] = slabIndex;
          spans[i * 3 + 1] = used;
          spans[i * 3 + 2] = n;
          used += n;
          continue;
        }
        const size = Math.max(fstatSync(fd).size, n);
        const own = new Uint8Array(size);
        own.set(slab.subarray(used, used + n));
        let length = n;
        while (length < size) {
          const got = readSync(fd, own, length, size - length, length);
          if (got === 0) break;
          length += got;
        }
        spans[i * 3] = slabs.push(own.buffer) - 1;
        spans[i * 3 + 1] = 0;
        spans[i * 3 + 2] = length;
      } finally {
        closeSync(fd);
      }
    }
  } catch (error) {
    parentPort.postMessage({ seq, error: { code: error && error.code, message: String(error && error.message) } });
    return;
  }
  // The last slab mostly empty (a small group): only its used part goes back, so the caller's
  // heap does not count a megabyte per small read.
  if (slabIndex >= 0 && used < slab.length / 2) slabs[slabIndex] = slab.slice(0, used).buffer;
  parentPort.postMessage({ seq, slabs, spans }, slabs);
});
`;

type Reply =
  | { readonly seq: number; readonly slabs: ArrayBuffer[]; readonly spans: Float64Array }
  | { readonly seq: number; readonly error: { readonly code?: string; readonly message: string } };

interface Pending {
  readonly resolve: (files: (Uint8Array | undefined)[]) => void;
  readonly reject: (error: Error) => void;
}

let worker: Worker | undefined;
let seq = 0;
const pending = new Map<number, Pending>();

/** `code` of the rejection when no thread can be started (callers read on their own thread). */
export const ERR_NO_THREAD = 'ERR_BLOB_READER_NO_THREAD';

function noThread(why: string): Error {
  const error = new Error(`blob reader thread: ${why}`) as NodeJS.ErrnoException;
  error.code = ERR_NO_THREAD;
  return error;
}

/** The thread failed or exited: what it had been asked is read elsewhere; the next call starts a new one. */
function failAll(w: Worker, why: string): void {
  if (worker !== w) return;
  worker = undefined;
  const waiting = [...pending.values()];
  pending.clear();
  for (const p of waiting) p.reject(noThread(why));
}

function started(): Worker | undefined {
  if (worker !== undefined) return worker;
  let w: Worker;
  try {
    // No loader hooks or flags of the main thread: the code above needs none.
    w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  } catch {
    return undefined;
  }
  w.on('message', (reply: Reply) => {
    const p = pending.get(reply.seq);
    if (p === undefined) return;
    pending.delete(reply.seq);
    if (pending.size === 0) w.unref();
    if ('error' in reply) {
      const error = new Error(reply.error.message) as NodeJS.ErrnoException;
      if (reply.error.code !== undefined) error.code = reply.error.code;
      p.reject(error);
      return;
    }
    const { slabs, spans } = reply;
    const files: (Uint8Array | undefined)[] = new Array(spans.length / 3);
    for (let i = 0; i < files.length; i++) {
      const slab = spans[i * 3]!;
      files[i] = slab < 0 ? undefined : new Uint8Array(slabs[slab]!, spans[i * 3 + 1]!, spans[i * 3 + 2]!);
    }
    p.resolve(files);
  });
  w.on('error', (error) => failAll(w, error.message));
  w.on('exit', (code) => failAll(w, `exited (${code})`));
  w.unref();
  worker = w;
  return w;
}

/**
 * The whole contents of each file, `undefined` for a file that does not exist; rejects with the
 * file system's error (its `code` kept) for any other failure, with `ERR_NO_THREAD` when the
 * thread cannot be started or dies (the caller then reads on its own thread). Results are views
 * of buffers no one else holds.
 */
export function readFilesOffThread(paths: readonly string[]): Promise<(Uint8Array | undefined)[]> {
  const w = started();
  if (w === undefined) return Promise.reject(noThread('cannot start'));
  const id = ++seq;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ seq: id, paths });
  });
}

/**
 * Stops the reader thread (a later read starts a new one); reads it had not answered finish on
 * their caller's thread. For tests and orderly shutdowns: an idle thread never keeps the process alive.
 */
export async function stopBlobReader(): Promise<void> {
  const w = worker;
  if (w === undefined) return;
  await w.terminate();
}
