/**
 * The operator-catalog collector (oc adm catalog mirror): opens the index
 * image (catalog/index-image.ts: platform by --index-filter-by-os, FBC or
 * SQLite), optionally filters it (catalog/filter.ts, oc-mirror v2
 * semantics), and plans every related image (bundle images and
 * relatedImages, catalog/related-images.ts) plus the index itself, named by
 * oc's mount() (catalog/naming.ts: FNV-1a tags for digest-only sources,
 * --max-components flattening, unlimited for file://). Every item keeps
 * all platforms: manifest lists are copied whole, so digests hold.
 *
 * Sources: a registry index, or (second hop of the air-gapped flow) an
 * index in the file:// store, whose related images are read from the same
 * store root (catalog-file-root.ts). Destinations are named from the
 * images as the catalog names them, so all three hops of the seed's flow
 * agree on where each image lives.
 */
import { join } from 'node:path';
import { CatalogError } from '../../catalog/errors.js';
import { filterCatalog } from '../../catalog/filter.js';
import type { CatalogFilter } from '../../catalog/filter-spec.js';
import { openIndexCatalog, type IndexCatalog } from '../../catalog/index-image.js';
import type { Catalog } from '../../catalog/model.js';
import { catalogResourceName, fnv32aHex, mountTarget, type MountTarget } from '../../catalog/naming.js';
import { relatedImages, type NeededBy } from '../../catalog/related-images.js';
import { parseImageName, formatImageName } from '../../reference/image-name.js';
import { formatImageReference, imageNameOf, parseImageReference, registryNameOf, type ImageReference } from '../../transports/all.js';
import { fileSourceRoot, fileStoreReference, isFileStoreReference } from '../../transports/file-store/file-transport.js';
import { ociLayoutReference } from '../../transports/oci-layout/layout-transport.js';
import { rebuildCatalogImage, type RebuildResult } from '../../catalog/rebuild.js';
import { openDestination, openSource, referenceWithin } from '../../transports/open.js';
import type { ImageSource } from '../../transports/types.js';
import type { Collected, Collector, CollectorContext } from '../collector.js';
import { ALL_PLATFORMS, type ItemOrigin, type PlanItem } from '../plan.js';
import { fileRepositoryOf, findFileRoot } from './catalog-file-root.js';

export interface CatalogInput {
  /** The index image: a registry reference, or file://ROOT/REPO:TAG (second hop). */
  readonly index: ImageReference;
  /** DEST as given: `registry[:port][/namespace…]` or `file://[/]dir`. */
  readonly dest: string;
  /** oc's --max-components (0 unlimited; forced to 0 for file://). */
  readonly maxComponents: number;
  /** --index-filter-by-os (default linux/amd64). */
  readonly indexPlatform?: string;
  /** --package / --filter-file; undefined mirrors the whole catalog. */
  readonly filter?: CatalogFilter;
  /**
   * A private directory the caller owns (and removes after the run): with a
   * filter, the rebuilt catalog image is built there as an OCI layout and
   * planned in place of the original index. Undefined (dry runs): the
   * original index is planned, with a note.
   */
  readonly rebuildDir?: string;
  /** Destination naming of related images (default oc's mount() with maxComponents; oc-mirror v2's in imageset/naming.ts). */
  readonly naming?: (image: string) => MountTarget;
  /** Where the index (or its rebuilt image) goes instead of its mount() (oc-mirror v2's targetCatalog/targetTag). */
  readonly indexTarget?: MountTarget;
  /** Tag of the rebuilt catalog instead of the md5 of the filter. */
  readonly rebuildTag?: string;
}

/** One image of the catalog and where it goes. */
export interface CatalogMapping {
  /** The image as the catalog names it (`quay.io/x/y@sha256:…`), or the index as given. */
  readonly image: string;
  /** Where it is copied from: the image itself, or its copy in the file:// store. */
  readonly source: ImageReference;
  readonly within: string;
  readonly target: MountTarget;
  /** The bundles (and packages) that need the image; empty for the index. */
  readonly neededBy: readonly NeededBy[];
}

/** What the rebuilt (filtered) catalog image would be. */
export interface RebuiltIndex {
  readonly mapping: CatalogMapping;
}

export interface CatalogInfo {
  readonly format: IndexCatalog['format'];
  /** Digest the index reference resolved to (the list for a multi-platform index). */
  readonly indexDigest: string;
  readonly platform: string;
  /** Resource name of the CatalogSource, ClusterCatalog and mirror sets (`redhat-operator-index`). */
  readonly name: string;
  readonly index: CatalogMapping;
  /** Related images, sorted by image. */
  readonly related: readonly CatalogMapping[];
  /** The image the CatalogSource and ClusterCatalog use (the mirrored index, by digest when the source index was). */
  readonly catalogImage: string;
  readonly destIsFile: boolean;
  /** With a file:// index: the store root its related images were read from. */
  readonly fileRoot?: string;
  readonly filtered: boolean;
  /** A rebuilt (filtered) catalog image replaced the original index in the plan; `catalogImage` names it. */
  readonly rebuilt: boolean;
  readonly packages: number;
  readonly bundles: number;
  /** Lines for the user (`info: …`): filter notes, the rebuilt-catalog note. */
  readonly notes: readonly string[];
}

/**
 * The rebuilt catalog image (catalog/rebuild.ts: the filtered FBC layered on
 * the original index, the stale opm cache removed, tagged with the md5 of
 * the filter), built into an OCI layout under `dir`; its plan item replaces
 * the original index's and goes where the index would have gone.
 * Undefined, with a note, when it cannot be built (a CatalogError: an index
 * inside an index, no catalog label, …).
 */
async function rebuiltIndex(src: ImageSource, within: string, filtered: Catalog, input: CatalogInput, dir: string, target: MountTarget, ctx: CollectorContext, notes: string[]): Promise<RebuiltIndex | undefined> {
  const layoutPath = join(dir, 'rebuilt-catalog');
  const dst = await openDestination(ctx.env, ociLayoutReference(layoutPath));
  let r: RebuildResult;
  try {
    r = await rebuildCatalogImage({ source: src, manifest: await src.getManifest(within, ctx.signal), catalog: filtered, filter: input.filter, destination: dst, ...(input.rebuildTag !== undefined ? { tag: input.rebuildTag } : {}), signal: ctx.signal });
    await dst.commit(ctx.signal);
  } catch (e) {
    if (!(e instanceof CatalogError)) throw e;
    notes.push(`${e.message}: the filtered related images and the ORIGINAL index image are mirrored`);
    return undefined;
  } finally {
    await dst.close();
  }
  notes.push(`rebuilt the filtered catalog as ${target.repository}:${r.tag} (${r.digest}, ${r.platforms.length} platform(s))`);
  const image = `${target.repository}:${r.tag}`;
  return {
    mapping: {
      image,
      source: ociLayoutReference(layoutPath, r.tag),
      within: r.tag,
      target: { repository: target.repository, tag: r.tag, reference: image },
      neededBy: [],
    },
  };
}

/** One origin per bundle needing the image (several relatedImages names of one bundle count once). */
function origins(neededBy: readonly NeededBy[]): ItemOrigin[] {
  const seen = new Set<string>();
  const out: ItemOrigin[] = [];
  for (const n of neededBy) {
    const k = `${n.package}\u0000${n.bundle}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ kind: 'operator', package: n.package, bundle: n.bundle });
  }
  return out;
}

/** The plan item of one mapping: all platforms, one destination tagged as oc tags it. */
export function catalogItem(m: CatalogMapping): PlanItem {
  return {
    source: m.source,
    within: m.within,
    targets: [{ ref: parseImageReference(m.target.repository), tag: m.target.tag }],
    origins: m.neededBy.length > 0 ? origins(m.neededBy) : [{ kind: 'operator' }],
    platforms: ALL_PLATFORMS,
  };
}

function neededByText(n: readonly NeededBy[]): string {
  const first = n[0];
  return first ? ` (needed by bundle ${first.bundle} of package ${first.package}${n.length > 1 ? ` and ${n.length - 1} more` : ''})` : '';
}

/** Where `image` goes under `dest` (by `naming` when given); errors name the bundle that needs it. */
function target(image: string, dest: string, max: number, n: readonly NeededBy[], naming?: (image: string) => MountTarget): MountTarget {
  try {
    return naming !== undefined ? naming(image) : mountTarget(image, dest, max);
  } catch (e) {
    throw new CatalogError(`${(e as Error).message}${neededByText(n)}`);
  }
}

/** Source and position of a related image: itself, or (file:// index) its copy under the store root. */
function relatedSource(image: string, fileRoot: string | undefined, n: readonly NeededBy[]): { source: ImageReference; within: string } {
  try {
    if (fileRoot !== undefined) {
      const name = parseImageName(image);
      return { source: fileStoreReference(fileRepositoryOf(fileRoot, image)), within: name.digest ?? name.tag ?? 'latest' };
    }
    const ref = parseImageReference(image);
    if (registryNameOf(ref) === undefined) throw new Error('not a registry image');
    return { source: ref, within: referenceWithin(ref) ?? 'latest' };
  } catch (e) {
    throw new CatalogError(`related image "${image}"${neededByText(n)}: ${(e as Error).message}`);
  }
}

export class CatalogCollector implements Collector<CatalogInfo> {
  readonly name = 'catalog';

  constructor(private readonly o: CatalogInput) {}

  async collect(ctx: CollectorContext): Promise<Collected<CatalogInfo>> {
    const o = this.o;
    const indexText = formatImageReference(o.index);
    const named = imageNameOf(o.index);
    if (named === undefined) throw new CatalogError(`${indexText}: catalog mirror reads an index from a registry or a file:// store, not an OCI layout`);
    const within = referenceWithin(o.index);
    if (within === undefined) throw new CatalogError(`${indexText}: the index image needs a tag or a digest`);
    const src = await openSource(ctx.env, o.index);
    const notes: string[] = [];
    let index: IndexCatalog;
    let catalog: Catalog;
    let filtered: Catalog | undefined;
    try {
      index = await openIndexCatalog(src, within, indexText, { platform: o.indexPlatform, signal: ctx.signal });
      catalog = index.catalog;
      if (o.filter !== undefined) {
        const r = filterCatalog(catalog, o.filter);
        catalog = filtered = r.catalog;
        notes.push(...r.notes);
      }
    } catch (e) {
      await src.close();
      throw e;
    }
    for (const w of index.warnings) ctx.warn(w);
    const images = relatedImages(catalog);

    // The index's own name: as given, or (file:// index) its path below the store root.
    let fileRoot: string | undefined;
    let indexName = formatImageName(named);
    if (isFileStoreReference(o.index)) {
      const repo = named.repository;
      if (!repo.includes('/')) throw new CatalogError(`${indexText}: a file:// index is named file://ROOT/REPOSITORY:TAG (as the first hop printed it)`);
      const found = await findFileRoot(fileSourceRoot(ctx.env), repo, images.map((i) => i.image));
      if (!found.found && images.length > 0) ctx.warn(`none of the related images were found in the file:// store under any prefix of ${repo}; reading them from file://${found.root}/…`);
      fileRoot = found.root;
      indexName = formatImageName({ ...named, registry: undefined, repository: found.indexPath });
    }
    const inPlace = alreadyUnder(o.index, o.dest);
    const indexTarget = o.indexTarget ?? inPlace ?? target(indexName, o.dest, o.maxComponents, [], o.naming);
    let rebuilt: RebuiltIndex | undefined;
    try {
      if (filtered !== undefined && o.rebuildDir !== undefined) rebuilt = await rebuiltIndex(src, within, filtered, o, o.rebuildDir, indexTarget, ctx, notes);
      else if (filtered !== undefined) notes.push('the rebuilt (filtered) catalog image is built only when images are copied (not with --dry-run or --manifests-only): these manifests name the original index');
    } finally {
      await src.close();
    }
    const indexMapping: CatalogMapping = { image: indexText, source: o.index, within: named.digest ?? within, target: indexTarget, neededBy: [] };
    const related = images.map((i): CatalogMapping => ({ image: i.image, ...relatedSource(i.image, fileRoot, i.neededBy), target: target(i.image, o.dest, o.maxComponents, i.neededBy, o.naming), neededBy: i.neededBy }));
    const shown = rebuilt?.mapping ?? indexMapping;
    const catalogImage = named.digest !== undefined && rebuilt === undefined ? `${indexTarget.repository}@${named.digest}` : shown.target.reference;
    const info: CatalogInfo = {
      format: index.format,
      indexDigest: index.digest,
      platform: index.platform,
      name: catalogResourceName(fileRoot !== undefined ? indexName : `${named.registry ?? ''}/${named.repository}`),
      index: indexMapping,
      related,
      catalogImage,
      destIsFile: o.dest.startsWith('file://'),
      ...(fileRoot !== undefined ? { fileRoot } : {}),
      filtered: o.filter !== undefined,
      rebuilt: rebuilt !== undefined,
      packages: catalog.packages.length,
      bundles: catalog.bundles.length,
      notes,
    };
    // The rebuilt catalog replaces the original index (its base layers travel with it).
    const items = [...(rebuilt ? [rebuilt.mapping] : inPlace ? [] : [indexMapping]), ...related].map(catalogItem);
    return { items, info };
  }
}

/**
 * An index already inside DEST (the seed's `--manifests-only` pass over the
 * mirrored index) stays where it is: mounting it again would name a
 * repository nothing was copied to.
 */
function alreadyUnder(index: ImageReference, dest: string): MountTarget | undefined {
  const name = registryNameOf(index);
  if (name === undefined) return undefined;
  const repository = `${name.registry}/${name.repository}`;
  if (!repository.startsWith(`${dest.replace(/\/+$/, '')}/`)) return undefined;
  const tag = name.tag ?? fnv32aHex(formatImageName(name));
  return { repository, tag, ...(name.digest ? { digest: name.digest } : {}), reference: `${repository}:${tag}` };
}
