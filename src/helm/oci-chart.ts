/**
 * A chart as an OCI artifact, the shape `helm push` writes and `helm pull
 * oci://…` reads: an OCI image manifest whose config (media type
 * application/vnd.cncf.helm.config.v1+json) is the chart's metadata as JSON
 * and whose one layer (application/vnd.cncf.helm.chart.content.v1.tar+gzip)
 * is the chart archive, byte for byte. The tag is the chart version with
 * `+` replaced by `_` (OCI tags cannot hold `+`; Helm does the same).
 * Deterministic: no creation time is written.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { digestOf, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { buildTar } from '../release/tar-build.js';
import type { ImageDestination } from '../transports/types.js';
import type { ChartFiles } from './chart/archive.js';
import type { ChartMetadata } from './chart/load.js';
import { goJson } from './template/funcs-helm.js';

export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

export interface ChartArtifact {
  readonly tag: string;
  readonly manifest: Buffer;
  readonly digest: Digest;
  readonly config: Buffer;
  readonly layer: Buffer;
}

export function chartTag(version: string): string {
  return version.replace(/\+/g, '_');
}

/** The config blob: Chart.yaml's fields as Helm's chart.Metadata marshals them (keys sorted). */
export function chartConfig(meta: ChartMetadata): Buffer {
  return Buffer.from(goJson({ ...meta.raw, apiVersion: meta.apiVersion, name: meta.name, version: meta.version }));
}

export function chartArtifact(meta: ChartMetadata, archive: Buffer): ChartArtifact {
  const config = chartConfig(meta);
  const annotations: Record<string, string> = { 'org.opencontainers.image.title': meta.name, 'org.opencontainers.image.version': meta.version };
  if (meta.description) annotations['org.opencontainers.image.description'] = meta.description;
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: digestOf(config), size: config.length },
    layers: [{ mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: digestOf(archive), size: archive.length }],
    annotations,
  };
  const manifest = Buffer.from(JSON.stringify(doc));
  return { tag: chartTag(meta.version), manifest, digest: digestOf(manifest), config, layer: archive };
}

/** Writes the artifact through `dst` (blobs, then the manifest under `tag`, by default its own). The caller commits. */
export async function writeChartArtifact(dst: ImageDestination, a: ChartArtifact, tag = a.tag, signal?: AbortSignal): Promise<void> {
  for (const [bytes, mediaType] of [[a.config, HELM_CONFIG_MEDIA_TYPE], [a.layer, HELM_CHART_LAYER_MEDIA_TYPE]] as const) {
    const blob = { digest: digestOf(bytes), size: bytes.length, mediaType };
    if ((await dst.hasBlob(blob, signal)) === 'absent') await dst.putBlob(blob, Readable.from([bytes]), signal);
  }
  await dst.putManifest({ bytes: a.manifest, mediaType: MediaType.OciManifest, digest: a.digest }, { tag }, signal);
}

/** A chart directory packaged as `helm package` lays it out: `NAME/…` entries, gzip'd; deterministic (sorted, mtime 0). */
export async function packageChart(name: string, files: ChartFiles): Promise<Buffer> {
  const entries = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, data]) => ({ path: `${name}/${p}`, data, mode: 0o644 }));
  return gzipSync(await buildTar(entries));
}
