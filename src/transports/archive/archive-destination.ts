/** ImageDestination over one repository of an archive set being written (see archive-writer.ts). */
import type { Readable } from 'node:stream';
import type { Digest } from '../../oci/digest.js';
import type { BlobInfo, BlobPresence, DestinationCaps, ImageDestination, ManifestTarget, RawManifest } from '../types.js';
import type { ArchiveWriter } from './archive-writer.js';

/** One blob pool for the whole set; one tar stream, so blob writes are serialized by the writer. */
const CAPS: DestinationCaps = { blobScope: 'store', crossRepoMount: false, concurrentBlobWrites: false, taglessManifests: true };

export class ArchiveDestination implements ImageDestination {
  readonly caps = CAPS;
  readonly store: string;
  readonly description: string;

  constructor(
    private readonly writer: ArchiveWriter,
    readonly repository: string,
  ) {
    this.store = `archive:${writer.dir}`;
    this.description = `archive:${writer.dir}/${repository}`;
  }

  /** 'present' for a blob already in the set and for one in the skip set (the far side has it). */
  async hasBlob(blob: BlobInfo): Promise<BlobPresence> {
    return this.writer.hasBlob(blob.digest, this.repository) ? 'present' : 'absent';
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  putBlob(blob: BlobInfo, body: Readable): Promise<void> {
    return this.writer.putBlob(blob, body);
  }

  async resolveManifest(reference: string): Promise<Digest | undefined> {
    return this.writer.resolve(this.repository, reference);
  }

  putManifest(manifest: RawManifest, target: ManifestTarget): Promise<void> {
    return this.writer.putManifest(this.repository, manifest, target);
  }

  /** Makes the whole set visible (every destination of the set commits the same writer, which finishes once). */
  async commit(): Promise<void> {
    await this.writer.commit();
  }

  async close(): Promise<void> {}
}
