/**
 * oc-mirror v2's concurrency and retry flags of `airlock mirror`, mapped onto
 * the executor (reference §5.6, §5.13):
 * - `--parallel-images N`: N images copied at once;
 * - `--parallel-layers M`: M blob transfers per image, so at most N×M at once
 *   to one registry;
 * - `--retry-delay`: 0 (the default) is exponential backoff from airlock's
 *   base delay; a set value is a constant delay (each wait between half of
 *   it and it, jittered, whatever the attempt).
 */
import type { Command } from 'commander';
import type { RetryPolicy } from '../../transports/registry/retry.js';

export interface Concurrency {
  /** Images at once. */
  readonly parallelImages: number;
  /** Blob transfers at once per registry. */
  readonly maxPerRegistry: number;
}

export function mirrorConcurrency(f: { parallelImages: number; parallelLayers: number }): Concurrency {
  return { parallelImages: f.parallelImages, maxPerRegistry: f.parallelImages * f.parallelLayers };
}

/** The retry policy for `--retry-times`/`--retry-delay` as v2 reads them (`base`: airlock's defaults). */
export function mirrorRetryPolicy(f: { retryTimes?: number; retryDelay?: number }, base: RetryPolicy): RetryPolicy {
  const times = f.retryTimes ?? base.times;
  if (f.retryDelay === undefined || f.retryDelay === 0) return { ...base, times };
  return { ...base, times, delayMs: f.retryDelay, maxDelayMs: f.retryDelay };
}

/** `--retry-delay` defaults to 0 (exponential backoff), as in oc-mirror v2. */
export function withV2RetryDelay(cmd: Command): Command {
  const o = cmd.options.find((x) => x.long === '--retry-delay');
  if (o !== undefined) {
    o.default(0, '0 = exponential backoff');
    o.description = 'delay between retries: 0 = exponential backoff with jitter, a value (e.g. 2s) = that constant delay';
  }
  return cmd;
}
