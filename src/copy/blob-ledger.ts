/**
 * Which repositories of which destination store hold which blobs, for one run.
 * It makes every unique blob cross to a store at most once per run: the first
 * task that needs a blob in a store becomes its single uploader; the others
 * wait for it, then mount from a repository it recorded (or, for a store with
 * one shared pool, find it there).
 */
import type { Digest } from '../oci/digest.js';
import { KeyedMutex } from '../util/keyed-mutex.js';

/** Blob HEADs at a store that all said "absent", with none "present", after which small blobs are uploaded without asking. */
export const ABSENT_HEADS_BEFORE_SKIPPING = 16;

interface HeadState {
  asked: number;
  absent: number;
  present: number;
  decided: Promise<void>;
  decide: () => void;
}

export class BlobLedger {
  private readonly holders = new Map<string, Set<string>>();
  /** What each destination store's blob HEADs answered this run. */
  private readonly heads = new Map<string, HeadState>();
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

  private headState(store: string): HeadState {
    let h = this.heads.get(store);
    if (h === undefined) {
      let decide!: () => void;
      const decided = new Promise<void>((r) => (decide = r));
      h = { asked: 0, absent: 0, present: 0, decided, decide };
      this.heads.set(store, h);
    }
    return h;
  }

  /**
   * Whether to HEAD a small blob at `store` before uploading it. The first
   * ABSENT_HEADS_BEFORE_SKIPPING callers are told yes (and must report the
   * answer with noteHead); later ones wait for those answers: once they all
   * said "absent" (a fresh destination), asking costs more than sending
   * (uploading a blob the store has is harmless; both sides verify the
   * digest), so the answer is no; once any said "present" (or failed), yes.
   */
  async worthAsking(store: string): Promise<boolean> {
    const h = this.headState(store);
    if (h.present > 0) return true;
    if (h.absent >= ABSENT_HEADS_BEFORE_SKIPPING) return false;
    if (h.asked < ABSENT_HEADS_BEFORE_SKIPPING) {
      h.asked++;
      return true;
    }
    await h.decided;
    return h.present > 0;
  }

  /** One blob HEAD's answer at `store` (a failed HEAD counts as "present": keep asking). */
  noteHead(store: string, answer: 'present' | 'absent' | 'failed'): void {
    const h = this.headState(store);
    if (answer === 'absent') h.absent++;
    else h.present++;
    if (h.present > 0 || h.absent >= ABSENT_HEADS_BEFORE_SKIPPING) h.decide();
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
