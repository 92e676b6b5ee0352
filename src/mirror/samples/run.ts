/**
 * One samples mirror on an open executor, shared by `airlock samples mirror`
 * and the image-set `samples:` section: collect (collectors/samples.ts),
 * execute, then work out per tag what happened and which image streams are
 * mirrored (every tag copied), for the Cluster Samples Operator config
 * (resources/samples-operator-config.ts).
 */
import type { MirrorResult } from '../../copy/mirror.js';
import { destinationName } from '../../copy/mirror.js';
import type { ExecuteHooks, MirrorExecutor } from '../executor.js';
import { SamplesCollector, type SamplesInfo, type SamplesInput } from '../collectors/samples.js';
import { makePlan, type PlanItem } from '../plan.js';
import { skippedStreams, type SamplesOperatorConfig } from '../resources/samples-operator-config.js';
import { splitRegistryDest } from '../imageset/naming.js';
import type { SampleTag } from './configmap.js';

export type SampleStatus = 'mirrored' | 'missing' | 'unreachable' | 'failed' | 'not-selected';

export interface SampleOutcome {
  readonly stream: string;
  readonly tag: string;
  readonly image: string;
  readonly status: SampleStatus;
  /** The mirror's reference (mirrored, or planned in a dry run). */
  readonly mirror?: string;
  readonly digest?: string;
  readonly message?: string;
}

export interface SamplesRunResult {
  readonly info: SamplesInfo;
  readonly result: MirrorResult;
  readonly outcomes: readonly SampleOutcome[];
  readonly mirroredStreams: readonly string[];
  readonly config: SamplesOperatorConfig;
}

const label = (i: PlanItem): string => `${destinationName(i.source, undefined)}${i.within.includes(':') ? '@' : ':'}${i.within}`;

/** `host[:port][/prefix]` as samplesRegistry. */
export function samplesRegistry(dest: string): string {
  const { host, prefix } = splitRegistryDest(dest);
  return [host, ...prefix].join('/');
}

/**
 * Per tag outcomes and the operator config from what was planned and
 * copied. A stream is mirrored when each of its tags is; every other stream
 * of the ConfigMap is skipped.
 */
export function samplesOutcome(all: readonly SampleTag[], items: readonly PlanItem[], info: SamplesInfo, result: MirrorResult, dest: string): Omit<SamplesRunResult, 'info' | 'result'> {
  const status = new Map<string, SampleOutcome>();
  const failed = new Map(result.errors.map((e) => [e.source, e.message]));
  const digests = new Map(result.images.map((o) => [o.destination, o.digest]));
  for (const s of info.skipped) status.set(s.tag.key, { stream: s.tag.stream, tag: s.tag.tag, image: s.tag.image, status: s.reason, message: s.message });
  items.forEach((item, k) => {
    const t = item.targets[0]!;
    const mirror = destinationName(t.ref, t.tag);
    const err = failed.get(label(item));
    const dest = `${mirror}${t.tag === undefined ? `@${item.within}` : ''}`;
    for (const tag of info.tagsOf[k] ?? []) {
      status.set(tag.key, err !== undefined
        ? { stream: tag.stream, tag: tag.tag, image: tag.image, status: 'failed', message: err }
        : { stream: tag.stream, tag: tag.tag, image: tag.image, status: 'mirrored', mirror: dest.replace(/^docker:\/\//, ''), ...(digests.has(mirror) ? { digest: digests.get(mirror)! } : item.within.startsWith('sha256:') ? { digest: item.within } : {}) });
    }
  });
  const outcomes = all.map((t) => status.get(t.key) ?? { stream: t.stream, tag: t.tag, image: t.image, status: 'not-selected' as const });
  const streams = [...new Set(all.map((t) => t.stream))].sort();
  const mirroredStreams = streams.filter((s) => outcomes.every((o) => o.stream !== s || o.status === 'mirrored'));
  return { outcomes, mirroredStreams, config: { samplesRegistry: samplesRegistry(dest), skippedImagestreams: skippedStreams(streams, mirroredStreams) } };
}

export interface SamplesRunOptions {
  readonly dryRun: boolean;
  readonly attachments: boolean;
  readonly hooks?: ExecuteHooks;
}

export async function runSamples(x: MirrorExecutor, input: SamplesInput, o: SamplesRunOptions): Promise<SamplesRunResult> {
  const { items, info } = await new SamplesCollector(input).collect({ env: x.env, warn: (m) => x.console.message(`warning: ${m}`) });
  const plan = makePlan(items, { dryRun: o.dryRun, skipMissing: true, continueOnError: true, attachments: o.attachments });
  const result = await x.execute(plan, o.hooks);
  return { info, result, ...samplesOutcome(input.tags, items, info, result, input.dest) };
}
