import type { Digest } from '../../oci/digest.js';
import type { ManifestRecord, NewManifest, Page, PutManifestResult, SizedRef, SizeMismatch } from '../store.js';
import { PgBase } from './pg-base.js';
import { prepared, type Sql } from './pg-exec.js';

interface ManifestRow { digest: string; media_type: string; size: number; content: Buffer }

// The two reads of every manifest GET/HEAD, prepared per connection (pg-exec.ts).
const BY_DIGEST = prepared(`SELECT m.digest, m.media_type, m.size, c.content FROM manifests m
  JOIN repositories r ON r.id = m.repo_id JOIN manifest_content c ON c.digest = m.digest
  WHERE r.name = $1 AND m.digest = $2`);
const BY_TAG = prepared(`SELECT m.digest, m.media_type, m.size, c.content FROM tags t
  JOIN repositories r ON r.id = t.repo_id
  JOIN manifests m ON m.repo_id = t.repo_id AND m.digest = t.digest
  JOIN manifest_content c ON c.digest = m.digest
  WHERE r.name = $1 AND t.name = $2`);

const toRecord = (r: ManifestRow | undefined): ManifestRecord | undefined =>
  r && { digest: r.digest as Digest, mediaType: r.media_type, size: r.size, content: r.content };

/** Manifest and tag queries on PostgreSQL (writes SERIALIZABLE, see PgBase). */
export class PgManifests extends PgBase {
  async putManifest(m: NewManifest): Promise<PutManifestResult> {
    return this.sql.atomic(async (s): Promise<PutManifestResult> => {
      const existingId = await this.repoId(s, m.repo);
      const missingBlobs = new Set<Digest>();
      const missingManifests = new Set<Digest>();
      const wrongSizes: SizeMismatch[] = [];
      const check = async (refs: readonly SizedRef[], query: string, missing: Set<Digest> | undefined) => {
        if (refs.length === 0) return;
        const stored = new Map<string, number>();
        if (existingId !== undefined) {
          for (const r of await s.rows<{ digest: string; size: number }>(query, [existingId, [...new Set(refs.map((r) => r.digest))]])) {
            stored.set(r.digest, r.size);
          }
        }
        for (const r of refs) {
          const size = stored.get(r.digest);
          if (size === undefined) missing?.add(r.digest);
          else if (size !== r.size) wrongSizes.push({ digest: r.digest, declared: r.size, stored: size });
        }
      };
      await check(m.blobRefs, `SELECT rb.digest, b.size FROM repo_blobs rb JOIN blobs b ON b.digest = rb.digest
        WHERE rb.repo_id = $1 AND rb.digest = ANY($2::text[])`, m.allowAbsent ? undefined : missingBlobs);
      await check(m.manifestRefs, 'SELECT digest, size FROM manifests WHERE repo_id = $1 AND digest = ANY($2::text[])',
        m.allowAbsent ? undefined : missingManifests);
      if (missingBlobs.size > 0 || missingManifests.size > 0 || wrongSizes.length > 0) {
        return { ok: false, missingBlobs: [...missingBlobs], missingManifests: [...missingManifests], wrongSizes };
      }
      const id = await this.ensureRepo(s, m.repo, m.now);
      await s.count('INSERT INTO manifest_content (digest, content) VALUES ($1, $2) ON CONFLICT DO NOTHING', [m.digest, m.content]);
      const inserted = (await s.count(`INSERT INTO manifests
        (repo_id, digest, media_type, size, artifact_type, subject, annotations, created_at, orphaned_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL) ON CONFLICT DO NOTHING`, [
        id, m.digest, m.mediaType, m.content.length, m.artifactType ?? null, m.subject ?? null,
        m.annotations ? JSON.stringify(m.annotations) : null, m.now,
      ])) > 0;
      if (inserted) {
        const insertRefs = (digests: string[], kind: 'blob' | 'manifest') => digests.length === 0 ? Promise.resolve(0) : s.count(
          `INSERT INTO manifest_refs (repo_id, parent, child, kind) SELECT $1, $2, c, $3 FROM unnest($4::text[]) AS c ON CONFLICT DO NOTHING`,
          [id, m.digest, kind, digests]);
        await insertRefs([...new Set(m.blobRefs.map((r) => r.digest))], 'blob');
        const children = [...new Set(m.manifestRefs.map((r) => r.digest))];
        await insertRefs(children, 'manifest');
        if (children.length > 0) {
          await s.count('UPDATE manifests SET orphaned_at = NULL WHERE repo_id = $1 AND digest = ANY($2::text[]) AND orphaned_at IS NOT NULL', [id, children]);
        }
      }
      await s.count('UPDATE manifests SET orphaned_at = NULL WHERE repo_id = $1 AND digest = $2 AND orphaned_at IS NOT NULL', [id, m.digest]);
      for (const tag of m.tags) {
        const prev = (await s.rows<{ digest: string }>('SELECT digest FROM tags WHERE repo_id = $1 AND name = $2', [id, tag]))[0];
        await s.count(`INSERT INTO tags (repo_id, name, digest, updated_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT (repo_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`, [id, tag, m.digest, m.now]);
        if (prev && prev.digest !== m.digest) await this.orphanIfRootless(s, id, prev.digest, m.now);
      }
      return { ok: true };
    });
  }

  /** Marks a manifest orphaned when nothing (tag or parent) holds it any more. */
  protected async orphanIfRootless(s: Sql, repoId: number, digest: string, at: number): Promise<void> {
    await s.count(`UPDATE manifests m SET orphaned_at = $1 WHERE m.repo_id = $2 AND m.digest = $3
      AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repo_id = m.repo_id AND t.digest = m.digest)
      AND NOT EXISTS (SELECT 1 FROM manifest_refs p WHERE p.child = m.digest AND p.kind = 'manifest' AND p.repo_id = m.repo_id)`,
    [at, repoId, digest]);
  }

  /** Deletes one manifest row with its tags and refs; orphans children that lose their last root at `orphanAt`. */
  protected async removeManifest(s: Sql, repoId: number, digest: string, orphanAt: number): Promise<boolean> {
    const children = (await s.rows<{ child: string }>(
      `SELECT child FROM manifest_refs WHERE repo_id = $1 AND parent = $2 AND kind = 'manifest'`, [repoId, digest])).map((r) => r.child);
    if ((await s.count('DELETE FROM manifests WHERE repo_id = $1 AND digest = $2', [repoId, digest])) === 0) return false;
    await s.count('DELETE FROM tags WHERE repo_id = $1 AND digest = $2', [repoId, digest]);
    await s.count('DELETE FROM manifest_refs WHERE repo_id = $1 AND parent = $2', [repoId, digest]);
    for (const c of children) await this.orphanIfRootless(s, repoId, c, orphanAt);
    return true;
  }

  async getManifestByDigest(repo: string, digest: Digest): Promise<ManifestRecord | undefined> {
    return toRecord((await this.sql.rows<ManifestRow>(BY_DIGEST, [repo, digest]))[0]);
  }

  async getManifestByTag(repo: string, tag: string): Promise<ManifestRecord | undefined> {
    return toRecord((await this.sql.rows<ManifestRow>(BY_TAG, [repo, tag]))[0]);
  }

  async deleteManifest(repo: string, digest: Digest, now: number): Promise<boolean> {
    return this.sql.atomic(async (s) => {
      const id = await this.repoId(s, repo);
      return id !== undefined && this.removeManifest(s, id, digest, now);
    });
  }

  async deleteTag(repo: string, tag: string, now: number): Promise<boolean> {
    return this.sql.atomic(async (s) => {
      const id = await this.repoId(s, repo);
      if (id === undefined) return false;
      const prev = (await s.rows<{ digest: string }>('DELETE FROM tags WHERE repo_id = $1 AND name = $2 RETURNING digest', [id, tag]))[0];
      if (!prev) return false;
      await this.orphanIfRootless(s, id, prev.digest, now);
      return true;
    });
  }

  async listTags(repo: string, page: Page): Promise<string[] | undefined> {
    const id = await this.repoId(this.sql, repo);
    if (id === undefined) return undefined;
    return (await this.sql.rows<{ name: string }>('SELECT name FROM tags WHERE repo_id = $1 AND name > $2 ORDER BY name LIMIT $3',
      [id, page.last ?? '', page.n])).map((r) => r.name);
  }
}
