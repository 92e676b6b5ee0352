import type { Digest } from '../../oci/digest.js';
import type { GcManifestCandidate, MetadataQueries, UploadRecord } from '../store.js';
import { toUpload } from './pg-base.js';
import { PgManifests } from './pg-manifests.js';

interface CandidateRow { name: string; digest: string; size: number; orphaned_at: number | null }

const toCandidate = (r: CandidateRow): GcManifestCandidate => ({
  repo: r.name, digest: r.digest as Digest, size: r.size, ...(r.orphaned_at !== null ? { orphanedAt: r.orphaned_at } : {}),
});

const ROOTLESS = `NOT EXISTS (SELECT 1 FROM tags t WHERE t.repo_id = m.repo_id AND t.digest = m.digest)
  AND NOT EXISTS (SELECT 1 FROM manifest_refs p WHERE p.child = m.digest AND p.kind = 'manifest' AND p.repo_id = m.repo_id)`;
const ORPHANED = `m.orphaned_at IS NOT NULL AND m.orphaned_at < $1 AND ${ROOTLESS}`;
const UNTAGGED = `m.orphaned_at IS NULL AND m.created_at < $1 AND ${ROOTLESS}
  AND (m.subject IS NULL OR NOT EXISTS (SELECT 1 FROM manifests s WHERE s.repo_id = m.repo_id AND s.digest = m.subject))`;
const FREE = `b.linked_at < $2 AND NOT EXISTS (SELECT 1 FROM repo_blobs rb WHERE rb.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM manifest_refs mr WHERE mr.child = b.digest AND mr.kind = 'blob')`;

/**
 * Every query of the PostgreSQL store: the collector's and reconciliation's
 * on top of PgManifests. The collector's rules are in src/registry/gc-sweep.ts.
 */
export class PgQueries extends PgManifests implements MetadataQueries {
  async gcOrphanedManifests(olderThan: number): Promise<GcManifestCandidate[]> {
    return (await this.sql.rows<CandidateRow>(`SELECT r.name, m.digest, m.size, m.orphaned_at FROM manifests m
      JOIN repositories r ON r.id = m.repo_id
      WHERE ${ORPHANED} ORDER BY r.name, m.digest`, [olderThan])).map(toCandidate);
  }

  async gcUntaggedManifests(olderThan: number): Promise<GcManifestCandidate[]> {
    return (await this.sql.rows<CandidateRow>(`SELECT r.name, m.digest, m.size, m.orphaned_at FROM manifests m
      JOIN repositories r ON r.id = m.repo_id
      WHERE ${UNTAGGED} ORDER BY r.name, m.digest`, [olderThan])).map(toCandidate);
  }

  async gcManifestCollectable(c: GcManifestCandidate, olderThan: number): Promise<boolean> {
    return (await this.sql.rows(`SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repo_id
      WHERE r.name = $2 AND m.digest = $3 AND ${c.orphanedAt !== undefined ? ORPHANED : UNTAGGED}`, [olderThan, c.repo, c.digest])).length > 0;
  }

  async gcSweepManifestContent(): Promise<void> {
    await this.sql.atomic((s) => s.count(
      'DELETE FROM manifest_content c WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = c.digest)'));
  }

  async gcDropStaleLinks(olderThan: number): Promise<void> {
    await this.sql.atomic((s) => s.count(`DELETE FROM repo_blobs rb WHERE rb.linked_at < $1
      AND NOT EXISTS (SELECT 1 FROM manifest_refs mr WHERE mr.child = rb.digest AND mr.kind = 'blob' AND mr.repo_id = rb.repo_id)`, [olderThan]));
  }

  async gcStaleUploads(idleBefore: number): Promise<UploadRecord[]> {
    return (await this.sql.rows<Parameters<typeof toUpload>[0]>(
      'SELECT id, repo, created_at, updated_at, owner, address FROM uploads WHERE updated_at < $1 ORDER BY id', [idleBefore])).map(toUpload);
  }

  async gcBlobCandidates(olderThan: number): Promise<{ digest: Digest; size: number }[]> {
    return this.sql.rows<{ digest: Digest; size: number }>(
      `SELECT b.digest, b.size FROM blobs b WHERE ${FREE.replaceAll('$2', '$1')} ORDER BY b.digest`, [olderThan]);
  }

  async gcDeleteBlob(digest: Digest, olderThan: number): Promise<boolean> {
    return this.sql.atomic(async (s) => (await s.count(`DELETE FROM blobs b WHERE b.digest = $1 AND ${FREE}`, [digest, olderThan])) > 0);
  }

  async blobsWithPrefix(prefix: string): Promise<{ digest: Digest; size: number }[]> {
    // '~' sorts after every hex digit (COLLATE "C").
    return this.sql.rows<{ digest: Digest; size: number }>(
      'SELECT digest, size FROM blobs WHERE digest >= $1 AND digest < $2 ORDER BY digest', [prefix, `${prefix}~`]);
  }

  async blobReferenceCount(digest: Digest): Promise<number> {
    return (await this.sql.rows<{ c: number }>(`SELECT COUNT(*) AS c FROM manifest_refs WHERE child = $1 AND kind = 'blob'`, [digest]))[0]!.c;
  }

  async relinkBlob(digest: Digest, size: number, now: number): Promise<number> {
    return this.sql.atomic(async (s) => {
      const repos = (await s.rows<{ repo_id: number }>(`SELECT DISTINCT repo_id FROM manifest_refs WHERE child = $1 AND kind = 'blob'`, [digest]))
        .map((r) => r.repo_id);
      for (const id of repos) await this.upsertLink(s, id, digest, size, now);
      return repos.length;
    });
  }

  async dropBlobRow(digest: Digest): Promise<boolean> {
    return this.sql.atomic(async (s) => {
      await s.count('DELETE FROM repo_blobs WHERE digest = $1', [digest]);
      return (await s.count('DELETE FROM blobs WHERE digest = $1', [digest])) > 0;
    });
  }
}
