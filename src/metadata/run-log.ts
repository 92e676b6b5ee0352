/**
 * The run log: reports of mirror runs sent to the registry
 * (`--report-to-registry`) and finished garbage collections, kept across
 * restarts. A seam of its own, apart from the MetadataStore (repositories,
 * manifests, blobs): it holds history for the console, nothing the
 * registry's answers depend on. Calls are synchronous and cheap (one
 * indexed insert or range read); implementations keep at most `keep` rows
 * of each kind, dropping the oldest.
 */
import type { GcRunSummary } from '../registry/gc-history.js';

/** One image that failed in a mirror run. */
export interface FailedImage {
  readonly image: string;
  readonly error: string;
}

/** What a mirror command reports (validated by the API; lists capped, counts exact). */
export interface MirrorRunReport {
  /** e.g. "image mirror", "release mirror". */
  readonly command: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly dryRun: boolean;
  /** Destination repositories the run pushed into (the sender needed push on each). */
  readonly repositories: readonly string[];
  readonly images: number;
  /** Bytes transferred (uploaded) by the run. */
  readonly bytes: number;
  readonly blobsTransferred: number;
  readonly blobsMounted: number;
  readonly blobsPresent: number;
  readonly missingCount: number;
  readonly missing: readonly string[];
  readonly failedCount: number;
  readonly failed: readonly FailedImage[];
}

export interface MirrorRun extends MirrorRunReport {
  readonly id: number;
  readonly receivedAt: number;
  /** The account that sent it. */
  readonly sentBy: string;
}

export interface RunLog {
  addMirrorRun(report: MirrorRunReport, sentBy: string, receivedAt?: number): MirrorRun;
  /** Newest first; `before` is an id from a previous page (exclusive). */
  mirrorRuns(limit: number, before?: number): MirrorRun[];
  addGcRun(run: GcRunSummary): void;
  /** Newest first. */
  gcRuns(limit: number): GcRunSummary[];
  close(): void;
}
