import type { Digest } from '../../oci/digest.js';
import type { GcManifestCandidate, GcQueries, UploadRecord } from '../store.js';
import type { Db } from './open.js';

interface CandidateRow { name: string; digest: string; size: number; orphaned_at: number | null }

const toCandidate = (r: CandidateRow): GcManifestCandidate => ({
  repo: r.name, digest: r.digest as Digest, size: r.size, ...(r.orphaned_at !== null ? { orphanedAt: r.orphaned_at } : {}),
});

/** The collector's queries on SQLite; its rules are in src/registry/gc-sweep.ts. */
export class SqliteGc implements GcQueries {
  private readonly orphaned;
  private readonly untagged;
  private readonly orphanedOne;
  private readonly untaggedOne;
  private readonly staleLinks;
  private readonly blobCands;
  private readonly blobStillFree;
  private readonly blobDelete;
  private readonly contentSweep;
  private readonly staleUploads;

  constructor(private readonly db: Db) {
    const rootless = `NOT EXISTS (SELECT 1 FROM tags t WHERE t.repo_id = m.repo_id AND t.digest = m.digest)
      AND NOT EXISTS (SELECT 1 FROM manifest_refs p WHERE p.child = m.digest AND p.kind = 'manifest' AND p.repo_id = m.repo_id)`;
    const orphaned = `m.orphaned_at IS NOT NULL AND m.orphaned_at < @olderThan AND ${rootless}`;
    const untagged = `m.orphaned_at IS NULL AND m.created_at < @olderThan AND ${rootless}
      AND (m.subject IS NULL OR NOT EXISTS (SELECT 1 FROM manifests s WHERE s.repo_id = m.repo_id AND s.digest = m.subject))`;
    const list = (rule: string) => db.prepare(`SELECT r.name, m.digest, m.size, m.orphaned_at FROM manifests m
      JOIN repositories r ON r.id = m.repo_id WHERE ${rule} ORDER BY r.name, m.digest`);
    const one = (rule: string) => db.prepare(`SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repo_id
      WHERE r.name = @repo AND m.digest = @digest AND ${rule}`);
    this.orphaned = list(orphaned);
    this.untagged = list(untagged);
    this.orphanedOne = one(orphaned);
    this.untaggedOne = one(untagged);
    this.staleLinks = db.prepare(`DELETE FROM repo_blobs AS rb WHERE rb.linked_at < ?
      AND NOT EXISTS (SELECT 1 FROM manifest_refs mr WHERE mr.child = rb.digest AND mr.kind = 'blob' AND mr.repo_id = rb.repo_id)`);
    const free = `b.linked_at < ? AND NOT EXISTS (SELECT 1 FROM repo_blobs rb WHERE rb.digest = b.digest)
      AND NOT EXISTS (SELECT 1 FROM manifest_refs mr WHERE mr.child = b.digest AND mr.kind = 'blob')`;
    this.blobCands = db.prepare(`SELECT b.digest, b.size FROM blobs b WHERE ${free} ORDER BY b.digest`);
    this.blobStillFree = db.prepare(`SELECT 1 FROM blobs b WHERE b.digest = ? AND ${free}`);
    this.blobDelete = db.prepare('DELETE FROM blobs WHERE digest = ?');
    this.contentSweep = db.prepare('DELETE FROM manifest_content WHERE digest NOT IN (SELECT digest FROM manifests)');
    this.staleUploads = db.prepare('SELECT id, repo, created_at, updated_at FROM uploads WHERE updated_at < ? ORDER BY id');
  }

  async gcOrphanedManifests(olderThan: number): Promise<GcManifestCandidate[]> {
    return (this.orphaned.all({ olderThan }) as CandidateRow[]).map(toCandidate);
  }

  async gcUntaggedManifests(olderThan: number): Promise<GcManifestCandidate[]> {
    return (this.untagged.all({ olderThan }) as CandidateRow[]).map(toCandidate);
  }

  async gcManifestCollectable(c: GcManifestCandidate, olderThan: number): Promise<boolean> {
    const stmt = c.orphanedAt !== undefined ? this.orphanedOne : this.untaggedOne;
    return stmt.get({ olderThan, repo: c.repo, digest: c.digest }) !== undefined;
  }

  async gcSweepManifestContent(): Promise<void> {
    this.contentSweep.run();
  }

  async gcDropStaleLinks(olderThan: number): Promise<void> {
    this.staleLinks.run(olderThan);
  }

  async gcStaleUploads(idleBefore: number): Promise<UploadRecord[]> {
    return (this.staleUploads.all(idleBefore) as { id: string; repo: string; created_at: number; updated_at: number }[])
      .map((u) => ({ id: u.id, repo: u.repo, createdAt: u.created_at, updatedAt: u.updated_at }));
  }

  async gcBlobCandidates(olderThan: number): Promise<{ digest: Digest; size: number }[]> {
    return this.blobCands.all(olderThan) as { digest: Digest; size: number }[];
  }

  async gcDeleteBlob(digest: Digest, olderThan: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.blobStillFree.get(digest, olderThan)) return false;
      return this.blobDelete.run(digest).changes > 0;
    })();
  }
}
