import type { GcReport } from './gc.js';

/** One finished collection, as the JSON API shows it. */
export interface GcRunSummary {
  readonly finishedAt: number;
  readonly durationMs: number;
  readonly manifests: number;
  readonly blobs: number;
  readonly uploads: number;
  /** Bytes reclaimed (collected blobs plus stray files). */
  readonly bytes: number;
  readonly strayFiles: number;
  readonly missingFiles: number;
}

/** The last collections of this process (newest first), in memory: a restart starts an empty history. */
export class GcHistory {
  private readonly runs: GcRunSummary[] = [];

  constructor(private readonly keep = 20) {}

  record(r: GcReport, at = Date.now()): void {
    const count = (v: unknown[] | number): number => (typeof v === 'number' ? v : v.length);
    this.runs.unshift({
      finishedAt: at,
      durationMs: r.durationMs,
      manifests: count(r.manifests),
      blobs: count(r.blobs),
      uploads: r.uploads,
      bytes: r.bytes,
      strayFiles: r.reconcile.strayFiles.length,
      missingFiles: r.reconcile.missingFiles.length,
    });
    this.runs.length = Math.min(this.runs.length, this.keep);
  }

  list(): GcRunSummary[] {
    return [...this.runs];
  }
}
