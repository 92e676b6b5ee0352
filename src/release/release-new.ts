/**
 * `airlock release new`: an OpenShift-shaped release image built from
 * component images — the base image (cluster-version-operator by default)
 * plus one layer holding /release-manifests/ (image-references with every
 * component by digest, release-metadata, extra manifests), labelled
 * `io.openshift.release` and `io.openshift.release.base-image-digest`. A
 * multi-arch base gives a manifest list of per-platform release images.
 */
import { copyImage, type ImageCopyOptions } from '../copy/copy-image.js';
import { manifestRefs, readManifest, type ChildDescriptor } from '../oci/manifest-refs.js';
import type { Digest } from '../oci/digest.js';
import { MediaType, isIndexMediaType } from '../oci/media-types.js';
import { formatImageReference, parseImageReference, registryNameOf, type DockerReference } from '../transports/all.js';
import { openDestination, openSource, referenceWithin, type TransportEnv } from '../transports/open.js';
import type { ImageDestination, ImageSource, RawManifest } from '../transports/types.js';
import { buildImageStream } from './image-references.js';
import { MANIFESTS_DIR, readConfig } from './payload-reader.js';
import { newManifest, putBytes, putManifest } from './push.js';
import { buildReleaseMetadata } from './release-metadata.js';
import { buildLayer, withParents } from './tar-build.js';
import { mapLimit } from '../util/map-limit.js';

export interface NewComponent {
  readonly name: string;
  /** Registry reference by tag or digest (tags are resolved to digests). */
  readonly ref: string;
  readonly annotations?: Record<string, string>;
}

export interface NewReleaseOptions {
  readonly env: TransportEnv;
  readonly copy: ImageCopyOptions;
  readonly version: string;
  readonly components: readonly NewComponent[];
  /** Destination `registry/repo:tag`. */
  readonly to: DockerReference;
  /** Image the payload layer goes on (default: the cluster-version-operator component). */
  readonly base?: string;
  readonly previous?: readonly string[];
  readonly metadata?: Record<string, unknown>;
  /** More files for /release-manifests/ (name → content). */
  readonly manifests?: ReadonlyMap<string, Buffer>;
  /** RFC 3339 creation time (default: now). */
  readonly created?: string;
  readonly annotations?: Record<string, string>;
  readonly concurrency?: number;
}

export interface NewReleaseResult {
  readonly digest: Digest;
  readonly pullSpec: string;
  readonly platforms: readonly string[];
  readonly components: readonly { name: string; pullSpec: string }[];
}

export class ReleaseNewError extends Error {
  readonly code = 'ERR_RELEASE_NEW';
}

async function resolveDigest(env: TransportEnv, ref: string): Promise<{ pullSpec: string; source: ImageSource; digest: Digest }> {
  const parsed = parseImageReference(ref);
  const name = registryNameOf(parsed);
  if (name === undefined) throw new ReleaseNewError(`${ref}: components must be registry images`);
  const within = referenceWithin(parsed);
  if (within === undefined) throw new ReleaseNewError(`${ref}: needs a tag or a digest`);
  const source = await openSource(env, parsed);
  const m = await source.getManifest(within);
  return { pullSpec: `${name.registry}/${name.repository}@${m.digest}`, source, digest: m.digest };
}

function layerMediaType(manifestType: string): string {
  return manifestType === MediaType.DockerManifest ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip;
}

async function releaseImageFor(
  o: NewReleaseOptions,
  src: ImageSource,
  dst: ImageDestination,
  base: RawManifest,
  layer: Awaited<ReturnType<typeof buildLayer>>,
): Promise<{ manifest: RawManifest; platform: string }> {
  const { config } = await readConfig(src, base);
  const refs = manifestRefs(base);
  if (refs.kind !== 'image') throw new ReleaseNewError(`base ${base.digest} is not an image`);
  const created = o.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const newConfig = {
    ...config,
    created,
    config: { ...(config.config ?? {}), Labels: { ...(config.config?.Labels ?? {}), 'io.openshift.release': o.version, 'io.openshift.release.base-image-digest': base.digest } },
    rootfs: { type: 'layers', diff_ids: [...(config.rootfs?.diff_ids ?? []), layer.diffId] },
    history: [...((config.history as unknown[] | undefined) ?? []), { created, created_by: `airlock release new ${o.version}`, comment: 'release payload' }],
  };
  const docker = base.mediaType === MediaType.DockerManifest;
  const cfg = await putBytes(dst, Buffer.from(JSON.stringify(newConfig), 'utf8'));
  const lay = await putBytes(dst, layer.blob);
  const doc = readManifest(base).document as { layers: unknown[] };
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.DockerManifest : MediaType.OciManifest,
    config: { mediaType: docker ? MediaType.DockerConfig : MediaType.OciConfig, ...cfg },
    layers: [...doc.layers, { mediaType: layerMediaType(base.mediaType), ...lay }],
    ...(docker ? {} : { annotations: { 'io.openshift.release': o.version } }),
  };
  return { manifest: newManifest(manifest, manifest.mediaType), platform: `${config.os ?? 'linux'}/${config.architecture ?? 'amd64'}` };
}

export async function newRelease(o: NewReleaseOptions): Promise<NewReleaseResult> {
  const names = new Set<string>();
  for (const c of o.components) {
    if (names.has(c.name)) throw new ReleaseNewError(`component ${c.name} is given twice`);
    names.add(c.name);
  }
  if (o.to.name.tag === undefined || o.to.name.digest !== undefined) throw new ReleaseNewError(`--to-image ${formatImageReference(o.to)} needs a tag (and no digest)`);
  const resolved = await mapLimit(o.components, o.concurrency ?? 8, async (c) => ({ ...c, ...(await resolveDigest(o.env, c.ref)) }));
  const baseRef = o.base ?? o.components.find((c) => c.name === 'cluster-version-operator')?.ref;
  if (baseRef === undefined) throw new ReleaseNewError('no base image: give --to-image-base or a cluster-version-operator component');
  const base = await resolveDigest(o.env, baseRef);
  const dst = await openDestination(o.env, o.to);
  try {
    await copyImage(o.copy, base.source, base.digest, [{ dst }]);
    const created = o.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const is = buildImageStream(o.version, resolved.map((c) => ({ name: c.name, pullSpec: c.pullSpec, annotations: c.annotations })), { created, annotations: o.annotations });
    const meta = buildReleaseMetadata(o.version, o.previous ?? [], o.metadata);
    const files = [
      { path: `${MANIFESTS_DIR}/image-references`, data: `${JSON.stringify(is, null, 2)}\n` },
      { path: `${MANIFESTS_DIR}/release-metadata`, data: `${JSON.stringify(meta, null, 2)}\n` },
      ...[...(o.manifests ?? new Map<string, Buffer>())].sort(([a], [b]) => a.localeCompare(b)).map(([name, data]) => ({ path: `${MANIFESTS_DIR}/${name}`, data })),
    ];
    const layer = await buildLayer(withParents(files));
    const top = await base.source.getManifest(base.digest);
    const opts = { ...o, created };
    const refs = manifestRefs(top);
    let result: RawManifest;
    const platforms: string[] = [];
    if (refs.kind === 'index') {
      const children: (ChildDescriptor & { m: RawManifest })[] = [];
      for (const c of refs.children) {
        const child = await base.source.getManifest(c.digest);
        const { manifest: m, platform } = await releaseImageFor(opts, base.source, dst, { ...child, mediaType: c.mediaType || child.mediaType }, layer);
        await putManifest(dst, m);
        children.push({ ...c, m });
        platforms.push(platform);
      }
      const listType = isIndexMediaType(top.mediaType) ? top.mediaType : MediaType.OciIndex;
      result = newManifest(
        { schemaVersion: 2, mediaType: listType, manifests: children.map((c) => ({ mediaType: c.m.mediaType, digest: c.m.digest, size: c.m.bytes.length, ...(c.platform ? { platform: c.platform } : {}) })) },
        listType,
      );
    } else {
      const single = await releaseImageFor(opts, base.source, dst, top, layer);
      result = single.manifest;
      platforms.push(single.platform);
    }
    await putManifest(dst, result, o.to.name.tag);
    await dst.commit();
    return { digest: result.digest, pullSpec: `${o.to.name.registry}/${o.to.name.repository}@${result.digest}`, platforms, components: resolved.map((c) => ({ name: c.name, pullSpec: c.pullSpec })) };
  } finally {
    await dst.close();
  }
}
