/**
 * The image-set side of `mirror.samples` (config-samples.ts): the ConfigMap
 * read and the samples collector run inside the image-set collector, and,
 * after the copy, the Cluster Samples Operator config for
 * `working-dir/cluster-resources/` from the items actually mirrored.
 */
import { destinationName } from '../../copy/mirror.js';
import type { MirrorResult } from '../../copy/mirror.js';
import type { CollectorContext } from '../collector.js';
import { SamplesCollector, type SamplesInfo } from '../collectors/samples.js';
import type { PlanItem } from '../plan.js';
import { SAMPLES_CONFIG_FILE, samplesOperatorConfigYaml, samplesPatchCommand } from '../resources/samples-operator-config.js';
import { readSamplesConfigMap, SamplesConfigMapError, selectStreams, type SampleTag } from '../samples/configmap.js';
import { samplesOutcome } from '../samples/run.js';
import type { SamplesSpec } from './config-samples.js';
import { ImageSetConfigError } from './yaml-nodes.js';

export interface ImageSetSamples {
  readonly tags: readonly SampleTag[];
  readonly info: SamplesInfo;
  /** The samples collector's own items (before the image-set merge). */
  readonly items: readonly PlanItem[];
}

const label = (i: PlanItem): string => `${destinationName(i.source, undefined)}${i.within.includes(':') ? '@' : ':'}${i.within}`;

/** Reads the ConfigMap (errors: one line naming the config entry) and plans the chosen streams. */
/** Paths are never flattened (`--max-nested-paths` does not apply): samplesRegistry replaces only the registry part of each pull spec. */
export async function collectSamples(spec: SamplesSpec, dest: string, ctx: CollectorContext): Promise<ImageSetSamples> {
  let tags: SampleTag[];
  let selected: SampleTag[];
  try {
    tags = await readSamplesConfigMap(spec.configMap);
    selected = selectStreams(spec.configMap, tags, spec.imageStreams);
  } catch (e) {
    if (e instanceof SamplesConfigMapError) throw new ImageSetConfigError(`${spec.where}: mirror.samples: ${e.message}`);
    throw e;
  }
  const r = await new SamplesCollector({ tags, selected, dest, maxNestedPaths: 0, file: spec.configMap }).collect(ctx);
  return { tags, info: r.info, items: r.items };
}

/** `samples-operator-config.yaml` and the `oc patch` line, from the items that were mirrored (by source image). */
export function samplesClusterResource(s: ImageSetSamples, mirrored: readonly PlanItem[], dest: string, annotations: Readonly<Record<string, string>>): { file: string; text: string; patch: string; skipped: readonly string[] } {
  const done = new Set(mirrored.map(label));
  const result: MirrorResult = { images: [], missing: [], attachments: 0, attachmentsPresent: 0, errors: s.items.filter((i) => !done.has(label(i))).map((i) => ({ source: label(i), message: 'not mirrored' })) };
  const { config } = samplesOutcome(s.tags, s.items, s.info, result, dest);
  return { file: SAMPLES_CONFIG_FILE, text: samplesOperatorConfigYaml(config, annotations), patch: samplesPatchCommand(config), skipped: config.skippedImagestreams };
}
