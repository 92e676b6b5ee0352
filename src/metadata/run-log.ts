/**
 * The run log: reports of mirror runs sent to the registry
 * (`--report-to-registry`) and finished garbage collections, kept across
 * restarts. A role of the metadata store (`MetadataStore.runLog`), so
 * replicas sharing one store (PostgreSQL) show one history; it holds
 * history for the console, nothing the registry's answers depend on, and is
 * never part of a `transaction()`. Each call is one indexed insert or range
 * read, atomic; implementations keep at most RUN_LOG_KEEP rows of each
 * kind, dropping the oldest. Proved by test/metadata/conformance-run-log.ts.
 */
import type { GcRunSummary } from '../registry/gc-history.js';

/** Rows of each kind a run log keeps. */
export const RUN_LOG_KEEP = 1000;

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

/** The content of an older run log (a replica's own runs.db), to append once. */
export interface RunLogImport {
  /** Names the content (e.g. its SHA-256): an import whose key was already recorded writes nothing. */
  readonly key: string;
  /** Oldest first. */
  readonly mirrorRuns: readonly { readonly report: MirrorRunReport; readonly sentBy: string; readonly receivedAt: number }[];
  /** Oldest first. */
  readonly gcRuns: readonly GcRunSummary[];
}

export interface RunLogQueries {
  addMirrorRun(report: MirrorRunReport, sentBy: string, receivedAt?: number): Promise<MirrorRun>;
  /** Newest first; `before` is an id from a previous page (exclusive). */
  mirrorRuns(limit: number, before?: number): Promise<MirrorRun[]>;
  addGcRun(run: GcRunSummary): Promise<void>;
  /** Newest first. */
  gcRuns(limit: number): Promise<GcRunSummary[]>;
  /**
   * Appends the import's rows (after the ones already there, in their order)
   * and records its key, in one transaction; false when the key was already
   * recorded (nothing written), so an import interrupted at any point and
   * run again never duplicates rows.
   */
  importRuns(i: RunLogImport): Promise<boolean>;
}
