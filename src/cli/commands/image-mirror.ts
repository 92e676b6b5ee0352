/**
 * `airlock image mirror`: oc image mirror's arguments and flags on airlock's
 * copy engine (digest-preserving, manifest lists kept whole by default,
 * deduplicated, retried, resumable by re-running).
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { createCopyContext } from '../../copy/copy-context.js';
import type { CopyEvent } from '../../copy/events.js';
import { BlobLocations, defaultBlobLocationsFile } from '../../copy/blob-locations.js';
import { MappingError, mappingsFromArgs, mappingsFromFile, type Mapping } from '../../copy/mappings.js';
import { MirrorReport } from '../../copy/mirror-report.js';
import { DEFAULT_MAX_REGISTRIES, declareScopes, expandMappings, runMirror } from '../../copy/mirror.js';
import { RegistryHub } from '../../transports/registry/registry-hub.js';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';
import { readStdinText } from '../../util/stdin.js';
import { CliError } from '../cli-error.js';
import { ProgressRenderer } from '../progress.js';
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
  maxPerRegistry: number;
  maxRegistry: number;
  output: 'text' | 'json';
  progress: boolean;
  blobCache?: boolean;
  dir?: string;
  fromDir?: string;
}

async function readMappings(args: string[], files: string[]): Promise<Mapping[]> {
  const out: Mapping[] = [];
  try {
    out.push(...mappingsFromArgs(args));
    for (const f of files) {
      let text: string;
      try {
        text = f === '-' ? await readStdinText('mapping file', INPUT_LIMITS.list) : await readInputFile(f, 'mapping file', INPUT_LIMITS.list);
      } catch (e) {
        if (e instanceof InputFileError) throw new CliError(e.message);
        throw new CliError(`cannot read mapping file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      out.push(...mappingsFromFile(f === '-' ? 'stdin' : f, text));
    }
  } catch (e) {
    if (e instanceof MappingError) throw new CliError(e.message);
    throw e;
  }
  if (out.length === 0) throw new CliError('nothing to mirror: give SRC DST [DST...], SRC=DST pairs, or -f FILE');
  return out;
}

async function mirror(args: string[], f: MirrorFlags): Promise<void> {
  const started = Date.now();
  let platformFilter: RegExp | undefined;
  if (f.filterByOs !== undefined) {
    try {
      platformFilter = new RegExp(`^(?:${f.filterByOs})$`);
    } catch (e) {
      throw new CliError(`--filter-by-os: ${(e as Error).message}`);
    }
  }
  const mappings = await readMappings(args, f.filename);
  const json = f.output === 'json';
  const report = new MirrorReport({ fileDir: f.dir ?? process.cwd() });
  const progress = !json && f.progress ? new ProgressRenderer(process.stderr, () => report.progress(), { bytes: f.dryRun !== true }) : undefined;
  const say = (line: string): void => {
    if (progress) progress.message(line);
    else process.stderr.write(`${line}\n`);
  };
  const sink = (e: CopyEvent): void => {
    report.sink(e);
    if (e.type === 'warning') say(`warning: ${e.message}`);
    if (e.type === 'retry' && !json) say(`info: retry ${e.attempt} of ${e.what} in ${(e.delayMs / 1000).toFixed(1)}s: ${e.error}`);
  };
  const hubBase = await hubOptions(f, { sides: true, retries: true });
  const registries = new RegistryHub({
    ...hubBase,
    skipMultipleScopes: f.skipMultipleScopes,
    connections: f.maxPerRegistry + 2,
    onRetry: (r) => sink({ type: 'retry', ...r }),
    onWarning: (message) => sink({ type: 'warning', message }),
  });
  const env = { registries, dir: f.dir, fromDir: f.fromDir };
  const locations = f.blobCache ? await BlobLocations.load(defaultBlobLocationsFile()) : undefined;
  const copy = createCopyContext({
    locations,
    maxPerStore: f.maxPerRegistry,
    retry: hubBase.retry,
    force: f.force,
    skipMount: f.skipMount,
    platformFilter,
    keepManifestList: f.keepManifestList,
    dryRun: f.dryRun,
    emit: sink,
  });
  try {
    const jobs = await expandMappings(env, mappings);
    declareScopes(env, jobs);
    progress?.start();
    const result = await runMirror(jobs, {
      env,
      copy,
      skipMissing: f.skipMissing,
      continueOnError: f.continueOnError,
      skipSignatures: f.skipSignatures,
      parallelImages: f.maxPerRegistry * f.maxRegistry,
      maxRegistries: f.maxRegistry,
      onImage: (o) => {
        if (!json && !f.dryRun) {
          const line = `${o.digest} ${o.destination}\n`;
          if (progress) progress.print(process.stdout, line);
          else process.stdout.write(line);
          if (o.rewrittenFrom !== undefined) say(`info: ${o.destination}: filtered manifest list ${o.digest} replaces ${o.rewrittenFrom}`);
        }
        progress?.imageDone();
      },
    });
    progress?.stop();
    if (locations && !f.dryRun) await locations.save().catch((e: unknown) => say(`warning: could not update the blob cache ${locations.file}: ${(e as Error).message}`));
    const wall = Date.now() - started;
    if (result.missing.length > 0) await writeFile(f.missingFile, `${result.missing.join('\n')}\n`);
    if (json) {
      const doc = { dryRun: f.dryRun === true, images: result.images, attachments: result.attachments, missing: result.missing, errors: result.errors, stats: report.stats, wallSeconds: wall / 1000, requests: registries.totals() };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      if (f.dryRun) process.stderr.write(`${report.planText()}\n`);
      for (const e of result.errors) process.stderr.write(`error: ${e.source}: ${e.message}\n`);
      if (result.attachments > 0) process.stderr.write(`info: ${result.attachments} signatures, attestations and referrers ${f.dryRun ? 'would be ' : ''}copied along\n`);
      if (result.missing.length > 0) process.stderr.write(`info: ${result.missing.length} missing images listed in ${f.missingFile}\n`);
      process.stderr.write(`info: ${f.dryRun ? 'Dry run complete' : 'Mirroring completed'}: ${report.summary(wall, f.dryRun === true)}\n`);
    }
    if (result.errors.length > 0) {
      if (!json) process.stderr.write('error: one or more errors occurred while mirroring images\n');
      process.exitCode = 1;
    }
  } finally {
    progress?.stop();
    await registries.close();
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
    .option('--max-per-registry <n>', 'concurrent requests per registry (or local store)', positiveInt('--max-per-registry'), 6)
    .option(
      '--max-registry <n>',
      'registries (and local stores) with images in flight at once; an image holds its source and its destinations while it is copied, ' +
        'and one that alone needs more runs by itself. Images in flight: at most this x --max-per-registry',
      positiveInt('--max-registry'),
      DEFAULT_MAX_REGISTRIES,
    )
    .option('--blob-cache', 'remember which repositories hold which blobs ($XDG_CACHE_HOME/airlock/blob-locations.json) and mount from them in later runs')
    .option('--no-progress', 'no progress bar (terminal) or progress lines (otherwise) on stderr')
    .addOption(new Option('-o, --output <format>', 'output format (json: one document on stdout, no progress)').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Output: "<digest> <destination>" on stdout per image; on stderr a progress bar (terminal) or
"progress:" lines (otherwise: one per image and one every 10 s), then a summary: images, blobs
transferred/mounted/present, bytes, wall time, MB/s. --dry-run prints the plan instead (oc's
layout plus mounts, blobs already present and digests changed by --filter-by-os).`,
    )
    .action((args: string[], f: MirrorFlags) => mirror(args, f));
}
