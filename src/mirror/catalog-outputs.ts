/**
 * catalog mirror's writers: the manifests directory (reference §4.4:
 * `mapping.txt`, `imageContentSourcePolicy.yaml`, `imageDigestMirrorSet.yaml`,
 * `catalogSource.yaml`, `clusterCatalog.yaml`; only `mapping.txt` for a
 * file:// destination, as oc), `missing.txt`, and the text printed after a
 * run (oc's `wrote mirroring manifests to …` and upload hint). Everything
 * is sorted, so two runs over one catalog write the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseImageName } from '../reference/image-name.js';
import { isFileStoreReference } from '../transports/file-store/file-transport.js';
import type { CatalogInfo, CatalogMapping } from './collectors/catalog.js';
import { catalogSourceYaml } from './resources/catalog-source.js';
import { clusterCatalogYaml } from './resources/cluster-catalog.js';
import { icspDocuments } from './resources/icsp.js';
import { idmsDocuments } from './resources/idms.js';
import { mappingTxt } from './resources/mapping-txt.js';
import { mirrorSetsFromPairs, type MirrorScope } from './resources/mirror-sets.js';

export const CATALOG_LABELS = { 'operators.openshift.org/catalog': 'true' } as const;

export interface ManifestOptions {
  /** --icsp-scope / --idms-scope. */
  readonly scope: MirrorScope;
  /** --max-icsp-size / --max-idms-size (bytes per document). */
  readonly maxSize: number;
  /** Images (as the catalog names them) found missing: left out of every file but missing.txt. */
  readonly missing?: ReadonlySet<string>;
}

/** The source side of a mapping.txt line: the image copied (its file:// copy on the second hop). */
function mappingSource(m: CatalogMapping): string {
  if (!isFileStoreReference(m.source)) return m.image;
  const n = m.source.name;
  return `file://${n.repository}${m.within.startsWith('sha256:') ? '@' : ':'}${m.within}`;
}

/**
 * Source → mirror repository pairs of the digest-referenced images, as the
 * catalog names them (so the upload hop from a file:// store already names
 * the original repositories; an index read from the store has none).
 */
function digestPairs(info: CatalogInfo, keep: (m: CatalogMapping) => boolean): { source: string; mirror: string }[] {
  const out: { source: string; mirror: string }[] = [];
  for (const m of [...(isFileStoreReference(info.index.source) || info.rebuilt ? [] : [info.index]), ...info.related]) {
    if (!keep(m) || m.target.digest === undefined) continue;
    const n = parseImageName(m.image);
    if (n.registry === undefined) continue;
    out.push({ source: `${n.registry}/${n.repository}`, mirror: m.target.repository });
  }
  return out;
}

/** File name → content of the manifests directory, in the exact shapes of reference §4.4. */
export function catalogManifests(info: CatalogInfo, o: ManifestOptions): Map<string, string> {
  const keep = (m: CatalogMapping): boolean => !(o.missing?.has(m.image) ?? false);
  // A rebuilt catalog replaced the original index: the index was not copied, the CatalogSource names the rebuilt image.
  const mappings = [...(info.rebuilt ? [] : [info.index]), ...info.related].filter(keep).map((m) => ({ source: mappingSource(m), destination: m.target.reference }));
  const files = new Map<string, string>([['mapping.txt', mappingTxt(mappings)]]);
  if (info.destIsFile) return files;
  const sets = mirrorSetsFromPairs(digestPairs(info, keep), o.scope);
  const split = { name: info.name, labels: CATALOG_LABELS, maxSize: o.maxSize };
  files.set('imageContentSourcePolicy.yaml', icspDocuments(sets, split));
  files.set('imageDigestMirrorSet.yaml', idmsDocuments(sets, split));
  files.set('catalogSource.yaml', catalogSourceYaml({ name: info.name, image: info.catalogImage }));
  files.set('clusterCatalog.yaml', clusterCatalogYaml({ name: info.name, image: info.catalogImage }));
  return files;
}

/** One line per missing image: `IMAGE needed by BUNDLE (PACKAGE)[, …]`, sorted. */
export function missingTxt(missing: readonly CatalogMapping[]): string {
  return missing
    .map((m) => `${m.image} needed by ${[...new Set(m.neededBy.map((n) => `${n.bundle} (${n.package})`))].join(', ')}\n`)
    .sort()
    .join('');
}

/** Writes `files` into `dir` (created). */
export async function writeManifestsDir(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of files) await writeFile(join(dir, name), text);
}

/** oc's upload hint after a file:// first hop, with airlock in place of `oc adm` (and --from-dir when --dir was given). */
export function catalogUploadHint(info: CatalogInfo, dir: string | undefined): string {
  const from = dir !== undefined && dir !== '' ? `--from-dir=${dir} ` : '';
  return `\nTo upload local images to a registry, run:\n\n\tairlock catalog mirror ${from}${info.index.target.reference} REGISTRY/REPOSITORY\n`;
}
