/**
 * What the phases of `npm run bench:release` share: the synthetic release in
 * source registry A, the scope and results, phase and tool names, and what
 * each tool must have written where.
 *
 * Naming: airlock (like oc) puts everything into one repository,
 * `ocp4/openshift4`, the release as `<version>-<arch>` and each component by
 * digest and as `<version>-<arch>-<name>`; skopeo sync keeps the source
 * names under its destination prefix: `ocp4/ocp-release:<version>-<arch>`
 * and `ocp4/ocp-v4.0-art-dev@<digest>`.
 */
import type { SyntheticRelease } from '../../test/fixtures/release-fixture.js';
import type { BenchScope } from '../lib/bench-scope.js';
import type { Results } from '../lib/results.js';
import type { ServerHandle, ServerKind } from '../lib/servers.js';
import { syncedName, syncedRepo } from '../lib/sync-yaml.js';
import type { Expected } from '../lib/verify.js';

export interface ReleaseCtx {
  scope: BenchScope;
  results: Results;
  /** docker-registry A holding the release and its components */
  srcA: ServerHandle;
  rel: SyntheticRelease;
}

export const AIRLOCK_REPO = 'ocp4/openshift4';
export const SKOPEO_PREFIX = 'ocp4';
/** where `release mirror --to-dir` puts the release in its file:// store */
export const DISK_REPO = 'openshift/release';

export const PHASE = {
  r2r: (k: ServerKind) => `registry→registry (B: ${k})`,
  noop: (k: ServerKind) => `no-op re-run (B: ${k})`,
  r2d: 'registry→disk',
  d2r: (k: ServerKind) => `disk→registry (B: ${k})`,
  r2d2r: (k: ServerKind) => `registry→disk→registry total (B: ${k})`,
};

export const TOOL = {
  sync: 'skopeo sync yaml',
  syncDir: 'skopeo sync (dir:)',
  release: 'airlock release mirror',
  fromDir: 'airlock image mirror --from-dir',
  both: 'airlock release mirror + image mirror',
} as const;

/** `<registry>/<repo>:<tag>` of the release image in A */
export const releaseRef = (ctx: ReleaseCtx): string => ctx.rel.ref;

/** The release and every component, as skopeo sync.yml lists them (repo → tags or digests). */
export function syncImages(rel: SyntheticRelease): Map<string, string[]> {
  return new Map([
    [rel.releaseRepo, [rel.tag]],
    [rel.componentRepo, rel.components.map((c) => c.digest)],
  ]);
}

/** What airlock must have pushed into `repo` (tags and digests). */
export function airlockExpected(rel: SyntheticRelease, repo: string): Expected[] {
  return [
    { repo, ref: rel.tag, digest: rel.digest },
    ...rel.components.map((c) => ({ repo, ref: c.digest, digest: c.digest })),
    ...rel.components.map((c) => ({ repo, ref: `${rel.tag}-${c.name}`, digest: c.digest })),
  ];
}

/** What skopeo sync must have pushed under `prefix` (also: what A holds, with the source repositories). */
export function skopeoExpected(rel: SyntheticRelease, prefix: string | undefined): Expected[] {
  const repo = (r: string): string => (prefix === undefined ? r : syncedRepo(prefix, r));
  return [{ repo: repo(rel.releaseRepo), ref: rel.tag, digest: rel.digest }, ...rel.components.map((c) => ({ repo: repo(rel.componentRepo), ref: c.digest, digest: c.digest }))];
}

/** skopeo's dir: tree: one directory per image holding manifest.json. */
export function skopeoDirFiles(rel: SyntheticRelease, dir: string): { path: string; digest: string }[] {
  return skopeoExpected(rel, undefined).map((e) => ({ path: `${dir}/${syncedName(e.repo, e.ref)}/manifest.json`, digest: e.digest }));
}
