import type { Digest } from '../oci/digest.js';
import type { MetadataQueries, UploadRecord } from '../metadata/store.js';

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
 * The collector's rules, run inside one metadata transaction (`tx`):
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
 * The dry run runs the same sweep in a transaction that is not committed.
 */
export async function sweepMetadata(tx: MetadataQueries, opts: GcOptions): Promise<SweepResult> {
  const manifests: { repo: string; digest: Digest; size: number }[] = [];
  for (;;) {
    const rows = await tx.gcOrphanedManifests(opts.olderThan);
    if (opts.deleteUntagged) rows.push(...(await tx.gcUntaggedManifests(opts.olderThan)));
    let removed = 0;
    for (const r of rows) {
      // Children lose their root at the parent's orphaning instant: the same run collects them.
      if (await tx.deleteManifest(r.repo, r.digest, r.orphanedAt ?? 0)) {
        manifests.push({ repo: r.repo, digest: r.digest, size: r.size });
        removed++;
      }
    }
    if (removed === 0) break;
  }
  await tx.gcSweepManifestContent();
  await tx.gcDropStaleLinks(opts.olderThan);
  const uploads = await tx.gcStaleUploads(opts.uploadsIdleBefore);
  for (const u of uploads) await tx.deleteUpload(u.id);
  const blobs = await tx.gcBlobCandidates(opts.olderThan);
  return { manifests, uploads, blobs };
}
