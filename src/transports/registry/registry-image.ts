/** ImageSource and ImageDestination for one repository of a registry. */
import type { Readable } from 'node:stream';
import type { Digest } from '../../oci/digest.js';
import { similarNames } from '../../util/similar-names.js';
import { DigestMismatchError, ImageNotFoundError, type BlobInfo, type BlobPresence, type DestinationCaps, type ImageDestination, type ImageSource, type ManifestTarget, type RawManifest, type SourceCaps } from '../types.js';
import { assertManifestDigest, assertReadable, verified } from '../verify-stream.js';
import { ByteReader, ChunkedUploader, type UploadSession } from './chunked-upload.js';
import type { RegistryClient, UploadLocation } from './registry-client.js';

/** Tags read at most for a missing tag's hint. */
const TAG_HINT_LIMIT = 10_000;
/**
 * Blobs up to this size go up in one monolithic POST (RegistryClient.blobUploadBytes).
 * Small enough that a registry answering 202 before reading the body still
 * keeps the connection (Go's net/http drains up to 256 KiB of an unread body).
 */
const MONOLITHIC_MAX = 128 * 1024;
const SOURCE_CAPS: SourceCaps = { listTags: true, referrers: true };
const DESTINATION_CAPS: DestinationCaps = { blobScope: 'repository', crossRepoMount: true, concurrentBlobWrites: true, taglessManifests: true };

export class RegistrySource implements ImageSource {
  readonly caps = SOURCE_CAPS;
  readonly store: string;
  readonly description: string;

  constructor(
    private readonly client: RegistryClient,
    readonly repository: string,
  ) {
    this.store = `docker://${client.registry}`;
    this.description = `${client.registry}/${repository}`;
  }

  /** A missing tag's error names the closest existing tags (`4.12.0` → `4.12.0-x86_64`). */
  async getManifest(reference: string, signal?: AbortSignal): Promise<RawManifest> {
    try {
      return await this.client.manifestGet(this.repository, reference, signal);
    } catch (e) {
      if (!(e instanceof ImageNotFoundError) || reference.includes(':')) throw e;
      const like = await this.tagsLike(reference, signal);
      if (like.length === 0) throw e;
      throw new ImageNotFoundError(`${e.message}; existing tags like it: ${like.join(', ')}`, { cause: e });
    }
  }

  /** Up to 5 tags like `tag` (none when the tags cannot be listed). */
  private async tagsLike(tag: string, signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    try {
      for await (const t of this.client.tagsList(this.repository, signal)) {
        tags.push(t);
        if (tags.length >= TAG_HINT_LIMIT) break;
      }
    } catch {
      return [];
    }
    return similarNames(tag, tags);
  }

  getBlob(blob: BlobInfo, opts: { offset?: number; signal?: AbortSignal } = {}): Promise<Readable> {
    return this.client.blobGet(this.repository, blob.digest, opts.offset ?? 0, opts.signal);
  }

  listTags(signal?: AbortSignal): AsyncIterable<string> {
    return this.client.tagsList(this.repository, signal);
  }

  listReferrers(digest: Digest, signal?: AbortSignal): Promise<readonly BlobInfo[]> {
    return this.client.referrersList(this.repository, digest, signal);
  }

  async close(): Promise<void> {
    // The client (and its connection pool) belongs to the hub.
  }
}

export class RegistryDestination implements ImageDestination {
  readonly caps = DESTINATION_CAPS;
  readonly store: string;
  readonly description: string;
  /** Upload sessions a declined mount opened, reused by putBlob. */
  private readonly openSessions = new Map<Digest, UploadLocation>();
  /** Chunked uploads that failed part-way, resumed by the next putBlob of the digest. */
  private readonly resumable = new Map<Digest, UploadSession>();

  constructor(
    private readonly client: RegistryClient,
    readonly repository: string,
  ) {
    this.store = `docker://${client.registry}`;
    this.description = `${client.registry}/${repository}`;
  }

  async hasBlob(blob: BlobInfo, signal?: AbortSignal): Promise<BlobPresence> {
    return (await this.client.blobHead(this.repository, blob.digest, signal)) === undefined ? 'absent' : 'present';
  }

  async mountBlob(blob: BlobInfo, fromRepository: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.client.blobMount(this.repository, blob.digest, fromRepository, signal);
    if (r === 'mounted') return true;
    this.openSessions.set(blob.digest, r);
    return false;
  }

  async putBlob(blob: BlobInfo, body: Readable, signal?: AbortSignal): Promise<void> {
    const resumable = this.resumable.get(blob.digest);
    if (resumable !== undefined || blob.size > this.client.chunking.threshold) {
      await this.putChunked(blob, body, resumable, signal);
      return;
    }
    let location = this.openSessions.get(blob.digest);
    this.openSessions.delete(blob.digest);
    const checked = verified(body, blob);
    if (location === undefined && blob.size <= MONOLITHIC_MAX) {
      // Read whole (and verified) first: one POST where the registry takes it, and the bytes are still here for a PUT where it does not.
      const bytes = Buffer.concat(await checked.toArray());
      await this.client.blobUploadBytes(this.repository, blob.digest, bytes, signal);
      return;
    }
    try {
      location ??= await this.client.blobUploadStart(this.repository, signal);
      // A small blob may have been read, checked and failed while the POST was out.
      assertReadable(checked, `${this.description} blob ${blob.digest}`);
    } catch (e) {
      checked.destroy();
      throw e;
    }
    await this.client.blobUploadPut(this.repository, location, blob.digest, blob.size, checked, signal);
  }

  /** POST (or a kept session) → PATCH chunks → PUT; a failed attempt leaves its session for the next one. */
  private async putChunked(blob: BlobInfo, body: Readable, kept: UploadSession | undefined, signal?: AbortSignal): Promise<void> {
    const up = new ChunkedUploader(this.client.http, `${this.description} blob ${blob.digest}`, { repository: this.repository, actions: ['pull', 'push'] });
    const reader = new ByteReader(verified(body, blob));
    try {
      let session = kept === undefined ? undefined : await up.status(kept, signal);
      if (session === undefined || session.offset > blob.size) {
        const location = this.openSessions.get(blob.digest) ?? (await this.client.blobUploadStart(this.repository, signal));
        this.openSessions.delete(blob.digest);
        session = { location, offset: 0 };
      }
      this.resumable.set(blob.digest, session);
      await reader.skip(session.offset);
      while (session.offset < blob.size) {
        const n = Math.min(this.client.chunking.chunkSize, blob.size - session.offset);
        const before = session.offset;
        await up.patch(session, reader.take(n), n, signal);
        this.client.counts.bytesUploaded += session.offset - before;
      }
      await reader.finish();
      await up.finish(session, blob.digest, blob.size, signal);
      this.resumable.delete(blob.digest);
      this.client.counts.blobUploads++;
    } catch (e) {
      if (e instanceof DigestMismatchError) this.resumable.delete(blob.digest);
      body.destroy();
      throw e;
    }
  }

  resolveManifest(reference: string, signal?: AbortSignal): Promise<Digest | undefined> {
    return this.client.manifestHead(this.repository, reference, signal);
  }

  async putManifest(manifest: RawManifest, target: ManifestTarget, signal?: AbortSignal): Promise<void> {
    assertManifestDigest(manifest, this.description);
    return this.client.manifestPut(this.repository, target.tag ?? manifest.digest, manifest.bytes, manifest.mediaType, signal);
  }

  /** Every write is visible when it returns (see ImageDestination.commit). */
  async commit(): Promise<void> {}

  async close(): Promise<void> {
    this.openSessions.clear();
  }
}
