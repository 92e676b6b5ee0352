/**
 * `airlock image mirror`: oc image mirror's arguments and flags on airlock's
 * copy engine (digest-preserving, manifest lists kept whole by default,
 * deduplicated, retried, resumable by re-running).
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { BlobLocations, defaultBlobLocationsFile } from '../../copy/blob-locations.js';
import { MappingError } from '../../copy/mappings.js';
import { DEFAULT_MAX_REGISTRIES } from '../../copy/mirror.js';
import { MappingCollector, readMappings } from '../../mirror/collectors/mapping.js';
import { MirrorExecutor } from '../../mirror/executor.js';
import { isSparse, makePlan, platformPattern, type PlanItem, type PlatformSelection } from '../../mirror/plan.js';
import { checkSparseDestinations, SparseDestinationError } from '../../mirror/sparse-check.js';
import { summaryText } from '../../mirror/summary.js';
import { reportToRegistries } from '../../mirror/run-report.js';
import { CliError } from '../cli-error.js';
import { mirrorConsole } from '../mirror-console.js';
import { hubOptions, positiveInt, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface MirrorFlags extends ConnectionFlags {
  filename: string[];
  dryRun?: boolean;
  skipMissing?: boolean;
  missingFile: string;
  continueOnError?: boolean;
  force?: boolean;
  skipMount?: boolean;
  skipMultipleScopes?: boolean;
  skipSignatures?: boolean;
  filterByOs?: string;
  keepManifestList?: boolean;
  sparseManifestList?: boolean;
  maxPerRegistry: number;
  maxRegistry: number;
  output: 'text' | 'json';
  progress: boolean;
  blobCache?: boolean;
  dir?: string;
  fromDir?: string;
  reportToRegistry?: boolean;
}

function platformsOf(f: MirrorFlags): PlatformSelection {
  if (f.sparseManifestList === true && f.filterByOs === undefined) throw new CliError('--sparse-manifest-list needs --filter-by-os REGEX (the platforms whose children are copied)');
  if (f.sparseManifestList === true && f.keepManifestList === true) throw new CliError('--sparse-manifest-list and --keep-manifest-list cannot be used together: sparse keeps the list as it is (same digest), keep pushes a new filtered list');
  if (f.filterByOs === undefined) return { mode: 'all' };
  const p: PlatformSelection = { mode: 'filter-by-os', pattern: f.filterByOs, keepManifestList: f.keepManifestList === true, ...(f.sparseManifestList === true ? { sparse: true } : {}) };
  try {
    platformPattern(p);
  } catch (e) {
    throw new CliError(`--filter-by-os: ${(e as Error).message}`);
  }
  return p;
}

/** --sparse-manifest-list: the sparse-list probe of every registry destination, before copying (one line when one refuses). */
async function sparseProbe(x: MirrorExecutor, items: readonly PlanItem[]): Promise<void> {
  try {
    const r = await checkSparseDestinations((host) => x.registries.client(host, 'destination'), items);
    if (r.leftOver.length > 0) x.console.message(`warning: could not delete the sparse-list probe (an untagged index) in ${r.leftOver.join(', ')}`);
  } catch (e) {
    if (e instanceof SparseDestinationError) throw new CliError(e.message.replace('which the config\'s "platforms" filters need', 'which --sparse-manifest-list needs').replace('or remove "platforms" to copy whole lists', 'or drop --sparse-manifest-list'));
    throw e;
  }
}

/** A MappingError (bad input: reading, parsing or expanding mappings) is the user's to fix: one line, exit 2. */
async function asUserError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof MappingError) throw new CliError(e.message);
    throw e;
  }
}

async function mirror(args: string[], f: MirrorFlags): Promise<void> {
  const started = Date.now();
  const platforms = platformsOf(f);
  const mappings = await asUserError(() => readMappings(args, f.filename));
  const json = f.output === 'json';
  const dryRun = f.dryRun === true;
  const hub = await hubOptions(f, { sides: true, retries: true });
  const executor = new MirrorExecutor({
    hub: { ...hub, skipMultipleScopes: f.skipMultipleScopes },
    console: (report) => mirrorConsole(report, { progress: !json && f.progress, bytes: !dryRun }),
    dir: f.dir,
    fromDir: f.fromDir,
    fileDir: f.dir ?? process.cwd(),
    maxPerRegistry: f.maxPerRegistry,
    maxRegistry: f.maxRegistry,
    retry: hub.retry,
    force: f.force,
    skipMount: f.skipMount,
    blobCache: f.blobCache ? await BlobLocations.load(defaultBlobLocationsFile()) : undefined,
    retryMessages: !json,
  });
  const say = (line: string): void => executor.console.message(line);
  try {
    const collected = await asUserError(() => new MappingCollector(mappings).collect({ env: executor.env, warn: (m) => say(`warning: ${m}`) }));
    // Sparse lists: every destination is probed first (a registry that refuses them is named before anything is copied).
    const items = isSparse(platforms) ? collected.items.map((i) => ({ ...i, platforms })) : collected.items;
    if (isSparse(platforms) && !dryRun) await sparseProbe(executor, items);
    const plan = makePlan(items, { dryRun, skipMissing: f.skipMissing === true, missingHint: 'rerun with --skip-missing to skip missing images', continueOnError: f.continueOnError === true, attachments: !f.skipSignatures, platforms });
    const result = await executor.execute(plan, {
      onImage: (o) => {
        if (json || dryRun) return;
        executor.console.out(`${o.digest} ${o.destination}\n`);
        if (o.rewrittenFrom !== undefined) say(`info: ${o.destination}: filtered manifest list ${o.digest} replaces ${o.rewrittenFrom}`);
      },
    });
    const wall = Date.now() - started;
    if (f.reportToRegistry) await reportToRegistries(executor.registries, { command: 'image mirror', startedAt: started, finishedAt: started + wall, plan, result, stats: executor.report.stats }, say);
    if (result.missing.length > 0) await writeFile(f.missingFile, `${result.missing.join('\n')}\n`);
    if (json) {
      const doc = { dryRun, images: result.images, attachments: result.attachments, attachmentsPresent: result.attachmentsPresent, missing: result.missing, errors: result.errors, stats: executor.report.stats, wallSeconds: wall / 1000, requests: executor.registries.totals() };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      process.stderr.write(summaryText(executor.report, result, { dryRun, wallMs: wall, attachmentsLine: true, missingFile: f.missingFile }));
    }
    if (result.errors.length > 0) {
      if (!json) process.stderr.write('error: one or more errors occurred while mirroring images\n');
      process.exitCode = 1;
    }
  } finally {
    await executor.close();
  }
}

export function imageMirrorCommand(): Command {
  const cmd = new Command('mirror')
    .description('Copy images between registries, OCI layouts and file:// directories, digests unchanged (oc image mirror compatible)')
    .argument('[mappings...]', 'SRC DST [DST...], or SRC=DST pairs')
    .option('-f, --filename <file>', 'mapping file (SRC DST... or SRC=DST per line, # comments; - for stdin); repeatable', (v, acc: string[]) => [...acc, v], [])
    .option('--dir <dir>', 'root of the file:// disk store for writes (and reads without --from-dir); default: the current directory')
    .option('--from-dir <dir>', 'root of the file:// disk store to read from');
  withConnectionFlags(cmd, { sides: true, retries: true });
  return cmd
    .option('--dry-run', 'print the plan (blobs to transfer, mount or skip, total bytes) and change nothing')
    .option('--skip-missing', 'warn about and skip source images that do not exist')
    .option('--missing-file <file>', 'with --skip-missing: where the list of missing images is written', 'missing-images.txt')
    .option('--continue-on-error', 'keep mirroring other images after an error (exit status 1 remains)')
    .option('--force', 'upload blobs and manifests even when the destination has them')
    .option('--skip-mount', 'never cross-repository mount; always upload')
    .option('--skip-signatures', 'do not copy cosign signatures/attestations/SBOMs (sha256-<hex>.sig tags) and OCI referrers along')
    .option('--skip-multiple-scopes', 'request one token scope at a time (for registries that refuse several)')
    .option('--filter-by-os <regex>', 'keep only manifest-list entries whose os/arch[/variant] matches (default: keep the whole list)')
    .option('--keep-manifest-list', 'with --filter-by-os: push a filtered manifest list (new digest) instead of the single match')
    .option('--sparse-manifest-list', 'with --filter-by-os: copy the manifest list byte for byte (same digest) with only the matching children; the destination must accept sparse lists')
    .option('--max-per-registry <n>', 'concurrent blob transfers per registry (or local store); look-ups (manifests, HEADs, mounts, blobs up to 1 MiB) get 8 times as many', positiveInt('--max-per-registry'), 6)
    .option(
      '--max-registry <n>',
      'registries (and local stores) with images in flight at once; an image holds its source and its destinations while it is copied, ' +
        'and one that alone needs more runs by itself. Images in flight: at most this x 8 x --max-per-registry',
      positiveInt('--max-registry'),
      DEFAULT_MAX_REGISTRIES,
    )
    .option('--blob-cache', 'remember which repositories hold which blobs ($XDG_CACHE_HOME/airlock/blob-locations.json) and mount from them in later runs')
    .option('--report-to-registry', 'send the run report (images, bytes, duration, missing and failed images) to each airlock registry the run pushed into; its console lists it under Mirror runs')
    .option('--no-progress', 'no progress bar (terminal) or progress lines (otherwise) on stderr')
    .addOption(new Option('-o, --output <format>', 'output format (json: one document on stdout, no progress)').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Output: "<digest> <destination>" on stdout per image; on stderr a progress bar (terminal) or
"progress:" lines (otherwise: one per image and one every 10 s), then a summary: images, blobs
transferred/mounted/present, bytes, wall time, MB/s. --dry-run prints the plan instead (oc's
layout plus mounts, blobs already present and digests changed by --filter-by-os).

Sparse lists (the list's digest kept, only the matching platforms copied; the destination must accept them):
  airlock image mirror --filter-by-os 'linux/arm64' --sparse-manifest-list \
    quay.io/example/app:1.0 mirror.example.com:8443/example/app:1.0

Example:
  airlock image mirror -a pull-secret.json --report-to-registry \\
    quay.io/openshift/origin-cli:4.16 mirror.example.com:8443/openshift/origin-cli:4.16`,
    )
    .action((args: string[], f: MirrorFlags) => mirror(args, f));
}
