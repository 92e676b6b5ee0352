/**
 * Opening an image by digest where a cluster would pull it from: the
 * --idms-file/--icsp-file mirrors first, in order, the source last. The first
 * place that serves the manifest (digest-checked) is used for its blobs too.
 */
import { formatImageName, type RegistryRef } from '../reference/image-name.js';
import type { TransportEnv } from '../transports/open.js';
import type { ImageSource, RawManifest } from '../transports/types.js';
import { pullCandidates, type DigestMirrors } from './mirror-policy.js';
import { ExtractError } from './extract-targets.js';

export interface OpenedImage {
  readonly src: ImageSource;
  readonly manifest: RawManifest;
  /** Where it was read from. */
  readonly location: string;
}

export async function openWithMirrors(env: TransportEnv, name: RegistryRef, policy: readonly DigestMirrors[], signal?: AbortSignal): Promise<OpenedImage> {
  const failures: string[] = [];
  for (const c of pullCandidates(name, policy)) {
    const src = env.registries.source(c);
    try {
      const manifest = await src.getManifest(c.digest ?? c.tag ?? 'latest', signal);
      return { src, manifest, location: formatImageName(c) };
    } catch (e) {
      failures.push(`${formatImageName(c)}: ${(e as Error).message}`);
      await src.close();
    }
  }
  throw new ExtractError(`unable to read ${formatImageName(name)} from any location:\n  ${failures.join('\n  ')}`);
}
