/** ImageSource over one repository of an archive set on disk (see archive-reader.ts). */
import type { Readable } from 'node:stream';
import { digestOf, isDigest, parseDigest, type Digest } from '../../oci/digest.js';
import { ImageNotFoundError, type BlobInfo, type RawManifest, type SourceCaps } from '../types.js';
import type { ImageSource } from '../types.js';
import { ArchiveDamagedError, blobMember, INDEX_FILE } from './format.js';
import type { ArchiveSet } from './archive-reader.js';

const CAPS: SourceCaps = { listTags: true, referrers: false };

export class ArchiveSource implements ImageSource {
  readonly caps = CAPS;
  readonly store: string;
  readonly description: string;

  constructor(
    private readonly set: ArchiveSet,
    readonly repository: string,
  ) {
    this.store = `archive:${set.dir}`;
    this.description = `archive:${set.dir}/${repository}`;
  }

  private get repo(): { tags: Record<string, Digest>; manifests: Digest[] } | undefined {
    return this.set.index.repositories[this.repository];
  }

  async getManifest(reference: string): Promise<RawManifest> {
    const repo = this.repo;
    const digest = isDigest(reference) ? (reference as Digest) : repo?.tags[reference];
    const info = digest !== undefined ? this.set.index.manifests[digest] : undefined;
    if (digest === undefined || info === undefined || !(repo?.manifests.includes(digest) ?? false)) {
      const o = this.set.index.onDestination?.[this.repository];
      const there = o !== undefined && (Object.hasOwn(o.tags, reference) || Object.hasOwn(o.retag, reference) || o.manifests.includes(reference as Digest));
      if (there) throw new ImageNotFoundError(`${this.description}: manifest ${reference} was left out of the archive set as already at the destination (the history or inventory of the m2d run said so); d2m takes it from the destination`);
      throw new ImageNotFoundError(`${this.description}: the archive set has no manifest ${reference}`);
    }
    const m = this.set.member(blobMember(digest));
    if (m === undefined) throw new ArchiveDamagedError(INDEX_FILE, blobMember(digest), 'listed manifest has no member in any archive');
    const bytes = await this.set.readMember(m);
    if (digestOf(bytes, parseDigest(digest).algorithm) !== digest) throw new ArchiveDamagedError(m.file, m.entry.name, `does not hash to ${digest}`);
    return { bytes, digest, mediaType: info.mediaType };
  }

  async getBlob(blob: BlobInfo, opts: { offset?: number } = {}): Promise<Readable> {
    if ((opts.offset ?? 0) > 0) throw new Error(`${this.description}: reading a blob from an offset is not supported`);
    const m = this.set.member(blobMember(blob.digest));
    if (m === undefined) {
      const why = this.set.wasDelivered(blob.digest)
        ? 'it was left out as already delivered (the skip set of the m2d run said the far side has it), but the destination lacks it; pack it again without --since/--since-inventory'
        : 'no archive of the set holds it';
      throw new ImageNotFoundError(`${this.description}: blob ${blob.digest}: ${why}`);
    }
    if (m.entry.size !== blob.size) throw new ArchiveDamagedError(m.file, m.entry.name, `holds ${m.entry.size} bytes, the manifest says ${blob.size}`);
    return this.set.openMember(m);
  }

  async *listTags(): AsyncIterable<string> {
    yield* Object.keys(this.repo?.tags ?? {}).sort();
  }

  async listReferrers(): Promise<readonly BlobInfo[]> {
    return [];
  }

  async close(): Promise<void> {}
}
