/**
 * Concurrency limits per store (one registry host, one layout directory):
 * `run(stores, fn)` holds one permit of EACH named store while fn runs.
 * Permits are taken in sorted store order, so two tasks needing the same two
 * stores cannot deadlock; a task needing one store twice takes one permit.
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

export class StoreLimiter {
  private readonly sems = new Map<string, Semaphore>();

  /** `limitFor(store)` gives each store's limit (e.g. --max-per-registry). */
  constructor(private readonly limitFor: (store: string) => number) {}

  private sem(store: string): Semaphore {
    let s = this.sems.get(store);
    if (s === undefined) {
      s = new Semaphore(this.limitFor(store));
      this.sems.set(store, s);
    }
    return s;
  }

  async run<T>(stores: readonly string[], fn: () => Promise<T>): Promise<T> {
    const keys = [...new Set(stores)].sort();
    const held: Semaphore[] = [];
    try {
      for (const k of keys) {
        const s = this.sem(k);
        await s.acquire();
        held.push(s);
      }
      return await fn();
    } finally {
      for (const s of held.reverse()) s.release();
    }
  }
}
