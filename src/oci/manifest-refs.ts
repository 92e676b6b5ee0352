/**
 * The reader's view of a stored manifest (the copy engine, extract, release,
 * catalog, `image info`): the lenient parse of the one manifest model
 * (manifest.ts) reduced to what is fetched and copied — the blobs and child
 * manifests it references, with sizes and platforms. The bytes are never
 * rewritten; this only looks inside them.
 */
import type { Digest } from './digest.js';
import { ManifestInvalidError, isForeign, type Descriptor } from './descriptor.js';
import { parseManifest, type Manifest } from './manifest.js';

/** Manifest bytes with the media type they were stored under and their digest (a transport's RawManifest). */
export interface StoredManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly digest: string;
}

/** A blob to fetch: the Descriptor's identity fields (a transport's BlobInfo). */
export type BlobRef = Pick<Descriptor, 'digest' | 'size' | 'mediaType'>;

/** An index entry as readers use it: identity fields and the `os/arch[/variant]` platform (undefined when absent or malformed). */
export type ChildDescriptor = Pick<Descriptor, 'mediaType' | 'digest' | 'size' | 'platform'>;

export type ManifestRefs =
  | { readonly kind: 'index'; readonly children: readonly ChildDescriptor[]; readonly subject?: Digest }
  | {
      readonly kind: 'image';
      readonly config: BlobRef;
      /** Layers to copy (foreign layers with `urls` are left out, as registries do). */
      readonly layers: readonly BlobRef[];
      readonly foreignLayers: number;
      readonly subject?: Digest;
    };

/** A stored manifest that cannot be read; the message starts with `manifest <digest>:`. */
export class ManifestFormatError extends Error {
  readonly code = 'ERR_MANIFEST_FORMAT';
}

/** The lenient parse of `m`; a ManifestInvalidError becomes a ManifestFormatError naming the manifest. */
export function readManifest(m: StoredManifest): Manifest {
  try {
    return parseManifest(m.bytes, m.mediaType, 'lenient');
  } catch (e) {
    if (e instanceof ManifestInvalidError) throw new ManifestFormatError(`manifest ${m.digest}: ${e.message}`);
    throw e;
  }
}

const blob = (d: Descriptor): BlobRef => ({ digest: d.digest, size: d.size, mediaType: d.mediaType });

export function manifestRefs(m: StoredManifest): ManifestRefs {
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
