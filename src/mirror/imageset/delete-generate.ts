/**
 * Delete, phase 1 (`airlock mirror delete -c delete-isc.yaml --generate
 * --workspace file://DIR docker://REG`, reference §5.11): the
 * DeleteImageSetConfiguration is collected into ONE plan exactly as a
 * mirror run would (same collectors and v2 naming, so the destinations are
 * the ones the mirror wrote), every destination is resolved to the digest the
 * registry holds now (HEAD by tag, or by digest), and the result is written
 * as `working-dir/delete/delete-images[-<id>].yaml` with a copy of the config
 * as `delete-imageset-config[-<id>].yaml`. Nothing is deleted here. A
 * destination the registry does not hold is listed as absent, not written.
 */
import { join } from 'node:path';
import { repositoryText } from '../../transports/all.js';
import type { RegistryHub } from '../../transports/registry/registry-hub.js';
import type { CollectorContext } from '../collector.js';
import type { PlanItem } from '../plan.js';
import type { CincinnatiClient } from './cincinnati.js';
import { ImageSetCollector, itemImage } from './collector.js';
import { V2 } from './config-read.js';
import type { DeleteImageSetConfig, ImageSetConfig } from './config-types.js';
import { formatDeleteList, imageType, type DeleteItem } from './delete-list.js';
import { writeFiles } from './outputs.js';

export interface DeleteGenerateInput {
  readonly config: DeleteImageSetConfig;
  readonly configText: string;
  readonly workspace: string;
  /** `host[:port][/prefix]` (no `docker://`). */
  readonly dest: string;
  readonly maxNestedPaths: number;
  readonly graph: CincinnatiClient;
  /** `--delete-id`: suffix of the file names. */
  readonly deleteId?: string;
}

export interface DeleteGenerateResult {
  readonly file: string;
  readonly configCopy: string;
  readonly items: readonly DeleteItem[];
  /** Destinations the registry does not hold (nothing to delete). */
  readonly absent: readonly string[];
  /** Collection failures (a catalog that cannot be read), each one line. */
  readonly failures: readonly string[];
}

/** The config as an ImageSetConfiguration for the collector (nothing blocked). */
function asImageSet(c: DeleteImageSetConfig): ImageSetConfig {
  return { file: c.file, apiVersion: V2, ...(c.platform ? { platform: c.platform } : {}), operators: c.operators, additionalImages: c.additionalImages, blockedImages: [], notices: [] };
}

function splitRepo(text: string): { host: string; repository: string } {
  const slash = text.indexOf('/');
  return { host: text.slice(0, slash), repository: text.slice(slash + 1) };
}

/** The digest each target of `item` has in the destination now (undefined: absent). */
async function resolveTargets(hub: RegistryHub, item: PlanItem, signal?: AbortSignal): Promise<{ ref: string; repo: string; digest: string | undefined }[]> {
  const out = [];
  for (const t of item.targets) {
    const repo = repositoryText(t.ref);
    const { host, repository } = splitRepo(repo);
    const reference = t.tag ?? item.within;
    const digest = await hub.client(host, 'destination').manifestHead(repository, reference, signal);
    out.push({ ref: `${repo}${reference.includes(':') ? '@' : ':'}${reference}`, repo, digest });
  }
  return out;
}

export async function generateDeleteList(hub: RegistryHub, ctx: CollectorContext, o: DeleteGenerateInput): Promise<DeleteGenerateResult> {
  const { items, info } = await new ImageSetCollector({ config: asImageSet(o.config), dest: o.dest, maxNestedPaths: o.maxNestedPaths, graph: o.graph }).collect(ctx);
  const seen = new Set<string>();
  const list: DeleteItem[] = [];
  const absent: string[] = [];
  for (const item of items) {
    for (const t of await resolveTargets(hub, item, ctx.signal)) {
      if (t.digest === undefined) {
        absent.push(t.ref);
        continue;
      }
      const imageReference = `docker://${t.repo}@${t.digest}`;
      if (seen.has(imageReference)) continue;
      seen.add(imageReference);
      list.push({ imageName: itemImage(item), imageReference, type: imageType(item.origins) });
    }
  }
  // Catalogs, release payloads, then the rest: the order oc-mirror lists them does not matter for deletion by digest.
  list.sort((a, b) => a.imageReference.localeCompare(b.imageReference));
  const suffix = o.deleteId !== undefined ? `-${o.deleteId}` : '';
  const work = join(o.workspace, 'working-dir');
  const file = `delete/delete-images${suffix}.yaml`;
  const configCopy = `delete/delete-imageset-config${suffix}.yaml`;
  await writeFiles(work, new Map([[file, formatDeleteList(list)], [configCopy, o.configText]]));
  return {
    file: join(work, file),
    configCopy: join(work, configCopy),
    items: list,
    absent,
    failures: info.failures.map((f) => `${f.what}: ${f.message}`),
  };
}
