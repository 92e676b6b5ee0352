/**
 * Concurrency limits per store (one registry host, one layout directory), in
 * two lanes: `transfer` for moving a blob of some size (GET → PUT), and
 * `lookup` for short requests (manifest GET/HEAD/PUT, blob HEAD, mounts, tag
 * and referrer listings, small blobs), which must not queue behind big blobs
 * (over a slow link they are bound by the round trip, not by bandwidth).
 * `run(stores, fn, lane)` holds one permit of EACH named store in that lane
 * while fn runs. Permits are taken in sorted store order, so two tasks
 * needing the same two stores cannot deadlock; a task needing one store
 * twice takes one permit; nothing holds a permit of one lane while it waits
 * for the other.
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }
}

export type Lane = 'transfer' | 'lookup';

export class StoreLimiter {
  private readonly sems = new Map<string, Semaphore>();

  /**
   * `limitFor(store)` gives each store's transfer limit (e.g.
   * --max-per-registry), `lookupLimitFor(store)` its look-up limit (default:
   * the same).
   */
  constructor(
    private readonly limitFor: (store: string) => number,
    private readonly lookupLimitFor: (store: string) => number = limitFor,
  ) {}

  private sem(store: string, lane: Lane): Semaphore {
    const key = `${lane}\u0000${store}`;
    let s = this.sems.get(key);
    if (s === undefined) {
      s = new Semaphore(lane === 'transfer' ? this.limitFor(store) : this.lookupLimitFor(store));
      this.sems.set(key, s);
    }
    return s;
  }

  /** Runs `fn` holding a permit of every store in `lane` (default: lookup). */
  async run<T>(stores: readonly string[], fn: () => Promise<T>, lane: Lane = 'lookup'): Promise<T> {
    const keys = [...new Set(stores)].sort();
    const held: Semaphore[] = [];
    try {
      for (const k of keys) {
        const s = this.sem(k, lane);
        await s.acquire();
        held.push(s);
      }
      return await fn();
    } finally {
      for (const s of held.reverse()) s.release();
    }
  }
}

/**
 * At most `max` distinct stores (registries, layout or disk-store
 * directories) with work in flight: oc's --max-registry. `run(stores, fn)`
 * is admitted when every store it names is already active, or when its new
 * stores still fit under the cap, or when nothing runs at all (a task that
 * alone needs more stores than the cap, e.g. source + destination with a cap
 * of 1, runs by itself). Admission takes all of a task's stores at once and a
 * waiting task holds none, so tasks cannot deadlock on each other; waiters
 * are reconsidered in arrival order whenever a store goes idle.
 */
export class StoreCap {
  private readonly active = new Map<string, number>();
  private readonly waiters: { stores: string[]; admit: () => void }[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`store cap must be a positive integer, got ${max}`);
  }

  /** Stores with work in flight now. */
  get activeStores(): number {
    return this.active.size;
  }

  private fits(stores: readonly string[]): boolean {
    if (this.active.size === 0) return true;
    const fresh = stores.filter((s) => !this.active.has(s)).length;
    return this.active.size + fresh <= this.max;
  }

  private take(stores: readonly string[]): void {
    for (const s of stores) this.active.set(s, (this.active.get(s) ?? 0) + 1);
  }

  private drop(stores: readonly string[]): void {
    for (const s of stores) {
      const n = (this.active.get(s) ?? 1) - 1;
      if (n === 0) this.active.delete(s);
      else this.active.set(s, n);
    }
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      if (!this.fits(w.stores)) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      this.take(w.stores);
      w.admit();
    }
  }

  async run<T>(stores: readonly string[], fn: () => Promise<T>): Promise<T> {
    const set = [...new Set(stores)];
    if (this.waiters.length === 0 && this.fits(set)) this.take(set);
    else await new Promise<void>((admit) => this.waiters.push({ stores: set, admit }));
    try {
      return await fn();
    } finally {
      this.drop(set);
    }
  }
}
