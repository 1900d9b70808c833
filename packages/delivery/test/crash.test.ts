import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteQueue } from '../src/sqlite-queue.js';
import { cleanTempDirs, type Sink, startSink, tempDir } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/run-agent.ts', import.meta.url));

function child(dir: string, port: number, mode?: string) {
  const proc = spawn(
    process.execPath,
    ['--conditions=@mailwire/source', '--import', 'tsx', script, dir, String(port), ...(mode ? [mode] : [])],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, exited, output: () => out, errors: () => err };
}

let sink: Sink | undefined;
const procs: ChildProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
  await sink?.close();
  cleanTempDirs();
});

describe('crash safety', () => {
  it('kill -9 of the delivering process mid-DATA → delivered after restart, exactly once', async () => {
    let started!: () => void;
    const midData = new Promise<void>((r) => {
      started = r;
    });
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let attempt = 0;
    sink = await startSink((s) => ({
      async onData(message, envelope) {
        if (attempt++ === 0) {
          started();
          // Hold the reply: the client is killed before it can learn anything.
          try {
            for await (const _ of message);
          } catch {}
          await released;
          throw new Error('the client went away');
        }
        let body = '';
        for await (const chunk of message) body += Buffer.from(chunk).toString('latin1');
        s.messages.push({
          from: envelope.from!.localPart,
          to: envelope.recipients.map((r) => r.to.localPart),
          body,
        });
        return undefined;
      },
    }));
    const dir = tempDir();
    const first = child(dir, sink.port, 'enqueue');
    procs.push(first.proc);
    await midData;
    expect(first.output()).toMatch(/^queued /);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    release();
    expect(sink.messages).toEqual([]);

    const second = child(dir, sink.port);
    procs.push(second.proc);
    expect(await second.exited).toBe(0);
    expect(second.output()).toBe('done\n');
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.body).toMatch(/^Subject: survive\r\n\r\n(line of the message body\r\n){1000}$/);
    const queue = createSqliteQueue({ path: dir });
    expect(await queue.list()).toEqual([]);
    await queue.close();
  }, 60_000);
});
