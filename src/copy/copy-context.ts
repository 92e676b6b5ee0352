/** Builds the shared state of one copy run (limits, dedup ledger, retries, events). */
import { DEFAULT_RETRY, type RetryPolicy } from '../transports/registry/retry.js';
import { BlobLedger } from './blob-ledger.js';
import type { BlobLocations } from './blob-locations.js';
import type { ImageCopyOptions } from './copy-image.js';
import type { EventSink } from './events.js';
import { StoreLimiter } from './limiter.js';

export interface CopyContextOptions {
  /** Concurrent blob transfers per store (registry host or directory); oc's --max-per-registry. */
  readonly maxPerStore?: number;
  /** Concurrent look-ups (manifests, HEADs, mounts, listings, small blobs) per store; default lookupLimit(maxPerStore). */
  readonly maxLookupsPerStore?: number;
  readonly retry?: RetryPolicy;
  readonly force?: boolean;
  readonly skipMount?: boolean;
  readonly platformFilter?: RegExp;
  readonly keepManifestList?: boolean;
  readonly sparseManifestList?: boolean;
  readonly dryRun?: boolean;
  /** Blob locations remembered across runs (--blob-cache). */
  readonly locations?: BlobLocations;
  readonly emit?: EventSink;
  readonly signal?: AbortSignal;
  /** Blobs a store is known to lack: no existence check before the upload (BlobCopyContext.knownAbsent). */
  readonly knownAbsent?: (store: string, digest: string) => boolean;
}

export const DEFAULT_MAX_PER_STORE = 6;

/**
 * Look-ups in flight per store for a transfer limit of `maxPerStore`: they
 * are bound by the round trip, not by bandwidth or the registry's CPU, so
 * several times more (over a 50 ms link a run's manifests go in one wave).
 */
export function lookupLimit(maxPerStore: number): number {
  return maxPerStore * 8;
}

/**
 * Keep-alive connections per registry for a transfer limit of `maxPerStore`:
 * every lane's permits, as many again for the tag listings a mirror runs
 * beside its look-ups (attachments, mirror.ts), plus two spare.
 */
export function connectionsFor(maxPerStore: number): number {
  return maxPerStore + 2 * lookupLimit(maxPerStore) + 2;
}

export function createCopyContext(o: CopyContextOptions = {}): ImageCopyOptions {
  const max = o.maxPerStore ?? DEFAULT_MAX_PER_STORE;
  const lookups = o.maxLookupsPerStore ?? lookupLimit(max);
  return {
    ledger: new BlobLedger(),
    limiter: new StoreLimiter(() => max, () => lookups),
    retry: o.retry ?? DEFAULT_RETRY,
    force: o.force ?? false,
    skipMount: o.skipMount ?? false,
    platformFilter: o.platformFilter,
    keepManifestList: o.keepManifestList,
    sparseManifestList: o.sparseManifestList,
    dryRun: o.dryRun ?? false,
    locations: o.locations,
    emit: o.emit ?? (() => {}),
    signal: o.signal,
    ...(o.knownAbsent ? { knownAbsent: o.knownAbsent } : {}),
  };
}
