/**
 * What travels in an m2d archive set beside the images, for d2m to finish
 * the job on the far side (which has no graph-data service and no ConfigMap):
 * - `platform.graph`: m2d builds the graph-data image INTO the set, at
 *   `openshift/graph-image:latest` (graph-data.ts + graph-image.ts, the
 *   same build as m2m), and records it in the plan; d2m pushes it to
 *   `<dest>/openshift/graph-image:latest` as one more copy and writes
 *   `updateService.yaml` for its destination (resources/update-service.ts).
 * - `mirror.samples`: which image streams each packed item serves and the
 *   streams already skipped at planning; d2m writes
 *   `samples-operator-config.yaml` with samplesRegistry = its destination
 *   and skippedImagestreams = every stream not fully pushed.
 * Both are optional fields of the plan document (older sets have neither).
 */
import { z } from 'zod';
import { createCopyContext } from '../../copy/copy-context.js';
import { parseImageReference, repositoryText } from '../../transports/all.js';
import { archiveReference } from '../../transports/archive/archive-transport.js';
import type { MirrorExecutor } from '../executor.js';
import type { PlanItem } from '../plan.js';
import { SAMPLES_CONFIG_FILE, samplesOperatorConfigYaml, skippedStreams } from '../resources/samples-operator-config.js';
import { updateServiceYaml } from '../resources/update-service.js';
import { samplesRegistry } from '../samples/run.js';
import type { ImageSetSamples } from './samples-section.js';
import { fetchGraphData, graphDataUrl } from './graph-data.js';
import { buildGraphImage, DEFAULT_GRAPH_BASE_IMAGE, GRAPH_IMAGE_PATH } from './graph-image.js';
import { destRepository, RELEASE_IMAGES_PATH } from './naming.js';
import { samplesClusterResource } from './samples-section.js';

export const GraphInSetSchema = z.object({ path: z.string(), tag: z.string(), digest: z.string() }).strict();
export const SamplesInSetSchema = z.object({
  streams: z.array(z.string()),
  /** Streams not mirrorable already at planning (not chosen, missing, unreachable). */
  skipped: z.array(z.string()),
  /** Plan item source (as in ArchivePlan.items[].source) → the streams it serves. */
  items: z.array(z.object({ source: z.string(), streams: z.array(z.string()) }).strict()),
}).strict();
export type GraphInSet = z.infer<typeof GraphInSetSchema>;
export type SamplesInSet = z.infer<typeof SamplesInSetSchema>;

/** An item's source as the plan document writes it. */
export const planSource = (i: PlanItem): string => `${repositoryText(i.source)}${i.within.includes(':') ? '@' : ':'}${i.within}`;

/** m2d: builds the graph-data image into the archive set (x.env's archive writer); the error text on failure (a release failure). */
export async function packGraph(x: MirrorExecutor, o: { graphDataUrl?: string; graphBaseImage?: string }): Promise<{ graph?: GraphInSet; error?: string }> {
  const url = graphDataUrl(o.graphDataUrl);
  const base = o.graphBaseImage ?? DEFAULT_GRAPH_BASE_IMAGE;
  try {
    const files = await fetchGraphData(url);
    const img = await buildGraphImage({ env: x.env, copy: createCopyContext(), base, files, repository: `archive://${GRAPH_IMAGE_PATH}`, commit: false });
    x.console.message(`info: graph-data image packed as ${GRAPH_IMAGE_PATH}:latest (${img.digest}): ${files.length} files from ${url} on ${base}`);
    return { graph: { path: GRAPH_IMAGE_PATH, tag: 'latest', digest: img.digest } };
  } catch (e) {
    const error = `graph-data image: ${(e as Error).message}`;
    x.console.message(`error: ${error}`);
    return { error };
  }
}

/** m2d: the samples record of the set, from the items that were packed. */
export function samplesInSet(s: ImageSetSamples, packed: readonly PlanItem[]): SamplesInSet {
  const atPack = samplesClusterResource(s, packed, 'unused.invalid', {});
  const items = s.items.map((i, k) => ({ source: planSource(i), streams: [...new Set((s.info.tagsOf[k] ?? []).map((t) => t.stream))].sort() }));
  return { streams: [...s.info.streams], skipped: [...atPack.skipped], items };
}

/** d2m: the copy that pushes the packed graph image to `dest`. */
export function graphCopy(g: GraphInSet, dest: string, maxNestedPaths: number): PlanItem {
  return { source: archiveReference(g.path), within: g.tag, targets: [{ ref: parseImageReference(destRepository(dest, g.path, maxNestedPaths)), tag: g.tag }], origins: [{ kind: 'release', where: 'platform.graph' }], platforms: { mode: 'all' } };
}

/** d2m: updateService.yaml for `dest`. */
export function graphResource(g: GraphInSet, dest: string, maxNestedPaths: number, annotations: Readonly<Record<string, string>>): [string, string] {
  return ['updateService.yaml', updateServiceYaml({ graphDataImage: `${destRepository(dest, g.path, maxNestedPaths)}@${g.digest}`, releases: destRepository(dest, RELEASE_IMAGES_PATH, maxNestedPaths), annotations })];
}

/** d2m: samples-operator-config.yaml for `dest`; `failedSources` are plan item sources whose push failed. */
export function samplesResource(s: SamplesInSet, dest: string, failedSources: ReadonlySet<string>, annotations: Readonly<Record<string, string>>): { file: string; text: string; skipped: readonly string[] } {
  const bad = new Set(s.skipped);
  for (const i of s.items) if (failedSources.has(i.source)) for (const st of i.streams) bad.add(st);
  const skipped = skippedStreams(s.streams, s.streams.filter((st) => !bad.has(st)));
  return { file: SAMPLES_CONFIG_FILE, text: samplesOperatorConfigYaml({ samplesRegistry: samplesRegistry(dest), skippedImagestreams: skipped }, annotations), skipped };
}
