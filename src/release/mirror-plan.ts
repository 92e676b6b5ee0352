/**
 * Naming and mappings of `release mirror` (oc's rules): the release image
 * goes to `<to>:<version>-<arch>` (or --to-release-image), each component to
 * `<to>:<version>-<arch>-<name>`; `-multi` with --keep-manifest-list on a
 * manifest list; architectures as x86_64/aarch64. A component present in a
 * file:// source store by digest is read from there (oc's sourceFn).
 */
import type { Digest } from '../oci/digest.js';
import { repositoryOf } from '../reference/image-name.js';
import { formatImageReference, type ImageReference } from '../reference/transport-ref.js';
import type { MirrorJob } from '../copy/mirror.js';
import { releaseArchName } from './arch.js';
import type { Component } from './image-references.js';

export class ReleaseMirrorError extends Error {
  readonly code = 'ERR_RELEASE_MIRROR';
}

export interface ReleaseMapping {
  /** `release` or the component name. */
  readonly name: string;
  readonly source: ImageReference;
  /** Tag or digest inside the source repository. */
  readonly within: string;
  readonly destination: ImageReference & { transport: 'docker' | 'file' };
  readonly tag: string;
}

/** `-x86_64`, `-aarch64`, `-ppc64le`, … or `-multi`. */
export function archSuffix(architecture: string | undefined, multi: boolean): string {
  if (multi) return '-multi';
  return architecture ? `-${releaseArchName(architecture)}` : '';
}

/** The repository part (`host/repo` or `file://repo`) of a reference. */
export function repoText(ref: ImageReference): string {
  if (ref.transport === 'oci') return `oci:${ref.path}`;
  const name = { ...ref.name, tag: undefined, digest: undefined };
  return ref.transport === 'file' ? `file://${repositoryOf(name)}` : repositoryOf(name);
}

export function withTag<T extends ImageReference & { transport: 'docker' | 'file' }>(ref: T, tag: string): T {
  return { ...ref, name: { ...ref.name, tag, digest: undefined } };
}

export function withDigest<T extends ImageReference & { transport: 'docker' | 'file' }>(ref: T, digest: Digest): T {
  return { ...ref, name: { ...ref.name, tag: undefined, digest } };
}

export interface PlanInput {
  readonly from: ImageReference;
  readonly fromWithin: string;
  readonly to: ImageReference & { transport: 'docker' | 'file' };
  readonly toRelease?: ImageReference & { transport: 'docker' | 'file' };
  readonly skipRelease: boolean;
  readonly version: string;
  readonly suffix: string;
  readonly components: readonly Component[];
  /** Digests the file:// source store holds (components are read from there when listed). */
  readonly localDigests?: ReadonlySet<string>;
}

export function releaseTarget(p: Pick<PlanInput, 'to' | 'toRelease' | 'version' | 'suffix'>): { ref: ImageReference & { transport: 'docker' | 'file' }; tag: string } {
  if (p.toRelease !== undefined) {
    const tag = p.toRelease.name.tag;
    if (tag === undefined) throw new ReleaseMirrorError('--to-release-image needs a tag');
    return { ref: p.toRelease, tag };
  }
  const tag = `${p.version}${p.suffix}`;
  return { ref: withTag(p.to, tag), tag };
}

export function planMappings(p: PlanInput): ReleaseMapping[] {
  const out: ReleaseMapping[] = [];
  if (!p.skipRelease) {
    const t = releaseTarget(p);
    out.push({ name: 'release', source: p.from, within: p.fromWithin, destination: t.ref, tag: t.tag });
  }
  for (const c of p.components) {
    const tag = `${p.version}${p.suffix}-${c.name}`;
    let source: ImageReference = { transport: 'docker', name: c.image, explicit: false };
    if (p.from.transport === 'file' && p.localDigests?.has(c.image.digest)) source = withDigest(p.from, c.image.digest);
    out.push({ name: c.name, source, within: c.image.digest, destination: withTag(p.to, tag), tag });
  }
  return out;
}

/** `SRC DST` lines (--to-mirror). */
export function mappingLines(ms: readonly ReleaseMapping[]): string {
  return ms.map((m) => `${formatImageReference(m.source)} ${formatImageReference(m.destination)}\n`).join('');
}

/** One job per source image (components sharing a digest share the job). */
export function mirrorJobs(ms: readonly ReleaseMapping[]): MirrorJob[] {
  const jobs = new Map<string, { source: ImageReference; within: string; targets: { ref: ImageReference; tag: string }[] }>();
  for (const m of ms) {
    const key = `${repoText(m.source)}@${m.within}`;
    let j = jobs.get(key);
    if (j === undefined) {
      j = { source: m.source, within: m.within, targets: [] };
      jobs.set(key, j);
    }
    j.targets.push({ ref: m.destination, tag: m.tag });
  }
  return [...jobs.values()];
}
