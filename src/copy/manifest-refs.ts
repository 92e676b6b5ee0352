/**
 * What the copy engine reads out of a manifest: the blobs and child manifests
 * it references, with sizes and platforms. A view of the lenient parse of
 * the one manifest model (oci/manifest.ts); the bytes are never rewritten,
 * this only looks inside them.
 */
import type { Digest } from '../oci/digest.js';
import { ManifestInvalidError, isForeign, platformString, type Descriptor, type Platform } from '../oci/descriptor.js';
import { parseManifest, type Manifest } from '../oci/manifest.js';
import type { BlobInfo, RawManifest } from '../transports/types.js';

export { platformString, type Platform };

/** An index entry as the engine uses it: the Descriptor's identity fields and its `os/arch[/variant]` platform. */
export type ChildDescriptor = Pick<Descriptor, 'mediaType' | 'digest' | 'size' | 'platform'>;

export type ManifestRefs =
  | { readonly kind: 'index'; readonly children: readonly ChildDescriptor[]; readonly subject?: Digest }
  | {
      readonly kind: 'image';
      readonly config: BlobInfo;
      /** Layers to copy (foreign layers with `urls` are left out, as registries do). */
      readonly layers: readonly BlobInfo[];
      readonly foreignLayers: number;
      readonly subject?: Digest;
    };

export class ManifestFormatError extends Error {
  readonly code = 'ERR_MANIFEST_FORMAT';
}

/** The lenient parse of `m`; a ManifestInvalidError becomes a ManifestFormatError naming the manifest. */
export function readManifest(m: RawManifest): Manifest {
  try {
    return parseManifest(m.bytes, m.mediaType, 'lenient');
  } catch (e) {
    if (e instanceof ManifestInvalidError) throw new ManifestFormatError(`manifest ${m.digest}: ${e.message}`);
    throw e;
  }
}

const blob = (d: Descriptor): BlobInfo => ({ digest: d.digest, size: d.size, mediaType: d.mediaType });

export function manifestRefs(m: RawManifest): ManifestRefs {
  const doc = readManifest(m);
  const subject = doc.subject?.digest;
  if (doc.kind === 'index') {
    // Lenient platforms hold `os/arch[/variant]` only: what filters match and what a rebuilt index carries over.
    const children = doc.manifests.map((c) => ({ digest: c.digest, size: c.size, mediaType: c.mediaType, platform: c.platform }));
    return { kind: 'index', children, subject };
  }
  const layers = doc.layers.filter((l) => !isForeign(l)).map(blob);
  return { kind: 'image', config: blob(doc.config), layers, foreignLayers: doc.layers.length - layers.length, subject };
}
