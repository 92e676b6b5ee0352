/**
 * What the copy engine reads out of a manifest: the blobs and child manifests
 * it references, with sizes and platforms. The bytes are never rewritten;
 * this only looks inside them.
 */
import { isDigest, type Digest } from '../oci/digest.js';
import { isIndexMediaType, isSchema1MediaType } from '../oci/media-types.js';
import type { BlobInfo, RawManifest } from '../transports/types.js';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface ChildDescriptor extends BlobInfo {
  readonly mediaType: string;
  readonly platform?: Platform;
}

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

function desc(v: unknown, where: string, digestOfManifest: string): BlobInfo & { mediaType: string; urls?: unknown; platform?: unknown } {
  const d = v as { mediaType?: unknown; digest?: unknown; size?: unknown; urls?: unknown; platform?: unknown } | null;
  if (typeof d !== 'object' || d === null || typeof d.digest !== 'string' || !isDigest(d.digest) || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new ManifestFormatError(`manifest ${digestOfManifest}: ${where} is not a valid descriptor`);
  }
  return { digest: d.digest as Digest, size: d.size, mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', urls: d.urls, platform: d.platform };
}

function platformOf(v: unknown): Platform | undefined {
  const p = v as { os?: unknown; architecture?: unknown; variant?: unknown } | undefined;
  if (typeof p !== 'object' || p === null || typeof p.os !== 'string' || typeof p.architecture !== 'string') return undefined;
  return { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' && p.variant !== '' ? { variant: p.variant } : {}) };
}

/** `os/arch[/variant]`, the string oc's --filter-by-os matches. */
export function platformString(p: Platform | undefined): string {
  if (p === undefined) return 'unknown/unknown';
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

export function manifestRefs(m: RawManifest): ManifestRefs {
  if (isSchema1MediaType(m.mediaType) && m.mediaType !== 'application/json') {
    throw new ManifestFormatError(`manifest ${m.digest}: Docker schema 1 (${m.mediaType}) is not supported`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(m.bytes.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ManifestFormatError(`manifest ${m.digest}: not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null) throw new ManifestFormatError(`manifest ${m.digest}: not a JSON object`);
  if (doc.schemaVersion === 1) throw new ManifestFormatError(`manifest ${m.digest}: Docker schema 1 is not supported`);
  const subject = doc.subject === undefined ? undefined : desc(doc.subject, 'subject', m.digest).digest;
  if (isIndexMediaType(m.mediaType) || (Array.isArray(doc.manifests) && !('layers' in doc))) {
    if (!Array.isArray(doc.manifests)) throw new ManifestFormatError(`manifest ${m.digest}: an index without "manifests"`);
    const children = doc.manifests.map((c, i) => {
      const d = desc(c, `manifests[${i}]`, m.digest);
      return { digest: d.digest, size: d.size, mediaType: d.mediaType, platform: platformOf(d.platform) };
    });
    return { kind: 'index', children, subject };
  }
  const config = desc(doc.config, 'config', m.digest);
  if (!Array.isArray(doc.layers)) throw new ManifestFormatError(`manifest ${m.digest}: no "layers" array`);
  const all = doc.layers.map((l, i) => desc(l, `layers[${i}]`, m.digest));
  const layers = all.filter((l) => !Array.isArray(l.urls) || l.urls.length === 0).map(({ digest, size, mediaType }) => ({ digest, size, mediaType }));
  return { kind: 'image', config: { digest: config.digest, size: config.size, mediaType: config.mediaType }, layers, foreignLayers: all.length - layers.length, subject };
}
