/**
 * The mirror plan: WHAT to copy, as plain data. Collectors (collectors/)
 * turn an input (mapping arguments, a release payload, an operator catalog
 * later) into items; the executor (executor.ts) copies them with the copy
 * engine; writers (resources/) render cluster resources from the items.
 *
 * Everything here is JSON-serialisable (references are the plain
 * `ImageReference` records of transports/all.ts, no class
 * instances, no RegExp), so a plan can be written to disk by one command and
 * executed by another on the far side of an air gap.
 */
import type { ImageReference } from '../transports/all.js';

/** Which input an item came from (oc-mirror's collector categories, plus image mirror's mappings). */
export type OriginKind = 'release' | 'operator' | 'additional' | 'sample' | 'helm' | 'mapping';

/**
 * Why an item is in the plan. `detail` says more for the kind:
 * - `release`: `component` is the image-references tag name, or `release` for the payload itself;
 * - `operator`: `package` and `bundle` that need the image (`bundle` absent for the index image);
 * - `mapping`: `where` is `arguments`, `argument N` or `FILE:LINE`.
 */
export interface ItemOrigin {
  readonly kind: OriginKind;
  readonly component?: string;
  readonly package?: string;
  readonly bundle?: string;
  readonly where?: string;
}

/**
 * Which platforms of a manifest list are copied:
 * - `all`: the list is copied whole (children and the list, digests unchanged);
 * - `filter-by-os`: only the entries whose `os/arch[/variant]` matches the
 *   regular expression `pattern` (matched against the whole string). With
 *   `keepManifestList` a filtered list (a NEW manifest, new digest) is pushed,
 *   otherwise the single match replaces the list; with `sparse` (image
 *   mirror --sparse-manifest-list) the list is kept as `sparse` below;
 * - `sparse`: the list is copied byte for byte (digest unchanged) with only
 *   the children of `platforms` (`os/arch[/variant]`; `os/arch` matches any
 *   variant): a sparse list, which the destination must accept.
 */
export type PlatformSelection =
  | { readonly mode: 'all' }
  | { readonly mode: 'filter-by-os'; readonly pattern: string; readonly keepManifestList: boolean; readonly sparse?: boolean }
  | { readonly mode: 'sparse'; readonly platforms: readonly string[] };

/** One destination of an item. */
export interface PlanTarget {
  /** The destination repository (a tag or ref name in it is ignored: `tag` says what is written). */
  readonly ref: ImageReference;
  /** Tag (layout ref name) to write; undefined pushes by digest only. */
  readonly tag: string | undefined;
}

/** One source image and where it goes. */
export interface PlanItem {
  /** The source repository, as the user (or the payload, the catalog) named it. */
  readonly source: ImageReference;
  /** Tag, ref name or digest of the image inside the source repository. */
  readonly within: string;
  readonly targets: readonly PlanTarget[];
  /**
   * Why the item is in the plan (at least one). Several when inputs share
   * the image: release components with one digest, a related image of
   * several bundles.
   */
  readonly origins: readonly ItemOrigin[];
  /** Overrides the plan's platform selection for this item (a catalog's index vs its related images). */
  readonly platforms?: PlatformSelection;
}

/** How the whole plan is executed. */
export interface PlanOptions {
  /** Resolve and report, write nothing. */
  readonly dryRun: boolean;
  /** A source that does not exist is listed (missing), not an error. */
  readonly skipMissing: boolean;
  /** Appended to the error of a source that does not exist: the command's own way past it (e.g. its --skip-missing). */
  readonly missingHint?: string;
  /** Keep copying other items after an error (the run still fails). */
  readonly continueOnError: boolean;
  /** Copy cosign `sha256-<hex>.sig/.att/.sbom` tags and OCI referrers along with each image. */
  readonly attachments: boolean;
  /** Platform selection of items that do not carry their own. */
  readonly platforms: PlatformSelection;
}

export interface MirrorPlan {
  readonly items: readonly PlanItem[];
  readonly options: PlanOptions;
}

export const ALL_PLATFORMS: PlatformSelection = { mode: 'all' };

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { dryRun: false, skipMissing: false, continueOnError: false, attachments: true, platforms: ALL_PLATFORMS };

/** A plan of `items` with `options` over the defaults. */
export function makePlan(items: readonly PlanItem[], options: Partial<PlanOptions> = {}): MirrorPlan {
  return { items, options: { ...DEFAULT_PLAN_OPTIONS, ...options } };
}

/** Image copies the plan starts (items × destinations). */
export function planTargetCount(plan: MirrorPlan): number {
  return plan.items.reduce((n, i) => n + i.targets.length, 0);
}

/** Whether a selection copies lists sparse (byte for byte, only the matching children). */
export function isSparse(p: PlatformSelection | undefined): boolean {
  return p !== undefined && (p.mode === 'sparse' || (p.mode === 'filter-by-os' && p.sparse === true));
}

/**
 * The copy engine's platform filter for a selection: the pattern anchored
 * at both ends, or undefined for `all`. Throws SyntaxError for a bad pattern
 * (commands call it while checking their flags).
 */
export function platformPattern(p: PlatformSelection): RegExp | undefined {
  if (p.mode === 'sparse') return new RegExp(`^(?:${p.platforms.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + (x.split('/').length === 2 ? '(?:/[^/]+)?' : '')).join('|')})$`);
  return p.mode === 'filter-by-os' ? new RegExp(`^(?:${p.pattern})$`) : undefined;
}
