/**
 * `airlock samples mirror --configmap imagestreamtag-to-image.yaml DEST`:
 * the Cluster Samples Operator's images (seed §4.3.6) mirrored with digests
 * kept, then its config patch (samplesRegistry, skippedImagestreams)
 * written to the resources directory and printed as an `oc patch` command.
 */
import { Command, Option } from 'commander';
import { MirrorExecutor } from '../../mirror/executor.js';
import { writeFiles } from '../../mirror/imageset/outputs.js';
import { SAMPLES_CONFIG_FILE, samplesOperatorConfigYaml, samplesPatchCommand } from '../../mirror/resources/samples-operator-config.js';
import { readSamplesConfigMap, SamplesConfigMapError, selectStreams } from '../../mirror/samples/configmap.js';
import { runSamples } from '../../mirror/samples/run.js';
import { summaryText } from '../../mirror/summary.js';
import { CliError } from '../cli-error.js';
import { mirrorConsole } from '../mirror-console.js';
import { checkDest } from './catalog-mirror.js';
import { hubOptions, positiveInt, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface SamplesFlags extends ConnectionFlags {
  configmap?: string;
  only?: string;
  resourcesDir: string;
  maxPerRegistry: number;
  dryRun?: boolean;
  skipSignatures?: boolean;
  output: 'text' | 'json';
  progress: boolean;
}

async function mirror(destText: string, f: SamplesFlags): Promise<void> {
  const started = Date.now();
  if (f.configmap === undefined) throw new CliError('--configmap FILE is required (oc get cm imagestreamtag-to-image -n openshift-cluster-samples-operator -o yaml > FILE)');
  const dest = checkDest(destText);
  if (dest.startsWith('file://')) throw new CliError(`${destText}: samples are mirrored to a registry (REGISTRY[:PORT][/NAMESPACE…]); the image streams import from it`);
  const only = f.only === undefined ? undefined : f.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (only !== undefined && only.length === 0) throw new CliError('--only names no image stream (give e.g. --only ruby,nodejs)');
  let tags, selected;
  try {
    tags = await readSamplesConfigMap(f.configmap);
    selected = selectStreams(f.configmap, tags, only);
  } catch (e) {
    if (e instanceof SamplesConfigMapError) throw new CliError(e.message);
    throw e;
  }
  const json = f.output === 'json';
  const dryRun = f.dryRun === true;
  const hub = await hubOptions(f, { sides: true, retries: true });
  const executor = new MirrorExecutor({
    hub,
    console: (report) => mirrorConsole(report, { progress: !json && f.progress, bytes: !dryRun }),
    fileDir: process.cwd(),
    maxPerRegistry: f.maxPerRegistry,
    retry: hub.retry,
    retryMessages: !json,
  });
  try {
    const r = await runSamples(executor, { tags, selected, dest, maxNestedPaths: 0, file: f.configmap }, {
      dryRun,
      attachments: !f.skipSignatures,
      hooks: { onImage: (o) => { if (!json && !dryRun) executor.console.out(`${o.digest} ${o.destination}\n`); } },
    });
    const say = (line: string): void => executor.console.message(line);
    const file = `${f.resourcesDir.replace(/\/+$/, '')}/${SAMPLES_CONFIG_FILE}`;
    if (!dryRun) await writeFiles(f.resourcesDir, new Map([[SAMPLES_CONFIG_FILE, samplesOperatorConfigYaml(r.config)]]));
    const patch = samplesPatchCommand(r.config);
    if (json) {
      process.stdout.write(`${JSON.stringify({ dryRun, samplesRegistry: r.config.samplesRegistry, mirroredImagestreams: r.mirroredStreams, skippedImagestreams: r.config.skippedImagestreams, tags: r.outcomes, errors: r.result.errors, resources: dryRun ? [] : [file], patch, stats: executor.report.stats }, null, 2)}\n`);
    } else {
      process.stderr.write(summaryText(executor.report, r.result, { dryRun, wallMs: Date.now() - started }));
      const skipped = r.outcomes.filter((o) => o.status !== 'mirrored' && o.status !== 'not-selected');
      say(`info: ${r.mirroredStreams.length} of ${r.info.streams.length} image streams mirrored${skipped.length > 0 ? `; ${skipped.length} tag(s) skipped: ${skipped.map((o) => `${o.stream}:${o.tag} (${o.status})`).join(', ')}` : ''}`);
      say(`info: skippedImagestreams: ${r.config.skippedImagestreams.length === 0 ? '(none)' : r.config.skippedImagestreams.join(', ')}`);
      if (!dryRun) say(`info: wrote ${file}; apply it with:`);
      else say('info: dry run: nothing written; the patch would be:');
      process.stdout.write(`${patch}\n`);
    }
    if (r.result.errors.length > 0) process.exitCode = 1;
  } finally {
    await executor.close();
  }
}

export function samplesMirrorCommand(): Command {
  const cmd = new Command('mirror')
    .description('Mirror the Cluster Samples Operator images named by the imagestreamtag-to-image ConfigMap and write its samplesRegistry/skippedImagestreams patch')
    .argument('<dest>', 'the mirror: REGISTRY[:PORT][/NAMESPACE…] (becomes samplesRegistry)')
    .option('--configmap <file>', 'the imagestreamtag-to-image ConfigMap, as oc get cm -o yaml or -o json writes it')
    .option('--only <streams>', 'comma-separated image streams to mirror (default: all); the others go to skippedImagestreams')
    .option('--resources-dir <dir>', `where ${SAMPLES_CONFIG_FILE} is written`, 'cluster-resources');
  withConnectionFlags(cmd, { sides: true, retries: true });
  return cmd
    .option('--dry-run', 'print the plan and the patch, copy and write nothing')
    .option('--skip-signatures', 'do not copy cosign signatures and OCI referrers along')
    .option('--max-per-registry <n>', 'concurrent blob transfers per registry; look-ups (manifests, HEADs, mounts, blobs up to 1 MiB) get 8 times as many', positiveInt('--max-per-registry'), 6)
    .option('--no-progress', 'no progress bar or progress lines on stderr')
    .addOption(new Option('-o, --output <format>', 'output format (json: one document on stdout)').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Each image keeps its repository path under DEST (the operator replaces only the registry part of
every pull spec with samplesRegistry). Image streams whose every tag was copied are mirrored; every other stream of the ConfigMap (not
chosen with --only, missing at the source, or on a registry that cannot be reached) is listed in
skippedImagestreams. Unreachable or missing sources are warned about and skipped, never fatal.

Example:
  oc get cm imagestreamtag-to-image -n openshift-cluster-samples-operator -o yaml > samples-cm.yaml
  airlock samples mirror --configmap samples-cm.yaml --only ruby,nodejs mirror.example.com:8443/samples
  oc apply -f cluster-resources/${SAMPLES_CONFIG_FILE}   # or run the printed oc patch command`,
    )
    .action((dest: string, f: SamplesFlags) => mirror(dest, f));
}

export function samplesCommand(): Command {
  return new Command('samples')
    .description('Cluster Samples Operator content for disconnected clusters')
    .addCommand(samplesMirrorCommand())
    .addHelpText('after', `
Example:
  airlock samples mirror --configmap imagestreamtag-to-image.yaml --only ruby,nodejs mirror.example.com:8443/samples`);
}
