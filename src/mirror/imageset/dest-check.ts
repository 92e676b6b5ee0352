/**
 * The destination pre-check of an image-set run, before any work: the
 * registry answers and accepts the credentials, an upload session can be
 * opened (then cancelled: nothing is written) in the deepest repository the
 * plan pushes to, and — when the registry refuses that path as a name
 * (400/404: GitLab, Quay or Harbor depth limits) — the deepest path it
 * does accept, found by opening sessions at shallower depths, is turned
 * into the exact `--max-nested-paths` to rerun with. Fails in seconds.
 */
import type { RegistryClient } from '../../transports/registry/registry-client.js';
import { RegistryHttpError } from '../../transports/registry/http-errors.js';
import { nestPath } from './naming.js';

export class DestinationCheckError extends Error {
  readonly code = 'ERR_DESTINATION_CHECK';
}

export interface DestinationCheck {
  /** The repository path (below the host) the session was opened in. */
  readonly probed: string;
  /** Whether the registry cancelled the session (a registry without DELETE leaves it to expire). */
  readonly cancelled: boolean;
}

async function tryUpload(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<{ ok: true; cancelled: boolean } | { ok: false; error: RegistryHttpError }> {
  try {
    const loc = await client.blobUploadStart(repository, signal);
    const status = await client.blobUploadCancel(repository, loc, signal).catch(() => 0);
    return { ok: true, cancelled: status >= 200 && status < 300 };
  } catch (e) {
    if (e instanceof RegistryHttpError) return { ok: false, error: e };
    throw e;
  }
}

const refusedName = (e: RegistryHttpError): boolean => e.status === 400 || e.status === 404 || e.ociCode === 'NAME_INVALID' || e.ociCode === 'NAME_UNKNOWN';

/**
 * Checks push access at `deepest` (a repository path below the host, the
 * deepest the plan uses) on `client`'s registry. `flag` is how the user
 * names the destination in messages (`docker://REG/prefix`).
 */
export async function checkDestination(client: RegistryClient, deepest: string, flag: string, signal?: AbortSignal): Promise<DestinationCheck> {
  await client.ping(signal);
  const first = await tryUpload(client, deepest, signal);
  if (first.ok) return { probed: deepest, cancelled: first.cancelled };
  const e = first.error;
  if (e.status === 401 || e.status === 403) {
    throw new DestinationCheckError(`${flag}: the registry refuses to let these credentials push to ${deepest} (HTTP ${e.status}${e.ociCode ? ` ${e.ociCode}` : ''}); check --authfile and the account's push permission in that namespace. Nothing was copied`);
  }
  if (!refusedName(e)) throw new DestinationCheckError(`${flag}: opening an upload in ${deepest} failed: ${e.message}. Nothing was copied`);
  const parts = deepest.split('/');
  for (let depth = parts.length - 1; depth >= 1; depth--) {
    const probe = nestPath(parts, depth).join('/');
    const r = await tryUpload(client, probe, signal);
    if (r.ok) {
      throw new DestinationCheckError(`${flag}: the registry refuses repository paths ${parts.length} components deep (${deepest}: HTTP ${e.status}${e.ociCode ? ` ${e.ociCode}` : ''}) but accepts ${depth}; rerun with --max-nested-paths ${depth}. Nothing was copied`);
    }
    if (!refusedName(r.error)) break;
  }
  throw new DestinationCheckError(`${flag}: the registry refuses to open an upload in ${deepest} at any depth (HTTP ${e.status}${e.ociCode ? ` ${e.ociCode}` : ''}): does the namespace exist? Nothing was copied`);
}
