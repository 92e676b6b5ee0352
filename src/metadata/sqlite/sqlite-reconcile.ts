import type { Digest } from '../../oci/digest.js';
import type { Db } from './open.js';
import type { Statements } from './statements.js';

/**
 * Queries that reconcile blob rows with the files in blob storage (see
 * registry/gc-reconcile.ts). Each method is one transaction; the caller holds
 * the blob's per-digest lock and has just looked at the file.
 */
export class SqliteReconcile {
  private readonly inRange;
  private readonly refCount;
  private readonly refRepos;
  private readonly linksDelete;
  private readonly rowDelete;

  constructor(private readonly db: Db, private readonly q: Statements) {
    this.inRange = db.prepare('SELECT digest, size FROM blobs WHERE digest >= ? AND digest < ? ORDER BY digest');
    this.refCount = db.prepare(`SELECT COUNT(*) AS c FROM manifest_refs WHERE child = ? AND kind = 'blob'`);
    this.refRepos = db.prepare(`SELECT DISTINCT repo_id FROM manifest_refs WHERE child = ? AND kind = 'blob'`);
    this.linksDelete = db.prepare('DELETE FROM repo_blobs WHERE digest = ?');
    this.rowDelete = db.prepare('DELETE FROM blobs WHERE digest = ?');
  }

  /** Rows whose digest starts with `prefix` (`sha256:ab`); '~' sorts after every hex digit. */
  withPrefix(prefix: string): { digest: Digest; size: number }[] {
    return this.inRange.all(prefix, `${prefix}~`) as { digest: Digest; size: number }[];
  }

  referenceCount(digest: Digest): number {
    return (this.refCount.get(digest) as { c: number }).c;
  }

  relink(digest: Digest, size: number, now: number): number {
    return this.db.transaction(() => {
      const repos = (this.refRepos.all(digest) as { repo_id: number }[]).map((r) => r.repo_id);
      if (repos.length === 0) return 0;
      this.q.blobUpsert.run(digest, size, now);
      for (const id of repos) this.q.repoBlobUpsert.run(id, digest, now);
      return repos.length;
    })();
  }

  drop(digest: Digest): boolean {
    return this.db.transaction(() => {
      this.linksDelete.run(digest);
      return this.rowDelete.run(digest).changes > 0;
    })();
  }
}
