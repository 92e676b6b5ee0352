import type { Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { KeyedLock } from '../util/keyed-mutex.js';
import type { RunLogQueries } from './run-log.js';

/**
 * Everything that is not blob bytes: repositories, blob links, manifests
 * (their bytes included: they are small and served on the hot path), tags,
 * manifest→blob and manifest→child references, referrers, upload sessions.
 *
 * The store is split into role interfaces (below); `MetadataStore` is all of
 * them plus `transaction()`, `blobLocks`, the run log (`runLog`, history for
 * the console) and `close()`.
 *
 * Contract for every implementation (SQLite, PostgreSQL), proved by
 * test/metadata/conformance.ts:
 * - each method is atomic: it either fully happens or not at all;
 * - the store holds queries only; policy (what GC collects, in which order)
 *   lives in src/registry/;
 * - all coordination between writers is in the store (its transactions and
 *   `blobLocks`), never in one process's memory, so N processes may share it;
 * - `putManifest` checks references (presence and size) and writes rows in
 *   the same transaction, so it cannot race with the garbage collector;
 * - list methods return names in byte order (ORDER BY name) and are served
 *   from indexes, never from a scan of blob storage.
 */

/**
 * The metadata store cannot be reached (connection refused or lost, server
 * shutting down). The registry answers 503 UNAVAILABLE: a retry may succeed.
 */
export class MetadataUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`the metadata store is unavailable: ${reason}`);
    this.name = 'MetadataUnavailableError';
  }
}

export interface Page {
  /** Maximum number of entries. */
  readonly n: number;
  /** Exclusive lower bound. */
  readonly last?: string;
}

export interface ManifestRecord {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly content: Buffer;
}

/** A descriptor's digest and declared size. */
export interface SizedRef {
  readonly digest: Digest;
  readonly size: number;
}

/** A descriptor whose declared size differs from the stored content's. */
export interface SizeMismatch {
  readonly digest: Digest;
  readonly declared: number;
  readonly stored: number;
}

export interface NewManifest {
  readonly repo: string;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly content: Buffer;
  readonly artifactType?: string;
  readonly subject?: Digest;
  readonly annotations?: Record<string, string>;
  /**
   * Config and layer descriptors: must be linked to the repository (unless
   * allowAbsent), and a present one's stored size must equal the declared size.
   */
  readonly blobRefs: readonly SizedRef[];
  /**
   * Child manifests (index entries): must exist in the repository unless
   * allowAbsent, and a present child's stored length must equal the size.
   */
  readonly manifestRefs: readonly SizedRef[];
  /**
   * A sparse repository: absent blobs and children are accepted. Every
   * reference, absent ones included, is still recorded, so content pushed
   * later is held by the manifest.
   */
  readonly allowAbsent: boolean;
  /** Tags to point at the manifest, all in the same transaction. */
  readonly tags: readonly string[];
  readonly now: number;
}

export type PutManifestResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly missingBlobs: Digest[];
      readonly missingManifests: Digest[];
      /** Present blobs or children whose size differs from the descriptor's. */
      readonly wrongSizes: SizeMismatch[];
    };

/** A referrers-API entry: the one Descriptor (oci/descriptor.ts), with the fields the store records. */
export type ReferrerDescriptor = Pick<Descriptor, 'mediaType' | 'digest' | 'size' | 'artifactType' | 'annotations'>;

export interface UploadRecord {
  readonly id: string;
  readonly repo: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Account that opened the session (absent without authentication). */
  readonly owner?: string;
  /** Client address that opened it. */
  readonly address?: string;
}

export interface NewUpload {
  readonly id: string;
  readonly repo: string;
  readonly now: number;
  readonly owner?: string;
  readonly address?: string;
}

/** Caps on open upload sessions, checked atomically with the insert. */
export interface UploadQuota {
  /** Sessions one owner may hold open. */
  readonly perOwner: number;
  /** Sessions one address may hold open. */
  readonly perAddress: number;
  /** Sessions last touched before this (epoch ms) are expired and do not count. */
  readonly activeSince: number;
}

export type CreateUploadResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly limit: 'owner' | 'address'; readonly open: number };

/** A manifest the collector may remove: no tag, no parent index. */
export interface GcManifestCandidate {
  readonly repo: string;
  readonly digest: Digest;
  readonly size: number;
  /** When it lost its last root (epoch ms); undefined for one never tagged. */
  readonly orphanedAt?: number;
}

/** A tag with the manifest it points at (JSON API listings). */
export interface TagDetail {
  readonly tag: string;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string;
  /** When the tag was last set (epoch ms). */
  readonly taggedAt: number;
  /** When the manifest was first stored in the repository (epoch ms). */
  readonly pushedAt: number;
}

/** A manifest's stored facts, without its bytes. */
export interface ManifestInfo {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly subject?: Digest;
  readonly annotations?: Record<string, string>;
  readonly pushedAt: number;
  /** Tags pointing at it, in name order (at most 1000). */
  readonly tags: string[];
}

/** What one repository holds: blobs linked to it and its manifests (a blob shared with another repository counts in both). */
export interface RepositoryUsage {
  readonly blobs: number;
  readonly blobBytes: number;
  readonly manifests: number;
  readonly manifestBytes: number;
}

export interface RepositoryQueries {
  repositoryExists(repo: string): Promise<boolean>;
  listRepositories(page: Page): Promise<string[]>;
  repositoryCount(): Promise<number>;
  /** Names strictly between `after` and `before` in byte order, at most `n`: one index range scan (prefix search, tree walks). */
  repositoriesBetween(after: string, before: string, n: number): Promise<string[]>;
  /** undefined when the repository does not exist; reads only that repository's rows. */
  repositoryUsage(repo: string): Promise<RepositoryUsage | undefined>;
}

export interface ManifestQueries {
  /**
   * Checks references (presence and size) and writes the manifest, its
   * references and its tags in one transaction: it cannot race the collector.
   * A tag moved away from a manifest orphans it when nothing else holds it.
   */
  putManifest(m: NewManifest): Promise<PutManifestResult>;
  getManifestByDigest(repo: string, digest: Digest): Promise<ManifestRecord | undefined>;
  getManifestByTag(repo: string, tag: string): Promise<ManifestRecord | undefined>;
  /** Deletes a manifest and every tag pointing at it. Children losing their last parent become orphans at `now`. */
  deleteManifest(repo: string, digest: Digest, now: number): Promise<boolean>;
  /** Deletes one tag. A manifest losing its last tag becomes an orphan. */
  deleteTag(repo: string, tag: string, now: number): Promise<boolean>;
  /** Tag names after `page.last` in byte order; undefined when the repository does not exist. */
  listTags(repo: string, page: Page): Promise<string[] | undefined>;
  /** Tags after `page.last` with their manifests (index range scan); undefined when the repository does not exist. */
  listTagDetails(repo: string, page: Page): Promise<TagDetail[] | undefined>;
  manifestInfo(repo: string, digest: Digest): Promise<ManifestInfo | undefined>;
}

export interface BlobLinkQueries {
  /** Records a committed blob and links it to `repo` (creating the repository). */
  linkBlob(repo: string, digest: Digest, size: number, now: number): Promise<void>;
  /**
   * Size of a blob linked to `repo`, or undefined. With `renew`, a link older
   * than `renew.olderThan` is renewed to `renew.now` in the same atomic step:
   * a client that found the blob (HEAD) and skips its upload must not lose it
   * to the collector before its manifest arrives.
   */
  repoBlobSize(repo: string, digest: Digest, renew?: { readonly now: number; readonly olderThan: number }): Promise<number | undefined>;
  /** Repositories the blob is linked to (name order), for mounts without `from`. */
  blobRepositories(digest: Digest, page: Page): Promise<string[]>;
  /** Size of a blob known anywhere in the registry, or undefined. */
  blobSize(digest: Digest): Promise<number | undefined>;
  /** Removes the link of a blob to a repository. false when there was none. */
  unlinkBlob(repo: string, digest: Digest): Promise<boolean>;
  blobStats(): Promise<{ count: number; bytes: number }>;
  /** Sum over all repositories of their linked blobs' sizes: the bytes storage would take without deduplication (reads every link). */
  linkedBlobBytes(): Promise<number>;
}

export interface UploadQueries {
  /**
   * Records a new session unless `quota` is exceeded: counting the owner's
   * and the address's open sessions and inserting happen in one transaction
   * that excludes other writers (other processes sharing the store included),
   * so concurrent starts cannot overshoot the caps.
   */
  createUpload(u: NewUpload, quota?: UploadQuota): Promise<CreateUploadResult>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  touchUpload(id: string, now: number): Promise<void>;
  deleteUpload(id: string): Promise<void>;
}

export interface ReferrerQueries {
  /** Manifests of `repo` whose subject is `subject`, in digest order, optionally of one artifact type. */
  referrers(repo: string, subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]>;
}

/** The collector's queries (its rules are in src/registry/gc-sweep.ts). */
export interface GcQueries {
  /** Manifests orphaned before `olderThan` with no tag and no parent. */
  gcOrphanedManifests(olderThan: number): Promise<GcManifestCandidate[]>;
  /** Manifests never orphaned, created before `olderThan`, with no tag, no parent and no present subject. */
  gcUntaggedManifests(olderThan: number): Promise<GcManifestCandidate[]>;
  /**
   * Whether a listed candidate still meets the rule that listed it
   * (gcOrphanedManifests' when it has `orphanedAt`, else
   * gcUntaggedManifests'): checked in the transaction that deletes it.
   */
  gcManifestCollectable(c: GcManifestCandidate, olderThan: number): Promise<boolean>;
  /** Drops manifest bytes no manifest row uses. */
  gcSweepManifestContent(): Promise<void>;
  /** Drops repository links older than `olderThan` that no manifest of the repository references. */
  gcDropStaleLinks(olderThan: number): Promise<void>;
  /** Upload sessions last touched before `idleBefore`. */
  gcStaleUploads(idleBefore: number): Promise<UploadRecord[]>;
  /** Blobs linked before `olderThan` with no repository link and no manifest reference, in digest order. */
  gcBlobCandidates(olderThan: number): Promise<{ digest: Digest; size: number }[]>;
  /** Deletes the blob row if it is still a candidate; true when deleted (the caller then deletes the bytes, under `blobLocks`). */
  gcDeleteBlob(digest: Digest, olderThan: number): Promise<boolean>;
}

/** Reconciliation with blob storage (files without rows, rows without files). */
export interface ReconcileQueries {
  /** Blob rows whose digest starts with `prefix` (e.g. `sha256:ab`), in digest order. */
  blobsWithPrefix(prefix: string): Promise<{ digest: Digest; size: number }[]>;
  /** Number of manifest→blob references to `digest`, over all repositories. */
  blobReferenceCount(digest: Digest): Promise<number>;
  /**
   * Re-creates the row of a blob whose verified file has none, linked to every
   * repository whose manifests reference it; returns that number of
   * repositories (0: nothing references it, nothing written).
   */
  relinkBlob(digest: Digest, size: number, now: number): Promise<number>;
  /** Deletes a blob row and its repository links (its file is gone); manifests and their references stay. */
  dropBlobRow(digest: Digest): Promise<boolean>;
}

/** Every query role: what a transaction body may call. */
export interface MetadataQueries
  extends RepositoryQueries, ManifestQueries, BlobLinkQueries, UploadQueries, ReferrerQueries, GcQueries, ReconcileQueries {}

export interface TransactionOptions {
  /**
   * false: the body's writes are rolled back when it returns (a dry run sees
   * its own writes, nobody else ever does). Default true: commit.
   */
  readonly commit?: boolean;
}

/** Mutual exclusion by key; the store's spans every process sharing it (PostgreSQL: advisory locks). */
export type { KeyedLock } from '../util/keyed-mutex.js';

export interface MetadataStore extends MetadataQueries {
  /**
   * Runs `body` in one transaction: every call on `tx` sees the body's
   * earlier writes, other callers see all of them or none. A body that
   * throws rolls back and the error propagates. The body must only use `tx`
   * (not the store) and must not run other transactions.
   */
  transaction<T>(body: (tx: MetadataQueries) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Serializes commit, mount and delete of a blob's bytes by digest, across
   * processes: a blob the collector is deleting cannot be re-linked until its
   * bytes are gone, and then the committer writes them again.
   */
  readonly blobLocks: KeyedLock;
  /** Serializes the requests of one upload session (by id), across processes: PATCHes on two replicas never interleave. */
  readonly uploadLocks: KeyedLock;
  /**
   * Runs `fn` unless another holder (any process sharing the store) runs
   * under `name` right now; undefined when it was held. GC leadership: one
   * replica collects at a time (PostgreSQL: a session advisory lock).
   */
  tryExclusive<T>(name: string, fn: () => Promise<T>): Promise<T | undefined>;
  /** Mirror-run reports and GC history (metadata/run-log.ts): one history for every process sharing the store; never part of a transaction. */
  readonly runLog: RunLogQueries;
  /** Throws when the store cannot answer (the /readyz check). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
