/**
 * One repository of this registry as a read-only ImageSource (the
 * transports seam), so the catalog readers can read an image the registry
 * holds straight from its metadata and blob store, without HTTP. It sees
 * exactly what a pull of that repository sees: manifests by tag or digest
 * and the blobs linked to the repository (statBlob), streamed.
 */
import type { Readable } from 'node:stream';
import { RegistryError } from '../../registry/errors.js';
import type { RegistryService } from '../../registry/registry-service.js';
import { ImageNotFoundError, type ImageSource } from '../../transports/types.js';

export function registryImageSource(service: RegistryService, repository: string): ImageSource {
  const description = `repository ${repository}`;
  return {
    description,
    store: 'airlock:local',
    repository,
    caps: { listTags: false, referrers: false },
    async getManifest(reference) {
      try {
        const rec = await service.getManifest(repository, reference);
        return { bytes: rec.content, mediaType: rec.mediaType, digest: rec.digest };
      } catch (e) {
        if (e instanceof RegistryError && (e.code === 'MANIFEST_UNKNOWN' || e.code === 'NAME_UNKNOWN')) throw new ImageNotFoundError(`${description}: ${reference}: ${e.message}`);
        throw e;
      }
    },
    async getBlob(blob, opts): Promise<Readable> {
      if (opts?.offset) throw new Error(`${description}: ranged blob reads are not offered here`);
      const read = await service.readBlob(await service.statBlob(repository, blob.digest));
      return read.stream!;
    },
    // caps.listTags is false: never called.
    async *listTags() {},
    async listReferrers() {
      return [];
    },
    async close() {},
  };
}
