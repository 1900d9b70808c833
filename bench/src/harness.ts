/**
 * A small benchmark harness: warm-up, several timed runs, median and min–max, and the ratio of
 * each contender to a named peer measured in the same process, in the same run.
 */
import { performance } from 'node:perf_hooks';

export interface Contender {
  readonly name: string;
  /** Performs `ops` operations (or processes `bytes` bytes) once; may be async. */
  readonly run: () => unknown;
}

export interface CaseOptions {
  /** Operations performed by one call of `run` (messages, commands…). */
  readonly ops: number;
  /** Bytes processed by one call of `run`, for MB/s. */
  readonly bytes?: number;
  readonly warmup?: number;
  readonly runs?: number;
  /** Name of the contender every other one is compared to. */
  readonly baseline: string;
}

export interface Measurement {
  readonly name: string;
  readonly opsPerSec: { median: number; min: number; max: number };
  readonly mbPerSec?: number | undefined;
  readonly ratio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function measure(
  contenders: readonly Contender[],
  options: CaseOptions,
): Promise<Measurement[]> {
  const warmup = options.warmup ?? 2;
  const runs = options.runs ?? 7;
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const c of contenders) for (let i = 0; i < warmup; i++) await c.run();
  // Interleave contenders run by run, so drift in machine load hits all of them alike.
  for (let r = 0; r < runs; r++) {
    for (const c of contenders) {
      const start = performance.now();
      await c.run();
      const seconds = (performance.now() - start) / 1000;
      samples.get(c.name)!.push(options.ops / seconds);
    }
  }
  const base = median(samples.get(options.baseline) ?? [1]);
  return contenders.map((c) => {
    const s = samples.get(c.name)!;
    const med = median(s);
    return {
      name: c.name,
      opsPerSec: { median: med, min: Math.min(...s), max: Math.max(...s) },
      mbPerSec: options.bytes ? (med * options.bytes) / options.ops / 1e6 : undefined,
      ratio: med / base,
    };
  });
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

/** A markdown table of one case. */
export function table(title: string, rows: readonly Measurement[], unit = 'ops/s'): string {
  const lines = [
    `#### ${title}`,
    '',
    `| contender | ${unit} (median) | min – max | MB/s | ratio |`,
    '|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${fmt(r.opsPerSec.median)} | ${fmt(r.opsPerSec.min)} – ${fmt(r.opsPerSec.max)} | ${r.mbPerSec === undefined ? '' : fmt(r.mbPerSec)} | ${r.ratio.toFixed(2)}× |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
