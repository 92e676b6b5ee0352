/**
 * The registry's view of a pushed manifest: the strict parse of the one
 * manifest model (oci/manifest.ts), with its ManifestInvalidError answered
 * as OCI MANIFEST_INVALID, and the references the metadata store checks.
 */
import type { Digest } from '../oci/digest.js';
import { ManifestInvalidError, isForeign } from '../oci/descriptor.js';
import { effectiveArtifactType, parseManifest as parseOciManifest, type Manifest } from '../oci/manifest.js';
import { RegistryError } from './errors.js';

/** A referenced descriptor: digest, declared size, and where it sits in the manifest (for messages). */
export interface ManifestRef {
  readonly digest: Digest;
  readonly size: number;
  /** e.g. `config`, `layers[2]`, `manifests[0]`. */
  readonly where: string;
}

/** What the registry needs to know about a manifest; the bytes stay untouched. */
export interface ParsedManifest {
  readonly mediaType: string;
  /** Config and layers that must be in the registry (layers with `urls` need not be). */
  readonly blobRefs: ManifestRef[];
  readonly manifestRefs: ManifestRef[];
  readonly subject?: Digest;
  /** `artifactType`, else (OCI image manifest) the config's media type. */
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

function strict(bytes: Buffer, contentType: string): Manifest {
  try {
    return parseOciManifest(bytes, contentType, 'strict');
  } catch (e) {
    if (e instanceof ManifestInvalidError) throw new RegistryError('MANIFEST_INVALID', e.message);
    throw e;
  }
}

/** Parses and validates a manifest body (strict mode). Throws MANIFEST_INVALID with the reason. */
export function parseManifest(bytes: Buffer, contentType: string): ParsedManifest {
  const m = strict(bytes, contentType);
  const blobRefs: ManifestRef[] = [];
  const manifestRefs: ManifestRef[] = [];
  if (m.kind === 'index') {
    m.manifests.forEach((d, i) => manifestRefs.push({ digest: d.digest, size: d.size, where: `manifests[${i}]` }));
  } else {
    blobRefs.push({ digest: m.config.digest, size: m.config.size, where: 'config' });
    // Layers with URLs (foreign / non-distributable) need not be in the registry.
    m.layers.forEach((d, i) => {
      if (!isForeign(d)) blobRefs.push({ digest: d.digest, size: d.size, where: `layers[${i}]` });
    });
  }
  return { mediaType: m.mediaType, blobRefs, manifestRefs, subject: m.subject?.digest, artifactType: effectiveArtifactType(m), annotations: m.annotations };
}
