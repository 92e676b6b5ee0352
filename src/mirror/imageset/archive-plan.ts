/**
 * The image-set plan an m2d run packs into its archive set, so the d2m run
 * on the far side (no graph, no catalogs, no source registries) knows what
 * the set holds and can write the cluster resources for its destination.
 *
 * m2d collects with a placeholder destination (ARCHIVE_HOST, no prefix, no
 * nesting): every target is then a path inside the set (archive://PATH). d2m
 * maps each PATH to `<dest>/<PATH>` with its own prefix and
 * --max-nested-paths (v2's naming, naming.ts), turns every target into one
 * copy `archive://PATH:TAG → docker://DEST/PATH:TAG`, and rebuilds the items
 * with their original sources for IDMS/ITMS, CatalogSource and ClusterCatalog.
 *
 * The document is a plain JSON member of the set (PLAN_MEMBER), checked by
 * the set's checksum manifest like every other member.
 */
import { z } from 'zod';
import { parseImageReference, repositoryText, type ImageReference } from '../../transports/all.js';
import { archiveReference } from '../../transports/archive/archive-transport.js';
import type { PlanItem } from '../plan.js';
import type { ReleaseSignatures } from '../resources/signature-configmap.js';
import type { CollectedCatalog, ImageSetInfo } from './collector.js';
import { destRepository } from './naming.js';
import type { FailedImage } from './report.js';
import { GraphInSetSchema, SamplesInSetSchema, type GraphInSet, type SamplesInSet } from './archive-extras.js';

export const PLAN_MEMBER = 'airlock-imageset-plan.json';
export const PLAN_FORMAT = 'airlock-imageset-plan/v1';
/** The placeholder registry m2d collects for; never contacted. */
export const ARCHIVE_HOST = 'archive.airlock.invalid';

const origin = z.object({ kind: z.enum(['release', 'operator', 'additional', 'sample', 'helm', 'mapping']), component: z.string().optional(), package: z.string().optional(), bundle: z.string().optional(), where: z.string().optional() }).strict();

export const ArchivePlanSchema = z.object({
  format: z.literal(PLAN_FORMAT),
  created: z.string(),
  /** The config file m2d read (its copy is the set's isc_<time>.yaml member). */
  config: z.string(),
  configMember: z.string(),
  items: z.array(z.object({
    /** The source image as the payload, catalog or config named it. */
    source: z.string(),
    within: z.string(),
    targets: z.array(z.object({ path: z.string(), tag: z.string().optional() }).strict()),
    origins: z.array(origin),
  }).strict()),
  releases: z.array(z.object({ channel: z.string(), architecture: z.string(), version: z.string(), image: z.string(), digest: z.string() }).strict()),
  catalogs: z.array(z.object({ catalog: z.string(), indexDigest: z.string(), name: z.string(), path: z.string(), selector: z.string(), rebuilt: z.boolean(), packages: z.number(), bundles: z.number() }).strict()),
  blocked: z.array(z.object({ image: z.string(), pattern: z.string(), where: z.string(), origins: z.array(origin) }).strict()),
  /** Images the m2d run could not pack (they are not in the set). */
  failed: z.array(z.object({ image: z.string(), kind: z.enum(['release', 'operator', 'additional', 'helm']), why: z.string(), missing: z.boolean().optional() }).strict()),
  signatures: z.array(z.object({ digest: z.string(), signatures: z.array(z.string()) }).strict()),
  /** platform.graph: the graph-data image packed into the set (archive-extras.ts). */
  graph: GraphInSetSchema.optional(),
  /** mirror.samples: what d2m needs for samples-operator-config.yaml. */
  samples: SamplesInSetSchema.optional(),
}).strict();
export type ArchivePlan = z.infer<typeof ArchivePlanSchema>;

const placeholder = `${ARCHIVE_HOST}/`;

/** The path inside the set of a target the collector named under ARCHIVE_HOST. */
export function setPath(ref: ImageReference): string {
  const text = repositoryText(ref);
  if (!text.startsWith(placeholder)) throw new Error(`${text}: not a target of the archive set`);
  return text.slice(placeholder.length);
}

/** The collector's items with their targets moved into the set (archive://PATH). */
export function toArchiveItems(items: readonly PlanItem[]): PlanItem[] {
  return items.map((i) => ({ ...i, targets: i.targets.map((t) => ({ ref: archiveReference(setPath(t.ref)), tag: t.tag })) }));
}

function splitImage(image: string): { repo: string; selector: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repo: image.slice(0, at), selector: image.slice(at) };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { repo: image.slice(0, colon), selector: image.slice(colon) } : { repo: image, selector: '' };
}

export interface PlanParts {
  readonly created: Date;
  readonly config: string;
  readonly configMember: string;
  /** Items as packed (targets archive://PATH). */
  readonly items: readonly PlanItem[];
  readonly info: ImageSetInfo;
  readonly failed: readonly FailedImage[];
  readonly signatures: readonly ReleaseSignatures[];
  readonly graph?: GraphInSet;
  readonly samples?: SamplesInSet;
}

export function archivePlan(p: PlanParts): ArchivePlan {
  return {
    format: PLAN_FORMAT,
    created: p.created.toISOString(),
    config: p.config,
    configMember: p.configMember,
    items: p.items.map((i) => ({
      source: `${repositoryText(i.source)}${i.within.includes(':') ? '@' : ':'}${i.within}`,
      within: i.within,
      targets: i.targets.map((t) => ({ path: repositoryText(t.ref).replace(/^archive:\/\//, ''), ...(t.tag !== undefined ? { tag: t.tag } : {}) })),
      origins: i.origins.map((o) => ({ ...o })),
    })),
    releases: p.info.releases.map((r) => ({ channel: r.channel, architecture: r.architecture, version: r.version, image: r.image, digest: r.info.releaseDigest })),
    catalogs: p.info.catalogs.map((c) => {
      const { repo, selector } = splitImage(c.info.catalogImage);
      return { catalog: c.spec.catalog, indexDigest: c.info.indexDigest, name: c.info.name, path: repo.startsWith(placeholder) ? repo.slice(placeholder.length) : repo, selector, rebuilt: c.info.rebuilt, packages: c.info.packages, bundles: c.info.bundles };
    }),
    blocked: p.info.blocked.map((b) => ({ image: b.image, pattern: b.pattern, where: b.where, origins: b.origins.map((o) => ({ ...o })) })),
    failed: p.failed.map((f) => ({ ...f })),
    signatures: p.signatures.map((s) => ({ digest: s.digest, signatures: s.signatures.map((b) => b.toString('base64')) })),
    ...(p.graph ? { graph: p.graph } : {}),
    ...(p.samples ? { samples: p.samples } : {}),
  };
}

/** One copy of d2m: an image of the set into the destination. */
export interface D2mCopy {
  readonly item: PlanItem;
  /** Index into ArchivePlan.items. */
  readonly of: number;
}

/** What d2m needs from the plan for `dest` (`host[:port][/prefix]`): copies, the items as mirrored (for resources), and the info for reports. */
export function planForDestination(plan: ArchivePlan, dest: string, maxNestedPaths: number): { copies: D2mCopy[]; mirrored: PlanItem[]; info: ImageSetInfo; signatures: ReleaseSignatures[] } {
  const to = (path: string): string => destRepository(dest, path, maxNestedPaths);
  const copies: D2mCopy[] = [];
  const mirrored: PlanItem[] = [];
  plan.items.forEach((i, of) => {
    const origins = i.origins;
    for (const t of i.targets) {
      copies.push({ of, item: { source: archiveReference(t.path), within: t.tag ?? i.within, targets: [{ ref: parseImageReference(to(t.path)), tag: t.tag }], origins, platforms: { mode: 'all' } } });
    }
    const { repo } = splitImage(i.source);
    mirrored.push({ source: parseImageReference(repo), within: i.within, targets: i.targets.map((t) => ({ ref: parseImageReference(to(t.path)), tag: t.tag })), origins });
  });
  const catalogs = plan.catalogs.map((c) => ({
    spec: { catalog: c.catalog },
    info: { indexDigest: c.indexDigest, name: c.name, catalogImage: `${to(c.path)}${c.selector}`, rebuilt: c.rebuilt, packages: c.packages, bundles: c.bundles },
  })) as unknown as CollectedCatalog[];
  const info = {
    releases: plan.releases.map((r) => ({ channel: r.channel, architecture: r.architecture, version: r.version, image: r.image, info: { releaseDigest: r.digest, payloadStores: [] }, items: [] })),
    catalogs,
    blocked: plan.blocked,
    failures: [],
    notes: [],
  } as unknown as ImageSetInfo;
  return { copies, mirrored, info, signatures: plan.signatures.map((s) => ({ digest: s.digest, signatures: s.signatures.map((b) => Buffer.from(b, 'base64')) })) };
}
