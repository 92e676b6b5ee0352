/**
 * Which repositories of which destination store hold which blobs, for one run.
 * It makes every unique blob cross to a store at most once per run: the first
 * task that needs a blob in a store becomes its single uploader; the others
 * wait for it, then mount from a repository it recorded (or, for a store with
 * one shared pool, find it there).
 */
import type { Digest } from '../oci/digest.js';
import { KeyedMutex } from '../util/keyed-mutex.js';

export class BlobLedger {
  private readonly holders = new Map<string, Set<string>>();
  private readonly locks = new KeyedMutex();

  private key(store: string, digest: Digest): string {
    return `${store}\u0000${digest}`;
  }

  /** Runs `fn` exclusively for (store, digest): the single-flight section for uploads. */
  exclusive<T>(store: string, digest: Digest, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(this.key(store, digest), fn);
  }

  /** Repositories of `store` known to hold `digest` ('' for a shared pool). */
  holdersOf(store: string, digest: Digest): ReadonlySet<string> {
    return this.holders.get(this.key(store, digest)) ?? new Set();
  }

  record(store: string, digest: Digest, repository: string): void {
    const k = this.key(store, digest);
    let s = this.holders.get(k);
    if (s === undefined) {
      s = new Set();
      this.holders.set(k, s);
    }
    s.add(repository);
  }
}
