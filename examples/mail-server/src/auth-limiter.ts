/**
 * AUTH failure rate limiting per client address, with back-off: each failure within the window
 * doubles the delay before the next answer (from 250 ms, capped at 8 s); past the limit the
 * address is refused until its failures age out of the window.
 */
export class AuthLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(ip: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(ip) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(ip);
    else this.failures.set(ip, list);
    return list;
  }

  /** True when the address may try again now. */
  allowed(ip: string): boolean {
    return this.recent(ip).length < this.limit;
  }

  /** Milliseconds to wait before answering a failed attempt. */
  delayMs(ip: string): number {
    const n = this.recent(ip).length;
    return n === 0 ? 0 : Math.min(8000, 250 * 2 ** (n - 1));
  }

  fail(ip: string): void {
    const list = this.recent(ip);
    list.push(this.now());
    this.failures.set(ip, list);
    if (this.failures.size > 100_000) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  succeed(ip: string): void {
    this.failures.delete(ip);
  }
}
