/**
 * skopeo `sync --src yaml` input, and the names skopeo 1.9 gives what it
 * syncs: the destination is `<dest>/<last path component of the source
 * repository>` (`:tag` or `@digest`), both for `--dest docker` (a repository
 * under the destination prefix) and for `--dest dir` (a directory holding
 * manifest.json).
 */
import { chmodSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `<dir>/sync.yml` (world-readable, skopeo runs as another user) listing `images` (repo → tags or digests) on the plain-http registry `registry`. */
export async function writeSyncYaml(dir: string, registry: string, images: ReadonlyMap<string, readonly string[]>): Promise<string> {
  const lines = [`${registry}:`, '  tls-verify: false', '  images:'];
  for (const [repo, refs] of images) lines.push(`    ${repo}: [${refs.map((r) => JSON.stringify(r)).join(', ')}]`);
  const file = join(dir, 'sync.yml');
  await writeFile(file, `${lines.join('\n')}\n`);
  chmodSync(file, 0o644);
  return file;
}

/** `big:v1` for fixtures/big:v1, `tagless@sha256:…` for fixtures/tagless@sha256:… */
export function syncedName(repo: string, ref: string): string {
  const last = repo.slice(repo.lastIndexOf('/') + 1);
  return ref.startsWith('sha256:') ? `${last}@${ref}` : `${last}:${ref}`;
}

/** Repository (under `prefix`) that `skopeo sync … --dest docker SRC prefix` writes `repo` to. */
export function syncedRepo(prefix: string, repo: string): string {
  return `${prefix}/${repo.slice(repo.lastIndexOf('/') + 1)}`;
}
