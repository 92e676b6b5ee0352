/**
 * The image-set collector: ONE plan from an ImageSetConfiguration. Releases
 * (releases.ts; fatal on failure), each operator catalog through the
 * catalog collector with the config's filter, v2 naming and its
 * targetCatalog/targetTag (a failing catalog is listed, the others go on),
 * and additional images; then blockedImages remove matching items (each
 * reported with the pattern that blocked it), and items naming the same
 * source image are merged.
 */
import { join } from 'node:path';
import { parseImageName } from '../../reference/image-name.js';
import { parseImageReference, repositoryText, type ImageReference } from '../../transports/all.js';
import type { Collected, Collector, CollectorContext } from '../collector.js';
import { CatalogCollector, type CatalogInfo } from '../collectors/catalog.js';
import { HelmCollector, type HelmInfo } from '../collectors/helm.js';
import { helmNotes } from './helm-notes.js';
import type { ItemOrigin, OriginKind, PlanItem, PlanTarget } from '../plan.js';
import type { CincinnatiClient } from './cincinnati.js';
import type { ImageSetConfig, OperatorSpec } from './config-types.js';
import { additionalItem, sparseSelection } from './additional-target.js';
import { kubeVirtItems } from './kubevirt.js';
import { destRepository, v2Tag, v2Target } from './naming.js';
import { collectReleases, type SelectedRelease } from './releases.js';
import { collectSamples, type ImageSetSamples } from './samples-section.js';

export interface ImageSetInput {
  readonly config: ImageSetConfig;
  /** `host[:port][/prefix]` (no `docker://`). */
  readonly dest: string;
  /** 0: unlimited. */
  readonly maxNestedPaths: number;
  readonly graph: CincinnatiClient;
  /** Private directory for rebuilt catalogs (undefined in dry runs: original indexes are planned). */
  readonly rebuildDir?: string;
  /** Where chart archives, indexes and the OCI layout of charts go (v2: working-dir/helm); required with `helm:`. */
  readonly helmDir?: string;
}

export interface CollectedCatalog {
  readonly spec: OperatorSpec;
  readonly info: CatalogInfo;
}

export interface BlockedItem {
  readonly image: string;
  readonly pattern: string;
  readonly where: string;
  readonly origins: readonly ItemOrigin[];
}

/** A failure that does not stop the run (an operator catalog that cannot be read). */
export interface CollectFailure {
  readonly kind: OriginKind;
  readonly what: string;
  readonly message: string;
}

export interface ImageSetInfo {
  readonly releases: readonly SelectedRelease[];
  readonly catalogs: readonly CollectedCatalog[];
  readonly blocked: readonly BlockedItem[];
  readonly failures: readonly CollectFailure[];
  readonly notes: readonly string[];
  readonly helm?: HelmInfo;
  /** `mirror.samples`, when the config has it. */
  readonly samples?: ImageSetSamples;
}

/** `host/repo@digest` or `host/repo:tag` of an item's source. */
export function itemImage(i: PlanItem): string {
  return `${repositoryText(i.source)}${i.within.startsWith('sha256:') ? '@' : ':'}${i.within}`;
}

/** Where a catalog goes: `<dest>/<targetCatalog or its path>:<targetTag or its tag>`. */
function catalogTarget(spec: OperatorSpec, dest: string, max: number): { repository: string; tag: string; reference: string } {
  const n = parseImageName(spec.catalog);
  const repository = destRepository(dest, spec.targetCatalog ?? n.repository, max);
  const tag = spec.targetTag ?? v2Tag(n.tag, n.digest);
  return { repository, tag, reference: `${repository}:${tag}` };
}

/** Items of one source image merged: targets and origins deduplicated, first item's platform choice kept. */
export function mergeItems(items: readonly PlanItem[]): PlanItem[] {
  const by = new Map<string, { source: ImageReference; within: string; targets: PlanTarget[]; origins: ItemOrigin[]; platforms?: PlanItem['platforms'] }>();
  for (const i of items) {
    const key = `${JSON.stringify(i.source.transport === 'docker' ? repositoryText(i.source) : i.source)}@${i.within}`;
    const m = by.get(key);
    if (m === undefined) {
      by.set(key, { source: i.source, within: i.within, targets: [...i.targets], origins: [...i.origins], ...(i.platforms ? { platforms: i.platforms } : {}) });
      continue;
    }
    for (const t of i.targets) if (!m.targets.some((x) => repositoryText(x.ref) === repositoryText(t.ref) && x.tag === t.tag)) m.targets.push(t);
    for (const o of i.origins) if (!m.origins.some((x) => JSON.stringify(x) === JSON.stringify(o))) m.origins.push(o);
  }
  return [...by.values()];
}

export class ImageSetCollector implements Collector<ImageSetInfo> {
  readonly name = 'imageset';

  constructor(private readonly o: ImageSetInput) {}

  async collect(ctx: CollectorContext): Promise<Collected<ImageSetInfo>> {
    const { config, dest, maxNestedPaths: max } = this.o;
    const notes: string[] = [];
    const failures: CollectFailure[] = [];
    const releases = config.platform ? await collectReleases(config.platform, this.o.graph, dest, max, ctx) : [];
    const items: PlanItem[] = releases.flatMap((r) => r.items);
    if (config.platform?.kubeVirtContainer === true) items.push(...kubeVirtItems(releases, dest, max, ctx.warn));
    const catalogs: CollectedCatalog[] = [];
    for (const [k, spec] of config.operators.entries()) {
      const target = catalogTarget(spec, dest, max);
      try {
        const r = await new CatalogCollector({
          index: parseImageReference(spec.catalog),
          dest,
          maxComponents: 0,
          filter: spec.filter,
          ...(this.o.rebuildDir !== undefined ? { rebuildDir: join(this.o.rebuildDir, `catalog-${k}`) } : {}),
          naming: (image) => v2Target(image, dest, max),
          indexTarget: target,
          rebuildTag: target.tag,
        }).collect(ctx);
        catalogs.push({ spec, info: r.info });
        notes.push(...r.info.notes.map((n) => `${spec.catalog}: ${n}`));
        // operators[].platforms: the related images (not the index) are copied sparse.
        const sparse = sparseSelection(spec.platforms);
        items.push(...(sparse === undefined ? r.items : r.items.map((i) => (i.origins.some((o) => o.bundle !== undefined) ? { ...i, platforms: sparse } : i))));
      } catch (e) {
        failures.push({ kind: 'operator', what: `catalog ${spec.catalog} (${spec.where})`, message: (e as Error).message });
      }
    }
    for (const a of config.additionalImages) items.push(additionalItem(a, dest, max));
    let helm: HelmInfo | undefined;
    if (config.helm !== undefined) {
      if (this.o.helmDir === undefined) throw new Error('ImageSetCollector: mirror.helm needs helmDir (where chart archives and the OCI layout of charts are kept)');
      const r = await new HelmCollector({ spec: config.helm, dest, maxNestedPaths: max, dir: this.o.helmDir }).collect(ctx);
      helm = r.info;
      items.push(...r.items);
      const h = helmNotes(r.info);
      notes.push(...h.notes);
      failures.push(...h.failures);
    }
    const samples = config.samples ? await collectSamples(config.samples, dest, ctx) : undefined;
    if (samples) items.push(...samples.items);
    const blocked: BlockedItem[] = [];
    const kept = mergeItems(items).filter((i) => {
      const image = itemImage(i);
      const b = config.blockedImages.find((x) => x.pattern.test(image));
      if (b === undefined) return true;
      blocked.push({ image, pattern: b.name, where: b.where, origins: i.origins });
      return false;
    });
    return { items: kept, info: { releases, catalogs, blocked, failures, notes, ...(helm ? { helm } : {}), ...(samples ? { samples } : {}) } };
  }
}
