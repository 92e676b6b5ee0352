/**
 * d2m: every image of an archive set into a registry, through the copy
 * engine, straight from the tars (ArchiveSource: ranged reads, every member
 * checked as it streams). Tagged images go by tag, untagged top-level ones
 * by digest, each into `<prefix>/<repository>`.
 *
 * Resume comes from the engine: a tag that already resolves to its digest is
 * done after one HEAD, and every blob is HEADed before it is sent, so a run
 * after a kill -9 sends only what the registry does not hold yet.
 */
import type { Digest } from '../oci/digest.js';
import type { ArchiveSet } from '../transports/archive/archive-reader.js';
import { ArchiveSource } from '../transports/archive/archive-source.js';
import type { RegistryHub } from '../transports/registry/registry-hub.js';
import { BlobLocations } from './blob-locations.js';
import { copyImage, type ImageCopyOptions } from './copy-image.js';

export interface ArchivePushTarget {
  /** host[:port] */
  readonly registry: string;
  /** Repository path prefix at the destination ('' for none). */
  readonly prefix: string;
}

export interface ArchivePushOutcome {
  readonly destination: string;
  readonly digest: Digest;
  readonly skipped: boolean;
}

export interface ArchivePushResult {
  readonly images: readonly ArchivePushOutcome[];
  readonly errors: readonly { readonly source: string; readonly message: string }[];
}

/** The images of a set as (repository, tag or digest) pairs, tags first. */
export function archiveImages(set: ArchiveSet): { repository: string; tag?: string; digest: Digest }[] {
  const out: { repository: string; tag?: string; digest: Digest }[] = [];
  for (const [repository, r] of Object.entries(set.index.repositories).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [tag, digest] of Object.entries(r.tags).sort(([a], [b]) => a.localeCompare(b))) out.push({ repository, tag, digest });
    for (const digest of r.untagged) out.push({ repository, digest });
  }
  return out;
}

/**
 * Blobs the set left out (the far side had them): records, for the
 * destination `store` (`docker://HOST`), the repositories of the set that use
 * each one (mapped by `toRepository`), so after a HEAD finds one absent from
 * its repository the engine mounts it from there, as if remembered.
 */
export function recordDelivered(set: ArchiveSet, hints: BlobLocations, store: string, toRepository: (setRepository: string) => string): void {
  for (const [digest, repos] of Object.entries(set.index.delivered)) for (const r of repos) hints.record(store, digest as Digest, toRepository(r));
}

export async function pushArchiveSet(
  set: ArchiveSet,
  target: ArchivePushTarget,
  o: { readonly copy: ImageCopyOptions; readonly registries: RegistryHub; readonly parallelImages?: number; readonly continueOnError?: boolean; readonly onImage?: (x: ArchivePushOutcome) => void },
): Promise<ArchivePushResult> {
  const jobs = archiveImages(set);
  const images: ArchivePushOutcome[] = [];
  const errors: { source: string; message: string }[] = [];
  const sources = new Map<string, ArchiveSource>();
  for (const j of jobs) {
    const repository = target.prefix === '' ? j.repository : `${target.prefix}/${j.repository}`;
    o.registries.declareScopes(target.registry, [{ repository, actions: ['pull', 'push'] }]);
  }
  // Blobs the set left out (the far side had them): after a HEAD finds one absent from its
  // repository, the engine mounts it from a repository of the set that uses it, as if remembered.
  const hints = o.copy.locations ?? BlobLocations.ephemeral();
  recordDelivered(set, hints, `docker://${target.registry}`, (r) => (target.prefix === '' ? r : `${target.prefix}/${r}`));
  const copy: ImageCopyOptions = { ...o.copy, locations: hints };
  copy.emit({ type: 'planned', images: jobs.length });
  let next = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop && next < jobs.length) {
      const j = jobs[next++]!;
      const repository = target.prefix === '' ? j.repository : `${target.prefix}/${j.repository}`;
      const label = `${j.repository}${j.tag !== undefined ? `:${j.tag}` : `@${j.digest}`}`;
      let src = sources.get(j.repository);
      if (src === undefined) {
        src = new ArchiveSource(set, j.repository);
        sources.set(j.repository, src);
      }
      try {
        const dst = o.registries.destination({ registry: target.registry, repository });
        const r = await copyImage(copy, src, j.tag ?? j.digest, [{ dst, tag: j.tag }]);
        const res = r.targets[0]!;
        const outcome = { destination: `${target.registry}/${repository}${j.tag !== undefined ? `:${j.tag}` : `@${res.digest}`}`, digest: res.digest, skipped: res.skipped };
        images.push(outcome);
        o.onImage?.(outcome);
      } catch (e) {
        const message = (e as Error).message;
        errors.push({ source: label, message });
        copy.emit({ type: 'failed', source: label, message, targets: 1, missing: false });
        if (!o.continueOnError) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallelImages ?? 4, jobs.length)) }, worker));
  return { images, errors };
}
