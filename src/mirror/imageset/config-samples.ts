/**
 * `mirror.samples` of an ImageSetConfiguration: the Cluster Samples
 * Operator's images (seed §4.3.6). oc-mirror declares `samples: [{name}]`
 * and leaves it "Not implemented"; a stream name alone says nothing about
 * its images, so airlock reads the cluster's guide to them:
 *
 *   samples:
 *     configMap: imagestreamtag-to-image.yaml   # oc get cm … -o yaml|json; relative to this file
 *     imageStreams: [ruby, nodejs]              # optional; default every stream of the ConfigMap
 *
 * The ConfigMap itself is read when the plan is collected
 * (imageset/collector.ts), its errors naming this entry's line.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { isSeq, type Node } from 'yaml';
import type { Where } from './config-types.js';
import type { ConfigSource } from './yaml-nodes.js';

export interface SamplesSpec {
  /** The ConfigMap file, resolved against the config file's directory. */
  readonly configMap: string;
  /** Streams to mirror; undefined: all. */
  readonly imageStreams?: readonly string[];
  readonly where: Where;
}

const STREAM = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function readSamples(src: ConfigSource, node: Node | null, field: string): SamplesSpec {
  if (isSeq(node)) src.fail(node, field, "oc-mirror's list form (- name: STREAM) names no images; write configMap: FILE (the imagestreamtag-to-image ConfigMap) and imageStreams: [STREAM, ...]");
  const m = src.map(node, field, ['configMap', 'imageStreams']);
  if (m.get('configMap') === undefined) src.fail(node, field, 'needs "configMap" (the imagestreamtag-to-image ConfigMap file, as oc get cm -o yaml writes it)');
  const file = src.string(m.get('configMap')!.value, `${field}.configMap`, 'a file name');
  const e = m.get('imageStreams');
  const imageStreams = e === undefined ? undefined : src.seq(e.value, `${field}.imageStreams`).map((n, i) => {
    const s = src.string(n, `${field}.imageStreams[${i}]`, 'an image stream name');
    if (!STREAM.test(s)) src.fail(n, `${field}.imageStreams[${i}]`, `"${s}" is not an image stream name (lowercase letters, digits, - and .)`);
    return s;
  });
  if (imageStreams !== undefined && imageStreams.length === 0) src.fail(e!.value ?? e!.key, `${field}.imageStreams`, 'is empty (omit it to mirror every image stream)');
  return { configMap: isAbsolute(file) ? file : join(dirname(src.file), file), ...(imageStreams !== undefined ? { imageStreams: [...new Set(imageStreams)] } : {}), where: src.at(node) };
}
