import type { Digest } from '../oci/digest.js';
import type { GcOptions, MetadataStore } from '../metadata/store.js';
import type { BlobStore } from '../storage/blob-store.js';

export interface GcSettings {
  /** Orphans younger than this are kept (default 1 h). */
  readonly graceMs: number;
  /** Upload sessions idle for longer are purged (default 24 h). */
  readonly uploadTtlMs: number;
  readonly deleteUntagged: boolean;
}

export interface GcReport {
  readonly dryRun: boolean;
  readonly manifests: { repo: string; digest: Digest; size: number }[] | number;
  readonly blobs: { digest: Digest; size: number }[] | number;
  readonly uploads: number;
  /** Bytes of blob storage reclaimed (or reclaimable for a dry run). */
  readonly bytes: number;
  readonly durationMs: number;
}

export interface GcListener {
  (report: GcReport): void;
}

/**
 * Online garbage collector. It runs while the registry serves: every step is
 * a metadata transaction that re-checks its condition, and blob bytes are
 * deleted under the same per-digest lock that upload commits and mounts take,
 * so a concurrent push either keeps the blob alive or re-creates it.
 */
export class GarbageCollector {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<GcReport> | undefined;

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
    const p = await this.meta.gcPlan(this.options(now));
    return {
      dryRun: true,
      manifests: p.manifests,
      blobs: p.blobs,
      uploads: p.uploads.length,
      bytes: p.blobs.reduce((a, b) => a + b.size, 0),
      durationMs: Date.now() - t0,
    };
  }

  /** One collection; concurrent calls share the run in progress. */
  run(now = Date.now()): Promise<GcReport> {
    this.running ??= this.collect(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async collect(now: number): Promise<GcReport> {
    const t0 = Date.now();
    const opts = this.options(now);
    const swept = await this.meta.gcSweepManifests(opts);
    for (const id of swept.uploads) await this.blobs.deleteUpload(id);
    let uploads = swept.uploads.length;
    // Upload directories without a session row (e.g. left by a crash).
    for (const id of await this.blobs.listUploads()) {
      if (await this.meta.getUpload(id)) continue;
      // Judge by the session directory's own age: a directory appears only at
      // a session's first byte, after its row, but a PATCH racing a cancel
      // can re-create one just after the row went.
      const info = await this.blobs.driver.stat(`uploads/${id}`);
      if (info && info.modifiedAt.getTime() < opts.uploadsIdleBefore) {
        await this.blobs.deleteUpload(id);
        uploads++;
      }
    }
    let blobs = 0;
    let bytes = 0;
    for (const c of await this.meta.gcBlobCandidates(opts)) {
      const deleted = await this.blobs.digestLocks.run(c.digest, async () => {
        if (!(await this.meta.gcDeleteBlob(c.digest, opts))) return false;
        await this.blobs.deleteBlob(c.digest);
        return true;
      });
      if (deleted) {
        blobs++;
        bytes += c.size;
      }
    }
    const report: GcReport = { dryRun: false, manifests: swept.manifests, blobs, uploads, bytes, durationMs: Date.now() - t0 };
    this.onRun(report);
    return report;
  }

  /** Runs in the background every `intervalMs`; errors are reported, never thrown. */
  start(intervalMs: number, onError: (e: unknown) => void): void {
    this.stop();
    this.timer = setInterval(() => void this.run().catch(onError), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
