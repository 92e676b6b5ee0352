/**
 * Failed-login limiter, per client address. After `limit` failures within
 * `windowMs` of the first one, every login attempt from that address is
 * refused (429, Retry-After) until the window ends — without checking the
 * credentials, so a blocked guesser learns nothing, not even a right guess.
 */
export interface LoginLimitOptions {
  readonly limit: number;
  readonly windowMs: number;
  /** Most addresses tracked at once (oldest windows are dropped first). */
  readonly maxTracked?: number;
}

interface Window {
  start: number;
  failures: number;
}

export class LoginLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly opts: LoginLimitOptions, private readonly now: () => number = Date.now) {}

  private current(ip: string): Window | undefined {
    const w = this.windows.get(ip);
    if (w && this.now() - w.start >= this.opts.windowMs) {
      this.windows.delete(ip);
      return undefined;
    }
    return w;
  }

  /** Seconds to wait when `ip` is blocked, else undefined. */
  blockedFor(ip: string): number | undefined {
    const w = this.current(ip);
    if (!w || w.failures < this.opts.limit) return undefined;
    return Math.max(1, Math.ceil((w.start + this.opts.windowMs - this.now()) / 1000));
  }

  fail(ip: string): void {
    const w = this.current(ip);
    if (w) {
      w.failures++;
      return;
    }
    const max = this.opts.maxTracked ?? 10_000;
    if (this.windows.size >= max) {
      for (const [k, v] of this.windows) {
        if (this.now() - v.start >= this.opts.windowMs || this.windows.size >= max) this.windows.delete(k);
        if (this.windows.size < max) break;
      }
    }
    this.windows.set(ip, { start: this.now(), failures: 1 });
  }
}
