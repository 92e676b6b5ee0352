/** ImageSource and ImageDestination over an OCI image layout (see layout.ts). */
import type { Readable } from 'node:stream';
import { isDigest, type Digest } from '../../oci/digest.js';
import type { BlobInfo, BlobPresence, DestinationCaps, ImageDestination, ImageSource, ManifestTarget, RawManifest, SourceCaps } from '../types.js';
import type { IndexEntry, OciLayout } from './layout.js';
import { assertManifestDigest } from '../verify-stream.js';

const SOURCE_CAPS: SourceCaps = { listTags: true, referrers: false };
const DESTINATION_CAPS: DestinationCaps = { blobScope: 'store', crossRepoMount: false, concurrentBlobWrites: true, taglessManifests: true };

/** `reference` is a ref name, or a digest (listed in index.json or stored as a blob). */
const refOf = (reference: string): { refName?: string; digest?: Digest } => (isDigest(reference) ? { digest: reference as Digest } : { refName: reference });

export class OciLayoutSource implements ImageSource {
  readonly caps = SOURCE_CAPS;
  readonly repository = '';
  readonly store: string;
  readonly description: string;

  constructor(private readonly layout: OciLayout) {
    this.store = `oci:${layout.root}`;
    this.description = `oci:${layout.root}`;
  }

  getManifest(reference: string): Promise<RawManifest> {
    return this.layout.readManifest(refOf(reference));
  }

  getBlob(blob: BlobInfo, opts: { offset?: number } = {}): Promise<Readable> {
    return this.layout.openBlob(blob.digest, opts.offset ?? 0);
  }

  async *listTags(): AsyncIterable<string> {
    yield* await this.layout.refNames();
  }

  async listReferrers(): Promise<readonly BlobInfo[]> {
    return [];
  }

  async close(): Promise<void> {}
}

/**
 * Writes blobs and manifest bytes into the pool as they come, and lists
 * manifests in index.json only at commit(), in one atomic rewrite: before
 * it, and after close() without it, index.json is unchanged (the blobs
 * stay in the pool, unreferenced, for a later run to reuse).
 */
export class OciLayoutDestination implements ImageDestination {
  readonly caps = DESTINATION_CAPS;
  readonly repository = '';
  readonly store: string;
  readonly description: string;
  /** index.json entries written since the last commit, in order. */
  private pending: IndexEntry[] = [];

  constructor(private readonly layout: OciLayout) {
    this.store = `oci:${layout.root}`;
    this.description = `oci:${layout.root}`;
  }

  async hasBlob(blob: BlobInfo): Promise<BlobPresence> {
    return (await this.layout.blobSize(blob.digest)) === blob.size ? 'present' : 'absent';
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  putBlob(blob: BlobInfo, body: Readable): Promise<void> {
    return this.layout.writeBlob(blob, body);
  }

  /** Sees this destination's own uncommitted ref names (a re-tag in the same run), then index.json. */
  async resolveManifest(reference: string): Promise<Digest | undefined> {
    if (isDigest(reference)) return (await this.layout.blobSize(reference as Digest)) === undefined ? undefined : (reference as Digest);
    const mine = this.pending.findLast((e) => e.refName === reference);
    if (mine !== undefined) return mine.manifest.digest;
    return (await this.layout.resolve({ refName: reference }))?.digest;
  }

  async putManifest(manifest: RawManifest, target: ManifestTarget): Promise<void> {
    assertManifestDigest(manifest, this.description);
    await this.layout.writeBlobBytes(manifest.bytes, manifest.digest);
    if (target.child && target.tag === undefined) return;
    this.pending.push({ manifest, refName: target.tag });
  }

  async commit(): Promise<void> {
    const entries = this.pending;
    this.pending = [];
    await this.layout.updateIndex(entries);
  }

  async close(): Promise<void> {
    this.pending = [];
  }
}
