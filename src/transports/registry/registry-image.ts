/** ImageSource and ImageDestination for one repository of a registry. */
import type { Readable } from 'node:stream';
import type { Digest } from '../../oci/digest.js';
import type { BlobInfo, BlobPresence, DestinationCaps, ImageDestination, ImageSource, ManifestTarget, RawManifest, SourceCaps } from '../types.js';
import { verified } from '../verify-stream.js';
import type { RegistryClient, UploadLocation } from './registry-client.js';

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

  async getManifest(reference: string, signal?: AbortSignal): Promise<RawManifest> {
    return this.client.manifestGet(this.repository, reference, signal);
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
    let location = this.openSessions.get(blob.digest);
    this.openSessions.delete(blob.digest);
    try {
      location ??= await this.client.blobUploadStart(this.repository, signal);
    } catch (e) {
      body.destroy();
      throw e;
    }
    await this.client.blobUploadPut(this.repository, location, blob.digest, blob.size, verified(body, blob), signal);
  }

  resolveManifest(reference: string, signal?: AbortSignal): Promise<Digest | undefined> {
    return this.client.manifestHead(this.repository, reference, signal);
  }

  putManifest(manifest: RawManifest, target: ManifestTarget, signal?: AbortSignal): Promise<void> {
    return this.client.manifestPut(this.repository, target.tag ?? manifest.digest, manifest.bytes, manifest.mediaType, signal);
  }

  async close(): Promise<void> {
    this.openSessions.clear();
  }
}
