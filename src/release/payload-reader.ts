/**
 * Reads a release image: picks the platform of a manifest list, reads the
 * config (labels, architecture) and walks the layers top-most first for
 * `/release-manifests/` (image-references, release-metadata and the other
 * manifests). Everything read is digest-verified.
 */
import { isIndexMediaType } from '../oci/media-types.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { manifestRefs } from '../oci/manifest-refs.js';
import { platformString } from '../oci/descriptor.js';
import type { BlobInfo, ImageSource, RawManifest } from '../transports/types.js';
import { verified } from '../transports/verify-stream.js';
import { hostGoArch } from './arch.js';
import { parseImageReferences, ReleasePayloadError, type ImageStream } from './image-references.js';
import { ImageFilesLimitError, readImageFiles } from '../extract/image-files.js';
import { readEntry } from '../extract/layer-tar.js';
import { parseReleaseMetadata, type ReleaseMetadata } from './release-metadata.js';

export const MANIFESTS_DIR = 'release-manifests';
const FILE_LIMIT = 8 << 20;
const TOTAL_LIMIT = 256 << 20;

export interface ImageConfig {
  architecture?: string;
  os?: string;
  created?: string;
  config?: { Labels?: Record<string, string> | null };
  rootfs?: { type: string; diff_ids: string[] };
  history?: unknown[];
  [k: string]: unknown;
}

export interface ReleaseImage {
  /** Digest of what the reference resolves to (the list for a multi-arch release). */
  readonly topDigest: Digest;
  /** Set when the reference is a manifest list. */
  readonly manifestListDigest?: Digest;
  /** The single-platform image that was read. */
  readonly image: RawManifest;
  /** Platforms of the list (or the one platform). */
  readonly platforms: readonly string[];
  readonly config: ImageConfig;
  readonly labels: Readonly<Record<string, string>>;
  /** Files under release-manifests/, by name relative to it. */
  readonly files: ReadonlyMap<string, Buffer>;
  readonly imageStream: ImageStream;
  readonly metadata?: ReleaseMetadata;
  readonly warnings: readonly string[];
}

export interface ReadReleaseOptions {
  /** `os/arch[/variant]` to read from a manifest list (default: linux/<this machine>, else linux/amd64, else the first). */
  readonly platform?: string;
  readonly signal?: AbortSignal;
}

export async function readBlob(src: ImageSource, blob: BlobInfo, limit: number, signal?: AbortSignal): Promise<Buffer> {
  if (blob.size > limit) throw new Error(`blob ${blob.digest}: ${blob.size} bytes, more than the ${limit} accepted here`);
  return readEntry(verified(await src.getBlob(blob, { signal }), blob), limit, `blob ${blob.digest}`);
}

/** Picks the child of an index for `platform` (exact `os/arch[/variant]`). */
export async function selectPlatform(src: ImageSource, top: RawManifest, wanted: string | undefined): Promise<{ image: RawManifest; platforms: string[] }> {
  const refs = manifestRefs(top);
  if (refs.kind === 'image') return { image: top, platforms: [] };
  const platforms = refs.children.map((c) => platformString(c.platform));
  const pick =
    wanted !== undefined
      ? refs.children.find((c) => platformString(c.platform) === wanted || `${c.platform?.os}/${c.platform?.architecture}` === wanted)
      : (refs.children.find((c) => platformString(c.platform) === `linux/${hostGoArch()}`) ??
        refs.children.find((c) => platformString(c.platform) === 'linux/amd64') ??
        refs.children[0]);
  if (pick === undefined) throw new ReleasePayloadError(`${src.description}@${top.digest}: no image for platform ${wanted ?? '(any)'} (has ${platforms.join(', ')})`);
  const image = await src.getManifest(pick.digest);
  if (image.digest !== pick.digest) throw new Error(`manifest ${pick.digest}: got ${image.digest}`);
  return { image: { ...image, mediaType: pick.mediaType || image.mediaType }, platforms };
}

/** Reads an image's config (digest-verified). */
export async function readConfig(src: ImageSource, image: RawManifest, signal?: AbortSignal): Promise<{ config: ImageConfig; layers: readonly BlobInfo[] }> {
  const refs = manifestRefs(image);
  if (refs.kind !== 'image') throw new ReleasePayloadError(`manifest ${image.digest} is not an image`);
  const config = JSON.parse((await readBlob(src, refs.config, 16 << 20, signal)).toString('utf8')) as ImageConfig;
  return { config, layers: refs.layers };
}

/**
 * The files under /release-manifests/, by name relative to it, from the
 * layers down to the first that holds image-references (the one image walk,
 * extract/image-walk.ts). image-references and release-metadata must not be links.
 */
async function readManifests(src: ImageSource, layers: readonly BlobInfo[], where: string, signal?: AbortSignal): Promise<Map<string, Buffer>> {
  const key = (name: string): string => `${MANIFESTS_DIR}/${name}`;
  const got = await readImageFiles(src, layers, [MANIFESTS_DIR], {
    maxBytes: TOTAL_LIMIT,
    maxFileBytes: FILE_LIMIT,
    until: (g) => g.files.has(key('image-references')) || g.links.has(key('image-references')),
    signal,
  }).catch((e: unknown) => {
    throw e instanceof ImageFilesLimitError ? new ReleasePayloadError(`${where}: ${e.message}`) : e;
  });
  for (const name of ['image-references', 'release-metadata']) {
    if (got.links.has(key(name))) throw new ReleasePayloadError(`${where}: /${key(name)} is a link; refusing to follow it`);
  }
  return new Map([...got.files].map(([path, data]) => [path.slice(MANIFESTS_DIR.length + 1), data]));
}

export async function readRelease(src: ImageSource, reference: string, opts: ReadReleaseOptions = {}): Promise<ReleaseImage> {
  const top = await src.getManifest(reference, opts.signal);
  const isList = isIndexMediaType(top.mediaType) || manifestRefs(top).kind === 'index';
  const { image, platforms } = await selectPlatform(src, top, opts.platform);
  const { config, layers } = await readConfig(src, image, opts.signal);
  const where = `${src.description}${isDigest(reference) ? '@' : ':'}${reference}`;
  const files = await readManifests(src, layers, where, opts.signal);
  const refsFile = files.get('image-references');
  if (refsFile === undefined) {
    throw new ReleasePayloadError(`${where} is not a release image: /${MANIFESTS_DIR}/image-references was not found in its ${layers.length} layer(s)`);
  }
  const imageStream = parseImageReferences(refsFile.toString('utf8'));
  const warnings: string[] = [];
  const metaFile = files.get('release-metadata');
  let metadata: ReleaseMetadata | undefined;
  if (metaFile === undefined) warnings.push(`${where}: /${MANIFESTS_DIR}/release-metadata was not found; the release has no upgrade metadata`);
  else metadata = parseReleaseMetadata(metaFile.toString('utf8'));
  const labels = config.config?.Labels ?? {};
  if (labels['io.openshift.release'] === undefined) warnings.push(`${where}: the image has no io.openshift.release label`);
  return {
    topDigest: top.digest,
    ...(isList ? { manifestListDigest: top.digest } : {}),
    image,
    platforms: isList ? platforms : [`${config.os ?? 'unknown'}/${config.architecture ?? 'unknown'}`],
    config,
    labels,
    files,
    imageStream,
    ...(metadata ? { metadata } : {}),
    warnings,
  };
}

/** The release's name: release-metadata's version, else image-references' name. */
export function releaseName(r: ReleaseImage): string {
  return r.metadata?.version ?? r.imageStream.metadata.name;
}

/** oc's Platform(): `linux/amd64`, or `multi (linux/amd64)` for a list. */
export function releasePlatform(r: ReleaseImage): string {
  const p = `${r.config.os || 'unknown'}/${r.config.architecture || 'unknown'}`;
  return r.manifestListDigest === undefined ? p : `multi (${p})`;
}
