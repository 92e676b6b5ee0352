import type { Digest } from '../oci/digest.js';
import type { MetadataStore } from '../metadata/store.js';
import { inTransaction, stepwise, sweepMetadata, type GcOptions } from './gc-sweep.js';
import type { BlobStore } from '../storage/blob-store.js';
import { reconcileBlobs, type ReconcileReport } from './gc-reconcile.js';

export type { ReconcileReport };

export interface GcSettings {
  /** Orphans younger than this are kept (default 1 h). */
  readonly graceMs: number;
  /** Upload sessions idle for longer are purged (default 24 h). */
  readonly uploadTtlMs: number;
  readonly deleteUntagged: boolean;
}

export interface GcReport {
  readonly dryRun: boolean;
  /** Set when another replica was collecting (nothing was done here). */
  readonly skipped?: 'another replica is collecting';
  readonly manifests: { repo: string; digest: Digest; size: number }[] | number;
  readonly blobs: { digest: Digest; size: number }[] | number;
  readonly uploads: number;
  /** Blob files without rows and rows without files (see gc-reconcile.ts). */
  readonly reconcile: ReconcileReport;
  /** Bytes of blob storage reclaimed (or reclaimable for a dry run): collected blobs plus stray files. */
  readonly bytes: number;
  readonly durationMs: number;
}

/** Told of each finished collection; awaited (a rejection is the listener's to handle: it fails the run). */
export interface GcListener {
  (report: GcReport): void | Promise<void>;
}

/**
 * Online garbage collector. It runs while the registry serves: every step is
 * a metadata transaction that re-checks its condition (the rules are in
 * gc-sweep.ts), and blob bytes are deleted under the store's per-digest lock
 * (`MetadataStore.blobLocks`) that upload commits and mounts take on every
 * replica, so a concurrent push either keeps the blob alive or re-creates it.
 */
export class GarbageCollector {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<GcReport> | undefined;
  /** Set while stop() waits, so a long storage walk ends early. */
  private stopping = false;

  constructor(
    private readonly meta: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly settings: GcSettings,
    private readonly onRun: GcListener = () => undefined,
  ) {}

  private options(now: number): GcOptions {
    return {
      olderThan: now - this.settings.graceMs,
      uploadsIdleBefore: now - this.settings.uploadTtlMs,
      deleteUntagged: this.settings.deleteUntagged,
    };
  }

  async plan(now = Date.now()): Promise<GcReport> {
    const t0 = Date.now();
    const opts = this.options(now);
    // The same sweep as a run, in a transaction that is rolled back, not committed.
    const p = await this.meta.transaction((tx) => sweepMetadata(inTransaction(tx), opts), { commit: false });
    const reconcile = await reconcileBlobs(this.meta, this.blobs, { olderThan: opts.olderThan, now, dryRun: true });
    return {
      dryRun: true,
      manifests: p.manifests,
      blobs: p.blobs,
      uploads: p.uploads.length,
      reconcile,
      bytes: p.blobs.reduce((a, b) => a + b.size, 0) + reconcile.strayBytes,
      durationMs: Date.now() - t0,
    };
  }

  /** One collection; concurrent calls share the run in progress. */
  run(now = Date.now()): Promise<GcReport> {
    this.running ??= this.collect(now).finally(() => (this.running = undefined));
    return this.running;
  }

  /** Collects unless another replica sharing the store is collecting (leadership: MetadataStore.tryExclusive). */
  private async collect(now: number): Promise<GcReport> {
    const t0 = Date.now();
    const report = await this.meta.tryExclusive('gc', () => this.collectAsLeader(now));
    if (report) return report;
    const reconcile = { strayFiles: [], strayBytes: 0, youngStrayFiles: 0, relinkedFiles: [], missingFiles: [], missingBytes: 0, complete: false };
    return { dryRun: false, skipped: 'another replica is collecting', manifests: 0, blobs: 0, uploads: 0, reconcile, bytes: 0, durationMs: Date.now() - t0 };
  }

  private async collectAsLeader(now: number): Promise<GcReport> {
    const t0 = Date.now();
    const opts = this.options(now);
    const swept = await sweepMetadata(stepwise(this.meta), opts);
    for (const u of swept.uploads) await this.blobs.deleteUpload(u.id);
    let uploads = swept.uploads.length;
    // Upload directories without a session row (e.g. left by a crash).
    for (const id of await this.blobs.listUploads()) {
      if (await this.meta.getUpload(id)) continue;
      // Judge by the session directory's own age: a directory appears only at
      // a session's first byte, after its row, but a PATCH racing a cancel
      // can re-create one just after the row went.
      const modified = await this.blobs.uploadModifiedAt(id);
      if (modified && modified.getTime() < opts.uploadsIdleBefore) {
        await this.blobs.deleteUpload(id);
        uploads++;
      }
    }
    let blobs = 0;
    let bytes = 0;
    for (const c of swept.blobs) {
      // Under the blob lock (the store's blobLocks: every replica's commits and mounts take
      // it): a commit re-linking the blob waits until its bytes are gone,
      // then writes them again.
      const deleted = await this.blobs.digestLocks.run(c.digest, async () => {
        if (!(await this.meta.gcDeleteBlob(c.digest, opts.olderThan))) return false;
        await this.blobs.deleteBlob(c.digest);
        return true;
      });
      if (deleted) {
        blobs++;
        bytes += c.size;
      }
    }
    const reconcile = await reconcileBlobs(this.meta, this.blobs, { olderThan: opts.olderThan, now, dryRun: false, stopped: () => this.stopping });
    bytes += reconcile.strayBytes;
    const report: GcReport = { dryRun: false, manifests: swept.manifests.length, blobs, uploads, reconcile, bytes, durationMs: Date.now() - t0 };
    await this.onRun(report);
    return report;
  }

  /**
   * Runs in the background once right away (start-up reconciliation: the
   * caller starts the collector after the server listens, so the storage
   * walk never delays start-up) and then every `intervalMs`; errors are
   * reported, never thrown.
   */
  start(intervalMs: number, onError: (e: unknown) => void): void {
    void this.stop();
    this.first = setTimeout(() => void this.run().catch(onError), 0);
    this.first.unref();
    this.timer = setInterval(() => void this.run().catch(onError), intervalMs);
    this.timer.unref();
  }

  /** Stops the timers and waits for a run in progress (its storage walk stops early). */
  async stop(): Promise<void> {
    clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
    this.first = this.timer = undefined;
    this.stopping = true;
    await this.running?.catch(() => undefined);
    this.stopping = false;
  }
}
