/**
 * `airlock inventory export`: what a (disconnected) registry holds, as a
 * small file the connected side's m2d reads as its skip set
 * (`--since-inventory`). It asks the registry itself: the catalog API
 * (`GET /v2/_catalog`, paged by `Link`), then each repository's tags and
 * each tag's manifest tree (index children included), collecting every
 * manifest, config and layer digest.
 *
 * Limits: a registry without the catalog API (or one that restricts it to
 * admins, as Quay and Harbor do) cannot be listed; give the repositories with
 * `repositories` instead. Blobs are only found through tags: an untagged
 * image is not listed.
 */
import type { Digest } from '../oci/digest.js';
import { httpError, readLimited } from '../transports/registry/http-errors.js';
import type { RegistryHub } from '../transports/registry/registry-hub.js';
import { INVENTORY_FORMAT, type Inventory } from '../transports/archive/skip-set.js';
import { manifestRefs } from './manifest-refs.js';

/** Repositories in the registry's catalog (every page). */
export async function listCatalog(hub: RegistryHub, registry: string, signal?: AbortSignal): Promise<string[]> {
  const client = hub.client(registry, 'source');
  const out: string[] = [];
  let path: string | undefined = '/v2/_catalog?n=1000';
  for (let pages = 0; path !== undefined && pages < 10_000; pages++) {
    const res = await client.http.send({ method: 'GET', path, signal });
    if (res.statusCode !== 200) throw await httpError(res, `listing the repositories of ${registry} (GET /v2/_catalog)`);
    const doc = JSON.parse(await readLimited(res.body, 16 * 1024 * 1024)) as { repositories?: unknown };
    if (Array.isArray(doc.repositories)) for (const r of doc.repositories) if (typeof r === 'string') out.push(r);
    const link = res.headers.link;
    const next = typeof link === 'string' ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
    path = next;
  }
  return [...new Set(out)].sort();
}

export interface InventoryOptions {
  /** Only repositories under this path (`ocp4` takes `ocp4/...`). */
  readonly prefix?: string;
  /** Skip the catalog API: these repositories. */
  readonly repositories?: readonly string[];
  readonly signal?: AbortSignal;
  readonly onRepository?: (name: string, tags: number) => void;
}

export async function exportInventory(hub: RegistryHub, registry: string, o: InventoryOptions = {}): Promise<Inventory> {
  const all = o.repositories ?? (await listCatalog(hub, registry, o.signal));
  const prefix = o.prefix?.replace(/\/+$/, '');
  const repos = prefix === undefined || prefix === '' ? all : all.filter((r) => r === prefix || r.startsWith(`${prefix}/`));
  const blobs = new Map<string, Set<string>>();
  const repositories: Inventory['repositories'] = {};
  const add = (digest: Digest, repo: string): void => {
    let s = blobs.get(digest);
    if (s === undefined) blobs.set(digest, (s = new Set()));
    s.add(repo);
  };
  for (const repo of repos) {
    const src = hub.source({ registry, repository: repo });
    const tags: Record<string, Digest> = {};
    const seen = new Set<string>();
    const visit = async (reference: string): Promise<Digest> => {
      const m = await src.getManifest(reference, o.signal);
      if (seen.has(m.digest)) return m.digest;
      seen.add(m.digest);
      add(m.digest, repo);
      const refs = manifestRefs(m);
      if (refs.kind === 'index') for (const c of refs.children) await visit(c.digest);
      else for (const b of [refs.config, ...refs.layers]) add(b.digest, repo);
      return m.digest;
    };
    const names: string[] = [];
    for await (const t of src.listTags(o.signal)) names.push(t);
    for (const t of names.sort()) tags[t] = await visit(t);
    repositories[repo] = { tags };
    o.onRepository?.(repo, names.length);
  }
  return {
    format: INVENTORY_FORMAT,
    registry,
    ...(prefix !== undefined && prefix !== '' ? { prefix } : {}),
    created: new Date().toISOString(),
    repositories,
    blobs: Object.fromEntries([...blobs].sort(([a], [b]) => a.localeCompare(b)).map(([d, r]) => [d, [...r].sort()])),
  };
}
