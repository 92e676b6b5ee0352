import type { Digest } from '../oci/digest.js';
import type { MetadataQueries, MetadataStore, UploadRecord } from '../metadata/store.js';

export interface GcOptions {
  /** Orphaned manifests and unreferenced blobs younger than this (epoch ms) are kept. */
  readonly olderThan: number;
  /** Upload sessions idle since before this (epoch ms) are purged. */
  readonly uploadsIdleBefore: number;
  /** Also collect manifests that never had a tag or parent (off by default: tagless push is normal). */
  readonly deleteUntagged: boolean;
}

export interface SweepResult {
  readonly manifests: { repo: string; digest: Digest; size: number }[];
  readonly uploads: UploadRecord[];
  /** Blobs left unreferenced by the sweep (collected afterwards, one by one under the blob lock). */
  readonly blobs: { digest: Digest; size: number }[];
}

/**
 * Where a sweep runs. Listings go to `read`; every change goes through
 * `step`, one atomic body that re-checks its own condition, so a step stays
 * correct whatever changed since the listing.
 */
export interface SweepRunner {
  readonly read: MetadataQueries;
  step<T>(body: (tx: MetadataQueries) => Promise<T>): Promise<T>;
}

/** The whole sweep inside one open transaction `tx` (the dry run, rolled back afterwards). */
export const inTransaction = (tx: MetadataQueries): SweepRunner => ({ read: tx, step: (body) => body(tx) });

/**
 * A transaction per step: each is short, so on PostgreSQL a sweep running
 * while other replicas push is rarely a serialization conflict's victim, and
 * a conflict re-runs one step, not the whole sweep (one long SERIALIZABLE
 * sweep under a steady push load could lose every retry).
 */
export const stepwise = (meta: MetadataStore): SweepRunner => ({ read: meta, step: (body) => meta.transaction(body) });

/**
 * The collector's rules:
 * - a manifest is collected when it has no tag and no parent index, and it
 *   was orphaned (lost its last tag or parent) before `olderThan`; manifests
 *   pushed by digest and never tagged are kept unless `deleteUntagged`;
 * - collecting a manifest orphans its children at the same instant, so a
 *   whole index tree goes in one run, but a child still used by another
 *   manifest is never orphaned;
 * - a blob link to a repository is dropped when no manifest of that
 *   repository references the blob and the link is older than `olderThan`
 *   (this is the grace period that protects a blob uploaded just before its
 *   manifest); a blob with no links left is a candidate;
 * - upload sessions idle since before `uploadsIdleBefore` are dropped.
 * The dry run runs the same sweep in one transaction that is not committed.
 */
export async function sweepMetadata(run: SweepRunner, opts: GcOptions): Promise<SweepResult> {
  const manifests: { repo: string; digest: Digest; size: number }[] = [];
  for (;;) {
    const rows = await run.read.gcOrphanedManifests(opts.olderThan);
    if (opts.deleteUntagged) rows.push(...(await run.read.gcUntaggedManifests(opts.olderThan)));
    let removed = 0;
    for (const r of rows) {
      // Children lose their root at the parent's orphaning instant: the next round collects them.
      const gone = await run.step(async (tx) =>
        (await tx.gcManifestCollectable(r, opts.olderThan)) && tx.deleteManifest(r.repo, r.digest, r.orphanedAt ?? 0));
      if (gone) {
        manifests.push({ repo: r.repo, digest: r.digest, size: r.size });
        removed++;
      }
    }
    if (removed === 0) break;
  }
  await run.step((tx) => tx.gcSweepManifestContent());
  await run.step((tx) => tx.gcDropStaleLinks(opts.olderThan));
  const uploads = await run.step(async (tx) => {
    const stale = await tx.gcStaleUploads(opts.uploadsIdleBefore);
    for (const u of stale) await tx.deleteUpload(u.id);
    return stale;
  });
  const blobs = await run.read.gcBlobCandidates(opts.olderThan);
  return { manifests, uploads, blobs };
}
