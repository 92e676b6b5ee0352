/**
 * Storage figures for the JSON API: the deduplicated total (each blob once),
 * what the repositories would take without deduplication, per-repository
 * usage, the last collections and what a collection would reclaim now (the
 * collector's dry run, the same as `airlock gc --dry-run`).
 */
import type { MetadataStore, RepositoryUsage } from '../metadata/store.js';
import type { GarbageCollector } from './gc.js';
import type { GcHistory, GcRunSummary } from './gc-history.js';

export interface StorageSummary {
  readonly repositories: number;
  readonly blobs: number;
  /** Bytes of blobs stored, each once. */
  readonly blobBytes: number;
  /** Sum of every repository's linked blob bytes (a shared layer counts once per repository). */
  readonly linkedBytes: number;
  /** linkedBytes / blobBytes (1 when nothing is shared; 0 when empty). */
  readonly dedupRatio: number;
  readonly gcRuns: GcRunSummary[];
}

export interface GcPlanSummary {
  readonly manifests: number;
  readonly blobs: number;
  readonly uploads: number;
  readonly strayFiles: number;
  /** Bytes a collection would reclaim now. */
  readonly bytes: number;
  /** The first manifests that would go (repository, digest, size). */
  readonly sample: { repo: string; digest: string; size: number }[];
}

/** linkedBytes reads every link: computed at most once per CACHE_MS. */
const CACHE_MS = 2000;

export class StorageReport {
  private linked: { at: number; value: Promise<number> } | undefined;

  constructor(
    private readonly meta: MetadataStore,
    private readonly gc: GarbageCollector,
    private readonly history: GcHistory,
  ) {}

  async summary(): Promise<StorageSummary> {
    const b = await this.meta.blobStats();
    if (!this.linked || Date.now() - this.linked.at > CACHE_MS) this.linked = { at: Date.now(), value: this.meta.linkedBlobBytes() };
    const linkedBytes = await this.linked.value;
    return {
      repositories: await this.meta.repositoryCount(),
      blobs: b.count,
      blobBytes: b.bytes,
      linkedBytes,
      dedupRatio: b.bytes === 0 ? 0 : Math.round((linkedBytes / b.bytes) * 1000) / 1000,
      gcRuns: await this.history.list(),
    };
  }

  async usage(repos: readonly string[]): Promise<(RepositoryUsage & { name: string; bytes: number })[]> {
    const out: (RepositoryUsage & { name: string; bytes: number })[] = [];
    for (const name of repos) {
      const u = await this.meta.repositoryUsage(name);
      if (u) out.push({ name, ...u, bytes: u.blobBytes + u.manifestBytes });
    }
    return out;
  }

  async gcPlan(): Promise<GcPlanSummary> {
    const p = await this.gc.plan();
    const manifests = typeof p.manifests === 'number' ? [] : p.manifests;
    return {
      manifests: typeof p.manifests === 'number' ? p.manifests : p.manifests.length,
      blobs: typeof p.blobs === 'number' ? p.blobs : p.blobs.length,
      uploads: p.uploads,
      strayFiles: p.reconcile.strayFiles.length,
      bytes: p.bytes,
      sample: manifests.slice(0, 50).map((m) => ({ repo: m.repo, digest: m.digest, size: m.size })),
    };
  }
}
