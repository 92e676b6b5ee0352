import { statfs } from 'node:fs/promises';
import type { StorageFullError } from '../registry/errors.js';

export interface SpaceLog {
  warn(obj: object, msg: string): void;
}

export interface SpaceCheck {
  /** At least `minFreeBytes` are free (always true when the minimum is 0). */
  readonly ok: boolean;
  readonly freeBytes: number;
  readonly minFreeBytes: number;
}

/**
 * Free space on the data directory (blobs and metadata share it), for
 * /readyz, the `airlock_storage_free_bytes` gauge and the storage-full log
 * lines. statfs answers are cached for `cacheMs`. Storage turns *full* when
 * free space drops below the minimum or a write is refused for lack of space
 * (`noteFull`), and *recovers* when a fresh look finds the minimum free
 * again; each transition is logged once, as a warning.
 */
export class StorageSpace {
  private cached: { at: number; free: number } | undefined;
  private pending: Promise<number> | undefined;
  private full = false;
  private lastRefusal = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    readonly minFreeBytes: number,
    private readonly log: SpaceLog,
    private readonly cacheMs = 3000,
  ) {}

  /** Bytes available to the registry on the data directory's filesystem. Rejects when statfs fails. */
  freeBytes(): Promise<number> {
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return Promise.resolve(this.cached.free);
    this.pending ??= statfs(this.dir)
      .then((s) => {
        const free = s.bavail * s.bsize;
        this.cached = { at: Date.now(), free };
        this.observe(free);
        return free;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  async check(): Promise<SpaceCheck> {
    const freeBytes = await this.freeBytes();
    return { ok: freeBytes >= this.minFreeBytes, freeBytes, minFreeBytes: this.minFreeBytes };
  }

  /** A write was refused for lack of space: storage is full now; the next check looks afresh. */
  noteFull(e: StorageFullError): void {
    this.cached = undefined;
    this.lastRefusal = Date.now();
    if (this.full) return;
    this.full = true;
    this.log.warn({ dataDir: this.dir, reason: e.reason }, 'storage full: writes are refused until space is freed');
  }

  private observe(free: number): void {
    const low = free < this.minFreeBytes;
    if (low && !this.full) {
      this.full = true;
      this.log.warn(
        { dataDir: this.dir, freeBytes: free, minFreeBytes: this.minFreeBytes },
        'storage full: free space is below the minimum; /readyz answers 503 until space is freed',
      );
    } else if (!low && free > 0 && this.full && Date.now() - this.lastRefusal >= this.cacheMs) {
      this.full = false;
      this.log.warn({ dataDir: this.dir, freeBytes: free, minFreeBytes: this.minFreeBytes }, 'storage recovered: free space is above the minimum again');
    }
  }

  /** Looks every `intervalMs` in the background, so the transitions are logged without probes. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.freeBytes().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
