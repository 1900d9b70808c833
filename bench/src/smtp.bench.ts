/**
 * SMTP sinks under load from Postfix's smtp-source, side by side in one run:
 * - Mailwire: `@mailwire/smtp` `serve()` over `@mailwire/node` `listen()`, from the built packages
 *   (src/sinks/mailwire-sink.mjs; run `pnpm build` first)
 * - npm smtp-server (src/sinks/smtp-server-sink.mjs)
 * - Postfix's C smtp-sink
 * Each server runs in its own process pinned to core 0 (`taskset -c 0`); smtp-source runs on core 1.
 * We report messages per second (wall clock of smtp-source), the server's CPU seconds per 10,000
 * messages (utime + stime from /proc), its peak RSS (VmHWM), its peak anonymous RSS (RssAnon sampled
 * every 10 ms: the memory the process owns — VmHWM also counts the executable's file pages, ~34 MB of
 * node shared by every Node process) and its RSS before the load (VmRSS).
 * The machine is shared, so the contenders take turns in each round and the table shows the
 * median of the rounds (peak RSS: the highest). The Mailwire sink runs twice: as is, and with V8's
 * young generation capped (`--max-semi-space-size=1`), to show how much of its peak RSS is heap
 * sizing policy rather than data the library keeps.
 *
 * A fifth row is a reference, not a contender: "Node floor" (src/sinks/node-floor-sink.mjs), a
 * bare `node:net` server answering smtp-source's dialogue with canned replies (line splitting only,
 * no parsing). What it costs is Node's socket and stream layer; what a Node sink costs above it is
 * the library's.
 *
 * Options (environment), for profiling and quick comparisons; the recorded run uses none:
 * - MAILWIRE_BENCH_SMTP_SERVERS=floor,mailwire — only the rows whose name contains one of these
 *   (case-insensitive); smtp-sink always runs, it is the ratio's reference.
 * - MAILWIRE_BENCH_SMTP_SCENARIOS=1,3 — only these scenarios (1-based).
 * - MAILWIRE_BENCH_SMTP_ROUNDS=5 — rounds per scenario instead of the defaults below.
 * - MAILWIRE_BENCH_SMTP_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" — extra node flags for
 *   the Mailwire sink (first row).
 * - MAILWIRE_BENCH_SMTP_LAYERS=1 — add the layer-analysis sinks between the floor and the Mailwire
 *   sink (docs/benchmarks.md, "Where our cost above the floor goes"): the floor driven through a
 *   pull read() and awaited writes (how serve() drove a transport before readNext()), canned replies
 *   over listen() + NodeTransport, and the session over NodeTransport with a bare loop instead of
 *   serve() (both through readNext(), answered in the turn the input came in).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';

const here = import.meta.dirname;
const CLK_TCK = 100;

interface Server {
  readonly name: string;
  start(): Promise<{ child: ChildProcess; port: number }>;
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(\d+)\n/.exec(out);
      if (m) ok(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`server exited with ${code}`)));
  });
}

function freePort(): number {
  // smtp-sink needs a port up front: take one from a throwaway listener.
  const out = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ]);
  return Number(out.toString().trim());
}

/** A Node sink in its own process on core 0; `nodeFlags` go to node itself. */
function nodeSink(name: string, script: string, nodeFlags: readonly string[] = []): Server {
  return {
    name,
    async start() {
      const child = spawn(
        'taskset',
        ['-c', '0', process.execPath, ...nodeFlags, resolve(here, 'sinks', script)],
        { cwd: resolve(here, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      return { child, port: await waitForPort(child) };
    },
  };
}

const extraFlags = (process.env.MAILWIRE_BENCH_SMTP_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');

const allServers: Server[] = [
  nodeSink('Mailwire (@mailwire/smtp + @mailwire/node)', 'mailwire-sink.mjs', extraFlags),
  // The same sink with V8's young generation capped at 1 MiB per semi-space (default: grows to
  // 16 MiB): shows how much of the peak RSS is V8 heap sizing policy rather than data we keep.
  nodeSink('Mailwire, node --max-semi-space-size=1', 'mailwire-sink.mjs', ['--max-semi-space-size=1']),
  nodeSink('smtp-server (npm)', 'smtp-server-sink.mjs'),
  // Reference, not a contender: Node's own floor (canned replies over node:net, no parsing).
  nodeSink('_Node floor: bare node:net, canned replies (reference)_', 'node-floor-sink.mjs'),
  ...(process.env.MAILWIRE_BENCH_SMTP_LAYERS === '1'
    ? [
        nodeSink('_layer: floor driven by a pull read() and awaited writes_', 'floor-pull-sink.mjs'),
        nodeSink(
          '_layer: canned replies over listen() + NodeTransport (readNext)_',
          'floor-transport-sink.mjs',
        ),
        nodeSink(
          '_layer: SmtpServerSession over NodeTransport (readNext), no serve()_',
          'session-loop-sink.mjs',
        ),
      ]
    : []),
  {
    name: 'Postfix smtp-sink (C)',
    async start() {
      const port = freePort();
      const child = spawn(
        'taskset',
        ['-c', '0', '/usr/sbin/smtp-sink', '-u', 'nobody', `127.0.0.1:${port}`, '1000'],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      await new Promise((r) => setTimeout(r, 300));
      return { child, port };
    },
  },
];

const serverFilter = (process.env.MAILWIRE_BENCH_SMTP_SERVERS ?? '')
  .split(',')
  .map((f) => f.trim().toLowerCase())
  .filter((f) => f !== '');
const servers = allServers.filter(
  (server) =>
    serverFilter.length === 0 ||
    server.name.startsWith('Postfix') ||
    serverFilter.some((f) => server.name.toLowerCase().includes(f)),
);

interface Scenario {
  readonly name: string;
  readonly messages: number;
  /** Interleaved runs per server; the table shows the median. */
  readonly rounds: number;
  readonly args: readonly string[];
}

const allScenarios: Scenario[] = [
  {
    name: '20 sessions × 10 KB, connections reused (-d)',
    messages: 10_000,
    rounds: 3,
    args: ['-d', '-s', '20', '-l', '10240'],
  },
  {
    name: 'a new connection per message, 20 in parallel',
    messages: 5_000,
    rounds: 3,
    args: ['-s', '20', '-l', '10240'],
  },
  {
    name: 'one session, 500 recipients per message',
    messages: 200,
    rounds: 1,
    args: ['-d', '-s', '1', '-l', '10240', '-r', '500'],
  },
];

const scenarioFilter = (process.env.MAILWIRE_BENCH_SMTP_SCENARIOS ?? '')
  .split(',')
  .filter((f) => f.trim() !== '')
  .map(Number);
const scenarios = allScenarios.filter(
  (_, i) => scenarioFilter.length === 0 || scenarioFilter.includes(i + 1),
);
const roundsOverride = Number(process.env.MAILWIRE_BENCH_SMTP_ROUNDS ?? 0);

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

function statusMb(pid: number, field: 'VmHWM' | 'VmRSS' | 'RssAnon'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** The pid of the real server under `taskset` (taskset execs, so it is the same pid). */
function serverPid(child: ChildProcess): number {
  return child.pid!;
}

interface Measurement {
  readonly rate: number;
  readonly cpu: number;
  readonly rss: number;
  /** Highest anonymous RSS seen (sampled every 10 ms): memory the process owns, without the executable's shared file pages. */
  readonly anon: number;
  readonly idle: number;
}

/** Runs smtp-source to completion, without blocking this process (the RSS sampler runs meanwhile). */
function runSource(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const source = spawn('taskset', ['-c', '1', '/usr/sbin/smtp-source', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    });
    source.once('error', reject);
    source.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`smtp-source exited with ${code ?? signal}`)),
    );
  });
}

async function measure(server: Server, scenario: Scenario): Promise<Measurement> {
  const { child, port } = await server.start();
  const pid = serverPid(child);
  try {
    const idle = statusMb(pid, 'VmRSS');
    const cpuBefore = cpuSeconds(pid);
    let anon = statusMb(pid, 'RssAnon');
    const sampler = setInterval(() => {
      anon = Math.max(anon, statusMb(pid, 'RssAnon'));
    }, 10);
    const started = performance.now();
    try {
      await runSource([
        '-c',
        ...scenario.args,
        '-m',
        String(scenario.messages),
        '-f',
        'bench@example.test',
        '-t',
        'sink@example.test',
        `127.0.0.1:${port}`,
      ]);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(pid) - cpuBefore;
    return {
      rate: scenario.messages / seconds,
      cpu: (cpu / scenario.messages) * 10_000,
      rss: peakRssMb(pid),
      anon: Math.max(anon, statusMb(pid, 'RssAnon')),
      idle,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1]!;
}

export async function run(): Promise<string> {
  if (!existsSync('/usr/sbin/smtp-source')) {
    return '_skipped: Postfix smtp-source not installed (`apt-get install postfix`)._\n';
  }
  let out = '';
  for (const scenario of scenarios) {
    const rounds = roundsOverride > 0 ? roundsOverride : scenario.rounds;
    out += `#### ${scenario.name} (${scenario.messages.toLocaleString('en-US')} messages${rounds > 1 ? `, median of ${rounds} interleaved runs` : ''})\n\n`;
    out +=
      '| server | messages/s | ratio to smtp-sink | CPU s per 10k msgs | peak RSS MB | peak anonymous RSS MB | RSS before load MB |\n|---|---:|---:|---:|---:|---:|---:|\n';
    const runs = new Map<Server, Measurement[]>(servers.map((server) => [server, []]));
    // Contenders take turns in each round, so a burst of load from elsewhere hits them alike.
    for (let round = 0; round < rounds; round++)
      for (const server of servers) runs.get(server)!.push(await measure(server, scenario));
    const rows = servers.map((server) => {
      const m = runs.get(server)!;
      return {
        name: server.name,
        rate: median(m.map((x) => x.rate)),
        cpu: median(m.map((x) => x.cpu)),
        rss: Math.max(...m.map((x) => x.rss)),
        anon: Math.max(...m.map((x) => x.anon)),
        idle: median(m.map((x) => x.idle)),
      };
    });
    const sink = rows.find((r) => r.name.startsWith('Postfix'))?.rate ?? 1;
    for (const r of rows) {
      out += `| ${r.name} | ${Math.round(r.rate).toLocaleString('en-US')} | ${(r.rate / sink).toFixed(2)}× | ${r.cpu.toFixed(2)} | ${r.rss.toFixed(0)} | ${r.anon.toFixed(0)} | ${r.idle.toFixed(0)} |\n`;
    }
    out += '\n';
  }
  return out;
}
