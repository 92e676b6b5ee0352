/**
 * The sparse-list pre-check, before anything is copied: a plan whose items
 * copy manifest lists sparse (only chosen platforms, the list's digest
 * kept) needs destinations that accept a list whose children are absent.
 * distribution 2.8 (Debian's docker-registry) refuses them, as airlock
 * serve does outside its `--sparse-repo` globs. Each destination
 * repository of a sparse item gets one probe: a tiny OCI index naming one
 * absent child, pushed by digest (no tag) and deleted again at once when it
 * was accepted. A registry that refuses it fails the run in one line that
 * says what to do; nothing was copied. The probe's digest is fixed, so a
 * registry without DELETE keeps at most one untagged probe per repository.
 */
import { digestOf } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { repositoryText } from '../transports/all.js';
import { RegistryHttpError } from '../transports/registry/http-errors.js';
import type { RegistryClient } from '../transports/registry/registry-client.js';
import { isSparse, type PlanItem } from './plan.js';

export class SparseDestinationError extends Error {
  readonly code = 'ERR_SPARSE_DESTINATION';
}

const ABSENT_CHILD = digestOf(Buffer.from('airlock sparse manifest-list probe: this child is absent\n'));

/** The probe index (fixed bytes): one linux/amd64 child that no registry holds. */
export const SPARSE_PROBE = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [{ mediaType: MediaType.OciManifest, digest: ABSENT_CHILD, size: 2, platform: { architecture: 'amd64', os: 'linux' } }],
    annotations: { 'org.opencontainers.image.description': 'airlock pre-check: does this registry accept sparse manifest lists? (deleted after the check)' },
  }),
);

/** `host/path` of every registry destination repository of a sparse item, in plan order. */
export function sparseRepositories(items: readonly PlanItem[]): string[] {
  const out = new Set<string>();
  for (const i of items) {
    if (!isSparse(i.platforms)) continue;
    for (const t of i.targets) if (t.ref.transport === 'docker') out.add(repositoryText(t.ref));
  }
  return [...out];
}

/**
 * Pushes the probe to `repository` (below the host) and deletes it again;
 * resolves to whether the delete worked. Throws SparseDestinationError when refused.
 */
export async function probeSparse(client: RegistryClient, host: string, repository: string, signal?: AbortSignal): Promise<boolean> {
  const digest = digestOf(SPARSE_PROBE);
  try {
    await client.manifestPut(repository, digest, SPARSE_PROBE, MediaType.OciIndex, signal);
  } catch (e) {
    if (!(e instanceof RegistryHttpError) || e.status === 401 || e.status === 403 || e.retryable) throw e;
    throw new SparseDestinationError(
      `docker://${host}/${repository}: the registry refuses manifest lists with absent platforms (HTTP ${e.status}${e.ociCode ? ` ${e.ociCode}` : ''}), which the config's "platforms" filters need; ` +
        `mirror to a registry that accepts sparse lists (airlock serve --sparse-repo '${repository.split('/')[0]}/**'; distribution 3: validation.manifests.indexes.platforms: none), or remove "platforms" to copy whole lists. Nothing was copied`,
    );
  }
  try {
    const res = await client.http.send({ method: 'DELETE', path: `/v2/${repository}/manifests/${digest}`, scope: { repository, actions: ['pull', 'push'] }, signal });
    await res.body.dump();
    return res.statusCode === 202 || res.statusCode === 200 || res.statusCode === 204;
  } catch {
    return false;
  }
}

/** Probes every destination repository of the plan's sparse items (registry destinations only); the repositories whose probe could not be deleted. */
export async function checkSparseDestinations(clientFor: (host: string) => RegistryClient, items: readonly PlanItem[], signal?: AbortSignal): Promise<{ probed: number; leftOver: string[] }> {
  const repos = sparseRepositories(items);
  const leftOver: string[] = [];
  for (const r of repos) {
    const slash = r.indexOf('/');
    if (!(await probeSparse(clientFor(r.slice(0, slash)), r.slice(0, slash), r.slice(slash + 1), signal))) leftOver.push(r);
  }
  return { probed: repos.length, leftOver };
}
