import type { GcReport } from './gc.js';

/** Where finished runs persist (the metadata store's run log, metadata/run-log.ts); without one the history lives in memory. */
export interface GcRunSink {
  addGcRun(run: GcRunSummary): Promise<void>;
  gcRuns(limit: number): Promise<GcRunSummary[]>;
}

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

/** The last collections (newest first): in the sink when given (kept across restarts, shared by replicas on one store), else in memory for this process. */
export class GcHistory {
  private readonly runs: GcRunSummary[] = [];

  constructor(private readonly keep = 20, private readonly sink?: GcRunSink) {}

  async record(r: GcReport, at = Date.now()): Promise<void> {
    const count = (v: unknown[] | number): number => (typeof v === 'number' ? v : v.length);
    const run: GcRunSummary = {
      finishedAt: at,
      durationMs: r.durationMs,
      manifests: count(r.manifests),
      blobs: count(r.blobs),
      uploads: r.uploads,
      bytes: r.bytes,
      strayFiles: r.reconcile.strayFiles.length,
      missingFiles: r.reconcile.missingFiles.length,
    };
    if (this.sink) return this.sink.addGcRun(run);
    this.runs.unshift(run);
    this.runs.length = Math.min(this.runs.length, this.keep);
  }

  async list(): Promise<GcRunSummary[]> {
    return this.sink ? this.sink.gcRuns(this.keep) : [...this.runs];
  }
}
