/**
 * `airlock verify --config isc.yaml`: what the cluster will pull, from an
 * ImageSetConfiguration. The image-set collector runs dry (plan only:
 * no catalog is rebuilt, nothing is copied; chart archives go to a private
 * directory removed afterwards), exactly as `airlock mirror --dry-run`
 * plans, and each planned item's SOURCE reference (`host/repo@digest` or
 * `host/repo:tag`, the name the cluster pulls and IDMS/ITMS redirect) is
 * one input (a catalog's index excepted: its CatalogSource names the
 * mirror directly). Sources are read as the config names them (release payloads,
 * catalog indexes). Operator catalogs or charts that cannot be read are
 * returned as warnings (their images are unknown); a release that cannot
 * be resolved is a VerifyInputError.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageReference, repositoryText } from '../../transports/all.js';
import type { RegistryHub } from '../../transports/registry/registry-hub.js';
import { ARCHIVE_HOST } from '../imageset/archive-plan.js';
import { CincinnatiClient, GraphError } from '../imageset/cincinnati.js';
import { ImageSetCollector, itemImage } from '../imageset/collector.js';
import { readImageSetConfig } from '../imageset/config-read.js';
import { ImageSetReleaseError } from '../imageset/releases.js';
import { ImageSetConfigError } from '../imageset/yaml-nodes.js';
import type { PlanItem } from '../plan.js';
import { VerifyInputError } from './mirror-rules.js';
import { pullReference, type PullInput } from './pull-inputs.js';

export interface ImageSetInputs {
  readonly inputs: PullInput[];
  /** Catalogs, charts or images whose content could not be planned (one line each). */
  readonly warnings: string[];
}

function originText(file: string, i: PlanItem): string {
  const o = i.origins[0];
  if (o === undefined) return file;
  const what = o.component ? ` component ${o.component}` : o.package ? ` ${o.package}${o.bundle ? `/${o.bundle}` : ''}` : o.where ? ` ${o.where}` : '';
  return `${file}: ${o.kind}${what}`;
}

/** The source references an image-set config plans, each with its origin (`isc.yaml: operator pkg/bundle`). */
export async function imageSetInputs(hub: RegistryHub, file: string, o: { graphUrl?: string } = {}): Promise<ImageSetInputs> {
  const warnings: string[] = [];
  let config;
  try {
    config = await readImageSetConfig(file);
  } catch (e) {
    if (e instanceof ImageSetConfigError) throw new VerifyInputError(`--config ${e.message}`);
    throw e;
  }
  for (const n of config.notices) warnings.push(`${file}: ${n}`);
  const helmDir = config.helm !== undefined ? await mkdtemp(join(tmpdir(), 'airlock-verify-helm-')) : undefined;
  try {
    const { items, info } = await new ImageSetCollector({ config, dest: ARCHIVE_HOST, maxNestedPaths: 0, graph: new CincinnatiClient({ url: o.graphUrl }), ...(helmDir ? { helmDir } : {}) })
      .collect({ env: { registries: hub }, warn: (m) => warnings.push(m) });
    for (const f of info.failures) warnings.push(`${f.what}: ${f.message} (its images are not verified)`);
    // A catalog's index is pulled by its CatalogSource from the mirror by name (rebuilt or renamed there), never through IDMS/ITMS.
    const indexes = new Set(info.catalogs.map((c) => repositoryText(parseImageReference(c.spec.catalog))));
    const isIndex = (i: PlanItem): boolean => indexes.has(repositoryText(i.source)) && i.origins.every((g) => g.kind === 'operator' && g.bundle === undefined);
    for (const c of info.catalogs) warnings.push(`catalog ${c.spec.catalog}: its index is pulled by the CatalogSource from the mirror by name, not through IDMS/ITMS; check that image with --image MIRROR_REF (its related images are verified here)`);
    const inputs = items.filter((i) => !isIndex(i)).map((i, n) => ({ reference: pullReference(itemImage(i), `${file} item ${n + 1}`), origin: originText(file, i) }));
    return { inputs, warnings };
  } catch (e) {
    if (e instanceof ImageSetReleaseError || e instanceof ImageSetConfigError || e instanceof GraphError) throw new VerifyInputError(`--config ${file}: ${e.message}`);
    throw e;
  } finally {
    if (helmDir !== undefined) await rm(helmDir, { recursive: true, force: true });
  }
}
