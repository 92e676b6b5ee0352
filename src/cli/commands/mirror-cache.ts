/**
 * The cache flags of `airlock mirror` (`--cache-dir`, `--cache-max-size`)
 * and what a run does with the cache: Cincinnati answers and release
 * signatures go through it, and after the run it is pruned to its limit,
 * least recently used entries first (mirror/cache/).
 */
import type { Command } from 'commander';
import { formatBytes } from '../../copy/mirror-report.js';
import { CacheLimitError, cacheMaxBytes } from '../../mirror/cache/cache-limit.js';
import { CacheStore } from '../../mirror/cache/cache-store.js';
import { CachedGraphClient } from '../../mirror/cache/graph-cache.js';
import type { GraphClientOptions } from '../../mirror/imageset/cincinnati.js';
import { CliError } from '../cli-error.js';
import { cacheDirOf } from './cache-command.js';

export interface CacheFlags {
  cacheDir?: string;
  cacheMaxSize?: string;
}

export function withCacheFlags(cmd: Command): Command {
  return cmd
    .option('--cache-dir <dir>', 'the directory holding .oc-mirror/.cache (Cincinnati answers, release signatures; rebuilt catalogs are built there during the run) (default: AIRLOCK_CACHE_DIR, OC_MIRROR_CACHE, else $HOME)')
    .option('--cache-max-size <size>', 'size limit of the cache, enforced after each run, least recently used first (e.g. 50GiB; default: AIRLOCK_CACHE_MAX_SIZE, else 50GiB)');
}

export interface CacheRun {
  readonly store: CacheStore;
  graph(o: GraphClientOptions): CachedGraphClient;
  /** Prunes the cache to its limit; one `info:` line when entries were removed. */
  enforce(): Promise<void>;
}

export function cacheRun(f: CacheFlags, message: (line: string) => void): CacheRun {
  let max: number;
  try {
    max = cacheMaxBytes(f.cacheMaxSize);
  } catch (e) {
    if (e instanceof CacheLimitError) throw new CliError(e.message);
    throw e;
  }
  const store = new CacheStore(cacheDirOf(f.cacheDir));
  return {
    store,
    graph: (o) => new CachedGraphClient(o, store, (m) => message(`warning: ${m}`)),
    async enforce() {
      try {
        const r = await store.prune(max);
        if (r.removed.length > 0) message(`info: cache ${store.dir} over its limit (${formatBytes(r.beforeBytes)} > ${formatBytes(max)}): removed ${r.removed.length} least recently used entries, ${formatBytes(r.afterBytes)} left`);
      } catch (e) {
        message(`warning: cannot prune the cache ${store.dir}: ${(e as Error).message}`);
      }
    },
  };
}
