import type { Digest } from '../../oci/digest.js';
import type { ManifestInfo, Page, RepositoryUsage, TagDetail } from '../store.js';
import type { Db } from './open.js';

interface TagRow { name: string; digest: string; updated_at: number; media_type: string; size: number; artifact_type: string | null; created_at: number }
interface InfoRow { digest: string; media_type: string; size: number; artifact_type: string | null; subject: string | null; annotations: string | null; created_at: number }

/**
 * Read-only queries behind the JSON API. Each is served from an index:
 * repositories(name), tags(repo_id, name), manifests(repo_id, digest),
 * tags_digest(repo_id, digest), repo_blobs(repo_id, digest); only
 * `linkedBytes` reads every link.
 */
export class SqliteBrowse {
  private readonly between;
  private readonly repoId;
  private readonly tagDetails;
  private readonly info;
  private readonly tagsOf;
  private readonly blobUsage;
  private readonly manifestUsage;
  private readonly linked;

  constructor(db: Db) {
    this.between = db.prepare('SELECT name FROM repositories WHERE name > ? AND name < ? ORDER BY name LIMIT ?');
    this.repoId = db.prepare('SELECT id FROM repositories WHERE name = ?');
    this.tagDetails = db.prepare(`SELECT t.name, t.digest, t.updated_at, m.media_type, m.size, m.artifact_type, m.created_at
      FROM tags t JOIN manifests m ON m.repo_id = t.repo_id AND m.digest = t.digest
      WHERE t.repo_id = ? AND t.name > ? ORDER BY t.name LIMIT ?`);
    this.info = db.prepare(`SELECT digest, media_type, size, artifact_type, subject, annotations, created_at
      FROM manifests WHERE repo_id = ? AND digest = ?`);
    this.tagsOf = db.prepare('SELECT name FROM tags WHERE repo_id = ? AND digest = ? ORDER BY name LIMIT 1000');
    this.blobUsage = db.prepare(`SELECT COUNT(*) AS c, COALESCE(SUM(b.size), 0) AS s FROM repo_blobs rb
      JOIN blobs b ON b.digest = rb.digest WHERE rb.repo_id = ?`);
    this.manifestUsage = db.prepare('SELECT COUNT(*) AS c, COALESCE(SUM(size), 0) AS s FROM manifests WHERE repo_id = ?');
    this.linked = db.prepare('SELECT COALESCE(SUM(b.size), 0) AS s FROM repo_blobs rb JOIN blobs b ON b.digest = rb.digest');
  }

  private id(repo: string): number | undefined {
    return (this.repoId.get(repo) as { id: number } | undefined)?.id;
  }

  repositoriesBetween(after: string, before: string, n: number): string[] {
    return (this.between.all(after, before, n) as { name: string }[]).map((r) => r.name);
  }

  tags(repo: string, page: Page): TagDetail[] | undefined {
    const id = this.id(repo);
    if (id === undefined) return undefined;
    return (this.tagDetails.all(id, page.last ?? '', page.n) as TagRow[]).map((r) => ({
      tag: r.name,
      digest: r.digest as Digest,
      mediaType: r.media_type,
      size: r.size,
      ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
      taggedAt: r.updated_at,
      pushedAt: r.created_at,
    }));
  }

  manifest(repo: string, digest: Digest): ManifestInfo | undefined {
    const id = this.id(repo);
    if (id === undefined) return undefined;
    const r = this.info.get(id, digest) as InfoRow | undefined;
    if (!r) return undefined;
    return {
      digest: r.digest as Digest,
      mediaType: r.media_type,
      size: r.size,
      ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
      ...(r.subject ? { subject: r.subject as Digest } : {}),
      ...(r.annotations ? { annotations: JSON.parse(r.annotations) as Record<string, string> } : {}),
      pushedAt: r.created_at,
      tags: (this.tagsOf.all(id, digest) as { name: string }[]).map((t) => t.name),
    };
  }

  usage(repo: string): RepositoryUsage | undefined {
    const id = this.id(repo);
    if (id === undefined) return undefined;
    const b = this.blobUsage.get(id) as { c: number; s: number };
    const m = this.manifestUsage.get(id) as { c: number; s: number };
    return { blobs: b.c, blobBytes: b.s, manifests: m.c, manifestBytes: m.s };
  }

  linkedBytes(): number {
    return (this.linked.get() as { s: number }).s;
  }
}
