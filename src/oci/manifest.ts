/**
 * The one manifest model: raw manifest bytes (+ the media type they were
 * declared with) → an image manifest or an index, with its descriptors
 * validated by oci/descriptor.ts. No I/O.
 *
 * Parsing only reads. The bytes stay the manifest's identity: nothing here
 * (or anywhere) re-serializes a manifest that was received. `document` is
 * the parsed JSON, for the few places that build a NEW manifest from an old
 * one (a filtered index, a rebuilt catalog, a release image) and must keep
 * fields this model does not name.
 *
 * Kinds: OCI image manifest and Docker schema 2 manifest (`image`); OCI
 * index and Docker manifest list (`index`). Docker schema 1 is recognised
 * and refused (ManifestInvalidError), in both modes.
 *
 * Modes (see descriptor.ts for the descriptor rules):
 * - strict, the registry's PUT validation: no duplicate object keys (two
 *   readers must not see two manifests in one set of bytes); the body's
 *   mediaType and the declared (Content-Type) one agree when both are
 *   specific; the resolved type is one of MANIFEST_MEDIA_TYPES;
 *   schemaVersion 2; an index has `manifests` and no config/layers, an image
 *   has config and layers and no `manifests`; every descriptor, the subject
 *   and the annotations are well-formed.
 * - lenient, reading what a store holds: the declared type decides the kind
 *   (an index type, or a `manifests` array without `layers`); digests and
 *   sizes of every descriptor must still be valid; the rest is taken as
 *   found (see parseDescriptor).
 */
import { isObject, parseAnnotations, parseDescriptor, isForeign, ManifestInvalidError, type Descriptor, type ParseMode } from './descriptor.js';
import { findDuplicateKey } from '../util/json-duplicate-keys.js';
import { MANIFEST_MEDIA_TYPES, MediaType, isIndexMediaType, isSchema1MediaType } from './media-types.js';

interface ManifestCommon {
  /** The resolved media type (strict: always one of MANIFEST_MEDIA_TYPES). */
  readonly mediaType: string;
  readonly subject?: Descriptor;
  /** `artifactType` as written (see effectiveArtifactType). */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The parsed JSON object: for building a new manifest from this one, never for re-serializing this one. */
  readonly document: Readonly<Record<string, unknown>>;
}

/** OCI image manifest or Docker schema 2 manifest. */
export interface ImageManifest extends ManifestCommon {
  readonly kind: 'image';
  readonly config: Descriptor;
  /** Every layer in order, foreign ones (with `urls`) included. */
  readonly layers: readonly Descriptor[];
}

/** OCI image index or Docker manifest list. */
export interface IndexManifest extends ManifestCommon {
  readonly kind: 'index';
  readonly manifests: readonly Descriptor[];
}

export type Manifest = ImageManifest | IndexManifest;

/** Declared types that name no manifest type: the body (or its shape) decides. */
const GENERIC_TYPES = new Set(['', 'application/json', 'application/octet-stream']);

const SCHEMA1_PUSH = 'Docker schema 1 manifests are not supported: push the image as Docker schema 2 or OCI (e.g. `skopeo copy --format v2s2`)';

function invalid(message: string): ManifestInvalidError {
  return new ManifestInvalidError(message);
}

/** The media type a body declares, else the one its shape implies (as the image spec allows for a missing mediaType). */
export function mediaTypeByShape(doc: unknown): string {
  if (!isObject(doc)) return MediaType.OciManifest;
  if (typeof doc.mediaType === 'string' && doc.mediaType !== '') return doc.mediaType;
  return Array.isArray(doc.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
}

/**
 * The media type of stored manifest bytes that came without one (a layout
 * entry or a disk-store file): mediaTypeByShape of the document; bytes that
 * are not JSON read as an OCI image manifest (their parse fails later, with
 * its reason).
 */
export function sniffManifestType(bytes: Uint8Array): string {
  try {
    return mediaTypeByShape(JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')));
  } catch {
    return MediaType.OciManifest;
  }
}

/** Strict: the body's mediaType and the declared one must agree when both are specific. */
function strictMediaType(body: Record<string, unknown>, declaredType: string): string {
  const inBody = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  const declared = GENERIC_TYPES.has(declaredType) ? undefined : declaredType;
  if (body.schemaVersion === 1 || (inBody && isSchema1MediaType(inBody)) || (declared && isSchema1MediaType(declared))) throw invalid(SCHEMA1_PUSH);
  if (inBody && declared && inBody !== declared) throw invalid(`the manifest's mediaType ${inBody} does not match the Content-Type ${declared}`);
  const mt = inBody ?? declared ?? (Array.isArray(body.manifests) ? MediaType.OciIndex : MediaType.OciManifest);
  if (!MANIFEST_MEDIA_TYPES.includes(mt)) throw invalid(`unsupported manifest media type ${mt}; accepted: ${MANIFEST_MEDIA_TYPES.join(', ')}`);
  return mt;
}

function parseJson(bytes: Uint8Array, mode: ParseMode): { doc: unknown; text: string } {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return { doc: JSON.parse(text) as unknown, text };
  } catch (e) {
    throw invalid(mode === 'strict' ? `manifest is not valid JSON: ${(e as Error).message}` : `not JSON (${(e as Error).message})`);
  }
}

/**
 * Parses manifest bytes. `declaredType` is the Content-Type of a PUT
 * (parameters are ignored) or the media type a transport returned with the
 * bytes. Throws ManifestInvalidError with a one-line reason.
 */
export function parseManifest(bytes: Uint8Array, declaredType: string, mode: ParseMode): Manifest {
  const declared = declaredType.split(';')[0]!.trim();
  if (mode === 'lenient' && isSchema1MediaType(declared) && declared !== 'application/json') throw invalid(`Docker schema 1 (${declared}) is not supported`);
  const { doc, text } = parseJson(bytes, mode);
  if (mode === 'strict') {
    // JSON.parse keeps the last of duplicate keys; other readers may keep the first.
    const dup = findDuplicateKey(text);
    if (dup) throw invalid(`duplicate key ${JSON.stringify(dup.key).slice(0, 130)} at line ${dup.line}, column ${dup.column}`);
  }
  if (!isObject(doc)) throw invalid(mode === 'strict' ? 'manifest must be a JSON object' : 'not a JSON object');
  let mediaType: string;
  if (mode === 'strict') {
    mediaType = strictMediaType(doc, declared);
    if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  } else {
    if (doc.schemaVersion === 1) throw invalid('Docker schema 1 is not supported');
    mediaType = GENERIC_TYPES.has(declared) ? mediaTypeByShape(doc) : declared;
  }

  const subject = doc.subject === undefined ? undefined : parseDescriptor(doc.subject, 'subject', mode);
  const annotations = parseAnnotations(doc.annotations, 'annotations', mode);
  if (mode === 'strict' && doc.artifactType !== undefined && typeof doc.artifactType !== 'string') throw invalid('artifactType must be a string');
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : undefined;
  const common = { mediaType, document: doc, ...(subject ? { subject } : {}), ...(artifactType !== undefined ? { artifactType } : {}), ...(annotations ? { annotations } : {}) };

  const isIndex = mode === 'strict' ? isIndexMediaType(mediaType) : isIndexMediaType(declared) || (Array.isArray(doc.manifests) && !('layers' in doc));
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) throw invalid(mode === 'strict' ? 'an index needs a "manifests" array' : 'an index without "manifests"');
    if (mode === 'strict' && ('config' in doc || 'layers' in doc)) throw invalid(`${mediaType} must not have config or layers`);
    const manifests = doc.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`, mode));
    return { kind: 'index', ...common, manifests };
  }
  if (mode === 'strict' && 'manifests' in doc) throw invalid(`${mediaType} must not have a "manifests" array`);
  const config = parseDescriptor(doc.config, 'config', mode);
  if (!Array.isArray(doc.layers)) throw invalid(mode === 'strict' ? 'an image manifest needs a "layers" array' : 'no "layers" array');
  const layers = doc.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`, mode));
  return { kind: 'image', ...common, config, layers };
}

/** Blobs a registry must hold for the manifest: config and layers, foreign layers left out. An index has none. */
export function blobsOf(m: Manifest): Descriptor[] {
  return m.kind === 'image' ? [m.config, ...m.layers.filter((l) => !isForeign(l))] : [];
}

/** Child manifests an index references (none for an image). */
export function childrenOf(m: Manifest): readonly Descriptor[] {
  return m.kind === 'index' ? m.manifests : [];
}

/** The artifact type the referrers API reports: `artifactType`, else (OCI image manifest) the config's media type. */
export function effectiveArtifactType(m: Manifest): string | undefined {
  if (m.artifactType !== undefined) return m.artifactType;
  return m.kind === 'image' && m.mediaType === MediaType.OciManifest ? m.config.mediaType : undefined;
}
