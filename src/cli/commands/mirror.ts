/**
 * `airlock mirror -c isc.yaml …`: oc-mirror v2's workflows on the same
 * ImageSetConfiguration files and flags (reference §5.6). Parses flags,
 * decides the workflow, builds the executor and hands over to
 * mirror/imageset/run-m2m.ts (mirror to mirror), run-m2d.ts (mirror to disk:
 * the archive transport) or run-d2m.ts (disk to mirror, straight from the tars).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { BlobLocations } from '../../copy/blob-locations.js';
import { recordDelivered } from '../../copy/archive-push.js';
import { MirrorExecutor, type ExecutorOptions } from '../../mirror/executor.js';
import { parseSince, HistoryError } from '../../mirror/imageset/history.js';
import { destRepository, splitRegistryDest } from '../../mirror/imageset/naming.js';
import { runM2d } from '../../mirror/imageset/run-m2d.js';
import { openCheckedSet, readArchivePlan, runD2m } from '../../mirror/imageset/run-d2m.js';
import { CarriedBlobs } from '../../mirror/imageset/d2m-delivered.js';
import { checkWorkflowFlags } from '../../mirror/imageset/workflow.js';
import { ArchiveDamagedError, ArchiveWriteError, GiB } from '../../transports/archive/format.js';
import { GraphError } from '../../mirror/imageset/cincinnati.js';
import { readImageSetConfig } from '../../mirror/imageset/config-read.js';
import { DestinationCheckError } from '../../mirror/imageset/dest-check.js';
import { OriginCounter, runM2m } from '../../mirror/imageset/run-m2m.js';
import { decideWorkflow, WorkflowError } from '../../mirror/imageset/workflow.js';
import { ImageSetConfigError } from '../../mirror/imageset/yaml-nodes.js';
import { readInputFile, INPUT_LIMITS } from '../../util/input-file.js';
import { AIRLOCK_VERSION } from '../../version.js';
import { CliError } from '../cli-error.js';
import { failureLine } from '../failure-line.js';
import { mirrorConsole } from '../mirror-console.js';
import { checkDest } from './catalog-mirror.js';
import { cacheRun, withCacheFlags } from './mirror-cache.js';
import { mirrorDeleteCommand } from './mirror-delete.js';
import { mirrorConcurrency, mirrorRetryPolicy, withV2RetryDelay } from './mirror-flags.js';
import { hubOptions, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface MirrorFlags extends ConnectionFlags {
  config?: string;
  cacheMaxSize?: string;
  workspace?: string;
  from?: string;
  v2?: boolean;
  cacheDir?: string;
  since?: string;
  dryRun?: boolean;
  parallelImages: number;
  parallelLayers: number;
  maxNestedPaths: number;
  authfile?: string;
  logLevel: string;
  removeSignatures?: boolean;
  strictArchive?: boolean;
  sinceInventory?: string;
  archiveSizeBytes?: number;
  graphUrl?: string;
  graphDataUrl?: string;
  graphBaseImage?: string;
  progress: boolean;
}

const range = (name: string, lo: number, hi: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new CliError(`${name} takes a whole number from ${lo} to ${hi}, got "${v}"`);
  return n;
};

/** One `error:` line and the generic exit bit for a failure before or around the run. */
function fail(e: unknown): never {
  if (e instanceof ImageSetConfigError || e instanceof WorkflowError || e instanceof ArchiveDamagedError || e instanceof ArchiveWriteError || e instanceof HistoryError || e instanceof DestinationCheckError || e instanceof GraphError || e instanceof CliError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  }
  const line = failureLine(e);
  if (line !== undefined) {
    process.stderr.write(`error: ${line}\n`);
    process.exit(1);
  }
  throw e;
}

/** Options every workflow's executor shares. */
function executorOptions(f: MirrorFlags, hub: Awaited<ReturnType<typeof hubOptions>>, fileDir: string, counter: OriginCounter): ExecutorOptions {
  return {
    hub: { ...hub, skipMultipleScopes: true },
    console: (report) => mirrorConsole(report, { progress: f.progress && f.logLevel !== 'error', bytes: f.dryRun !== true }),
    fileDir,
    maxPerRegistry: mirrorConcurrency(f).maxPerRegistry,
    parallelImages: mirrorConcurrency(f).parallelImages,
    retry: hub.retry,
    retryMessages: f.logLevel !== 'error',
    onEvent: counter.onEvent,
  };
}

const DEFAULT_ARCHIVE_GIB = 500;

const annotations = (): Record<string, string> => ({ createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), createdBy: 'airlock', airlock_version: AIRLOCK_VERSION });

async function mirror(destination: string | undefined, f: MirrorFlags): Promise<void> {
  try {
    if (f.config === undefined) throw new CliError("required option '-c, --config <file>' not specified (or use: airlock mirror delete)");
    const wf = decideWorkflow(destination, f.from, f.workspace);
    checkWorkflowFlags(wf, f);
    const config = await readImageSetConfig(f.config);
    for (const n of config.notices) process.stderr.write(`notice: ${n}\n`);
    const configText = await readInputFile(f.config, 'image set config', INPUT_LIMITS.config);
    const base = await hubOptions({ ...f, registryConfig: f.authfile ?? f.registryConfig, retryDelay: undefined }, { sides: true });
    const hub = { ...base, retry: mirrorRetryPolicy(f, base.retry) };
    const say = (l: string): void => void process.stderr.write(`${l}\n`);
    if (wf.kind === 'd2m') {
      const dest = checkDest(wf.dest);
      const set = await openCheckedSet(wf.from, say);
      const plan = await readArchivePlan(set);
      const counter = new OriginCounter();
      const hints = BlobLocations.ephemeral();
      const { host } = splitRegistryDest(dest);
      recordDelivered(set, hints, `docker://${host}`, (r) => destRepository(dest, r, f.maxNestedPaths).slice(host.length + 1));
      const carried = new CarriedBlobs(set.index, `docker://${host}`);
      const executor = new MirrorExecutor({ ...executorOptions(f, hub, wf.from, counter), archive: { set }, blobCache: hints, knownAbsent: carried.absent });
      try {
        const r = await runD2m(executor, set, plan, { config, configText, from: wf.from, dest, maxNestedPaths: f.maxNestedPaths, dryRun: f.dryRun === true, removeSignatures: f.removeSignatures === true, annotations: annotations(), carried }, counter);
        finish(r);
      } finally {
        await executor.close();
      }
      return;
    }
    // A bad --cache-max-size fails here, before any connection.
    const cache = cacheRun(f, say);
    const rebuildDir = f.dryRun ? undefined : await mkdtemp(join(f.cacheDir ?? tmpdir(), 'airlock-imageset-'));
    try {
      if (wf.kind === 'm2d') {
        const archiveSize = f.archiveSizeBytes ?? (config.archiveSize ?? DEFAULT_ARCHIVE_GIB) * GiB;
        const r = await runM2d((archive, counter) => new MirrorExecutor({ ...executorOptions(f, hub, wf.dir, counter), archive }), {
          config, configText, dir: wf.dir, dryRun: f.dryRun === true, graph: cache.graph({ url: f.graphUrl }), rebuildDir, removeSignatures: f.removeSignatures === true,
          archiveSize, strict: f.strictArchive === true, graphDataUrl: f.graphDataUrl, graphBaseImage: f.graphBaseImage, ...(f.since !== undefined ? { since: parseSince(f.since) } : {}), ...(f.sinceInventory !== undefined ? { inventory: f.sinceInventory } : {}),
        });
        finish(r);
        return;
      }
      const dest = checkDest(wf.dest);
      const counter = new OriginCounter();
      const executor = new MirrorExecutor(executorOptions(f, hub, wf.workspace, counter));
      try {
        const r = await runM2m(executor, {
          config, configText, workspace: wf.workspace, dest, maxNestedPaths: f.maxNestedPaths, dryRun: f.dryRun === true,
          graph: cache.graph({ url: f.graphUrl }), cache: cache.store, rebuildDir, removeSignatures: f.removeSignatures === true,
          graphDataUrl: f.graphDataUrl, graphBaseImage: f.graphBaseImage, annotations: annotations(),
        }, counter);
        finish(r);
      } finally {
        await executor.close();
      }
    } finally {
      if (rebuildDir !== undefined) await rm(rebuildDir, { recursive: true, force: true });
      await cache.enforce();
    }
  } catch (e) {
    fail(e);
  }
}

function finish(r: { exitCode: number; reportFile: string }): void {
  if (r.exitCode !== 0) process.stderr.write(`error: the run had errors (exit status ${r.exitCode}: 2 release, 4 operator, 8 additional, 16 helm images); see ${r.reportFile || 'the lines above'}\n`);
  process.exitCode = r.exitCode;
}

const HELP = `
Examples (oc-mirror v2's command shapes; --v2 is accepted and ignored):
  # Mirror to mirror: the workspace keeps working-dir/ (cluster-resources/, dry-run/, report.json)
  airlock mirror -c imageset-config.yaml --workspace file:///var/mirror docker://mirror.example.com:5000/ocp --v2

  # See what would be copied first (writes working-dir/dry-run/mapping.txt and missing.txt)
  airlock mirror -c imageset-config.yaml --workspace file:///var/mirror docker://mirror.example.com:5000/ocp --dry-run

  # Mirror to disk (mirror_000001.tar, … holding only what the far side lacks), check, then disk to mirror
  airlock mirror -c imageset-config.yaml file:///media/usb
  airlock archive verify /media/usb
  airlock mirror -c imageset-config.yaml --from file:///media/usb docker://mirror.example.com:5000/ocp

  # Incremental: pack only what the disconnected mirror lacks (inventory written there)
  airlock inventory export docker://mirror.example.com:5000 -o inventory.json
  airlock mirror -c imageset-config.yaml file:///media/usb --since-inventory inventory.json

The destination is checked before any work: credentials, push permission (an upload session is opened and
cancelled) and repository depth (a registry that refuses deep paths gets the exact --max-nested-paths to use).
Release graphs come from --graph-url, else UPDATE_URL_OVERRIDE, else api.openshift.com.
platform.graph: true builds <dest>/openshift/graph-image:latest from --graph-data-url (else UPDATE_URL_OVERRIDE's
update service, else api.openshift.com) on --graph-base-image, and writes cluster-resources/updateService.yaml.
platforms: [{os, architecture}] copies manifest lists sparse (digests kept; the destination must accept that,
e.g. airlock serve --sparse-repo 'ocp/**'; a registry that refuses is named before anything is copied).
helm: charts and their images; their failures (an unreadable repository or chart, a template that cannot be
rendered, an image that cannot be copied) set the helm bit, and report.json counts them under the origin helm.
Exit status (oc-mirror v2's bitmask): 1 generic, 2 release, 4 operator, 8 additional, 16 helm.`;

export function mirrorCommand(): Command {
  const cmd = new Command('mirror')
    .description('Mirror an ImageSetConfiguration (releases by channel, filtered operator catalogs, additional images) as oc-mirror v2 does')
    .argument('[destination]', 'docker://REGISTRY[:PORT][/PREFIX] (with --workspace or --from) or file://DIR (mirror to disk)')
    .option('-c, --config <file>', 'ImageSetConfiguration (mirror.openshift.io/v2alpha1; v1alpha2 is read with a notice)')
    .option('--workspace <file://DIR>', 'working directory of mirror to mirror (working-dir/ is written there)')
    .option('--from <file://DIR>', 'disk to mirror: the directory the mirror-to-disk run wrote');
  withV2RetryDelay(withConnectionFlags(cmd, { sides: true, retries: true }));
  withCacheFlags(cmd);
  return cmd
    .addCommand(mirrorDeleteCommand())
    .option('--authfile <file>', 'credentials (podman auth.json, docker config.json or a pull secret); same as -a')
    .addOption(new Option('--v2', 'accepted for oc-mirror compatibility; airlock always works as v2').hideHelp())
    .option('--since <yyyy-MM-dd>', 'mirror to disk: pack only blobs not in the blob history written before that day (default: the newest history)')
    .option('--since-inventory <file>', 'mirror to disk: pack only what the registry of this inventory (airlock inventory export) lacks')
    .option('--strict-archive', 'mirror to disk: fail instead of writing an archive file larger than archiveSize (one oversized blob)')
    .addOption(new Option('--archive-size-bytes <n>', 'archive file size in bytes, overriding archiveSize (tests)').argParser(range('--archive-size-bytes', 65536, Number.MAX_SAFE_INTEGER)).hideHelp())
    .option('--dry-run', 'plan only: write working-dir/dry-run/mapping.txt (and missing.txt) and print the bytes that would be transferred')
    .option('--parallel-images <n>', 'images copied at once (1-10)', range('--parallel-images', 1, 10), 4)
    .option('--parallel-layers <n>', 'concurrent blob transfers per image (1-10); at most images × layers to one registry', range('--parallel-layers', 1, 10), 5)
    .option('--max-nested-paths <n>', 'most path components below the registry host (0 = unlimited); forces repository-scoped IDMS/ITMS', range('--max-nested-paths', 0, 100), 0)
    .option('--remove-signatures', 'do not copy cosign signatures and attestations along with images')
    .option('--graph-url <url>', 'Cincinnati graph endpoint (default: UPDATE_URL_OVERRIDE, else https://api.openshift.com/api/upgrades_info/v1/graph)')
    .option('--graph-data-url <url>', 'graph-data tarball for platform.graph (default: UPDATE_URL_OVERRIDE\'s update service, else https://api.openshift.com/api/upgrades_info/graph-data)')
    .option('--graph-base-image <image>', 'base of the graph-data image (default: registry.access.redhat.com/ubi9/ubi:latest)')
    .addOption(new Option('--log-level <level>', 'info, debug, trace or error (error: no progress or retry lines)').choices(['info', 'debug', 'trace', 'error']).default('info'))
    .option('--no-progress', 'no progress bar (terminal) or progress lines (otherwise) on stderr')
    .addHelpText('after', HELP)
    .action((destination: string | undefined, f: MirrorFlags) => mirror(destination, f));
}
