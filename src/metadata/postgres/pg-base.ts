import type { Digest } from '../../oci/digest.js';
import type {
  CreateUploadResult, ManifestInfo, NewUpload, Page, ReferrerDescriptor, RepositoryUsage, TagDetail, UploadQuota, UploadRecord,
} from '../store.js';
import { prepared, type Sql } from './pg-exec.js';

interface UploadRow { id: string; repo: string; created_at: number; updated_at: number; owner: string | null; address: string | null }

// The read of every blob GET/HEAD and the repository check, prepared per connection (pg-exec.ts).
const REPO_BLOB = prepared(`SELECT b.size, rb.repo_id, rb.linked_at FROM repo_blobs rb JOIN repositories r ON r.id = rb.repo_id
  JOIN blobs b ON b.digest = rb.digest WHERE r.name = $1 AND rb.digest = $2`);
const REPO_ID = prepared('SELECT id FROM repositories WHERE name = $1');

export const toUpload = (r: UploadRow): UploadRecord => ({
  id: r.id, repo: r.repo, createdAt: r.created_at, updatedAt: r.updated_at,
  ...(r.owner !== null ? { owner: r.owner } : {}),
  ...(r.address !== null ? { address: r.address } : {}),
});

/**
 * Repository, blob-link, upload, referrer and browse queries on PostgreSQL.
 * Reads are single statements; every write runs in `atomic` (SERIALIZABLE,
 * retried), so a write never interleaves with the collector's transaction.
 */
export class PgBase {
  constructor(protected readonly sql: Sql) {}

  protected async repoId(s: Sql, name: string): Promise<number | undefined> {
    return (await s.rows<{ id: number }>(REPO_ID, [name]))[0]?.id;
  }

  protected async ensureRepo(s: Sql, name: string, now: number): Promise<number> {
    const inserted = await s.rows<{ id: number }>(
      'INSERT INTO repositories (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id', [name, now]);
    if (inserted[0]) return inserted[0].id;
    const id = await this.repoId(s, name);
    if (id === undefined) throw new Error(`repository ${name} vanished while being created`);
    return id;
  }

  protected async upsertLink(s: Sql, repoId: number, digest: string, size: number, now: number): Promise<void> {
    await s.count(`INSERT INTO blobs (digest, size, linked_at) VALUES ($1, $2, $3)
      ON CONFLICT (digest) DO UPDATE SET linked_at = excluded.linked_at`, [digest, size, now]);
    await s.count(`INSERT INTO repo_blobs (repo_id, digest, linked_at) VALUES ($1, $2, $3)
      ON CONFLICT (repo_id, digest) DO UPDATE SET linked_at = excluded.linked_at`, [repoId, digest, now]);
  }

  // repositories

  async repositoryExists(repo: string): Promise<boolean> {
    return (await this.repoId(this.sql, repo)) !== undefined;
  }

  async listRepositories(page: Page): Promise<string[]> {
    return (await this.sql.rows<{ name: string }>('SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2',
      [page.last ?? '', page.n])).map((r) => r.name);
  }

  async repositoryCount(): Promise<number> {
    return (await this.sql.rows<{ c: number }>('SELECT COUNT(*) AS c FROM repositories'))[0]!.c;
  }

  async repositoriesBetween(after: string, before: string, n: number): Promise<string[]> {
    return (await this.sql.rows<{ name: string }>(
      'SELECT name FROM repositories WHERE name > $1 AND name < $2 ORDER BY name LIMIT $3', [after, before, n])).map((r) => r.name);
  }

  async repositoryUsage(repo: string): Promise<RepositoryUsage | undefined> {
    const id = await this.repoId(this.sql, repo);
    if (id === undefined) return undefined;
    const [b] = await this.sql.rows<{ c: number; s: number }>(`SELECT COUNT(*) AS c, COALESCE(SUM(b.size), 0)::bigint AS s
      FROM repo_blobs rb JOIN blobs b ON b.digest = rb.digest WHERE rb.repo_id = $1`, [id]);
    const [m] = await this.sql.rows<{ c: number; s: number }>(
      'SELECT COUNT(*) AS c, COALESCE(SUM(size), 0)::bigint AS s FROM manifests WHERE repo_id = $1', [id]);
    return { blobs: b!.c, blobBytes: b!.s, manifests: m!.c, manifestBytes: m!.s };
  }

  // blob links

  async linkBlob(repo: string, digest: Digest, size: number, now: number): Promise<void> {
    await this.sql.atomic(async (s) => this.upsertLink(s, await this.ensureRepo(s, repo, now), digest, size, now));
  }

  async repoBlobSize(repo: string, digest: Digest, renew?: { readonly now: number; readonly olderThan: number }): Promise<number | undefined> {
    const read = REPO_BLOB;
    if (renew === undefined) return (await this.sql.rows<{ size: number }>(read, [repo, digest]))[0]?.size;
    return this.sql.atomic(async (s) => {
      const r = (await s.rows<{ size: number; repo_id: number; linked_at: number }>(read, [repo, digest]))[0];
      if (r && r.linked_at < renew.olderThan) {
        await s.count('UPDATE repo_blobs SET linked_at = $1 WHERE repo_id = $2 AND digest = $3 AND linked_at < $4',
          [renew.now, r.repo_id, digest, renew.olderThan]);
      }
      return r?.size;
    });
  }

  async blobRepositories(digest: Digest, page: Page): Promise<string[]> {
    return (await this.sql.rows<{ name: string }>(`SELECT r.name FROM repo_blobs rb JOIN repositories r ON r.id = rb.repo_id
      WHERE rb.digest = $1 AND r.name > $2 ORDER BY r.name LIMIT $3`, [digest, page.last ?? '', page.n])).map((r) => r.name);
  }

  async blobSize(digest: Digest): Promise<number | undefined> {
    return (await this.sql.rows<{ size: number }>('SELECT size FROM blobs WHERE digest = $1', [digest]))[0]?.size;
  }

  async unlinkBlob(repo: string, digest: Digest): Promise<boolean> {
    return this.sql.atomic(async (s) => {
      const id = await this.repoId(s, repo);
      if (id === undefined) return false;
      return (await s.count('DELETE FROM repo_blobs WHERE repo_id = $1 AND digest = $2', [id, digest])) > 0;
    });
  }

  async blobStats(): Promise<{ count: number; bytes: number }> {
    const [r] = await this.sql.rows<{ c: number; b: number }>('SELECT COUNT(*) AS c, COALESCE(SUM(size), 0)::bigint AS b FROM blobs');
    return { count: r!.c, bytes: r!.b };
  }

  async linkedBlobBytes(): Promise<number> {
    return (await this.sql.rows<{ s: number }>(
      'SELECT COALESCE(SUM(b.size), 0)::bigint AS s FROM repo_blobs rb JOIN blobs b ON b.digest = rb.digest'))[0]!.s;
  }

  // uploads

  async createUpload(u: NewUpload, quota?: UploadQuota): Promise<CreateUploadResult> {
    return this.sql.atomic(async (s): Promise<CreateUploadResult> => {
      const open = async (col: 'owner' | 'address', key: string, max: number) => (await s.rows<{ c: number }>(
        `SELECT COUNT(*) AS c FROM (SELECT 1 FROM uploads WHERE ${col} = $1 AND updated_at >= $2 LIMIT $3) x`,
        [key, quota!.activeSince, max]))[0]!.c;
      if (quota && u.owner !== undefined) {
        const n = await open('owner', u.owner, quota.perOwner);
        if (n >= quota.perOwner) return { ok: false, limit: 'owner', open: n };
      }
      if (quota && u.address !== undefined) {
        const n = await open('address', u.address, quota.perAddress);
        if (n >= quota.perAddress) return { ok: false, limit: 'address', open: n };
      }
      await s.count('INSERT INTO uploads (id, repo, created_at, updated_at, owner, address) VALUES ($1, $2, $3, $3, $4, $5)',
        [u.id, u.repo, u.now, u.owner ?? null, u.address ?? null]);
      return { ok: true };
    });
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const r = (await this.sql.rows<UploadRow>('SELECT id, repo, created_at, updated_at, owner, address FROM uploads WHERE id = $1', [id]))[0];
    return r && toUpload(r);
  }

  async touchUpload(id: string, now: number): Promise<void> {
    await this.sql.atomic((s) => s.count('UPDATE uploads SET updated_at = $1 WHERE id = $2', [now, id]));
  }

  async deleteUpload(id: string): Promise<void> {
    await this.sql.atomic((s) => s.count('DELETE FROM uploads WHERE id = $1', [id]));
  }

  // referrers and browse

  async referrers(repo: string, subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]> {
    const rows = await this.sql.rows<{ digest: string; media_type: string; size: number; artifact_type: string | null; annotations: string | null }>(
      `SELECT m.digest, m.media_type, m.size, m.artifact_type, m.annotations FROM manifests m
      JOIN repositories r ON r.id = m.repo_id WHERE r.name = $1 AND m.subject = $2 ORDER BY m.digest`, [repo, subject]);
    return rows
      .filter((r) => artifactType === undefined || r.artifact_type === artifactType)
      .map((r) => ({
        mediaType: r.media_type, digest: r.digest as Digest, size: r.size,
        ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
        ...(r.annotations ? { annotations: JSON.parse(r.annotations) as Record<string, string> } : {}),
      }));
  }

  async listTagDetails(repo: string, page: Page): Promise<TagDetail[] | undefined> {
    const id = await this.repoId(this.sql, repo);
    if (id === undefined) return undefined;
    const rows = await this.sql.rows<{ name: string; digest: string; updated_at: number; media_type: string; size: number; artifact_type: string | null; created_at: number }>(
      `SELECT t.name, t.digest, t.updated_at, m.media_type, m.size, m.artifact_type, m.created_at
      FROM tags t JOIN manifests m ON m.repo_id = t.repo_id AND m.digest = t.digest
      WHERE t.repo_id = $1 AND t.name > $2 ORDER BY t.name LIMIT $3`, [id, page.last ?? '', page.n]);
    return rows.map((r) => ({
      tag: r.name, digest: r.digest as Digest, mediaType: r.media_type, size: r.size,
      ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
      taggedAt: r.updated_at, pushedAt: r.created_at,
    }));
  }

  async manifestInfo(repo: string, digest: Digest): Promise<ManifestInfo | undefined> {
    const id = await this.repoId(this.sql, repo);
    if (id === undefined) return undefined;
    const r = (await this.sql.rows<{ digest: string; media_type: string; size: number; artifact_type: string | null; subject: string | null; annotations: string | null; created_at: number }>(
      `SELECT digest, media_type, size, artifact_type, subject, annotations, created_at
      FROM manifests WHERE repo_id = $1 AND digest = $2`, [id, digest]))[0];
    if (!r) return undefined;
    const tags = await this.sql.rows<{ name: string }>('SELECT name FROM tags WHERE repo_id = $1 AND digest = $2 ORDER BY name LIMIT 1000', [id, digest]);
    return {
      digest: r.digest as Digest, mediaType: r.media_type, size: r.size,
      ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
      ...(r.subject ? { subject: r.subject as Digest } : {}),
      ...(r.annotations ? { annotations: JSON.parse(r.annotations) as Record<string, string> } : {}),
      pushedAt: r.created_at,
      tags: tags.map((t) => t.name),
    };
  }
}
