/**
 * Whether one registry location serves an image completely, as a node's
 * pull would need it: the manifest (a digest reference must come back with
 * exactly that digest), every child manifest of a list, and every blob
 * (config and layers, foreign layers excepted) of each image manifest,
 * checked with HEAD. The first problem found is returned with a precise
 * reason; nothing is downloaded but manifests.
 */
import { manifestRefs, type BlobRef } from '../../oci/manifest-refs.js';
import { parseImageName } from '../../reference/image-name.js';
import type { RegistryHub } from '../../transports/registry/registry-hub.js';
import { ImageNotFoundError, errorText, type ImageDestination, type ImageSource, type RawManifest } from '../../transports/types.js';

export type CheckProblem = 'unreachable' | 'manifest-unknown' | 'digest-mismatch' | 'child-manifest-unknown' | 'blob-unknown' | 'unreadable';

export type CheckResult =
  | { readonly ok: true; readonly digest: string; readonly manifests: number; readonly blobs: number }
  | { readonly ok: false; readonly problem: CheckProblem; readonly detail: string; readonly digest?: string };

class Problem extends Error {
  constructor(readonly problem: CheckProblem, detail: string) {
    super(detail);
  }
}

async function manifest(src: ImageSource, within: string, child: boolean, signal?: AbortSignal): Promise<RawManifest> {
  try {
    return await src.getManifest(within, signal);
  } catch (e) {
    if (e instanceof ImageNotFoundError) throw new Problem(child ? 'child-manifest-unknown' : 'manifest-unknown', `${child ? 'child manifest' : 'manifest'} ${within} is not there`);
    throw e;
  }
}

/** Checks `ref` (`host/repo:tag` or `host/repo@digest`) at its own registry. */
export async function checkImage(hub: RegistryHub, ref: string, signal?: AbortSignal): Promise<CheckResult> {
  const n = parseImageName(ref);
  const registry = n.registry!;
  const within = n.digest ?? n.tag ?? 'latest';
  const src = hub.source({ registry, repository: n.repository });
  const dst: ImageDestination = hub.destination({ registry, repository: n.repository });
  let top: RawManifest | undefined;
  let manifests = 0;
  const blobs = new Map<string, BlobRef>();
  try {
    top = await manifest(src, within, false, signal);
    if (n.digest !== undefined && top.digest !== n.digest) throw new Problem('digest-mismatch', `manifest ${n.digest} came back as ${top.digest}`);
    const queue: RawManifest[] = [top];
    while (queue.length > 0) {
      const m = queue.shift()!;
      manifests++;
      const refs = manifestRefs(m);
      if (refs.kind === 'index') {
        for (const c of refs.children) {
          const child = await manifest(src, c.digest, true, signal);
          if (child.digest !== c.digest) throw new Problem('digest-mismatch', `child manifest ${c.digest} came back as ${child.digest}`);
          queue.push(child);
        }
      } else {
        for (const b of [refs.config, ...refs.layers]) blobs.set(b.digest, b);
      }
    }
    const list = [...blobs.values()];
    const presence = await Promise.all(list.map((b) => dst.hasBlob({ digest: b.digest, size: b.size }, signal)));
    const absent = list.findIndex((_, i) => presence[i] !== 'present');
    if (absent >= 0) throw new Problem('blob-unknown', `blob ${list[absent]!.digest} (${list[absent]!.size} bytes) is not there`);
    return { ok: true, digest: top.digest, manifests, blobs: list.length };
  } catch (e) {
    const digest = top !== undefined ? { digest: top.digest } : {};
    if (e instanceof Problem) return { ok: false, problem: e.problem, detail: e.message, ...digest };
    if (top === undefined) return { ok: false, problem: 'unreachable', detail: errorText(e) };
    return { ok: false, problem: 'unreadable', detail: errorText(e), ...digest };
  } finally {
    await src.close().catch(() => undefined);
    await dst.close().catch(() => undefined);
  }
}
