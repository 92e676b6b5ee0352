/**
 * The OSUS graph-data image of `platform.graph: true` (anchors §3.2,
 * reference §5.4): one layer holding the graph data under
 * `/var/lib/cincinnati-graph-data/` (uid/gid 0, files 0644, directories
 * 0755, mtime 0: the same data gives the same layer) on top of a base image
 * (oc-mirror's default registry.access.redhat.com/ubi9/ubi:latest; for a
 * manifest list, the child for this machine, else linux/amd64), with the
 * CMD the update service's init container runs:
 * `exec cp -rp /var/lib/cincinnati-graph-data/* /var/lib/cincinnati/graph-data`.
 * The base's blobs are copied with the copy engine (digests kept), then
 * the new config, layer and manifest are pushed under `:latest`.
 */
import { copyImage, type ImageCopyOptions } from '../../copy/copy-image.js';
import type { Digest } from '../../oci/digest.js';
import { MediaType } from '../../oci/media-types.js';
import { readManifest } from '../../oci/manifest-refs.js';
import { readConfig, selectPlatform } from '../../release/payload-reader.js';
import { newManifest, putBytes, putManifest } from '../../release/push.js';
import { buildLayer, withParents } from '../../release/tar-build.js';
import { parseImageReference } from '../../transports/all.js';
import { openDestination, openSource, referenceWithin, type TransportEnv } from '../../transports/open.js';
import type { GraphFile } from './graph-data.js';

export const DEFAULT_GRAPH_BASE_IMAGE = 'registry.access.redhat.com/ubi9/ubi:latest';
export const GRAPH_DATA_DIR = 'var/lib/cincinnati-graph-data';
export const GRAPH_IMAGE_PATH = 'openshift/graph-image';
export const GRAPH_IMAGE_CMD = ['/bin/bash', '-c', 'exec cp -rp /var/lib/cincinnati-graph-data/* /var/lib/cincinnati/graph-data'] as const;

export class GraphImageError extends Error {
  readonly code = 'ERR_GRAPH_IMAGE';
}

export interface GraphImageInput {
  readonly env: TransportEnv;
  readonly copy: ImageCopyOptions;
  /** The base image reference (fully qualified, tag or digest). */
  readonly base: string;
  readonly files: readonly GraphFile[];
  /** `host/path/openshift/graph-image` (no tag). */
  readonly repository: string;
  /** RFC 3339 creation time (default: now). */
  readonly created?: string;
  /** false: the caller commits the destination (an archive set still being written commits once, at the end). */
  readonly commit?: boolean;
}

export interface GraphImage {
  readonly digest: Digest;
  /** `<repository>@<digest>`. */
  readonly byDigest: string;
  /** `<repository>:latest`. */
  readonly byTag: string;
  readonly baseDigest: Digest;
}

/** Builds the graph-data image on the base and pushes it as `<repository>:latest`. */
export async function buildGraphImage(o: GraphImageInput): Promise<GraphImage> {
  const baseRef = parseImageReference(o.base);
  const within = referenceWithin(baseRef);
  if (within === undefined) throw new GraphImageError(`graph base image ${o.base}: needs a tag or a digest`);
  const src = await openSource(o.env, baseRef);
  try {
    const top = await src.getManifest(within);
    const { image } = await selectPlatform(src, top, undefined);
    const { config } = await readConfig(src, image);
    const dst = await openDestination(o.env, parseImageReference(`${o.repository}:latest`));
    try {
      await copyImage(o.copy, src, image.digest, [{ dst }]);
      const layer = await buildLayer(withParents(o.files.map((f) => ({ path: `${GRAPH_DATA_DIR}/${f.path}`, data: f.data, mode: 0o644 }))));
      const created = o.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const { Entrypoint: _entrypoint, ...runConfig } = (config.config ?? {}) as Record<string, unknown>;
      const newConfig = {
        ...config,
        created,
        config: { ...runConfig, Cmd: [...GRAPH_IMAGE_CMD] },
        rootfs: { type: 'layers', diff_ids: [...(config.rootfs?.diff_ids ?? []), layer.diffId] },
        history: [...((config.history as unknown[] | undefined) ?? []), { created, created_by: 'airlock mirror: graph data', comment: `${o.files.length} files under /${GRAPH_DATA_DIR}` }],
      };
      const docker = image.mediaType === MediaType.DockerManifest;
      const cfg = await putBytes(dst, Buffer.from(JSON.stringify(newConfig), 'utf8'));
      const lay = await putBytes(dst, layer.blob);
      const doc = readManifest(image).document as { layers: unknown[] };
      const manifest = newManifest(
        {
          schemaVersion: 2,
          mediaType: docker ? MediaType.DockerManifest : MediaType.OciManifest,
          config: { mediaType: docker ? MediaType.DockerConfig : MediaType.OciConfig, ...cfg },
          layers: [...doc.layers, { mediaType: docker ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip, ...lay }],
        },
        docker ? MediaType.DockerManifest : MediaType.OciManifest,
      );
      await putManifest(dst, manifest, 'latest');
      if (o.commit !== false) await dst.commit();
      return { digest: manifest.digest, byDigest: `${o.repository}@${manifest.digest}`, byTag: `${o.repository}:latest`, baseDigest: image.digest };
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}
