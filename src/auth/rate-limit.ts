/**
 * Failed-login limiter. Three bounds, each checked BEFORE a password is
 * compared, so concurrent guesses cannot slip past the count:
 *
 *   per (address, user)  `limit` failures within `windowMs` — a guesser is
 *                        stopped for that account; other users behind the
 *                        same address (one NAT for a whole site) are not.
 *   per user             `userLimit` failures within `userWindowMs` from all
 *                        addresses together (slower, for guessers that
 *                        rotate addresses).
 *   in flight            at most `maxConcurrentPerAddress` and
 *                        `maxConcurrentPerUser` checks at once.
 *
 * A check in flight counts as a failure until it ends (`reserve` … `release`):
 * 200 guesses sent at the same instant get at most `limit` compares, never
 * 199. A blocked attempt is refused (429, Retry-After) without its
 * credentials being compared, so a blocked guesser learns nothing, not even
 * a right guess. The failure windows are in a LoginCounterStore: the shared
 * AuthStore in `airlock serve` (N replicas give a guesser the limit once, not
 * N times; a reservation is counted there atomically), or memory. The
 * in-flight caps are per process (they bound one replica's bcrypt work).
 */
import type { CounterCheck, FailureWindowSpec, LoginCounterStore } from './store.js';
import { liveFailures } from './sqlite-auth-extra.js';

export interface LoginLimitOptions {
  /** Failures per (address, user) within `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
  /** Failures per user, all addresses together, within `userWindowMs`. */
  readonly userLimit: number;
  readonly userWindowMs: number;
  /** Password checks in flight at once from one address / for one user. */
  readonly maxConcurrentPerAddress: number;
  readonly maxConcurrentPerUser: number;
  /** Most windows tracked at once per kind (the oldest are dropped first). */
  readonly maxTracked?: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimitOptions = {
  limit: 10,
  windowMs: 60_000,
  userLimit: 50,
  userWindowMs: 15 * 60_000,
  maxConcurrentPerAddress: 16,
  maxConcurrentPerUser: 4,
};

/** A refusal: how long to wait and why (said in the 429's message). */
export interface LoginRefusal {
  readonly retryAfterSeconds: number;
  readonly reason: string;
}

/** A reserved check: release it once, with the outcome. */
export interface LoginReservation {
  release(ok: boolean): Promise<void>;
}

interface Window {
  window_start: number;
  window_ms: number;
  failures: number;
}

/** LoginCounterStore in memory (one process), at most `maxTracked` windows (the oldest dropped first). */
export class MemoryLoginCounters implements LoginCounterStore {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly maxTracked = 10_000) {}

  private first(w: readonly FailureWindowSpec[], nowMs: number): CounterCheck {
    for (let i = 0; i < w.length; i++) {
      const r = this.windows.get(w[i]!.key);
      if (liveFailures(r, nowMs) >= w[i]!.limit) return { ok: false, index: i, endsAt: r!.window_start + r!.window_ms };
    }
    return { ok: true };
  }

  async checkFailures(w: readonly FailureWindowSpec[], nowMs: number): Promise<CounterCheck> {
    return this.first(w, nowMs);
  }

  async reserveFailure(w: readonly FailureWindowSpec[], nowMs: number): Promise<CounterCheck> {
    const full = this.first(w, nowMs);
    if (!full.ok) return full;
    for (const x of w) {
      const r = this.windows.get(x.key);
      if (r && liveFailures(r, nowMs) > 0) {
        r.failures++;
        continue;
      }
      this.windows.delete(x.key);
      while (this.windows.size >= this.maxTracked) {
        const oldest = this.windows.keys().next();
        if (oldest.done) break;
        this.windows.delete(oldest.value);
      }
      this.windows.set(x.key, { window_start: nowMs, window_ms: x.windowMs, failures: 1 });
    }
    return full;
  }

  async releaseFailure(keys: readonly string[], nowMs: number): Promise<void> {
    for (const k of keys) {
      const r = this.windows.get(k);
      if (!r || liveFailures(r, nowMs) === 0) continue;
      if (--r.failures <= 0) this.windows.delete(k);
    }
  }
}

/** Counters of checks in flight; a key disappears at zero. */
class InFlight {
  private readonly n = new Map<string, number>();

  get(key: string): number {
    return this.n.get(key) ?? 0;
  }

  add(key: string, d: 1 | -1): void {
    const v = this.get(key) + d;
    if (v <= 0) this.n.delete(key);
    else this.n.set(key, v);
  }
}

/** User names of any length and content become bounded keys. */
function userKey(user: string): string {
  return user.length <= 128 ? user : `${user.slice(0, 64)}…${user.length}`;
}

const REASONS = ['too many failed logins for this user from this address; retry later', 'too many failed logins for this user; retry later'];

export class LoginLimiter {
  private readonly inFlight = new InFlight();
  private readonly counters: LoginCounterStore;

  constructor(private readonly opts: LoginLimitOptions, private readonly now: () => number = Date.now, counters?: LoginCounterStore) {
    this.counters = counters ?? new MemoryLoginCounters(opts.maxTracked ?? 10_000);
  }

  private windows(ip: string, user: string): FailureWindowSpec[] {
    const u = userKey(user);
    return [
      { key: `p\0${ip}\0${u}`, limit: this.opts.limit, windowMs: this.opts.windowMs },
      { key: `u\0${u}`, limit: this.opts.userLimit, windowMs: this.opts.userWindowMs },
    ];
  }

  private refusal(c: CounterCheck): LoginRefusal | undefined {
    if (c.ok) return undefined;
    return { retryAfterSeconds: Math.max(1, Math.ceil((c.endsAt - this.now()) / 1000)), reason: REASONS[c.index] ?? REASONS[1]! };
  }

  /** Why a login of `user` from `ip` is refused now, not counting checks in flight; undefined when it is not. */
  async blocked(ip: string, user: string): Promise<LoginRefusal | undefined> {
    return this.refusal(await this.counters.checkFailures(this.windows(ip, user), this.now()));
  }

  /**
   * Reserves one password check of `user` from `ip`, or says why not. The
   * reservation counts as a failure (in the counter store) until it is
   * released with `ok`.
   */
  async reserve(ip: string, user: string): Promise<LoginReservation | LoginRefusal> {
    const u = userKey(user);
    if (this.inFlight.get(`a\0${ip}`) >= this.opts.maxConcurrentPerAddress || this.inFlight.get(`c\0${u}`) >= this.opts.maxConcurrentPerUser) {
      return { retryAfterSeconds: 1, reason: 'too many logins being checked at once; retry shortly' };
    }
    const local = [`a\0${ip}`, `c\0${u}`];
    for (const k of local) this.inFlight.add(k, 1);
    const windows = this.windows(ip, user);
    let refused: LoginRefusal | undefined;
    try {
      refused = this.refusal(await this.counters.reserveFailure(windows, this.now()));
    } catch (e) {
      for (const k of local) this.inFlight.add(k, -1);
      throw e;
    }
    if (refused) {
      for (const k of local) this.inFlight.add(k, -1);
      return refused;
    }
    let done = false;
    return {
      release: async (ok: boolean): Promise<void> => {
        if (done) return;
        done = true;
        for (const k of local) this.inFlight.add(k, -1);
        if (ok) await this.counters.releaseFailure(windows.map((w) => w.key), this.now());
      },
    };
  }
}

export function isRefusal(r: LoginReservation | LoginRefusal): r is LoginRefusal {
  return 'retryAfterSeconds' in r;
}
