/**
 * The samples collector: the Cluster Samples Operator's image stream tags
 * (samples/configmap.ts) of the chosen streams become plan items, each
 * image going to `<dest>/<its repository path>` (the operator swaps the
 * registry host of every pull spec for `samplesRegistry`, so the path must
 * stay), by tag for by-tag entries and by digest for by-digest ones; manifest
 * lists are kept whole (the plan's `all` platforms), digests unchanged.
 *
 * Each source image is read once before planning. An image that does not
 * exist, or whose registry cannot be reached (refused, TLS, DNS, auth), is
 * listed in `info.skipped` with why, never fatal; a registry that was
 * unreachable once is not asked again. An image stream counts as mirrored
 * only when every one of its tags is (samples/patch.ts).
 */
import { parseImageName } from '../../reference/image-name.js';
import { parseImageReference, repositoryText } from '../../transports/all.js';
import { openSource } from '../../transports/open.js';
import { RegistryAuthError } from '../../transports/registry/registry-auth.js';
import { RegistryUnreachableError } from '../../transports/registry/http-errors.js';
import { ImageNotFoundError, type ImageSource } from '../../transports/types.js';
import type { Collected, Collector, CollectorContext } from '../collector.js';
import { destRepository } from '../imageset/naming.js';
import type { PlanItem } from '../plan.js';
import type { SampleTag } from '../samples/configmap.js';

export interface SamplesInput {
  /** Every tag of the ConfigMap (streams not chosen still count for skippedImagestreams). */
  readonly tags: readonly SampleTag[];
  /** The chosen tags (a subset of `tags`). */
  readonly selected: readonly SampleTag[];
  /** `host[:port][/prefix]`: the mirror, and samplesRegistry. */
  readonly dest: string;
  /** 0: unlimited (see imageset/naming.ts). */
  readonly maxNestedPaths: number;
  /** Names the ConfigMap in origins (`FILE: data.<key>`). */
  readonly file: string;
}

export interface SkippedSample {
  readonly tag: SampleTag;
  readonly reason: 'missing' | 'unreachable';
  readonly message: string;
}

export interface SamplesInfo {
  /** Every stream of the ConfigMap, sorted. */
  readonly streams: readonly string[];
  /** The chosen streams, sorted. */
  readonly selected: readonly string[];
  /** Chosen tags left out before copying, in ConfigMap order. */
  readonly skipped: readonly SkippedSample[];
  /** For each planned item, the tags it serves (same index as `items`). */
  readonly tagsOf: readonly (readonly SampleTag[])[];
}

/** Where one sample image goes: `{ repository, tag }` (tag undefined: pushed by digest). */
export function sampleTarget(image: string, dest: string, maxNestedPaths: number): { repository: string; tag: string | undefined; within: string } {
  const n = parseImageName(image);
  return { repository: destRepository(dest, n.repository, maxNestedPaths), tag: n.digest === undefined ? n.tag : undefined, within: n.digest ?? n.tag ?? 'latest' };
}

function reachabilityError(e: unknown): boolean {
  return e instanceof RegistryUnreachableError || e instanceof RegistryAuthError;
}

export class SamplesCollector implements Collector<SamplesInfo> {
  readonly name = 'samples';

  constructor(private readonly o: SamplesInput) {}

  async collect(ctx: CollectorContext): Promise<Collected<SamplesInfo>> {
    const { dest, maxNestedPaths, file } = this.o;
    const byImage = new Map<string, { item: PlanItem; tags: SampleTag[] }>();
    const skipped: SkippedSample[] = [];
    const downHosts = new Map<string, string>();
    const sources = new Map<string, Promise<ImageSource>>();
    try {
      for (const t of this.o.selected) {
        const n = parseImageName(t.image);
        const host = n.registry ?? '';
        const down = downHosts.get(host);
        if (down !== undefined) {
          skipped.push({ tag: t, reason: 'unreachable', message: down });
          continue;
        }
        const target = sampleTarget(t.image, dest, maxNestedPaths);
        const source = parseImageReference(`docker://${n.registry}/${n.repository}`);
        const key = `${repositoryText(source)}@${target.within}\u0000${target.tag ?? ''}`;
        const seen = byImage.get(key);
        if (seen !== undefined) {
          seen.tags.push(t);
          continue;
        }
        try {
          let src = sources.get(repositoryText(source));
          if (src === undefined) sources.set(repositoryText(source), (src = openSource(ctx.env, source)));
          await (await src).getManifest(target.within, ctx.signal);
        } catch (e) {
          if (e instanceof ImageNotFoundError) {
            skipped.push({ tag: t, reason: 'missing', message: e.message });
            continue;
          }
          if (!reachabilityError(e) && !(e instanceof Error && /ECONN|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|socket|TLS|certificate/i.test(`${e.message} ${String((e as { cause?: unknown }).cause ?? '')}`))) throw e;
          const message = (e as Error).message;
          downHosts.set(host, message);
          skipped.push({ tag: t, reason: 'unreachable', message });
          continue;
        }
        const item: PlanItem = {
          source,
          within: target.within,
          targets: [{ ref: parseImageReference(`docker://${target.repository}`), tag: target.tag }],
          origins: [{ kind: 'sample', component: `${t.stream}:${t.tag}`, where: `${file}: data.${t.key}` }],
        };
        byImage.set(key, { item, tags: [t] });
      }
    } finally {
      for (const p of sources.values()) await p.then((s) => s.close()).catch(() => undefined);
    }
    const planned = [...byImage.values()].map((v) => ({
      item: v.tags.length === 1 ? v.item : { ...v.item, origins: v.tags.map((t) => ({ kind: 'sample' as const, component: `${t.stream}:${t.tag}`, where: `${file}: data.${t.key}` })) },
      tags: v.tags,
    }));
    const streams = [...new Set(this.o.tags.map((t) => t.stream))].sort();
    const selected = [...new Set(this.o.selected.map((t) => t.stream))].sort();
    for (const s of skipped) ctx.warn(`skipping ${s.tag.stream}:${s.tag.tag} (${s.tag.image}): ${s.reason === 'missing' ? 'the image does not exist' : 'the registry cannot be reached'}: ${s.message}`);
    return { items: planned.map((p) => p.item), info: { streams, selected, skipped, tagsOf: planned.map((p) => p.tags) } };
  }
}
