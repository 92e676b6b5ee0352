/**
 * Where an additional image goes and which platforms of it are copied
 * (oc-mirror v2 naming, reference §5.7, with the 4.22 renames and the 5.0
 * sparse filter of anchors §1.1):
 * - `<dest>/<targetRepo or source path>:<targetTag or source tag>`; a
 *   digest-only source keeps the tag `sha256-<hex>` unless `targetTag`
 *   names one; `--max-nested-paths` cuts the renamed path as any other;
 * - `platforms`: the list is kept (same digest), only those children copied.
 * The cluster resources stay right for renamed targets: the mirror set is
 * repository-scoped (the mirror path no longer ends with the source path),
 * and a renamed TAG cannot be expressed by an ImageTagMirrorSet (it maps
 * repositories, never tags), so such a target is listed in the IDMS only
 * (pulls by digest resolve; pulls by the old tag do not) — cluster-resources.ts.
 */
import { parseImageName } from '../../reference/image-name.js';
import { parseImageReference } from '../../transports/all.js';
import type { PlanItem, PlatformSelection } from '../plan.js';
import type { AdditionalImage } from './config-types.js';
import { destRepository, v2Tag } from './naming.js';

/** A sparse selection of `platforms`, or undefined (the whole list). */
export function sparseSelection(platforms: readonly string[] | undefined): PlatformSelection | undefined {
  return platforms === undefined || platforms.length === 0 ? undefined : { mode: 'sparse', platforms };
}

export function additionalTarget(a: Pick<AdditionalImage, 'name' | 'targetRepo' | 'targetTag'>, dest: string, max: number): { repository: string; tag: string } {
  const n = parseImageName(a.name);
  return { repository: destRepository(dest, a.targetRepo ?? n.repository, max), tag: a.targetTag ?? v2Tag(n.tag, n.digest) };
}

/** The plan item of one `additionalImages[]` entry. */
export function additionalItem(a: AdditionalImage, dest: string, max: number): PlanItem {
  const n = parseImageName(a.name);
  const t = additionalTarget(a, dest, max);
  const platforms = sparseSelection(a.platforms);
  return {
    source: parseImageReference(a.name),
    within: n.digest ?? n.tag ?? 'latest',
    targets: [{ ref: parseImageReference(t.repository), tag: t.tag }],
    origins: [{ kind: 'additional', where: a.where }],
    ...(platforms ? { platforms } : {}),
  };
}
