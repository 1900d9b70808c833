/**
 * Structured logs: one JSON object per line for machines, a readable line on a terminal.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  format: 'json' | 'pretty' | 'auto' | 'silent',
  out: NodeJS.WritableStream = process.stderr,
  base: Record<string, unknown> = {},
): Logger {
  const mode = format === 'auto' ? ((out as { isTTY?: boolean }).isTTY ? 'pretty' : 'json') : format;
  return {
    log(level, message, fields = {}) {
      if (mode === 'silent') return;
      const time = new Date().toISOString();
      const all = { ...base, ...fields };
      if (mode === 'json') {
        out.write(`${JSON.stringify({ time, level, msg: message, ...all })}\n`);
      } else {
        const extra = Object.entries(all)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        out.write(
          `${time.slice(11, 19)} ${level.toUpperCase().padEnd(5)} ${message}${extra ? `  ${extra}` : ''}\n`,
        );
      }
    },
    child(fields) {
      return createLogger(mode, out, { ...base, ...fields });
    },
  };
}
