/**
 * copyImage: one source image to one or more destinations, digest-preserving.
 *
 * Per destination: if the tag (or digest) already resolves to the source
 * digest, nothing moves (one HEAD); if the manifest is there by digest, only
 * the tag is written; otherwise every blob is ensured (ensureBlob: dedup,
 * mount, HEAD, verified upload), then child manifests, then the top manifest,
 * all with their original bytes.
 */
import type { Digest } from '../oci/digest.js';
import { isRetryableError } from '../transports/registry/retry.js';
import { DigestMismatchError, SourceReadError, TagRequiredError, type ImageDestination, type ImageSource, type RawManifest } from '../transports/types.js';
import { ensureBlob, withRetry, type BlobCopyContext } from './blob-copy.js';
import { resolveImageTree, type ImageTree, type TreeOptions } from './image-tree.js';
import { manifestRefs } from './manifest-refs.js';

export interface CopyTarget {
  readonly dst: ImageDestination;
  /** Destination tag; undefined pushes by digest only. */
  readonly tag?: string;
}

export interface ImageCopyOptions extends BlobCopyContext {
  readonly platformFilter?: TreeOptions['platformFilter'];
  readonly keepManifestList?: boolean;
  /** With a filter: copy a list as it is (same digest) with only the matching children (TreeOptions.sparse). */
  readonly sparseManifestList?: boolean;
}

export interface TargetResult {
  readonly dst: string;
  readonly tag?: string;
  /** Digest now at the destination (the source digest unless filtered). */
  readonly digest: Digest;
  /** True when the destination already had it all. */
  readonly skipped: boolean;
  /** Filtering made a new manifest list (its digest differs from the source's). */
  readonly rewrittenFrom?: Digest;
}

export interface ImageCopyResult {
  readonly sourceDigest: Digest;
  /** Undefined when every destination already had the image: its children were not fetched. */
  readonly tree?: ImageTree;
  /** The top manifest and its direct children (what signatures and referrers may point at). */
  readonly manifestDigests: readonly Digest[];
  readonly targets: readonly TargetResult[];
}

/** Settles every promise, then throws the first failure (no stray work left running). */
async function allOrFirstError<T>(ps: readonly Promise<T>[]): Promise<T[]> {
  const rs = await Promise.allSettled(ps);
  const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
  return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * A manifest whose bytes broke off or do not hash to what was promised: worth
 * another GET (requests that failed before an answer, and 5xx/429 answers, were
 * already retried by the transport).
 */
function isBadManifestBody(e: unknown): boolean {
  if (e instanceof DigestMismatchError) return true;
  return e instanceof SourceReadError && isRetryableError(e.cause);
}

export function fetchManifest(ctx: BlobCopyContext, src: ImageSource, reference: string): Promise<RawManifest> {
  return withRetry(ctx, `fetch manifest ${reference} from ${src.description}`, () => ctx.limiter.run([src.store], () => src.getManifest(reference, ctx.signal)), isBadManifestBody);
}

async function copyTo(ctx: ImageCopyOptions, src: ImageSource, tree: ImageTree, t: CopyTarget, attachment: boolean, known?: { current: Digest | undefined }): Promise<TargetResult> {
  const { dst, tag } = t;
  const root = tree.root;
  const head = (ref: string): Promise<Digest | undefined> =>
    ctx.limiter.run([dst.store], () => dst.resolveManifest(ref, ctx.signal));
  const put = async (m: RawManifest, target: { tag?: string; child?: boolean }): Promise<void> =>
    ctx.dryRun ? undefined : ctx.limiter.run([dst.store], () => dst.putManifest(m, target, ctx.signal));
  const bytes = tree.blobs.reduce((n, b) => n + b.size, 0);
  const done = (skipped: boolean, blobsVisited = !skipped): TargetResult => {
    ctx.emit({ type: 'image', src: src.description, dst: dst.description, digest: root.digest, tag, skipped, bytesUnvisited: blobsVisited ? 0 : bytes, rewrittenFrom: tree.rewrittenFrom, attachment });
    return { dst: dst.description, tag, digest: root.digest, skipped, rewrittenFrom: tree.rewrittenFrom };
  };

  if (!ctx.force) {
    const current = known !== undefined ? known.current : await head(tag ?? root.digest);
    // A sparse list at the destination may lack children chosen now: it is complete only when they are all there.
    const complete = async (): Promise<boolean> => !ctx.sparseManifestList || (await Promise.all(tree.children.map(async (c) => (await head(c.digest)) === c.digest))).every(Boolean);
    if (current === root.digest && (await complete())) return done(true);
    // The tag points elsewhere: the manifest may already be there by digest (re-tag only).
    if (tag !== undefined && current !== undefined && current !== root.digest && (await head(root.digest)) === root.digest && (await complete())) {
      await put(root, { tag });
      ctx.emit({ type: 'manifest', dst: dst.description, digest: root.digest, tag, child: false, rewrittenFrom: tree.rewrittenFrom });
      return done(false, false);
    }
  }
  await allOrFirstError(tree.blobs.map((b) => ensureBlob(ctx, src, dst, b)));
  const putChild = async (child: RawManifest): Promise<void> => {
    await put(child, { child: true });
    ctx.emit({ type: 'manifest', dst: dst.description, digest: child.digest, child: true });
  };
  // Image manifests of a list go up at once (where the store takes concurrent writes); with a nested index, in order (each index after its children).
  if (dst.caps.concurrentBlobWrites && tree.children.every((c) => manifestRefs(c).kind === 'image')) await allOrFirstError(tree.children.map(putChild));
  else for (const child of tree.children) await putChild(child);
  await put(root, { tag });
  ctx.emit({ type: 'manifest', dst: dst.description, digest: root.digest, tag, child: false, rewrittenFrom: tree.rewrittenFrom });
  return done(false);
}

/** The error for a digest-only push to a destination that cannot hold an untagged manifest (before anything is written). */
export function tagRequired(dst: ImageDestination, reference: string): TagRequiredError {
  return new TagRequiredError(`${dst.description} cannot store a manifest without a tag (pushing ${reference} by digest); give the destination a tag`);
}

/**
 * Copies the image `reference` (tag or digest) of `src` to every target.
 * `opts.attachment` marks a signature/attestation/referrer copied along (for progress).
 */
export async function copyImage(ctx: ImageCopyOptions, src: ImageSource, reference: string, targets: readonly CopyTarget[], opts: { attachment?: boolean } = {}): Promise<ImageCopyResult> {
  const attachment = opts.attachment === true;
  const untaggable = targets.find((t) => t.tag === undefined && !t.dst.caps.taglessManifests);
  if (untaggable !== undefined) throw tagRequired(untaggable.dst, reference);
  const top = await fetchManifest(ctx, src, reference);
  const refs = manifestRefs(top);
  // What each destination holds now, asked before the children are fetched: a
  // re-run where every destination is complete costs one GET and one HEAD per target.
  let known: { current: Digest | undefined }[] | undefined;
  if (!ctx.force && !(refs.kind === 'index' && ctx.platformFilter !== undefined)) {
    known = await Promise.all(
      targets.map(async (t) => ({ current: await ctx.limiter.run([t.dst.store], () => t.dst.resolveManifest(t.tag ?? top.digest, ctx.signal)) })),
    );
    if (known.every((k) => k.current === top.digest)) {
      const blobs = refs.kind === 'image' ? [refs.config, ...refs.layers] : [];
      const bytes = blobs.reduce((n, b) => n + b.size, 0);
      ctx.emit({ type: 'resolved', src: src.description, digest: top.digest, blobs: blobs.length, bytes, targets: targets.length, attachment });
      const results = targets.map((t): TargetResult => {
        ctx.emit({ type: 'image', src: src.description, dst: t.dst.description, digest: top.digest, tag: t.tag, skipped: true, bytesUnvisited: bytes, attachment });
        return { dst: t.dst.description, tag: t.tag, digest: top.digest, skipped: true };
      });
      const manifestDigests = [top.digest, ...(refs.kind === 'index' ? refs.children.map((c) => c.digest) : [])];
      return { sourceDigest: top.digest, manifestDigests, targets: results };
    }
  }
  const tree = await resolveImageTree(src, top, {
    platformFilter: ctx.platformFilter,
    keepManifestList: ctx.keepManifestList,
    sparse: ctx.sparseManifestList,
    fetch: (s, r) => fetchManifest(ctx, s, r),
  });
  const bytes = tree.blobs.reduce((n, b) => n + b.size, 0);
  ctx.emit({ type: 'resolved', src: src.description, digest: tree.root.digest, blobs: tree.blobs.length, bytes, targets: targets.length, attachment });
  const results = await allOrFirstError(targets.map((t, i) => copyTo(ctx, src, tree, t, attachment, tree.rewrittenFrom === undefined ? known?.[i] : undefined)));
  const manifestDigests = [...new Set([top.digest, tree.root.digest, ...tree.children.map((c) => c.digest)])];
  return { sourceDigest: top.digest, tree, manifestDigests, targets: results };
}
