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
 * a right guess. The state is per process (a replica counts its own clients).
 */
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
  release(ok: boolean): void;
}

interface Window {
  start: number;
  failures: number;
}

/** Failure counts per key over a fixed window that starts at the first failure. */
class FailureWindows {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly windowMs: number, private readonly maxTracked: number, private readonly now: () => number) {}

  /** Failures in the current window and when it ends. */
  get(key: string): { failures: number; endsAt: number } {
    const w = this.windows.get(key);
    if (!w) return { failures: 0, endsAt: this.now() + this.windowMs };
    if (this.now() - w.start >= this.windowMs) {
      this.windows.delete(key);
      return { failures: 0, endsAt: this.now() + this.windowMs };
    }
    return { failures: w.failures, endsAt: w.start + this.windowMs };
  }

  fail(key: string): void {
    const w = this.windows.get(key);
    if (w && this.now() - w.start < this.windowMs) {
      w.failures++;
      return;
    }
    this.windows.delete(key);
    while (this.windows.size >= this.maxTracked) {
      const oldest = this.windows.keys().next();
      if (oldest.done) break;
      this.windows.delete(oldest.value);
    }
    this.windows.set(key, { start: this.now(), failures: 1 });
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

export class LoginLimiter {
  private readonly pairs: FailureWindows;
  private readonly users: FailureWindows;
  private readonly inFlight = new InFlight();

  constructor(private readonly opts: LoginLimitOptions, private readonly now: () => number = Date.now) {
    const max = opts.maxTracked ?? 10_000;
    this.pairs = new FailureWindows(opts.windowMs, max, now);
    this.users = new FailureWindows(opts.userWindowMs, max, now);
  }

  private wait(endsAt: number): number {
    return Math.max(1, Math.ceil((endsAt - this.now()) / 1000));
  }

  /** Why `user` may not log in from `ip` now (pending checks count as failures), or undefined. */
  private refusal(ip: string, user: string, countPending: boolean): LoginRefusal | undefined {
    const u = userKey(user);
    const pair = `${ip}\0${u}`;
    const p = this.pairs.get(pair);
    if (p.failures + (countPending ? this.inFlight.get(`p\0${pair}`) : 0) >= this.opts.limit) {
      return { retryAfterSeconds: this.wait(p.endsAt), reason: 'too many failed logins for this user from this address; retry later' };
    }
    const w = this.users.get(u);
    if (w.failures + (countPending ? this.inFlight.get(`u\0${u}`) : 0) >= this.opts.userLimit) {
      return { retryAfterSeconds: this.wait(w.endsAt), reason: 'too many failed logins for this user; retry later' };
    }
    return undefined;
  }

  /** Why a login of `user` from `ip` is refused now, not counting checks in flight; undefined when it is not. */
  blocked(ip: string, user: string): LoginRefusal | undefined {
    return this.refusal(ip, user, false);
  }

  /**
   * Reserves one password check of `user` from `ip`, or says why not. The
   * reservation counts as a failure until it is released with `ok`.
   */
  reserve(ip: string, user: string): LoginReservation | LoginRefusal {
    const refused = this.refusal(ip, user, true);
    if (refused) return refused;
    const u = userKey(user);
    if (this.inFlight.get(`a\0${ip}`) >= this.opts.maxConcurrentPerAddress || this.inFlight.get(`c\0${u}`) >= this.opts.maxConcurrentPerUser) {
      return { retryAfterSeconds: 1, reason: 'too many logins being checked at once; retry shortly' };
    }
    const keys = [`p\0${ip}\0${u}`, `u\0${u}`, `a\0${ip}`, `c\0${u}`];
    for (const k of keys) this.inFlight.add(k, 1);
    let done = false;
    return {
      release: (ok: boolean): void => {
        if (done) return;
        done = true;
        for (const k of keys) this.inFlight.add(k, -1);
        if (!ok) {
          this.pairs.fail(`${ip}\0${u}`);
          this.users.fail(u);
        }
      },
    };
  }
}

export function isRefusal(r: LoginReservation | LoginRefusal): r is LoginRefusal {
  return 'retryAfterSeconds' in r;
}
