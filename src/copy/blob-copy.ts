/**
 * Retries: small requests (HEAD, mount, manifests) are retried by the
 * transport (registry-http.ts); the whole GET → upload of a blob is retried
 * here, because a stream cannot be replayed, and so is a manifest whose body
 * broke off or does not hash to its digest (fetchManifest, copy-image.ts).
 *
 * Gets one blob into one destination repository with the fewest bytes and
 * requests: already recorded this run → nothing; a holder known in the same
 * store → cross-repository mount; otherwise HEAD (skipped for blobs up to
 * 1 MiB once the store has shown itself fresh: BlobLedger.worthAsking), then
 * stream it across (verified on the way, retried with backoff on transient
 * failures).
 */
import type { Readable } from 'node:stream';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { isRetryableError, backoffDelay, waitFor, type RetryPolicy } from '../transports/registry/retry.js';
import { DigestMismatchError, SourceReadError, type BlobInfo, type ImageDestination, type ImageSource } from '../transports/types.js';
import { verified } from '../transports/verify-stream.js';
import type { BlobLedger } from './blob-ledger.js';
import type { BlobLocations } from './blob-locations.js';
import type { BlobAction, EventSink } from './events.js';
import type { StoreLimiter } from './limiter.js';

export interface BlobCopyContext {
  readonly ledger: BlobLedger;
  readonly limiter: StoreLimiter;
  readonly retry: RetryPolicy;
  /** Upload even when the destination has the blob (oc's --force). */
  readonly force: boolean;
  /** Never cross-repository mount (oc's --skip-mount). */
  readonly skipMount: boolean;
  /** Plan only: read and check, never write (mounts and uploads are reported as they would happen). */
  readonly dryRun?: boolean;
  /** Where earlier runs saw blobs (--blob-cache): mount candidates before uploading; updated with this run's findings. */
  readonly locations?: BlobLocations;
  readonly emit: EventSink;
  readonly signal?: AbortSignal;
  /**
   * Blobs the caller knows `store` lacks (d2m's first push of an archive set
   * carrying only what the far side lacks): uploaded without asking first.
   */
  readonly knownAbsent?: (store: string, digest: string) => boolean;
}

/** Transient failures worth copying the blob again: network, 5xx/429, short or corrupt bodies. */
export function isTransient(e: unknown): boolean {
  if (e instanceof DigestMismatchError) return true;
  return isRetryableError(e) || (e as { retryable?: unknown } | undefined)?.retryable === true;
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Runs `op` with the retry policy, reporting each retry; `retryable` decides which failures are worth another attempt (default isTransient). */
export async function withRetry<T>(
  ctx: Pick<BlobCopyContext, 'retry' | 'emit' | 'signal'>,
  what: string,
  op: () => Promise<T>,
  retryable: (e: unknown) => boolean = isTransient,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (attempt >= ctx.retry.times || !retryable(e) || ctx.signal?.aborted) throw e;
      const delayMs = backoffDelay(attempt, ctx.retry, (e as { retryAfterMs?: number }).retryAfterMs);
      ctx.emit({ type: 'retry', what, attempt: attempt + 1, delayMs, error: firstLine(e) });
      await waitFor(delayMs, ctx.signal);
    }
  }
}

/**
 * One attempt: open the source, stream it verified into the destination.
 * The verified body records its own failure (see verified()); that failure,
 * a digest mismatch or the source breaking off, is what the attempt failed
 * of, whatever the destination made of it (an aborted PUT, a premature
 * close). A destination that returned although the body failed stored
 * nothing verified either: the attempt fails the same way.
 */
async function transferOnce(ctx: BlobCopyContext, src: ImageSource, dst: ImageDestination, blob: BlobInfo): Promise<void> {
  let moved = 0;
  let body: Readable | undefined;
  try {
    body = verified(await src.getBlob(blob, { signal: ctx.signal }), blob, (n) => {
      moved += n;
      ctx.emit({ type: 'bytes', n });
    });
    await dst.putBlob(blob, body, ctx.signal);
    if (body.errored) throw body.errored;
  } catch (e) {
    const failed = body?.errored;
    body?.destroy();
    // Progress counts this attempt's bytes again when it is retried.
    if (moved > 0) ctx.emit({ type: 'bytes', n: -moved });
    throw failed instanceof DigestMismatchError || failed instanceof SourceReadError ? failed : e;
  }
}

/**
 * Blobs up to this size move in the limiter's lookup lane: their cost is the
 * round trips, not the bytes, and they must not wait behind big layers.
 */
export const SMALL_BLOB_BYTES = 1 << 20;

async function transfer(ctx: BlobCopyContext, src: ImageSource, dst: ImageDestination, blob: BlobInfo): Promise<void> {
  const lane = blob.size <= SMALL_BLOB_BYTES ? 'lookup' : 'transfer';
  await withRetry(ctx, `copy blob ${blob.digest} to ${dst.description}`, () => blobWrite(dst, () => ctx.limiter.run([src.store, dst.store], () => transferOnce(ctx, src, dst, blob), lane)));
}

/** putBlob/mountBlob to stores that declare concurrentBlobWrites: false, one at a time per store (in this process). */
const serialWrites = new KeyedMutex();

/** Runs a blob write to `dst`, serialized per store when the destination cannot take concurrent ones. */
function blobWrite<T>(dst: ImageDestination, op: () => Promise<T>): Promise<T> {
  return dst.caps.concurrentBlobWrites ? op() : serialWrites.run(dst.store, op);
}

type Outcome = { action: BlobAction; from?: string };

/** Mounts from the first willing holder; undefined when none took it. */
async function tryMount(ctx: BlobCopyContext, src: ImageSource, dst: ImageDestination, blob: BlobInfo, holders: readonly string[]): Promise<Outcome | undefined> {
  const from = [...holders];
  if (src.store === dst.store && src.repository !== dst.repository && !from.includes(src.repository)) from.unshift(src.repository);
  if (!dst.caps.crossRepoMount || ctx.skipMount) return undefined;
  for (const f of from.slice(0, 2)) {
    if (ctx.dryRun) return { action: 'mounted', from: f };
    if (await blobWrite(dst, () => ctx.limiter.run([dst.store], () => dst.mountBlob(blob, f, ctx.signal)))) return { action: 'mounted', from: f };
  }
  return undefined;
}

/**
 * Mounts from a repository an earlier run saw holding the blob. Any failure
 * (stale entry, no pull permission there, a refused mount) only means: upload.
 */
async function tryRemembered(ctx: BlobCopyContext, dst: ImageDestination, blob: BlobInfo): Promise<Outcome | undefined> {
  if (ctx.locations === undefined || ctx.dryRun || ctx.skipMount || !dst.caps.crossRepoMount || dst.caps.blobScope !== 'repository') return undefined;
  for (const from of ctx.locations.candidates(dst.store, blob.digest).filter((r) => r !== dst.repository).slice(0, 2)) {
    const ok = await blobWrite(dst, () => ctx.limiter.run([dst.store], () => dst.mountBlob(blob, from, ctx.signal))).catch(() => false);
    if (ok) return { action: 'mounted', from };
  }
  return undefined;
}

/**
 * Ensures `dst` holds `blob`; returns how. Mounts from known holders run
 * concurrently; finding and uploading a blob no one holds yet is exclusive
 * per (store, digest), so it happens once. Throws with both ends named.
 */
export async function ensureBlob(ctx: BlobCopyContext, src: ImageSource, dst: ImageDestination, blob: BlobInfo): Promise<BlobAction> {
  const holderKey = dst.caps.blobScope === 'store' ? '' : dst.repository;
  const known = (): string[] => [...ctx.ledger.holdersOf(dst.store, blob.digest)];
  try {
    let outcome: Outcome | undefined;
    if (known().includes(holderKey)) outcome = { action: 'deduped' };
    else if (known().length > 0) outcome = await tryMount(ctx, src, dst, blob, known());
    let triedMount = outcome !== undefined || known().length > 0;
    // The single-flight section: finding and uploading a blob no one holds yet.
    // A task that waited while another uploaded it leaves at once and mounts
    // outside (the waiters' mounts run concurrently, not one by one).
    while (outcome === undefined) {
      const mountFirst = !triedMount;
      const inside = await ctx.ledger.exclusive(dst.store, blob.digest, async (): Promise<Outcome | 'mount'> => {
        // Re-check: an upload may have finished while this task waited.
        if (known().includes(holderKey)) return { action: 'deduped' };
        if (mountFirst && known().length > 0) return 'mount';
        return firstHand(ctx, src, dst, blob, known());
      });
      if (inside !== 'mount') outcome = inside;
      else outcome = await tryMount(ctx, src, dst, blob, known());
      triedMount = true;
    }
    ctx.ledger.record(dst.store, blob.digest, holderKey);
    if (!ctx.dryRun && holderKey !== '') ctx.locations?.record(dst.store, blob.digest, holderKey);
    ctx.emit({ type: 'blob', src: src.description, dst: dst.description, digest: blob.digest, size: blob.size, action: outcome.action, from: outcome.from });
    return outcome.action;
  } catch (e) {
    const why = firstLine(e);
    const own = `blob ${blob.digest}: `;
    throw new Error(`copying blob ${blob.digest} from ${src.description} to ${dst.description}: ${why.startsWith(own) ? why.slice(own.length) : why}`, { cause: e });
  }
}

/** Inside the single-flight section: mount from known holders, else HEAD, else a remembered holder, else upload. */
async function firstHand(ctx: BlobCopyContext, src: ImageSource, dst: ImageDestination, blob: BlobInfo, holders: readonly string[]): Promise<Outcome> {
  const mounted = await tryMount(ctx, src, dst, blob, holders);
  if (mounted) return mounted;
  if (!ctx.force && ctx.knownAbsent?.(dst.store, blob.digest) !== true) {
    // A fresh destination (its first HEADs all said absent) is not asked about small blobs any more (BlobLedger.worthAsking).
    const counted = !ctx.dryRun && blob.size <= SMALL_BLOB_BYTES;
    if (!counted || (await ctx.ledger.worthAsking(dst.store))) {
      let presence: Awaited<ReturnType<ImageDestination['hasBlob']>>;
      try {
        presence = await ctx.limiter.run([dst.store], () => dst.hasBlob(blob, ctx.signal));
      } catch (e) {
        if (counted) ctx.ledger.noteHead(dst.store, 'failed');
        throw e;
      }
      if (counted) ctx.ledger.noteHead(dst.store, presence === 'present' ? 'present' : 'absent');
      if (presence === 'present') return { action: 'exists' };
    }
  }
  const remembered = await tryRemembered(ctx, dst, blob);
  if (remembered) return remembered;
  if (!ctx.dryRun) await transfer(ctx, src, dst, blob);
  return { action: 'uploaded' };
}
