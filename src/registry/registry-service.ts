import type { Readable } from 'node:stream';
import { digestOf, parseDigest, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import type { ManifestRecord, MetadataStore, PutManifestResult, ReferrerDescriptor } from '../metadata/store.js';
import { PathNotFoundError, type ByteRange } from '../storage/driver.js';
import type { BlobStore } from '../storage/blob-store.js';
import { RegistryError } from './errors.js';
import { parseManifest, type ManifestRef } from './manifest-parse.js';
import { UploadService, type UploadLimits } from './uploads.js';
import { assertDigest, assertName, assertTag, lookupReference, parsePageSize, parseReference } from './validate.js';

export interface RegistryServiceOptions {
  /** Manifest size limit in bytes (default 4 MiB). */
  readonly manifestMaxBytes: number;
  /**
   * Repositories (glob patterns, `*` within a component, `**` across) whose
   * manifests may reference absent content: image manifests without some
   * layers or config, indexes without some children. Present references are
   * still size-checked.
   */
  readonly sparseRepos: readonly string[];
  /** Largest page for tags/list and _catalog. */
  readonly maxPageSize: number;
  /**
   * Renew a blob's link to a repository when HEAD/GET finds it older than
   * this (half the GC grace period), so "HEAD, then skip the upload" never
   * races the collector. Undefined: never renew (no collector).
   */
  readonly linkRenewMs?: number;
  /** Blob GETs answer 307 to a presigned storage URL valid this long (--storage-redirect; S3 only). */
  readonly blobRedirectSeconds?: number;
  /** Caps on open upload sessions (default: 1000 per account and per address, 24 h TTL). */
  readonly uploads?: UploadLimits;
}

/** Tags one push by digest may carry as `?tag=` parameters (the spec asks for at least 10). */
export const MAX_TAG_PARAMS = 100;

export interface BlobRead {
  readonly digest: Digest;
  readonly size: number;
  readonly range?: ByteRange;
  readonly stream?: Readable;
}

export interface Listing {
  readonly items: string[];
  /** The `last` value for the next page, when there is one. */
  readonly next?: string;
}

/** Glob over repository names: `*` stays within one path component, `**` spans components. */
export function globToRegExp(glob: string): RegExp {
  const parts = glob.split('**').map((seg) =>
    seg.split('*').map((lit) => lit.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'),
  );
  return new RegExp(`^${parts.join('.*')}$`);
}

/**
 * The registry's use cases, independent of HTTP: the fastify adapter parses
 * requests, calls these methods and maps RegistryError to the OCI envelope.
 */
export class RegistryService {
  readonly uploads: UploadService;
  private readonly sparse: RegExp[];

  constructor(readonly meta: MetadataStore, readonly blobs: BlobStore, readonly opts: RegistryServiceOptions) {
    this.uploads = new UploadService(meta, blobs, opts.uploads);
    this.sparse = opts.sparseRepos.map(globToRegExp);
  }

  async statBlob(repo: string, digest: string): Promise<BlobRead> {
    assertName(repo);
    const d = assertDigest(digest);
    const now = Date.now();
    const renew = this.opts.linkRenewMs !== undefined ? { now, olderThan: now - this.opts.linkRenewMs } : undefined;
    const size = await this.meta.repoBlobSize(repo, d, renew);
    if (size === undefined) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest: d });
    return { digest: d, size };
  }

  /** Opens a blob found by `statBlob` (the caller needs its size to parse Range first). */
  async readBlob(stat: BlobRead, range?: ByteRange): Promise<BlobRead> {
    if (range && (range.start > range.end || range.end >= stat.size)) {
      throw new RegistryError('SIZE_INVALID', 'requested range not satisfiable', { size: stat.size }, 416, {
        'Content-Range': `bytes */${stat.size}`,
      });
    }
    try {
      const stream = await this.blobs.open(stat.digest, range);
      return { ...stat, stream, ...(range ? { range } : {}) };
    } catch (e) {
      if (e instanceof PathNotFoundError) throw new RegistryError('BLOB_UNKNOWN', 'blob content missing from storage', { digest: stat.digest });
      throw e;
    }
  }

  /**
   * With --storage-redirect, the presigned URL a blob GET answers 307 with;
   * undefined when redirects are off or the driver has no URLs (filesystem).
   */
  async blobRedirect(stat: BlobRead): Promise<string | undefined> {
    const secs = this.opts.blobRedirectSeconds;
    return secs === undefined ? undefined : this.blobs.redirectURL(stat.digest, secs);
  }

  async deleteBlob(repo: string, digest: string): Promise<void> {
    assertName(repo);
    const d = assertDigest(digest);
    if (!(await this.meta.unlinkBlob(repo, d))) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest: d });
  }

  async getManifest(repo: string, reference: string): Promise<ManifestRecord> {
    assertName(repo);
    // A tag that cannot exist (e.g. `.INVALID`) names no manifest: 404 like any unknown tag.
    const ref = lookupReference(reference);
    const rec =
      ref === undefined ? undefined
      : 'digest' in ref ? await this.meta.getManifestByDigest(repo, ref.digest)
      : await this.meta.getManifestByTag(repo, ref.tag);
    if (rec) return rec;
    if (!(await this.meta.repositoryExists(repo))) throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name: repo });
    throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { reference });
  }

  /**
   * Stores a manifest byte-for-byte. `tagParams` are the `?tag=` parameters
   * of a push by digest: every one is set in the same transaction. Returns
   * the digest, the subject and the tags set (for OCI-Tag).
   */
  async putManifest(
    repo: string, reference: string, bytes: Buffer, contentType: string, tagParams: readonly string[] = [],
  ): Promise<{ digest: Digest; subject?: Digest; tags: string[] }> {
    assertName(repo);
    const ref = parseReference(reference);
    const tags = 'tag' in ref ? [ref.tag] : pushTags(tagParams);
    if ('tag' in ref && tagParams.length > 0) {
      throw new RegistryError('MANIFEST_INVALID', 'tag query parameters are accepted only on a push by digest', { reference });
    }
    if (bytes.length > this.opts.manifestMaxBytes) {
      throw new RegistryError('SIZE_INVALID', `manifest exceeds the ${this.opts.manifestMaxBytes}-byte limit`, { size: bytes.length }, 413);
    }
    const digest = 'digest' in ref ? digestOf(bytes, parseDigest(ref.digest).algorithm) : digestOf(bytes);
    if ('digest' in ref && ref.digest !== digest) {
      throw new RegistryError('DIGEST_INVALID', 'the manifest digest does not match the digest in the URL', { expected: ref.digest, actual: digest });
    }
    const m = parseManifest(bytes, contentType);
    const result = await this.meta.putManifest({
      repo, digest, mediaType: m.mediaType, content: bytes,
      artifactType: m.artifactType, subject: m.subject, annotations: m.annotations,
      blobRefs: m.blobRefs, manifestRefs: m.manifestRefs,
      allowAbsent: this.sparse.some((re) => re.test(repo)),
      tags,
      now: Date.now(),
    });
    if (!result.ok) throw refusal(result, [...m.blobRefs, ...m.manifestRefs]);
    return { digest, tags, ...(m.subject ? { subject: m.subject } : {}) };
  }

  async deleteManifest(repo: string, reference: string): Promise<void> {
    assertName(repo);
    const ref = lookupReference(reference);
    const done =
      ref === undefined ? false
      : 'digest' in ref ? await this.meta.deleteManifest(repo, ref.digest, Date.now())
      : await this.meta.deleteTag(repo, ref.tag, Date.now());
    if (done) return;
    if (!(await this.meta.repositoryExists(repo))) throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name: repo });
    throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { reference });
  }

  async listTags(repo: string, nRaw: string | undefined, last: string | undefined): Promise<Listing> {
    assertName(repo);
    const n = parsePageSize(nRaw, this.opts.maxPageSize) ?? this.opts.maxPageSize;
    const page = await this.meta.listTags(repo, { n: n + 1, ...(last ? { last } : {}) });
    if (page === undefined) throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name: repo });
    return paginate(page, n);
  }

  async catalog(nRaw: string | undefined, last: string | undefined, visible?: (repo: string) => boolean): Promise<Listing> {
    const n = parsePageSize(nRaw, this.opts.maxPageSize) ?? this.opts.maxPageSize;
    if (!visible) return paginate(await this.meta.listRepositories({ n: n + 1, ...(last ? { last } : {}) }), n);
    // Filtered catalog: read ahead in batches until the page is full.
    const out: string[] = [];
    let cursor = last;
    for (;;) {
      const batch = await this.meta.listRepositories({ n: Math.max(n + 1, 200), ...(cursor ? { last: cursor } : {}) });
      out.push(...batch.filter(visible));
      if (out.length > n || batch.length === 0) break;
      cursor = batch[batch.length - 1];
    }
    return paginate(out, n);
  }

  async referrers(repo: string, digest: string, artifactType?: string): Promise<{ body: Buffer; filtered: boolean }> {
    assertName(repo);
    const d = assertDigest(digest);
    const manifests: ReferrerDescriptor[] = await this.meta.referrers(repo, d, artifactType);
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
    return { body, filtered: artifactType !== undefined };
  }
}

/**
 * Why the store refused a manifest: unknown references first (the client must
 * push them), else descriptor sizes that disagree with the stored content.
 */
function refusal(r: Extract<PutManifestResult, { ok: false }>, refs: readonly ManifestRef[]): RegistryError {
  const missing = [...r.missingBlobs, ...r.missingManifests];
  if (missing.length > 0) {
    const what = r.missingManifests.length > 0 ? 'child manifests' : 'blobs';
    return new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${what} unknown to this repository: ${missing.slice(0, 5).join(', ')}`, {
      missing,
    });
  }
  const w = r.wrongSizes[0]!;
  const where = refs.find((x) => x.digest === w.digest && x.size === w.declared)?.where ?? 'a descriptor';
  return new RegistryError('MANIFEST_INVALID', `${where} declares size ${w.declared} for ${w.digest}, but the stored content is ${w.stored} bytes`, {
    sizes: r.wrongSizes,
  });
}

/** The `?tag=` parameters of a push by digest: each valid, duplicates once, at most MAX_TAG_PARAMS. */
function pushTags(params: readonly string[]): string[] {
  const tags = [...new Set(params)];
  if (tags.length > MAX_TAG_PARAMS) {
    throw new RegistryError('MANIFEST_INVALID', `at most ${MAX_TAG_PARAMS} tag parameters per push`, { tags: tags.length }, 414);
  }
  for (const t of tags) assertTag(t);
  return tags;
}

/** `rows` holds up to n+1 entries; the extra one only says that a next page exists. */
function paginate(rows: string[], n: number): Listing {
  if (n === 0) return { items: [] };
  if (rows.length <= n) return { items: rows };
  const items = rows.slice(0, n);
  return { items, next: items[n - 1]! };
}
