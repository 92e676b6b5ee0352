/**
 * `airlock cache prune [--cache-dir DIR] [--max-size SIZE] [--dry-run] [-o json]`:
 * shrinks airlock's part of the mirror cache (`<cache-dir>/.oc-mirror/.cache/airlock`:
 * Cincinnati answers, release signatures) to the size limit, least recently
 * used entries first. `airlock mirror` does the same after each run.
 */
import { Command, Option } from 'commander';
import { formatBytes } from '../../copy/mirror-report.js';
import { CacheLimitError, cacheMaxBytes } from '../../mirror/cache/cache-limit.js';
import { CacheStore, defaultCacheDir, type PruneResult } from '../../mirror/cache/cache-store.js';
import { CliError } from '../cli-error.js';

interface PruneFlags {
  cacheDir?: string;
  maxSize?: string;
  dryRun?: boolean;
  output: 'text' | 'json';
}

/** The `--cache-dir` value or its default (AIRLOCK_CACHE_DIR, OC_MIRROR_CACHE, $HOME). */
export function cacheDirOf(flag: string | undefined): string {
  if (flag === '') throw new CliError('--cache-dir names no directory');
  return flag ?? defaultCacheDir();
}

export function pruneText(r: PruneResult): string {
  const verb = r.dryRun ? 'would remove' : 'removed';
  const lines = r.removed.map((e) => `${verb} ${e.kind}/${e.name} (${formatBytes(e.bytes)}, last used ${new Date(e.lastUsed).toISOString()})\n`);
  lines.push(`cache ${r.dir}: ${formatBytes(r.beforeBytes)} before, ${formatBytes(r.afterBytes)} after (limit ${formatBytes(r.maxBytes)}); ${verb} ${r.removed.length} entries, kept ${r.kept}\n`);
  return lines.join('');
}

const HELP = `
Examples:
  # Shrink ~/.oc-mirror/.cache/airlock to the default limit (AIRLOCK_CACHE_MAX_SIZE, else 50GiB)
  airlock cache prune

  # See what would go to get a cache directory under 1 GiB, as JSON
  airlock cache prune --cache-dir /var/cache/mirror --max-size 1GiB --dry-run -o json

Only airlock's entries (<cache-dir>/.oc-mirror/.cache/airlock) are counted and removed, oldest use first;
oc-mirror's own files in .oc-mirror/.cache are left alone.`;

export function cacheCommand(): Command {
  const cmd = new Command('cache').description("Manage airlock's mirror cache (Cincinnati answers, release signatures)");
  cmd.addHelpText('after', '\nExample:\n  airlock cache prune --max-size 10GiB --dry-run');
  cmd
    .command('prune')
    .description('Remove least recently used cache entries until the cache is within its size limit')
    .option('--cache-dir <dir>', 'the directory holding .oc-mirror (default: AIRLOCK_CACHE_DIR, OC_MIRROR_CACHE, else $HOME)')
    .option('--max-size <size>', 'the limit, e.g. 50GiB, 500M, 0 (default: AIRLOCK_CACHE_MAX_SIZE, else 50GiB)')
    .option('--dry-run', 'list what would be removed; remove nothing')
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .addHelpText('after', HELP)
    .action(async (f: PruneFlags) => {
      let max: number;
      try {
        max = cacheMaxBytes(f.maxSize, '--max-size');
      } catch (e) {
        if (e instanceof CacheLimitError) throw new CliError(e.message);
        throw e;
      }
      const r = await new CacheStore(cacheDirOf(f.cacheDir)).prune(max, f.dryRun === true);
      if (f.output === 'json') process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(pruneText(r));
    });
  return cmd;
}
