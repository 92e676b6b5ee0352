/**
 * A mirror run: mappings → expanded jobs (tag globs listed, destination tags
 * inherited) → one copyImage per source image, several at once, sharing one
 * copy context (dedup ledger, per-store limits) so every unique blob crosses
 * to each destination store at most once per run.
 */
import type { Digest } from '../oci/digest.js';
import { tagGlobMatcher } from '../reference/image-name.js';
import { formatImageReference, registryNameOf, selectorOf, transportOf, withTag, withoutSelector, type ImageReference } from '../transports/all.js';
import { openDestination, openSource, referenceWithin, type TransportEnv } from '../transports/open.js';
import { RegistryUnreachableError } from '../transports/registry/http-errors.js';
import { RegistryAuthError } from '../transports/registry/registry-auth.js';
import { CommitFailedError, errorText, ImageNotFoundError, TagRequiredError, type ImageDestination, type ImageSource } from '../transports/types.js';
import { AttachmentFinder } from './attachments.js';
import { copyImage, tagRequired, type CopyTarget, type ImageCopyOptions } from './copy-image.js';
import { StoreCap } from './limiter.js';
import { MappingError, type Mapping } from './mappings.js';

/** oc's --max-registry default. */
export const DEFAULT_MAX_REGISTRIES = 4;

export interface MirrorTarget {
  readonly ref: ImageReference;
  /** Tag (layout ref name) to write; undefined pushes by digest only. */
  readonly tag: string | undefined;
}

export interface MirrorJob {
  readonly source: ImageReference;
  /** Tag, ref name or digest inside the source repository. */
  readonly within: string;
  readonly targets: readonly MirrorTarget[];
  /** Overrides the run's platform selection (copy options) for this image. */
  readonly platform?: { readonly filter: RegExp | undefined; readonly keepManifestList: boolean; readonly sparse?: boolean };
}

export interface ImageOutcome {
  readonly source: string;
  /** `<destination repository>[:tag]`, as printed after the digest. */
  readonly destination: string;
  readonly digest: Digest;
  readonly skipped: boolean;
  readonly rewrittenFrom?: Digest;
}

export interface MirrorResult {
  readonly images: readonly ImageOutcome[];
  /** Sources not found (only with skipMissing). */
  readonly missing: readonly string[];
  readonly errors: readonly { readonly source: string; readonly message: string }[];
  /** Signatures, attestations and referrers copied along (or, in a dry run, that would be). */
  readonly attachments: number;
  /** Attachments found already present at every destination (nothing copied). */
  readonly attachmentsPresent: number;
}

export interface MirrorOptions {
  readonly env: TransportEnv;
  readonly copy: ImageCopyOptions;
  readonly skipMissing?: boolean;
  /** Appended (after `; `) to the error of a source that does not exist when skipMissing is off. */
  readonly missingHint?: string;
  readonly continueOnError?: boolean;
  /** Do not copy signatures, attestations, SBOMs and referrers along (oc-mirror's --remove-signatures). */
  readonly skipSignatures?: boolean;
  /** Source images copied at once (each is further limited per store). */
  readonly parallelImages?: number;
  /**
   * Stores (registries, layout and disk-store directories) with images in
   * flight at once: oc's --max-registry (default 4). An image holds its
   * source's and its destinations' stores while it is copied; one that alone
   * needs more than this runs by itself.
   */
  readonly maxRegistries?: number;
  /** Called as each destination is done (for `<digest> <dst>` lines). */
  readonly onImage?: (o: ImageOutcome) => void;
}

/** The repository part of a reference, for output lines: as written, with `tag` instead of its selector. */
export function destinationName(ref: ImageReference, tag: string | undefined): string {
  return formatImageReference(tag !== undefined ? withTag(ref, tag) : withoutSelector(ref));
}

/** Expands tag globs (listing source tags) and resolves destination tags; checks tag uniqueness. */
export async function expandMappings(env: TransportEnv, mappings: readonly Mapping[], signal?: AbortSignal): Promise<MirrorJob[]> {
  const jobs = new Map<string, { source: ImageReference; within: string; targets: MirrorTarget[] }>();
  const claimed = new Map<string, string>();
  const add = (source: ImageReference, sourceTag: string | undefined, within: string, m: Mapping): void => {
    const key = `${destinationName(source, undefined)}@${within}`;
    let job = jobs.get(key);
    if (job === undefined) {
      job = { source, within, targets: [] };
      jobs.set(key, job);
    }
    for (const d of m.destinations) {
      const tag = selectorOf(d).tag ?? sourceTag;
      const name = destinationName(d, tag);
      if (tag !== undefined) {
        const prev = claimed.get(name);
        if (prev !== undefined && prev !== key) throw new MappingError(`${m.origin}: each destination tag may only be specified once: ${name}`);
        claimed.set(name, key);
      }
      if (!job.targets.some((t) => destinationName(t.ref, t.tag) === name)) job.targets.push({ ref: d, tag });
    }
  };
  for (const m of mappings) {
    const src = m.source;
    const tag = selectorOf(src).tag;
    if (tag !== undefined && tag.includes('*')) {
      const source = await openSource(env, src);
      const match = tagGlobMatcher(tag);
      const tags: string[] = [];
      for await (const t of source.listTags(signal)) if (match(t)) tags.push(t);
      await source.close();
      const hint = tags.length === 0 ? await transportOf(src).contentsHint?.(env, src) : undefined;
      if (hint !== undefined) throw new MappingError(`${m.origin}: ${formatImageReference(src)} matches no image ${hint}`);
      for (const t of tags.sort()) add(withTag(src, t), t, t, m);
      continue;
    }
    const within = referenceWithin(src);
    if (within === undefined) throw new MappingError(`${m.origin}: source ${formatImageReference(src)} needs a tag or a digest`);
    add(src, tag, within, m);
  }
  return [...jobs.values()];
}

/** Tells registries which repositories a run will touch, for multi-scope tokens. */
export function declareScopes(env: TransportEnv, jobs: readonly MirrorJob[]): void {
  const destHosts = new Set<string>();
  for (const j of jobs) {
    for (const t of j.targets) {
      const name = registryNameOf(t.ref);
      if (name === undefined) continue;
      destHosts.add(name.registry);
      env.registries.declareScopes(name.registry, [{ repository: name.repository, actions: ['pull', 'push'] }]);
    }
  }
  for (const j of jobs) {
    const name = registryNameOf(j.source);
    if (name !== undefined && destHosts.has(name.registry)) {
      env.registries.declareScopes(name.registry, [{ repository: name.repository, actions: ['pull'] }]);
    }
  }
}

export async function runMirror(jobs: readonly MirrorJob[], o: MirrorOptions): Promise<MirrorResult> {
  const images: ImageOutcome[] = [];
  const missing: string[] = [];
  const errors: { source: string; message: string }[] = [];
  const sources = new Map<string, Promise<ImageSource>>();
  const dests = new Map<string, Promise<ImageDestination>>();
  const cached = <T>(m: Map<string, Promise<T>>, key: string, open: () => Promise<T>): Promise<T> => {
    let p = m.get(key);
    if (p === undefined) {
      p = open();
      m.set(key, p);
    }
    return p;
  };
  const cap = new StoreCap(o.maxRegistries ?? DEFAULT_MAX_REGISTRIES);
  o.copy.emit({ type: 'planned', images: jobs.reduce((n, j) => n + j.targets.length, 0) });
  let stop = false;
  /**
   * A registry that cannot be reached at all, or that refuses the
   * credentials, ends the run with its one message (unless
   * --continue-on-error; then each refusal is reported once).
   */
  let unreachable: RegistryUnreachableError | RegistryAuthError | undefined;
  const refusals = new Set<RegistryAuthError>();
  let next = 0;
  let attachments = 0;
  let attachmentsPresent = 0;
  const countAttachment = (r: { targets: readonly { skipped: boolean }[] }): void => {
    if (r.targets.length > 0 && r.targets.every((t) => t.skipped)) attachmentsPresent++;
    else attachments++;
  };
  const finder = new AttachmentFinder();
  /** Copies what is attached to `digests` (recursively: signatures of attestations…). */
  const copyAttachments = async (src: ImageSource, digests: Digest[], targets: readonly CopyTarget[], depth: number, seen: Set<string>): Promise<void> => {
    if (depth > 3 || digests.length === 0) return;
    const found = await finder.find(src, digests, o.copy.signal);
    for (const tag of found.tags) {
      if (seen.has(tag)) continue;
      seen.add(tag);
      const r = await copyImage(o.copy, src, tag, targets.map((t) => ({ dst: t.dst, tag })), { attachment: true });
      countAttachment(r);
      await copyAttachments(src, [r.sourceDigest], targets, depth + 1, seen);
    }
    // Referrers are digest-only: a store that cannot hold untagged manifests does not get them.
    const byDigest = targets.filter((t) => t.dst.caps.taglessManifests);
    for (const ref of found.referrers) {
      if (seen.has(ref.digest)) continue;
      seen.add(ref.digest);
      for (const t of targets) if (!t.dst.caps.taglessManifests) o.copy.emit({ type: 'warning', message: `referrer ${ref.digest} is not copied to ${t.dst.description}: it cannot store a manifest without a tag` });
      if (byDigest.length === 0) continue;
      const r = await copyImage(o.copy, src, ref.digest, byDigest.map((t) => ({ dst: t.dst })), { attachment: true });
      countAttachment(r);
      await copyAttachments(src, [r.sourceDigest], byDigest, depth + 1, seen);
    }
  };
  const openDest = (ref: ImageReference): Promise<ImageDestination> => cached(dests, destinationName(ref, undefined), () => openDestination(o.env, ref));
  // Planning: digest-only pushes to stores that cannot hold untagged manifests fail before anything moves.
  const untaggable: string[] = [];
  for (const j of jobs) {
    for (const t of j.targets) {
      if (t.tag !== undefined) continue;
      const dst = await openDest(t.ref).catch(() => undefined);
      if (dst !== undefined && !dst.caps.taglessManifests) untaggable.push(tagRequired(dst, `${destinationName(j.source, undefined)}@${j.within}`).message);
    }
  }
  if (untaggable.length > 0) {
    for (const p of dests.values()) await p.then((x) => x.close()).catch(() => undefined);
    throw new TagRequiredError(`${untaggable[0]!}${untaggable.length > 1 ? ` (and ${untaggable.length - 1} more)` : ''}`);
  }
  const one = async (job: MirrorJob): Promise<void> => {
    const label = `${destinationName(job.source, undefined)}${job.within.includes(':') ? '@' : ':'}${job.within}`;
    try {
      const src = await cached(sources, destinationName(job.source, undefined), () => openSource(o.env, job.source));
      const targets = await Promise.all(
        job.targets.map(async (t) => ({ dst: await openDest(t.ref), tag: t.tag, ref: t.ref })),
      );
      const copy = job.platform === undefined ? o.copy : { ...o.copy, platformFilter: job.platform.filter, keepManifestList: job.platform.keepManifestList, sparseManifestList: job.platform.sparse === true };
      const r = await cap.run([src.store, ...targets.map((t) => t.dst.store)], async () => {
        if (!o.skipSignatures) finder.prefetch(src, o.copy.signal);
        const copied = await copyImage(copy, src, job.within, targets);
        if (!o.skipSignatures) {
          await copyAttachments(src, [...copied.manifestDigests], targets, 0, new Set());
        }
        return copied;
      });
      r.targets.forEach((res, i) => {
        const t = targets[i]!;
        const outcome: ImageOutcome = { source: label, destination: destinationName(t.ref, t.tag), digest: res.digest, skipped: res.skipped, rewrittenFrom: res.rewrittenFrom };
        images.push(outcome);
        o.onImage?.(outcome);
      });
    } catch (e) {
      if (e instanceof ImageNotFoundError && o.skipMissing) {
        missing.push(label);
        o.copy.emit({ type: 'failed', source: label, message: (e as Error).message, targets: job.targets.length, missing: true });
        o.copy.emit({ type: 'warning', message: `Image ${label} does not exist and will not be mirrored` });
        return;
      }
      const refused = e instanceof RegistryAuthError && e.refused;
      if (!o.continueOnError && (e instanceof RegistryUnreachableError || refused)) {
        unreachable ??= e as RegistryUnreachableError | RegistryAuthError;
        stop = true;
        return;
      }
      if (refused && refusals.has(e)) {
        errors.push({ source: label, message: e.message });
        return;
      }
      if (refused) refusals.add(e);
      const message = e instanceof ImageNotFoundError && o.missingHint !== undefined ? `${e.message}; ${o.missingHint}` : (e as Error).message;
      errors.push({ source: label, message });
      o.copy.emit({ type: 'failed', source: label, message, targets: job.targets.length, missing: false });
      if (!o.continueOnError) stop = true;
    }
  };
  const worker = async (): Promise<void> => {
    while (!stop && next < jobs.length) await one(jobs[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallelImages ?? 8, jobs.length)) }, worker));
  // Every image of the run is written: publish (once per destination), unless the run failed.
  const keep = unreachable === undefined && (errors.length === 0 || o.continueOnError === true);
  let commitFailure: unknown;
  if (keep) {
    for (const [name, p] of [...dests].sort(([a], [b]) => a.localeCompare(b))) {
      const dst = await p.catch(() => undefined);
      if (dst === undefined || commitFailure !== undefined) continue;
      await dst.commit(o.copy.signal).catch((e: unknown) => (commitFailure = new CommitFailedError(`${name}: publishing the written images failed: ${errorText(e)}`, { cause: e })));
    }
  }
  for (const p of [...sources.values(), ...dests.values()]) await p.then((x) => x.close()).catch(() => undefined);
  if (unreachable !== undefined) throw unreachable;
  if (commitFailure !== undefined) throw commitFailure;
  return { images, missing, errors, attachments, attachmentsPresent };
}
