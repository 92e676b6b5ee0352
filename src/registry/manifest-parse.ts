import { isDigest, type Digest } from '../oci/digest.js';
import { MANIFEST_MEDIA_TYPES, MediaType, isIndexMediaType, isSchema1MediaType } from '../oci/media-types.js';
import { findDuplicateKey } from '../util/json-duplicate-keys.js';
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
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

const GENERIC_TYPES = new Set(['', 'application/json', 'application/octet-stream']);

function invalid(message: string, detail?: unknown): RegistryError {
  return new RegistryError('MANIFEST_INVALID', message, detail);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descriptor(v: unknown, where: string): ManifestRef & { mediaType: string; urls?: unknown } {
  if (!isObject(v)) throw invalid(`${where} must be a descriptor object`);
  if (typeof v.mediaType !== 'string' || v.mediaType === '') throw invalid(`${where}.mediaType must be a non-empty string`);
  if (typeof v.digest !== 'string' || !isDigest(v.digest)) throw invalid(`${where}.digest is not a valid sha256/sha512 digest`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) {
    throw invalid(`${where}.size must be a non-negative integer`);
  }
  return { mediaType: v.mediaType, digest: v.digest as Digest, size: v.size, where, urls: v.urls };
}

function ref(d: ManifestRef): ManifestRef {
  return { digest: d.digest, size: d.size, where: d.where };
}

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${where} must map strings to strings`);
  return v as Record<string, string>;
}

/**
 * Resolves the manifest's media type from its body and the request's
 * Content-Type: when both name one, they must agree.
 */
function resolveMediaType(body: Record<string, unknown>, contentType: string): string {
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  const header = GENERIC_TYPES.has(contentType) ? undefined : contentType;
  if (body.schemaVersion === 1 || (declared && isSchema1MediaType(declared)) || (header && isSchema1MediaType(header) && header !== 'application/json')) {
    throw invalid('Docker schema 1 manifests are not supported: push the image as Docker schema 2 or OCI (e.g. `skopeo copy --format v2s2`)');
  }
  if (declared && header && declared !== header) {
    throw invalid(`the manifest's mediaType ${declared} does not match the Content-Type ${header}`);
  }
  const mt = declared ?? header ?? (Array.isArray(body.manifests) ? MediaType.OciIndex : MediaType.OciManifest);
  if (!MANIFEST_MEDIA_TYPES.includes(mt)) {
    throw invalid(`unsupported manifest media type ${mt}; accepted: ${MANIFEST_MEDIA_TYPES.join(', ')}`);
  }
  return mt;
}

/** Parses and validates a manifest body. Throws MANIFEST_INVALID with the reason. */
export function parseManifest(bytes: Buffer, contentType: string): ParsedManifest {
  let body: unknown;
  const text = bytes.toString('utf8');
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw invalid(`manifest is not valid JSON: ${(e as Error).message}`);
  }
  // JSON.parse keeps the last of duplicate keys; other readers may keep the first.
  const dup = findDuplicateKey(text);
  if (dup) throw invalid(`duplicate key ${JSON.stringify(dup.key).slice(0, 130)} at line ${dup.line}, column ${dup.column}`);
  if (!isObject(body)) throw invalid('manifest must be a JSON object');
  const mediaType = resolveMediaType(body, contentType.split(';')[0]!.trim());
  if (body.schemaVersion !== 2) throw invalid('schemaVersion must be 2');

  const subject = body.subject === undefined ? undefined : descriptor(body.subject, 'subject').digest;
  const annotations = stringMap(body.annotations, 'annotations');
  const artifactType = typeof body.artifactType === 'string' ? body.artifactType : undefined;

  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(body.manifests)) throw invalid('an index needs a "manifests" array');
    if ('config' in body || 'layers' in body) throw invalid(`${mediaType} must not have config or layers`);
    const manifestRefs = body.manifests.map((m, i) => ref(descriptor(m, `manifests[${i}]`)));
    return { mediaType, blobRefs: [], manifestRefs, subject, artifactType, annotations };
  }
  if ('manifests' in body) throw invalid(`${mediaType} must not have a "manifests" array`);
  const config = descriptor(body.config, 'config');
  if (!Array.isArray(body.layers)) throw invalid('an image manifest needs a "layers" array');
  const layers = body.layers.map((l, i) => descriptor(l, `layers[${i}]`));
  // Layers with URLs (foreign / non-distributable) need not be in the registry.
  const blobRefs = [config, ...layers.filter((l) => !Array.isArray(l.urls) || l.urls.length === 0)].map(ref);
  const effectiveArtifactType = artifactType ?? (mediaType === MediaType.OciManifest ? config.mediaType : undefined);
  return { mediaType, blobRefs, manifestRefs: [], subject, artifactType: effectiveArtifactType, annotations };
}
