import type { Digest } from '../../oci/digest.js';
import type { GcOptions, GcPlan, UploadRecord } from '../store.js';
import type { Db } from './open.js';
import type { Statements } from './statements.js';

type RemoveManifest = (repoId: number, digest: string, orphanAt: number) => boolean;

interface CandidateRow { repo_id: number; name: string; digest: string; size: number; orphaned_at: number | null }

class Rollback extends Error {
  constructor(readonly plan: GcPlan) {
    super('gc dry run');
  }
}

/**
 * Garbage-collection queries. The collector's rules:
 * - a manifest is collected when it has no tag and no parent index, and it
 *   was orphaned (lost its last tag or parent) before `olderThan`; manifests
 *   pushed by digest and never tagged are kept unless `deleteUntagged`;
 * - collecting a manifest orphans its children at the same instant, so a
 *   whole index tree goes in one run, but a child still used by another
 *   manifest is never orphaned;
 * - a blob link to a repository is dropped when no manifest of that
 *   repository references the blob and the link is older than `olderThan`
 *   (this is the grace period that protects a blob uploaded just before its
 *   manifest); a blob with no links left is deleted.
 * The dry run performs the same sweep in a transaction and rolls it back.
 */
export class SqliteGc {
  private readonly orphaned;
  private readonly untagged;
  private readonly staleLinks;
  private readonly blobCands;
  private readonly blobStillFree;
  private readonly blobDelete;
  private readonly contentSweep;
  private readonly staleUploads;

  constructor(private readonly db: Db, private readonly q: Statements) {
    const rootless = `NOT EXISTS (SELECT 1 FROM tags t WHERE t.repo_id = m.repo_id AND t.digest = m.digest)
      AND NOT EXISTS (SELECT 1 FROM manifest_refs p WHERE p.child = m.digest AND p.kind = 'manifest' AND p.repo_id = m.repo_id)`;
    this.orphaned = db.prepare(`SELECT m.repo_id, r.name, m.digest, m.size, m.orphaned_at FROM manifests m
      JOIN repositories r ON r.id = m.repo_id
      WHERE m.orphaned_at IS NOT NULL AND m.orphaned_at < ? AND ${rootless}`);
    this.untagged = db.prepare(`SELECT m.repo_id, r.name, m.digest, m.size, m.orphaned_at FROM manifests m
      JOIN repositories r ON r.id = m.repo_id
      WHERE m.orphaned_at IS NULL AND m.created_at < ? AND ${rootless}
      AND (m.subject IS NULL OR NOT EXISTS (SELECT 1 FROM manifests s WHERE s.repo_id = m.repo_id AND s.digest = m.subject))`);
    this.staleLinks = db.prepare(`DELETE FROM repo_blobs AS rb WHERE rb.linked_at < ?
      AND NOT EXISTS (SELECT 1 FROM manifest_refs mr WHERE mr.child = rb.digest AND mr.kind = 'blob' AND mr.repo_id = rb.repo_id)`);
    const free = `b.linked_at < ? AND NOT EXISTS (SELECT 1 FROM repo_blobs rb WHERE rb.digest = b.digest)
      AND NOT EXISTS (SELECT 1 FROM manifest_refs mr WHERE mr.child = b.digest AND mr.kind = 'blob')`;
    this.blobCands = db.prepare(`SELECT b.digest, b.size FROM blobs b WHERE ${free} ORDER BY b.digest`);
    this.blobStillFree = db.prepare(`SELECT 1 FROM blobs b WHERE b.digest = ? AND ${free}`);
    this.blobDelete = db.prepare('DELETE FROM blobs WHERE digest = ?');
    this.contentSweep = db.prepare('DELETE FROM manifest_content WHERE digest NOT IN (SELECT digest FROM manifests)');
    this.staleUploads = db.prepare('SELECT id, repo, created_at, updated_at FROM uploads WHERE updated_at < ?');
  }

  /** Runs the sweep, collecting what was removed; never commits when `dryRun`. */
  private sweep(opts: GcOptions, remove: RemoveManifest, dryRun: boolean) {
    const removed: { repo: string; digest: Digest; size: number }[] = [];
    for (;;) {
      const rows = this.orphaned.all(opts.olderThan) as CandidateRow[];
      if (opts.deleteUntagged) rows.push(...(this.untagged.all(opts.olderThan) as CandidateRow[]));
      if (rows.length === 0) break;
      for (const r of rows) {
        if (remove(r.repo_id, r.digest, r.orphaned_at ?? 0)) {
          removed.push({ repo: r.name, digest: r.digest as Digest, size: r.size });
        }
      }
    }
    this.contentSweep.run();
    this.staleLinks.run(opts.olderThan);
    const uploads = (this.staleUploads.all(opts.uploadsIdleBefore) as { id: string; repo: string; created_at: number; updated_at: number }[])
      .map((u): UploadRecord => ({ id: u.id, repo: u.repo, createdAt: u.created_at, updatedAt: u.updated_at }));
    for (const u of uploads) this.q.uploadDelete.run(u.id);
    const blobs = dryRun ? (this.blobCands.all(opts.olderThan) as { digest: Digest; size: number }[]) : [];
    return { removed, uploads, blobs };
  }

  plan(opts: GcOptions, remove: RemoveManifest): GcPlan {
    try {
      this.db.transaction(() => {
        const { removed, uploads, blobs } = this.sweep(opts, remove, true);
        throw new Rollback({ manifests: removed, blobs, uploads });
      })();
    } catch (e) {
      if (e instanceof Rollback) return e.plan;
      throw e;
    }
    throw new Error('unreachable: gc plan transaction did not roll back');
  }

  sweepManifests(opts: GcOptions, remove: RemoveManifest): { manifests: number; uploads: string[] } {
    return this.db.transaction(() => {
      const { removed, uploads } = this.sweep(opts, remove, false);
      return { manifests: removed.length, uploads: uploads.map((u) => u.id) };
    })();
  }

  blobCandidates(opts: GcOptions): { digest: Digest; size: number }[] {
    return this.blobCands.all(opts.olderThan) as { digest: Digest; size: number }[];
  }

  deleteBlob(digest: Digest, opts: GcOptions): boolean {
    return this.db.transaction(() => {
      if (!this.blobStillFree.get(digest, opts.olderThan)) return false;
      return this.blobDelete.run(digest).changes > 0;
    })();
  }
}
