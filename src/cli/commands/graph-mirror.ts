/**
 * `airlock graph mirror DEST`: the OpenShift Update Service graph-data image
 * standalone, the same step `platform.graph: true` runs in an image-set run
 * (mirror/imageset/graph-outputs.ts over graph-data.ts, graph-image.ts and
 * resources/update-service.ts; no second implementation). Pushes
 * `<dest>/openshift/graph-image:latest` and writes `updateService.yaml`
 * into the resources directory. The destination is checked (credentials,
 * push permission, path depth) before the tarball is fetched.
 */
import { Command, Option } from 'commander';
import { MirrorExecutor } from '../../mirror/executor.js';
import { checkDestination, DestinationCheckError } from '../../mirror/imageset/dest-check.js';
import { GRAPH_IMAGE_PATH } from '../../mirror/imageset/graph-image.js';
import { graphStep } from '../../mirror/imageset/graph-outputs.js';
import { destRepository, splitRegistryDest } from '../../mirror/imageset/naming.js';
import { writeFiles } from '../../mirror/imageset/outputs.js';
import { AIRLOCK_VERSION } from '../../version.js';
import { CliError } from '../cli-error.js';
import { mirrorConsole } from '../mirror-console.js';
import { checkDest } from './catalog-mirror.js';
import { hubOptions, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface GraphFlags extends ConnectionFlags {
  graphDataUrl?: string;
  graphBaseImage?: string;
  resourcesDir: string;
  maxNestedPaths: number;
  dryRun?: boolean;
  output: 'text' | 'json';
}

const nested = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new CliError(`--max-nested-paths takes a whole number from 0 to 100, got "${v}"`);
  return n;
};

async function mirror(destText: string, f: GraphFlags): Promise<void> {
  const dest = checkDest(destText);
  if (dest.startsWith('file://')) throw new CliError(`${destText}: the graph-data image is pushed to a registry (REGISTRY[:PORT][/NAMESPACE…]); for an archive use airlock mirror -c isc.yaml file://DIR with platform.graph: true`);
  const json = f.output === 'json';
  const dryRun = f.dryRun === true;
  const hub = await hubOptions(f, { sides: true, retries: true });
  const executor = new MirrorExecutor({
    hub,
    // -o json: stdout carries the one document only.
    console: (report) => ({ ...mirrorConsole(report, { progress: false, bytes: !dryRun }), ...(json ? { out: () => {} } : {}) }),
    fileDir: process.cwd(),
    maxPerRegistry: 6,
    retry: hub.retry,
    retryMessages: !json,
  });
  try {
    const { host } = splitRegistryDest(dest);
    const repository = destRepository(dest, GRAPH_IMAGE_PATH, f.maxNestedPaths);
    if (!dryRun) {
      try {
        await checkDestination(executor.registries.client(host, 'destination'), repository.slice(host.length + 1), `docker://${dest}`);
      } catch (e) {
        if (e instanceof DestinationCheckError) throw new CliError(e.message);
        throw e;
      }
    }
    const annotations = { createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), createdBy: 'airlock', airlock_version: AIRLOCK_VERSION };
    const r = await graphStep(executor, { dest, maxNestedPaths: f.maxNestedPaths, dryRun, annotations, graphDataUrl: f.graphDataUrl, graphBaseImage: f.graphBaseImage });
    if (r.error !== undefined) throw new CliError(`${r.error}; nothing was written to ${f.resourcesDir}`);
    const dir = f.resourcesDir.replace(/\/+$/, '') || '.';
    if (!dryRun) await writeFiles(dir, r.files);
    const resources = dryRun ? [] : [...r.files.keys()].map((k) => `${dir}/${k}`);
    if (json) {
      const digest = r.image?.slice(r.image.lastIndexOf('@') + 1);
      process.stdout.write(`${JSON.stringify({ dryRun, image: `${repository}:latest`, ...(digest ? { digest, byDigest: r.image } : {}), resources, updateService: r.files.get('updateService.yaml') }, null, 2)}\n`);
    } else if (dryRun) {
      executor.console.message('info: dry run: nothing pushed or written; updateService.yaml would be:');
      process.stdout.write(r.files.get('updateService.yaml') ?? '');
    } else {
      executor.console.message(`info: wrote ${resources.join(', ')}; apply it with: oc apply -f ${resources[0] ?? ''}`);
    }
  } finally {
    await executor.close();
  }
}

export function graphMirrorCommand(): Command {
  const cmd = new Command('mirror')
    .description('Build the OpenShift Update Service graph-data image, push it as DEST/openshift/graph-image:latest and write updateService.yaml')
    .argument('<dest>', 'the mirror: REGISTRY[:PORT][/NAMESPACE…] (the release images are expected in DEST/openshift/release-images)')
    .option('--graph-data-url <url>', "graph-data tarball (default: UPDATE_URL_OVERRIDE's update service, else https://api.openshift.com/api/upgrades_info/graph-data)")
    .option('--graph-base-image <image>', 'base of the graph-data image (default: registry.access.redhat.com/ubi9/ubi:latest)')
    .option('--resources-dir <dir>', 'where updateService.yaml is written', 'cluster-resources')
    .option('--max-nested-paths <n>', 'most path components below the registry host (0 = unlimited), as airlock mirror', nested, 0);
  withConnectionFlags(cmd, { sides: true, retries: true });
  return cmd
    .option('--dry-run', 'print what would be built and the UpdateService (naming :latest); push and write nothing')
    .addOption(new Option('-o, --output <format>', 'output format (json: one document on stdout)').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
The same step as platform.graph: true in airlock mirror -c isc.yaml. The image is the base image plus one
layer holding the graph data under /var/lib/cincinnati-graph-data, with the CMD the update service's init
container runs. updateService.yaml names it by digest and DEST/openshift/release-images as the releases.

Example:
  airlock graph mirror mirror.example.com:8443/ocp --graph-base-image mirror.example.com:8443/ubi9/ubi:latest
  oc apply -f cluster-resources/updateService.yaml`,
    )
    .action((dest: string, f: GraphFlags) => mirror(dest, f));
}

export function graphCommand(): Command {
  return new Command('graph')
    .description('OpenShift Update Service content for disconnected clusters (the graph-data image)')
    .addCommand(graphMirrorCommand())
    .addHelpText('after', `
Example:
  airlock graph mirror mirror.example.com:8443/ocp --graph-data-url https://updates.example.com/api/upgrades_info/graph-data`);
}
