/**
 * `working-dir/cluster-resources/` of an image-set run, in oc-mirror v2's
 * shapes (reference §5.10), through the shared writers of resources/:
 * - `idms-oc-mirror.yaml` / `itms-oc-mirror.yaml`: one `---` document per
 *   category (`release`, `operator`, `generic`), named `<kind>-<category>-0`,
 *   for digest (IDMS) and tag (ITMS) references; the release image goes in
 *   the IDMS although pushed by tag; catalog images are left out (the
 *   CatalogSource covers them). Scope: namespace (both sides cut to their
 *   parent path) when the mirror path ends with the source path, else
 *   repository; always repository with --max-nested-paths;
 * - `cs-<name>-<suffix>.yaml` and `cc-<name>-<suffix>.yaml` per catalog;
 * - `signature-configmap.{json,yaml}` when release signatures were found.
 * Every object carries createdAt / createdBy / airlock_version annotations.
 */
import { catalogSourceYaml } from '../resources/catalog-source.js';
import { clusterCatalogYaml } from '../resources/cluster-catalog.js';
import { IDMS } from '../resources/idms.js';
import { ITMS } from '../resources/itms.js';
import { mirrorSetDocuments } from '../resources/mirror-set-document.js';
import { mirrorSetsFromPairs } from '../resources/mirror-sets.js';
import { resourceName } from '../resources/names.js';
import { signatureConfigMapJson, signatureConfigMapYaml, type ReleaseSignatures } from '../resources/signature-configmap.js';
import { repositoryText } from '../../transports/all.js';
import type { PlanItem } from '../plan.js';
import type { CollectedCatalog } from './collector.js';

export const CATEGORIES = ['release', 'operator', 'generic'] as const;
type Category = (typeof CATEGORIES)[number];

export interface ClusterResourceInput {
  /** The items actually mirrored (missing, blocked and failed ones left out). */
  readonly items: readonly PlanItem[];
  readonly catalogs: readonly CollectedCatalog[];
  readonly maxNestedPaths: number;
  readonly signatures: readonly ReleaseSignatures[];
  readonly annotations: Readonly<Record<string, string>>;
}

const pathOf = (repo: string): string => repo.slice(repo.indexOf('/') + 1);
const parent = (repo: string): string => repo.slice(0, repo.lastIndexOf('/'));

/** The (source, mirror) pair of one item target at the scope v2 uses. */
function scoped(source: string, mirror: string, maxNestedPaths: number): { source: string; mirror: string } {
  const sp = pathOf(source);
  if (maxNestedPaths === 0 && sp.includes('/') && pathOf(mirror).endsWith(`/${sp}`) && source.includes('/')) return { source: parent(source), mirror: parent(mirror) };
  return { source, mirror };
}

function categoriesOf(i: PlanItem): Category[] {
  const out = new Set<Category>();
  for (const o of i.origins) {
    if (o.kind === 'release') out.add('release');
    else if (o.kind === 'operator' && o.package !== undefined) out.add('operator');
    else if (o.kind === 'additional' || o.kind === 'helm') out.add('generic'); // v2: helm images are generic (imageTypeToCategory)
  }
  return [...out];
}

/** File name → content. */
export function clusterResources(o: ClusterResourceInput): Map<string, string> {
  const files = new Map<string, string>();
  const pairs = { idms: new Map<Category, { source: string; mirror: string }[]>(), itms: new Map<Category, { source: string; mirror: string }[]>() };
  for (const i of o.items) {
    if (i.source.transport !== 'docker') continue;
    const byDigest = i.within.startsWith('sha256:') || i.origins.some((x) => x.kind === 'release' && x.component === 'release');
    for (const c of categoriesOf(i)) {
      for (const t of i.targets) {
        // A target tag other than the source's (additionalImages[].targetTag) cannot be an ITMS entry: the IDMS carries it (digest pulls).
        const kind = byDigest || (c === 'generic' && t.tag !== undefined && t.tag !== i.within) ? pairs.idms : pairs.itms;
        let list = kind.get(c);
        if (list === undefined) kind.set(c, (list = []));
        list.push(scoped(repositoryText(i.source), repositoryText(t.ref), o.maxNestedPaths));
      }
    }
  }
  for (const [file, kind, map, prefix] of [['idms-oc-mirror.yaml', IDMS, pairs.idms, 'idms'], ['itms-oc-mirror.yaml', ITMS, pairs.itms, 'itms']] as const) {
    const text = CATEGORIES.filter((c) => map.has(c))
      .map((c) => mirrorSetDocuments(kind, mirrorSetsFromPairs(map.get(c)!), { name: `${prefix}-${c}`, annotations: o.annotations }))
      .join('');
    if (text !== '') files.set(file, text);
  }
  for (const c of o.catalogs) {
    const image = c.info.catalogImage;
    const name = catalogFileName(image);
    files.set(`cs-${name}.yaml`, catalogSourceYaml({ name: `cs-${name}`, image, annotations: o.annotations }));
    files.set(`cc-${name}.yaml`, clusterCatalogYaml({ name: `cc-${name}`, image, annotations: o.annotations }));
  }
  if (o.signatures.some((s) => s.signatures.length > 0)) {
    files.set('signature-configmap.json', signatureConfigMapJson(o.signatures, o.annotations));
    files.set('signature-configmap.yaml', signatureConfigMapYaml(o.signatures, o.annotations));
  }
  return files;
}

/** `<last path component>-<tag (12 chars) or first 12 hex of the digest>`, as a resource name. */
export function catalogFileName(image: string): string {
  const at = image.indexOf('@');
  const repoAndTag = at >= 0 ? image.slice(0, at) : image;
  const slash = repoAndTag.lastIndexOf('/');
  const colon = repoAndTag.lastIndexOf(':');
  const repo = colon > slash ? repoAndTag.slice(0, colon) : repoAndTag;
  const last = repo.slice(repo.lastIndexOf('/') + 1);
  const suffix = at >= 0 ? image.slice(at + 1).replace(/^sha256:/, '').slice(0, 12) : colon > slash ? repoAndTag.slice(colon + 1).slice(0, 12) : 'latest';
  return resourceName(`${last}-${suffix}`);
}
