/**
 * The release collector: reads a release payload (release/payload-reader)
 * and names its images as oc adm release mirror does. The release image goes
 * to `<to>:<version>-<arch>` (or --to-release-image), each component to
 * `<to>:<version>-<arch>-<name>`; `-multi` with --keep-manifest-list on a
 * manifest list; architectures as x86_64/aarch64. A component present in a
 * file:// source store by digest is read from there (oc's sourceFn).
 * Without --keep-manifest-list a multi-arch release is cut, as oc cuts it,
 * to the platform read (--filter-by-os, else this machine's): each manifest
 * list is replaced by its image for that platform.
 */
import type { Digest } from '../../oci/digest.js';
import { formatImageReference, repositoryText, selectorOf, withDigest, withTag, type ImageReference } from '../../transports/all.js';
import { FileRepository } from '../../transports/file-store/file-store.js';
import { fileSourceRoot, isFileStoreReference } from '../../transports/file-store/file-transport.js';
import { registryReference } from '../../transports/registry/registry-transport.js';
import { openSource, referenceWithin, type TransportEnv } from '../../transports/open.js';
import { releaseArchName } from '../../release/arch.js';
import { componentsOf, type Component } from '../../release/image-references.js';
import { readRelease } from '../../release/payload-reader.js';
import { verificationStores } from '../../release/signatures.js';
import type { Collected, Collector, CollectorContext } from '../collector.js';
import type { PlanItem, PlatformSelection } from '../plan.js';
import type { ImageMapping } from '../resources/mapping-txt.js';

export class ReleaseMirrorError extends Error {
  readonly code = 'ERR_RELEASE_MIRROR';
}

/** A repository addressed by name: a registry's or oc's disk store's (release destinations; cli/ checks imageNameOf). */
export type ReleaseDestination = ImageReference;

export interface ReleaseMapping {
  /** `release` or the component name. */
  readonly name: string;
  readonly source: ImageReference;
  /** Tag or digest inside the source repository. */
  readonly within: string;
  readonly destination: ReleaseDestination;
  readonly tag: string;
}

/** `-x86_64`, `-aarch64`, `-ppc64le`, … or `-multi`. */
export function archSuffix(architecture: string | undefined, multi: boolean): string {
  if (multi) return '-multi';
  return architecture ? `-${releaseArchName(architecture)}` : '';
}

export interface NamingInput {
  readonly from: ImageReference;
  readonly fromWithin: string;
  readonly to: ReleaseDestination;
  readonly toRelease?: ReleaseDestination;
  /** Repository of the release image (tag `<version><suffix>`) instead of `to` (oc-mirror v2's `openshift/release-images`). */
  readonly releaseRepository?: ReleaseDestination;
  readonly skipRelease: boolean;
  readonly version: string;
  readonly suffix: string;
  readonly components: readonly Component[];
  /** Digests the file:// source store holds (components are read from there when listed). */
  readonly localDigests?: ReadonlySet<string>;
}

/** Where the release image itself goes. */
export function releaseTarget(p: Pick<NamingInput, 'to' | 'toRelease' | 'releaseRepository' | 'version' | 'suffix'>): { ref: ReleaseDestination; tag: string } {
  if (p.toRelease !== undefined) {
    const tag = selectorOf(p.toRelease).tag;
    if (tag === undefined) throw new ReleaseMirrorError('--to-release-image needs a tag');
    return { ref: p.toRelease, tag };
  }
  const tag = `${p.version}${p.suffix}`;
  return { ref: withTag(p.releaseRepository ?? p.to, tag), tag };
}

/** One mapping per image: the release first (unless skipped), then the components in payload order. */
export function releaseMappings(p: NamingInput): ReleaseMapping[] {
  const out: ReleaseMapping[] = [];
  if (!p.skipRelease) {
    const t = releaseTarget(p);
    out.push({ name: 'release', source: p.from, within: p.fromWithin, destination: t.ref, tag: t.tag });
  }
  for (const c of p.components) {
    const tag = `${p.version}${p.suffix}-${c.name}`;
    let source: ImageReference = registryReference(c.image);
    if (isFileStoreReference(p.from) && p.localDigests?.has(c.image.digest)) source = withDigest(p.from, c.image.digest);
    out.push({ name: c.name, source, within: c.image.digest, destination: withTag(p.to, tag), tag });
  }
  return out;
}

/** One item per source image: components sharing a digest share the item (one origin each). */
export function releaseItems(ms: readonly ReleaseMapping[]): PlanItem[] {
  const items = new Map<string, { source: ImageReference; within: string; targets: { ref: ImageReference; tag: string }[]; origins: { kind: 'release'; component: string }[] }>();
  for (const m of ms) {
    const key = `${repositoryText(m.source)}@${m.within}`;
    let item = items.get(key);
    if (item === undefined) {
      item = { source: m.source, within: m.within, targets: [], origins: [] };
      items.set(key, item);
    }
    item.targets.push({ ref: m.destination, tag: m.tag });
    item.origins.push({ kind: 'release', component: m.name });
  }
  return [...items.values()];
}

export interface ReleaseInput {
  readonly from: ImageReference;
  readonly to: ReleaseDestination;
  readonly toRelease?: ReleaseDestination;
  /** Repository of the release image (tag `<version>-<arch>`) instead of `to`. */
  readonly releaseRepository?: ReleaseDestination;
  readonly skipRelease?: boolean;
  /** Name a manifest list `-multi` and read its linux/amd64 payload. */
  readonly keepManifestList?: boolean;
  /** Platform whose payload is read from a manifest list (default: this machine, else linux/amd64). */
  readonly filterByOs?: string;
}

/** What release mirror's writers need besides the items. */
export interface ReleaseInfo {
  readonly version: string;
  /** Digest of the release image read (the manifest, not the list). */
  readonly releaseDigest: Digest;
  /** The release image's destination and tag. */
  readonly target: { readonly ref: ReleaseDestination; readonly tag: string };
  readonly components: readonly Component[];
  /** Signature stores named by the payload's verification ConfigMap. */
  readonly payloadStores: readonly string[];
  /** Every mapping, in release mirror's order (--to-mirror prints them). */
  readonly mappings: readonly ImageMapping[];
  /** The payload's /release-manifests/ files, by name (kubevirt boot image, image-set outputs). */
  readonly payloadFiles: ReadonlyMap<string, Buffer>;
}

async function localDigests(env: TransportEnv, from: ImageReference, digests: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (!isFileStoreReference(from)) return out;
  const repo = new FileRepository(fileSourceRoot(env), from.name.repository);
  for (const d of digests) if ((await repo.resolve(d).catch(() => undefined)) !== undefined) out.add(d);
  return out;
}

export class ReleaseCollector implements Collector<ReleaseInfo> {
  readonly name = 'release';

  constructor(private readonly o: ReleaseInput) {}

  async collect(ctx: CollectorContext): Promise<Collected<ReleaseInfo>> {
    const o = this.o;
    const within = referenceWithin(o.from);
    if (within === undefined) throw new ReleaseMirrorError(`--from ${formatImageReference(o.from)} needs a tag or a digest`);
    const src = await openSource(ctx.env, o.from);
    let release;
    try {
      release = await readRelease(src, within, { platform: o.keepManifestList ? 'linux/amd64' : o.filterByOs });
    } finally {
      await src.close();
    }
    for (const w of release.warnings) ctx.warn(w);
    const version = release.imageStream.metadata.name;
    const suffix = archSuffix(release.config.architecture, o.keepManifestList === true && release.manifestListDigest !== undefined);
    const components = componentsOf(release.imageStream);
    if (components.length === 0) ctx.warn('Release image contains no image references - is this a valid release?');
    const local = await localDigests(ctx.env, o.from, components.map((c) => c.image.digest));
    const ms = releaseMappings({ from: o.from, fromWithin: release.topDigest, to: o.to, toRelease: o.toRelease, releaseRepository: o.releaseRepository, skipRelease: o.skipRelease === true, version, suffix, components, localDigests: local });
    const info: ReleaseInfo = {
      version,
      releaseDigest: release.topDigest,
      target: releaseTarget({ to: o.to, toRelease: o.toRelease, releaseRepository: o.releaseRepository, version, suffix }),
      components,
      payloadStores: verificationStores(release.files),
      mappings: ms.map((m) => ({ source: formatImageReference(m.source), destination: formatImageReference(m.destination) })),
      payloadFiles: release.files,
    };
    // As oc: without --keep-manifest-list a multi-arch release is cut to the platform read; every list becomes that one image.
    const variant = typeof release.config.variant === 'string' && release.config.variant !== '' ? `/${release.config.variant}` : '';
    const one: PlatformSelection | undefined =
      o.keepManifestList !== true && release.manifestListDigest !== undefined
        ? { mode: 'filter-by-os', pattern: escapeRegExp(`${release.config.os ?? 'linux'}/${release.config.architecture ?? 'amd64'}${variant}`), keepManifestList: false }
        : undefined;
    const items = releaseItems(ms);
    return { items: one === undefined ? items : items.map((i) => ({ ...i, platforms: one })), info };
  }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
