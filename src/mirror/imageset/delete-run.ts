/**
 * Delete, phase 2 (`airlock mirror delete --delete-yaml-file FILE
 * docker://REG`, reference §5.11): each manifest of the DeleteImageList is
 * deleted by digest (`DELETE /v2/<repo>/manifests/<digest>`), nothing else.
 * Blobs stay until the registry's own garbage collection reclaims those no
 * manifest references (airlock serve does it online, or `airlock gc`), so
 * blobs shared with images that stay are never touched. A manifest already
 * gone is reported as such; one the registry refuses (405 UNSUPPORTED,
 * 403 DENIED, …) is reported with the registry's answer, and the others go on.
 * `dryRun` only asks (HEAD) whether each manifest is there. With
 * `deleteSignatures`, the cosign tags of each image (`sha256-<hex>.sig`,
 * `.att`, `.sbom`) in its repository are deleted too (by their digest).
 */
import type { RegistryHub } from '../../transports/registry/registry-hub.js';
import { httpError } from '../../transports/registry/http-errors.js';
import type { DeleteItemAt } from './delete-list.js';

export class DeleteListError extends Error {
  readonly code = 'ERR_DELETE_LIST';
}

export type DeleteOutcome = 'deleted' | 'would-delete' | 'absent' | 'refused';

export interface DeleteResult {
  readonly imageReference: string;
  readonly imageName: string;
  readonly type: string;
  readonly outcome: DeleteOutcome;
  /** Why the registry refused (its status and OCI error), for `refused`. */
  readonly why?: string;
}

export interface DeleteRunInput {
  readonly items: readonly DeleteItemAt[];
  /** `host[:port]` of the command line's docker://REG. */
  readonly registry: string;
  readonly dryRun: boolean;
  /** Also delete each image's cosign signature, attestation and SBOM tags (v2's --delete-signatures). */
  readonly deleteSignatures?: boolean;
  readonly onResult?: (r: DeleteResult) => void;
  readonly signal?: AbortSignal;
}

/** Refuses a list whose items name another registry than the command line (nothing is deleted then). */
export function checkRegistry(items: readonly DeleteItemAt[], registry: string): void {
  const other = items.find((i) => i.registry !== registry);
  if (other !== undefined) throw new DeleteListError(`${other.where}: imageReference ${other.imageReference} is not in docker://${registry} (the list was generated for docker://${other.registry}; pass that destination, or generate the list again)`);
}

async function deleteOne(hub: RegistryHub, i: DeleteItemAt, dryRun: boolean, signal?: AbortSignal): Promise<{ outcome: DeleteOutcome; why?: string }> {
  const client = hub.client(i.registry, 'destination');
  if (dryRun) return { outcome: (await client.manifestHead(i.repository, i.digest, signal)) === undefined ? 'absent' : 'would-delete' };
  const res = await client.http.send({ method: 'DELETE', path: `/v2/${i.repository}/manifests/${i.digest}`, scope: { repository: i.repository, actions: ['delete'] }, signal });
  if (res.statusCode === 202 || res.statusCode === 200 || res.statusCode === 204) {
    await res.body.dump();
    return { outcome: 'deleted' };
  }
  const err = await httpError(res, `DELETE ${i.registry}/${i.repository} manifest ${i.digest}`);
  if (res.statusCode === 404 && (err.ociCode === 'MANIFEST_UNKNOWN' || err.ociCode === 'NAME_UNKNOWN' || err.ociCode === undefined)) return { outcome: 'absent' };
  return { outcome: 'refused', why: err.message };
}

/** The cosign tags of `i`'s digest present in its repository, as delete items (by their digest). */
async function signatureItems(hub: RegistryHub, i: DeleteItemAt, signal?: AbortSignal): Promise<DeleteItemAt[]> {
  const client = hub.client(i.registry, 'destination');
  const prefix = i.digest.replace(':', '-');
  const out: DeleteItemAt[] = [];
  for (const suffix of ['.sig', '.att', '.sbom']) {
    const tag = `${prefix}${suffix}`;
    const digest = await client.manifestHead(i.repository, tag, signal);
    if (digest === undefined) continue;
    out.push({ ...i, imageName: `${i.imageName} (${tag})`, imageReference: `docker://${i.registry}/${i.repository}@${digest}`, digest });
  }
  return out;
}

export async function runDeleteList(hub: RegistryHub, o: DeleteRunInput): Promise<DeleteResult[]> {
  checkRegistry(o.items, o.registry);
  const out: DeleteResult[] = [];
  const seen = new Set<string>();
  for (const i of o.items) {
    if (seen.has(i.imageReference)) continue;
    seen.add(i.imageReference);
    const r = { imageReference: i.imageReference, imageName: i.imageName, type: i.type, ...(await deleteOne(hub, i, o.dryRun, o.signal)) };
    out.push(r);
    o.onResult?.(r);
    if (o.deleteSignatures !== true) continue;
    for (const s of await signatureItems(hub, i, o.signal)) {
      if (seen.has(s.imageReference)) continue;
      seen.add(s.imageReference);
      const sr = { imageReference: s.imageReference, imageName: s.imageName, type: 'signature', ...(await deleteOne(hub, s, o.dryRun, o.signal)) };
      out.push(sr);
      o.onResult?.(sr);
    }
  }
  return out;
}
