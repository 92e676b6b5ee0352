/**
 * What the phases of `npm run bench:catalog` share: the synthetic catalogs
 * in source registry A, the scope and results, phase and tool names, and
 * what each tool must have written where.
 *
 * Naming: airlock (like oc) names destinations itself and writes them to
 * mapping.txt (`SRC=DST:TAG`), which is read back to check B; skopeo sync
 * keeps the last path component of each source repository under its
 * destination prefix (`mirror/operand-3-1@sha256:…`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchScope } from '../lib/bench-scope.js';
import type { Results } from '../lib/results.js';
import type { ServerHandle, ServerKind } from '../lib/servers.js';
import { syncedRepo } from '../lib/sync-yaml.js';
import type { Expected } from '../lib/verify.js';
import type { BenchCatalog } from './synthetic.js';

export interface CatalogCtx {
  scope: BenchScope;
  results: Results;
  /** docker-registry A holding both catalogs (and the images of the first) */
  srcA: ServerHandle;
  cat: BenchCatalog;
  /** the plan-only catalog: only its index exists */
  big: BenchCatalog;
}

export const AIRLOCK_PREFIX = 'olm';
export const SKOPEO_PREFIX = 'mirror';

export const PHASE = {
  plan: 'planning (--manifests-only)',
  e2e: (k: ServerKind) => `end to end (B: ${k})`,
  bigPlan: 'plan-only, large catalog (--manifests-only)',
};

export const TOOL = {
  sync: 'skopeo sync yaml',
  mirror: 'airlock catalog mirror',
} as const;

/** The index (by tag) and every image (by digest), as skopeo sync.yml lists them (repo → tags or digests). */
export function syncImages(cat: BenchCatalog): Map<string, string[]> {
  const m = new Map<string, string[]>([[cat.indexRepo, [cat.indexTag]]]);
  for (const i of cat.images) (m.get(i.repo) ?? m.set(i.repo, []).get(i.repo)!).push(i.digest);
  return m;
}

/** What skopeo sync must have pushed under `prefix` (without a prefix: what A holds). */
export function skopeoExpected(cat: BenchCatalog, prefix: string | undefined): Expected[] {
  const repo = (r: string): string => (prefix === undefined ? r : syncedRepo(prefix, r));
  return [{ repo: repo(cat.indexRepo), ref: cat.indexTag, digest: cat.indexDigest }, ...cat.images.map((i) => ({ repo: repo(i.repo), ref: i.digest, digest: i.digest }))];
}

/** The lines of `<manifests>/mapping.txt` as {source, destination}; throws unless every image and the index are there. */
export async function readMapping(cat: BenchCatalog, manifests: string): Promise<{ source: string; destination: string }[]> {
  const lines = (await readFile(join(manifests, 'mapping.txt'), 'utf8')).split('\n').filter((l) => l !== '');
  const out = lines.map((l) => {
    const eq = l.lastIndexOf('=');
    return { source: l.slice(0, eq), destination: l.slice(eq + 1) };
  });
  const sources = new Set(out.map((m) => m.source.slice(m.source.indexOf('/') + 1)));
  const missing = [`${cat.indexRepo}:${cat.indexTag}`, ...cat.images.map((i) => `${i.repo}@${i.digest}`)].filter((s) => !sources.has(s));
  if (missing.length > 0) throw new Error(`mapping.txt in ${manifests} lacks ${missing.length} image(s), e.g. ${missing.slice(0, 3).join(', ')}`);
  return out;
}

/** What airlock must have pushed to B: each mapping.txt destination (host dropped) at its tag, with the source's digest. */
export function airlockExpected(cat: BenchCatalog, mapping: readonly { source: string; destination: string }[]): Expected[] {
  return mapping.map((m) => {
    const dest = m.destination.slice(m.destination.indexOf('/') + 1);
    const colon = dest.lastIndexOf(':');
    const at = m.source.indexOf('@');
    return { repo: dest.slice(0, colon), ref: dest.slice(colon + 1), digest: at >= 0 ? m.source.slice(at + 1) : cat.indexDigest };
  });
}
