/** ImageSource and ImageDestination over an OCI image layout (see layout.ts). */
import type { Readable } from 'node:stream';
import { isDigest, type Digest } from '../../oci/digest.js';
import type { BlobInfo, BlobPresence, DestinationCaps, ImageDestination, ImageSource, ManifestTarget, RawManifest, SourceCaps } from '../types.js';
import type { OciLayout } from './layout.js';

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

export class OciLayoutDestination implements ImageDestination {
  readonly caps = DESTINATION_CAPS;
  readonly repository = '';
  readonly store: string;
  readonly description: string;

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

  async resolveManifest(reference: string): Promise<Digest | undefined> {
    if (isDigest(reference)) return (await this.layout.blobSize(reference as Digest)) === undefined ? undefined : (reference as Digest);
    return (await this.layout.resolve({ refName: reference }))?.digest;
  }

  async putManifest(manifest: RawManifest, target: ManifestTarget): Promise<void> {
    if (target.child && target.tag === undefined) await this.layout.writeBlobBytes(manifest.bytes, manifest.digest);
    else await this.layout.putManifest(manifest, target.tag);
  }

  async close(): Promise<void> {}
}
