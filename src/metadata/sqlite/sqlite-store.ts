import type { Digest } from '../../oci/digest.js';
import type { Statement } from 'better-sqlite3';
import type {
  CreateUploadResult, GcManifestCandidate, ManifestInfo, ManifestRecord, MetadataQueries, NewManifest, NewUpload, Page,
  PutManifestResult, ReferrerDescriptor, RepositoryUsage, SizedRef, SizeMismatch, TagDetail, UploadQuota, UploadRecord,
} from '../store.js';
import { SqliteBrowse } from './sqlite-browse.js';
import { SqliteGc } from './sqlite-gc.js';
import { SqliteReconcile } from './sqlite-reconcile.js';
import type { Db } from './open.js';
import { prepareStatements, type Statements } from './statements.js';

interface ManifestRow { digest: string; media_type: string; size: number; content: Buffer }

/**
 * Every query of the SQLite store (better-sqlite3). better-sqlite3 is
 * synchronous and each method body runs inside one transaction (a savepoint
 * inside an open one), so every method is atomic and never interleaves with
 * another on this process; WAL mode lets readers in other connections
 * proceed. SqliteMetadataStore (sqlite-metadata-store.ts) adds transactions.
 */
export class SqliteQueries implements MetadataQueries {
  private readonly q: Statements;
  private readonly gc: SqliteGc;
  private readonly reconcile: SqliteReconcile;
  private readonly browse: SqliteBrowse;

  constructor(readonly db: Db) {
    this.q = prepareStatements(this.db);
    this.gc = new SqliteGc(this.db);
    this.reconcile = new SqliteReconcile(this.db, this.q);
    this.browse = new SqliteBrowse(this.db);
  }

  private repoId(name: string): number | undefined {
    return (this.q.repoId.get(name) as { id: number } | undefined)?.id;
  }

  private ensureRepo(name: string, now: number): number {
    const id = this.repoId(name);
    if (id !== undefined) return id;
    return Number(this.q.repoInsert.run(name, now).lastInsertRowid);
  }

  async repositoryExists(repo: string): Promise<boolean> {
    return this.repoId(repo) !== undefined;
  }

  async listRepositories(page: Page): Promise<string[]> {
    return (this.q.repoList.all(page.last ?? '', page.n) as { name: string }[]).map((r) => r.name);
  }

  async repositoryCount(): Promise<number> {
    return (this.q.repoCount.get() as { c: number }).c;
  }

  async repositoriesBetween(after: string, before: string, n: number): Promise<string[]> {
    return this.browse.repositoriesBetween(after, before, n);
  }

  async listTagDetails(repo: string, page: Page): Promise<TagDetail[] | undefined> {
    return this.browse.tags(repo, page);
  }

  async manifestInfo(repo: string, digest: Digest): Promise<ManifestInfo | undefined> {
    return this.browse.manifest(repo, digest);
  }

  async repositoryUsage(repo: string): Promise<RepositoryUsage | undefined> {
    return this.browse.usage(repo);
  }

  async linkedBlobBytes(): Promise<number> {
    return this.browse.linkedBytes();
  }

  async linkBlob(repo: string, digest: Digest, size: number, now: number): Promise<void> {
    this.db.transaction(() => {
      const id = this.ensureRepo(repo, now);
      this.q.blobUpsert.run(digest, size, now);
      this.q.repoBlobUpsert.run(id, digest, now);
    })();
  }

  async repoBlobSize(repo: string, digest: Digest, renew?: { readonly now: number; readonly olderThan: number }): Promise<number | undefined> {
    if (renew === undefined) return (this.q.repoBlobSize.get(repo, digest) as { size: number } | undefined)?.size;
    // Read and renew in one synchronous step: the collector (same connection) cannot run in between.
    const r = this.q.repoBlobStat.get(repo, digest) as { size: number; repo_id: number; linked_at: number } | undefined;
    if (r && r.linked_at < renew.olderThan) this.q.repoBlobTouch.run(renew.now, r.repo_id, digest, renew.olderThan);
    return r?.size;
  }

  async blobRepositories(digest: Digest, page: Page): Promise<string[]> {
    return (this.q.blobRepos.all(digest, page.last ?? '', page.n) as { name: string }[]).map((r) => r.name);
  }

  async blobSize(digest: Digest): Promise<number | undefined> {
    return (this.q.blobSize.get(digest) as { size: number } | undefined)?.size;
  }

  async unlinkBlob(repo: string, digest: Digest): Promise<boolean> {
    const id = this.repoId(repo);
    if (id === undefined) return false;
    return this.q.repoBlobDelete.run(id, digest).changes > 0;
  }

  async blobStats(): Promise<{ count: number; bytes: number }> {
    const r = this.q.blobStats.get() as { c: number; b: number | null };
    return { count: r.c, bytes: r.b ?? 0 };
  }

  async putManifest(m: NewManifest): Promise<PutManifestResult> {
    return this.db.transaction((): PutManifestResult => {
      const existingId = this.repoId(m.repo);
      const sizeOf = (q: Statement, d: Digest) =>
        existingId === undefined ? undefined : (q.get(existingId, d) as { size: number } | undefined)?.size;
      const missingBlobs = new Set<Digest>();
      const missingManifests = new Set<Digest>();
      const wrongSizes: SizeMismatch[] = [];
      const check = (refs: readonly SizedRef[], q: Statement, missing: Set<Digest> | undefined) => {
        for (const r of refs) {
          const stored = sizeOf(q, r.digest);
          if (stored === undefined) missing?.add(r.digest);
          else if (stored !== r.size) wrongSizes.push({ digest: r.digest, declared: r.size, stored });
        }
      };
      check(m.blobRefs, this.q.repoBlobSizeById, m.allowAbsent ? undefined : missingBlobs);
      check(m.manifestRefs, this.q.manifestSize, m.allowAbsent ? undefined : missingManifests);
      if (missingBlobs.size > 0 || missingManifests.size > 0 || wrongSizes.length > 0) {
        return { ok: false, missingBlobs: [...missingBlobs], missingManifests: [...missingManifests], wrongSizes };
      }
      const id = this.ensureRepo(m.repo, m.now);
      this.q.contentInsert.run(m.digest, m.content);
      const inserted = this.q.manifestInsert.run(
        id, m.digest, m.mediaType, m.content.length, m.artifactType ?? null, m.subject ?? null,
        m.annotations ? JSON.stringify(m.annotations) : null, m.now,
      ).changes > 0;
      if (inserted) {
        for (const d of new Set(m.blobRefs.map((r) => r.digest))) this.q.refInsert.run(id, m.digest, d, 'blob');
        for (const d of new Set(m.manifestRefs.map((r) => r.digest))) {
          this.q.refInsert.run(id, m.digest, d, 'manifest');
          this.q.manifestAdopt.run(id, d);
        }
      }
      this.q.manifestAdopt.run(id, m.digest);
      for (const tag of m.tags) {
        const prev = this.q.tagGet.get(id, tag) as { digest: string } | undefined;
        this.q.tagUpsert.run(id, tag, m.digest, m.now);
        if (prev && prev.digest !== m.digest) this.orphanIfRootless(id, prev.digest, m.now);
      }
      return { ok: true };
    })();
  }

  /** Marks a manifest orphaned when nothing (tag or parent) holds it any more. */
  private orphanIfRootless(repoId: number, digest: string, at: number): void {
    if (this.q.tagCountFor.get(repoId, digest)) return;
    if (this.q.parentExists.get(digest, repoId)) return;
    this.q.manifestOrphan.run(at, repoId, digest);
  }

  async getManifestByDigest(repo: string, digest: Digest): Promise<ManifestRecord | undefined> {
    return toRecord(this.q.manifestByDigest.get(repo, digest) as ManifestRow | undefined);
  }

  async getManifestByTag(repo: string, tag: string): Promise<ManifestRecord | undefined> {
    return toRecord(this.q.manifestByTag.get(repo, tag) as ManifestRow | undefined);
  }

  async deleteManifest(repo: string, digest: Digest, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      const id = this.repoId(repo);
      if (id === undefined) return false;
      return this.removeManifest(id, digest, now);
    })();
  }

  /** Deletes one manifest row with its tags and refs; orphans children that lose their last root at `orphanAt`. */
  private removeManifest(repoId: number, digest: string, orphanAt: number): boolean {
    const children = (this.q.childManifests.all(repoId, digest) as { child: string }[]).map((r) => r.child);
    const deleted = this.q.manifestDelete.run(repoId, digest).changes > 0;
    if (!deleted) return false;
    this.q.tagsDeleteFor.run(repoId, digest);
    this.q.refsDeleteFor.run(repoId, digest);
    for (const c of children) this.orphanIfRootless(repoId, c, orphanAt);
    return true;
  }

  async deleteTag(repo: string, tag: string, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      const id = this.repoId(repo);
      if (id === undefined) return false;
      const prev = this.q.tagGet.get(id, tag) as { digest: string } | undefined;
      if (!prev) return false;
      this.q.tagDelete.run(id, tag);
      this.orphanIfRootless(id, prev.digest, now);
      return true;
    })();
  }

  async listTags(repo: string, page: Page): Promise<string[] | undefined> {
    const id = this.repoId(repo);
    if (id === undefined) return undefined;
    return (this.q.tagList.all(id, page.last ?? '', page.n) as { name: string }[]).map((r) => r.name);
  }

  async referrers(repo: string, subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]> {
    const rows = this.q.referrers.all(repo, subject) as {
      digest: string; media_type: string; size: number; artifact_type: string | null; annotations: string | null;
    }[];
    return rows
      .filter((r) => artifactType === undefined || r.artifact_type === artifactType)
      .map((r) => ({
        mediaType: r.media_type,
        digest: r.digest as Digest,
        size: r.size,
        ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
        ...(r.annotations ? { annotations: JSON.parse(r.annotations) as Record<string, string> } : {}),
      }));
  }

  async createUpload(u: NewUpload, quota?: UploadQuota): Promise<CreateUploadResult> {
    const count = (q: typeof this.q.uploadsOfOwner, key: string, max: number): number =>
      (q.get(key, quota!.activeSince, max) as { c: number }).c;
    return this.db
      .transaction((): CreateUploadResult => {
        if (quota && u.owner !== undefined) {
          const open = count(this.q.uploadsOfOwner, u.owner, quota.perOwner);
          if (open >= quota.perOwner) return { ok: false, limit: 'owner', open };
        }
        if (quota && u.address !== undefined) {
          const open = count(this.q.uploadsOfAddress, u.address, quota.perAddress);
          if (open >= quota.perAddress) return { ok: false, limit: 'address', open };
        }
        this.q.uploadInsert.run(u.id, u.repo, u.now, u.now, u.owner ?? null, u.address ?? null);
        return { ok: true };
      })
      .immediate();
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const r = this.q.uploadGet.get(id) as
      | { id: string; repo: string; created_at: number; updated_at: number; owner: string | null; address: string | null }
      | undefined;
    return r && {
      id: r.id, repo: r.repo, createdAt: r.created_at, updatedAt: r.updated_at,
      ...(r.owner !== null ? { owner: r.owner } : {}),
      ...(r.address !== null ? { address: r.address } : {}),
    };
  }

  async touchUpload(id: string, now: number): Promise<void> {
    this.q.uploadTouch.run(now, id);
  }

  async deleteUpload(id: string): Promise<void> {
    this.q.uploadDelete.run(id);
  }

  gcOrphanedManifests(olderThan: number): Promise<GcManifestCandidate[]> {
    return this.gc.gcOrphanedManifests(olderThan);
  }

  gcUntaggedManifests(olderThan: number): Promise<GcManifestCandidate[]> {
    return this.gc.gcUntaggedManifests(olderThan);
  }

  gcManifestCollectable(c: GcManifestCandidate, olderThan: number): Promise<boolean> {
    return this.gc.gcManifestCollectable(c, olderThan);
  }

  gcSweepManifestContent(): Promise<void> {
    return this.gc.gcSweepManifestContent();
  }

  gcDropStaleLinks(olderThan: number): Promise<void> {
    return this.gc.gcDropStaleLinks(olderThan);
  }

  gcStaleUploads(idleBefore: number): Promise<UploadRecord[]> {
    return this.gc.gcStaleUploads(idleBefore);
  }

  gcBlobCandidates(olderThan: number): Promise<{ digest: Digest; size: number }[]> {
    return this.gc.gcBlobCandidates(olderThan);
  }

  gcDeleteBlob(digest: Digest, olderThan: number): Promise<boolean> {
    return this.gc.gcDeleteBlob(digest, olderThan);
  }

  async blobsWithPrefix(prefix: string): Promise<{ digest: Digest; size: number }[]> {
    return this.reconcile.withPrefix(prefix);
  }

  async blobReferenceCount(digest: Digest): Promise<number> {
    return this.reconcile.referenceCount(digest);
  }

  async relinkBlob(digest: Digest, size: number, now: number): Promise<number> {
    return this.reconcile.relink(digest, size, now);
  }

  async dropBlobRow(digest: Digest): Promise<boolean> {
    return this.reconcile.drop(digest);
  }

}

function toRecord(r: ManifestRow | undefined): ManifestRecord | undefined {
  return r && { digest: r.digest as Digest, mediaType: r.media_type, size: r.size, content: r.content };
}
