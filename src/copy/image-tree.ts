/**
 * Resolves what one source image consists of: the manifest to push at the
 * top, the child manifests under it (children before parents), and every
 * blob. Platform filtering happens here: a manifest list is kept whole unless
 * a filter is given; a filtered list is a NEW manifest with a new digest,
 * except with `sparse`: the list is kept byte for byte (same digest) and only
 * the matching children are walked (a sparse list at the destination).
 */
import { digestOf, type Digest } from '../oci/digest.js';
import type { BlobInfo, ImageSource, RawManifest } from '../transports/types.js';
import { manifestRefs, platformString, readManifest, type ChildDescriptor } from './manifest-refs.js';

export interface ImageTree {
  /** The manifest pushed under the destination tag. */
  readonly root: RawManifest;
  /** Child manifests in push order (every child before its parent). */
  readonly children: readonly RawManifest[];
  /** Unique blobs of the whole tree, in first-seen order. */
  readonly blobs: readonly BlobInfo[];
  /** Set when filtering changed the top-level digest (source digest → root.digest). */
  readonly rewrittenFrom?: Digest;
  /** Platforms left out by the filter. */
  readonly filteredOut: readonly string[];
}

export interface TreeOptions {
  /** Keep only index entries whose `os/arch[/variant]` matches. */
  readonly platformFilter?: RegExp;
  /** With a filter: push the filtered list instead of the single matching image. */
  readonly keepManifestList?: boolean;
  /** With a filter: keep the list as it is (bytes and digest) and copy only the matching children. */
  readonly sparse?: boolean;
  /** Fetches a manifest from the source (with limits and retries applied). */
  readonly fetch: (src: ImageSource, reference: string) => Promise<RawManifest>;
}

export class PlatformFilterError extends Error {
  readonly code = 'ERR_PLATFORM_FILTER';
}

/** `bytes` of an index with only `keep` entries, otherwise as the source wrote it. */
function filteredIndex(m: RawManifest, keep: (c: unknown, i: number) => boolean): RawManifest {
  const doc = readManifest(m).document;
  const bytes = Buffer.from(JSON.stringify({ ...doc, manifests: (doc.manifests as unknown[]).filter(keep) }), 'utf8');
  return { bytes, mediaType: m.mediaType, digest: digestOf(bytes) };
}

export async function resolveImageTree(src: ImageSource, top: RawManifest, opts: TreeOptions): Promise<ImageTree> {
  const children: RawManifest[] = [];
  const blobs = new Map<Digest, BlobInfo>();
  const seenManifests = new Set<Digest>();
  const filteredOut: string[] = [];

  const walk = async (m: RawManifest, depth: number, only?: (c: ChildDescriptor) => boolean): Promise<void> => {
    if (depth > 4) throw new Error(`manifest ${m.digest}: index nesting deeper than 4`);
    const refs = manifestRefs(m);
    if (refs.kind === 'image') {
      for (const b of [refs.config, ...refs.layers]) if (!blobs.has(b.digest)) blobs.set(b.digest, b);
      return;
    }
    const wanted = refs.children.filter((c) => (only === undefined || only(c)) && !seenManifests.has(c.digest));
    for (const c of wanted) seenManifests.add(c.digest);
    // Children are fetched at once (one round trip, not one per platform), then walked in index order.
    const settled = await Promise.allSettled(wanted.map((c) => opts.fetch(src, c.digest)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    for (const [i, c] of wanted.entries()) {
      const child = (settled[i] as PromiseFulfilledResult<RawManifest>).value;
      if (child.bytes.length !== c.size) throw new Error(`manifest ${c.digest}: ${child.bytes.length} bytes, the index says ${c.size}`);
      await walk({ ...child, mediaType: c.mediaType || child.mediaType }, depth + 1);
      children.push({ ...child, mediaType: c.mediaType || child.mediaType });
    }
  };

  const refs = manifestRefs(top);
  let root = top;
  let rewrittenFrom: Digest | undefined;
  let only: ((c: ChildDescriptor) => boolean) | undefined;
  if (refs.kind === 'index' && opts.platformFilter !== undefined) {
    const re = opts.platformFilter;
    const matches = (c: ChildDescriptor): boolean => c.platform !== undefined && re.test(platformString(c.platform));
    const kept = refs.children.filter(matches);
    for (const c of refs.children) if (!matches(c)) filteredOut.push(platformString(c.platform));
    if (kept.length === 0) {
      const what = opts.sparse ? `the chosen platforms (${re.source})` : `--filter-by-os ${re.source}`;
      throw new PlatformFilterError(`${src.description}@${top.digest}: no platform matches ${what} (has ${refs.children.map((c) => platformString(c.platform)).join(', ')})`);
    }
    if (opts.sparse) {
      only = matches;
    } else if (opts.keepManifestList) {
      if (kept.length < refs.children.length) {
        root = filteredIndex(top, (_c, i) => matches(refs.children[i]!));
        rewrittenFrom = top.digest;
      }
    } else if (kept.length === 1) {
      const only = kept[0]!;
      const child = await opts.fetch(src, only.digest);
      root = { ...child, mediaType: only.mediaType || child.mediaType };
      rewrittenFrom = top.digest;
    } else {
      throw new PlatformFilterError(
        `${src.description}@${top.digest}: --filter-by-os ${re.source} matches ${kept.length} platforms (${kept.map((c) => platformString(c.platform)).join(', ')}); narrow it or add --keep-manifest-list`,
      );
    }
  }
  await walk(root, 0, only);
  return { root, children, blobs: [...blobs.values()], rewrittenFrom, filteredOut };
}
