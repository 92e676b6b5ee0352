/** ImageSource and ImageDestination over one repository of oc's disk store (see file-store.ts). */
import type { Readable } from 'node:stream';
import type { Digest } from '../../oci/digest.js';
import type { BlobInfo, BlobPresence, DestinationCaps, ImageDestination, ImageSource, ManifestTarget, RawManifest, SourceCaps } from '../types.js';
import { FileRepository } from './file-store.js';
import { assertManifestDigest } from '../verify-stream.js';

const SOURCE_CAPS: SourceCaps = { listTags: true, referrers: false };
const DESTINATION_CAPS: DestinationCaps = { blobScope: 'repository', crossRepoMount: true, concurrentBlobWrites: true, taglessManifests: true };

export class FileSource implements ImageSource {
  readonly caps = SOURCE_CAPS;
  readonly store: string;
  readonly description: string;
  private readonly repo: FileRepository;

  constructor(root: string, readonly repository: string) {
    this.repo = new FileRepository(root, repository);
    this.store = `file:${this.repo.root}`;
    this.description = `file://${repository}`;
  }

  getManifest(reference: string): Promise<RawManifest> {
    return this.repo.readManifest(reference);
  }

  getBlob(blob: BlobInfo, opts: { offset?: number } = {}): Promise<Readable> {
    return this.repo.openBlob(blob.digest, opts.offset ?? 0);
  }

  async *listTags(): AsyncIterable<string> {
    yield* await this.repo.tags();
  }

  async listReferrers(): Promise<readonly BlobInfo[]> {
    return [];
  }

  async close(): Promise<void> {}
}

export class FileDestination implements ImageDestination {
  readonly caps = DESTINATION_CAPS;
  readonly store: string;
  readonly description: string;
  private readonly repo: FileRepository;

  constructor(private readonly root: string, readonly repository: string) {
    this.repo = new FileRepository(root, repository);
    this.store = `file:${this.repo.root}`;
    this.description = `file://${repository}`;
  }

  async hasBlob(blob: BlobInfo): Promise<BlobPresence> {
    return (await this.repo.blobSize(blob.digest)) === blob.size ? 'present' : 'absent';
  }

  mountBlob(blob: BlobInfo, fromRepository: string): Promise<boolean> {
    return this.repo.linkBlobFrom(new FileRepository(this.root, fromRepository), blob.digest);
  }

  putBlob(blob: BlobInfo, body: Readable): Promise<void> {
    return this.repo.writeBlob(blob, body);
  }

  resolveManifest(reference: string): Promise<Digest | undefined> {
    return this.repo.resolve(reference);
  }

  async putManifest(manifest: RawManifest, target: ManifestTarget): Promise<void> {
    assertManifestDigest(manifest, this.description);
    return this.repo.putManifest(manifest, target.tag);
  }

  /** Every write is visible when it returns (see ImageDestination.commit). */
  async commit(): Promise<void> {}

  async close(): Promise<void> {}
}
