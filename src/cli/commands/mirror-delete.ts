/**
 * `airlock mirror delete`: oc-mirror v2's two-phase delete (reference
 * §5.11). Phase 1, `-c delete-isc.yaml --generate --workspace file://DIR
 * docker://REG`, writes working-dir/delete/delete-images[-ID].yaml and
 * deletes nothing; phase 2, `--delete-yaml-file FILE docker://REG`, deletes
 * those manifests by digest. The registry's GC reclaims the blobs.
 */
import { Command, Option } from 'commander';
import { CacheStore } from '../../mirror/cache/cache-store.js';
import { CincinnatiClient, GraphError } from '../../mirror/imageset/cincinnati.js';
import { readDeleteImageSetConfig } from '../../mirror/imageset/config-read.js';
import { generateDeleteList } from '../../mirror/imageset/delete-generate.js';
import { readDeleteList } from '../../mirror/imageset/delete-list.js';
import { DeleteListError, runDeleteList, type DeleteResult } from '../../mirror/imageset/delete-run.js';
import { ImageSetConfigError } from '../../mirror/imageset/yaml-nodes.js';
import { RegistryHub } from '../../transports/registry/registry-hub.js';
import { INPUT_LIMITS, readInputFile } from '../../util/input-file.js';
import { CliError } from '../cli-error.js';
import { failureLine } from '../failure-line.js';
import { checkDest } from './catalog-mirror.js';
import { cacheDirOf } from './cache-command.js';
import { hubOptions, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface DeleteFlags extends ConnectionFlags {
  config?: string;
  generate?: boolean;
  workspace?: string;
  deleteId?: string;
  deleteYamlFile?: string;
  forceCacheDelete?: boolean;
  deleteSignatures?: boolean;
  cacheDir?: string;
  dryRun?: boolean;
  maxNestedPaths: number;
  graphUrl?: string;
  authfile?: string;
  output: 'text' | 'json';
}

const DELETE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function usage(f: DeleteFlags, destination: string | undefined): { mode: 'generate' | 'delete'; dest: string } {
  if (f.generate === true) {
    if (f.config === undefined) throw new CliError('--generate needs -c DELETE-ISC.yaml (a DeleteImageSetConfiguration)');
    if (f.workspace === undefined) throw new CliError('--generate needs --workspace file://DIR (the working directory the mirror run used)');
    if (f.deleteYamlFile !== undefined) throw new CliError('--generate and --delete-yaml-file are the two phases: run --generate first, then --delete-yaml-file with the file it wrote');
    if (f.forceCacheDelete === true || f.deleteSignatures === true) throw new CliError(`${f.forceCacheDelete === true ? '--force-cache-delete' : '--delete-signatures'} belongs to phase 2 (--delete-yaml-file)`);
  } else {
    if (f.config !== undefined) throw new CliError('-c is read by phase 1: add --generate, or drop -c and keep --delete-yaml-file');
    if (f.deleteYamlFile === undefined) throw new CliError(`give -c DELETE-ISC.yaml --generate --workspace file://DIR (phase 1) or --delete-yaml-file FILE (phase 2)`);
  }
  if (f.deleteId !== undefined && !DELETE_ID.test(f.deleteId)) throw new CliError(`--delete-id "${f.deleteId}": use letters, digits, . _ - (at most 63)`);
  if (destination === undefined) throw new CliError('a destination is required: docker://REGISTRY[:PORT][/PREFIX]');
  if (!destination.startsWith('docker://')) throw new CliError(`destination ${destination}: must start with docker:// (delete works on a registry)`);
  return { mode: f.generate === true ? 'generate' : 'delete', dest: checkDest(destination) };
}

function fileDir(text: string): string {
  if (!text.startsWith('file://') || text.length === 'file://'.length) throw new CliError(`--workspace ${text}: must be file://DIR`);
  return text.slice('file://'.length);
}

function printResults(results: readonly DeleteResult[], json: boolean, dryRun: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ dryRun, results }, null, 2)}\n`);
    return;
  }
  for (const r of results) {
    const verb = r.outcome === 'would-delete' ? 'would delete' : r.outcome === 'absent' ? 'not found' : r.outcome;
    process.stdout.write(`${verb} ${r.imageReference}${r.why !== undefined ? `: ${r.why}` : ''}\n`);
  }
}

async function run(destination: string | undefined, f: DeleteFlags): Promise<void> {
  const { mode, dest } = usage(f, destination);
  const opts = await hubOptions({ ...f, registryConfig: f.authfile ?? f.registryConfig, retryDelay: f.retryDelay === 0 ? undefined : f.retryDelay }, { sides: true });
  const hub = new RegistryHub(opts);
  try {
    if (mode === 'generate') {
      const config = await readDeleteImageSetConfig(f.config!);
      const configText = await readInputFile(f.config!, 'image set config', INPUT_LIMITS.config);
      const r = await generateDeleteList(hub, { env: { registries: hub }, warn: (m) => process.stderr.write(`warning: ${m}\n`) }, {
        config, configText, workspace: fileDir(f.workspace!), dest, maxNestedPaths: f.maxNestedPaths, graph: new CincinnatiClient({ url: f.graphUrl }),
        ...(f.deleteId !== undefined ? { deleteId: f.deleteId } : {}),
      });
      for (const x of r.failures) process.stderr.write(`error: ${x}\n`);
      for (const a of r.absent) process.stderr.write(`info: ${a} is not in the destination (nothing to delete)\n`);
      if (f.output === 'json') process.stdout.write(`${JSON.stringify({ file: r.file, config: r.configCopy, items: r.items, absent: r.absent, failures: r.failures }, null, 2)}\n`);
      else process.stderr.write(`info: ${r.items.length} manifests to delete listed in ${r.file} (nothing deleted yet); review it, then run: airlock mirror delete --delete-yaml-file ${r.file} docker://${dest}\n`);
      if (r.failures.length > 0) process.exitCode = 1;
      return;
    }
    const items = await readDeleteList(f.deleteYamlFile!);
    const registry = dest.split('/')[0]!;
    const results = await runDeleteList(hub, { items, registry, dryRun: f.dryRun === true, deleteSignatures: f.deleteSignatures === true });
    printResults(results, f.output === 'json', f.dryRun === true);
    const count = (o: DeleteResult['outcome']): number => results.filter((r) => r.outcome === o).length;
    if (f.forceCacheDelete === true) {
      const cache = new CacheStore(cacheDirOf(f.cacheDir));
      const digests = results.filter((r) => r.outcome !== 'refused').map((r) => r.imageReference.slice(r.imageReference.lastIndexOf('@') + 1));
      const removed = f.dryRun === true ? (await cache.entriesFor(digests)).length : await cache.removeFor(digests);
      process.stderr.write(`info: cache ${cache.dir}: ${f.dryRun === true ? 'would remove' : 'removed'} ${removed} entries of these images\n`);
    }
    process.stderr.write(`info: ${f.dryRun === true ? `dry run: would delete ${count('would-delete')}` : `deleted ${count('deleted')}`} manifests, ${count('absent')} not found, ${count('refused')} refused; blobs are reclaimed by the registry's garbage collection (airlock serve: online, or airlock gc)\n`);
    if (count('refused') > 0) {
      process.stderr.write(`error: the registry refused ${count('refused')} of ${results.length} deletions (listed above)\n`);
      process.exitCode = 1;
    }
  } finally {
    await hub.close();
  }
}

const HELP = `
Examples (oc-mirror v2's two phases; --v2 is accepted and ignored):
  # Phase 1: list what the DeleteImageSetConfiguration names in the mirror (deletes nothing)
  airlock mirror delete -c delete-isc.yaml --generate --workspace file:///var/mirror docker://mirror.example.com:5000/ocp

  # Review working-dir/delete/delete-images.yaml, try it, then delete the manifests
  airlock mirror delete --delete-yaml-file /var/mirror/working-dir/delete/delete-images.yaml docker://mirror.example.com:5000/ocp --dry-run
  airlock mirror delete --delete-yaml-file /var/mirror/working-dir/delete/delete-images.yaml docker://mirror.example.com:5000/ocp

Only manifests are deleted, by digest; the registry's garbage collection reclaims blobs no other image uses
(airlock serve collects online; or stop it and run airlock gc). Each deletion the registry refuses is listed
with its answer, and the exit status is 1.`;

export function mirrorDeleteCommand(): Command {
  const cmd = new Command('delete')
    .description('Delete mirrored images named by a DeleteImageSetConfiguration, in two phases (--generate, then --delete-yaml-file)')
    .argument('[destination]', 'docker://REGISTRY[:PORT][/PREFIX], as given to the mirror run')
    .option('-c, --config <file>', 'DeleteImageSetConfiguration (mirror.openshift.io/v2alpha1), read with --generate')
    .option('--generate', 'phase 1: write working-dir/delete/delete-images.yaml; delete nothing')
    .option('--workspace <file://DIR>', 'phase 1: the working directory of the mirror run')
    .option('--delete-id <id>', 'phase 1: suffix of the file names (delete-images-<id>.yaml)')
    .option('--delete-yaml-file <file>', 'phase 2: the delete list phase 1 wrote; its manifests are deleted')
    .option('--delete-signatures', 'phase 2: also delete each image\'s cosign signature, attestation and SBOM tags (sha256-<hex>.sig/.att/.sbom)')
    .option('--force-cache-delete', 'phase 2: also remove the cache entries of the deleted images (--cache-dir)')
    .option('--cache-dir <dir>', 'the cache directory (default: AIRLOCK_CACHE_DIR, OC_MIRROR_CACHE, else ~/.oc-mirror)')
    .option('--dry-run', 'phase 2: say what would be deleted (HEAD each manifest); delete nothing');
  withConnectionFlags(cmd, { sides: true, retries: true });
  return cmd
    .option('--authfile <file>', 'credentials (podman auth.json, docker config.json or a pull secret); same as -a')
    .option('--max-nested-paths <n>', 'as given to the mirror run', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 100) throw new CliError(`--max-nested-paths takes a whole number from 0 to 100, got "${v}"`);
      return n;
    }, 0)
    .option('--graph-url <url>', 'Cincinnati graph endpoint for channels (default: UPDATE_URL_OVERRIDE, else api.openshift.com)')
    .addOption(new Option('--v2', 'accepted for oc-mirror compatibility').hideHelp())
    .addOption(new Option('-o, --output <format>', 'text or json (the results, for scripts)').choices(['text', 'json']).default('text'))
    .addHelpText('after', HELP)
    .action(async (destination: string | undefined, _own: DeleteFlags, self: Command) => {
      try {
        // Flags `airlock mirror` also has (-c, --workspace, --dry-run, …) are parsed by it: take both.
        await run(destination, self.optsWithGlobals<DeleteFlags>());
      } catch (e) {
        if (e instanceof ImageSetConfigError || e instanceof DeleteListError || e instanceof GraphError || e instanceof CliError) {
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
    });
}
