/**
 * The cache size limit: `--cache-max-size` > AIRLOCK_CACHE_MAX_SIZE > 50 GiB.
 * Sizes as the registry config writes them (`50GiB`, `500M`, `1073741824`).
 */
import { parseByteSize } from '../../config/byte-size.js';

export const DEFAULT_CACHE_MAX_BYTES = 50 * 2 ** 30;

export class CacheLimitError extends Error {
  readonly code = 'ERR_CACHE_LIMIT';
}

export function parseCacheSize(text: string, what: string): number {
  const n = parseByteSize(text);
  if (n === undefined) throw new CacheLimitError(`${what} "${text}" is not a size (use e.g. 50GiB, 500M or a number of bytes)`);
  return n;
}

export function cacheMaxBytes(flag: string | undefined, flagName = '--cache-max-size', env: NodeJS.ProcessEnv = process.env): number {
  if (flag !== undefined) return parseCacheSize(flag, flagName);
  const e = env.AIRLOCK_CACHE_MAX_SIZE;
  if (e !== undefined && e !== '') return parseCacheSize(e, 'AIRLOCK_CACHE_MAX_SIZE');
  return DEFAULT_CACHE_MAX_BYTES;
}
