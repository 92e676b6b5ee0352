/**
 * Which image of a manifest list to extract (oc's --filter-by-os): a regular
 * expression matched against the whole `os/arch[/variant]` (or `os/arch`)
 * string must pick exactly one; without it, the only image of a one-entry
 * list, else this machine's platform, else linux/amd64. Entries without a
 * platform (`unknown/unknown` attestations) are never picked.
 */
import { platformString } from '../oci/descriptor.js';
import { manifestRefs, type ChildDescriptor } from '../oci/manifest-refs.js';
import type { ImageSource, RawManifest } from '../transports/types.js';
import { ExtractError, ExtractUsageError } from './errors.js';

export interface PlatformFilter {
  readonly pattern: string;
  readonly re: RegExp;
}

export interface PickedImage {
  readonly image: RawManifest;
  /** Set when the reference was a manifest list. */
  readonly list?: RawManifest;
  readonly platform?: string;
}

/** `os/arch` of this machine in OCI spelling. */
export function hostPlatform(): string {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', arm: 'arm', ia32: '386' };
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `${os}/${arch[process.arch] ?? process.arch}`;
}

/** Parses --filter-by-os (matched against the whole platform string). */
export function platformFilter(pattern: string): PlatformFilter {
  try {
    return { pattern, re: new RegExp(`^(?:${pattern})$`) };
  } catch (e) {
    throw new ExtractUsageError(`--filter-by-os: ${(e as Error).message}`);
  }
}

function choose(children: readonly ChildDescriptor[], filter: PlatformFilter | undefined, where: string): ChildDescriptor {
  const real = children.filter((c) => c.platform !== undefined && c.platform.os !== 'unknown');
  const names = real.map((c) => platformString(c.platform)).join(', ');
  if (filter !== undefined) {
    const hits = real.filter((c) => filter.re.test(platformString(c.platform)) || filter.re.test(`${c.platform!.os}/${c.platform!.architecture}`));
    if (hits.length === 1) return hits[0]!;
    if (hits.length === 0) throw new ExtractError(`${where}: --filter-by-os ${filter.pattern} matches none of the images in the list (${names})`);
    throw new ExtractError(`${where}: --filter-by-os ${filter.pattern} matches ${hits.length} images (${hits.map((c) => platformString(c.platform)).join(', ')}); make it match one`);
  }
  if (real.length === 1) return real[0]!;
  const host = hostPlatform();
  const pick =
    real.find((c) => platformString(c.platform) === host) ??
    real.find((c) => `${c.platform!.os}/${c.platform!.architecture}` === host) ??
    real.find((c) => `${c.platform!.os}/${c.platform!.architecture}` === 'linux/amd64');
  if (pick === undefined) throw new ExtractError(`${where} is a manifest list without an image for ${host} or linux/amd64 (it has ${names || 'no platforms'}); choose one with --filter-by-os`);
  return pick;
}

/** Resolves `reference` in `src` to one image manifest. */
export async function pickImage(src: ImageSource, reference: string, filter: PlatformFilter | undefined, signal?: AbortSignal): Promise<PickedImage> {
  const top = await src.getManifest(reference, signal);
  const refs = manifestRefs(top);
  if (refs.kind === 'image') return { image: top };
  const where = `${src.description}@${top.digest}`;
  const child = choose(refs.children, filter, where);
  const image = await src.getManifest(child.digest, signal);
  if (image.digest !== child.digest) throw new ExtractError(`${where}: manifest ${child.digest} came back as ${image.digest}`);
  if (manifestRefs(image).kind !== 'image') throw new ExtractError(`${where}: ${child.digest} is a nested manifest list, which is not supported`);
  return { image: { ...image, mediaType: child.mediaType || image.mediaType }, list: top, platform: platformString(child.platform) };
}
