/**
 * `airlock helm mirror`: Helm charts and the images they name, on the
 * mirror layer (helm collector → one MirrorPlan → executor). Charts come
 * from a Helm repository (`--repo URL --chart NAME[:VERSION]…`, every
 * non-library chart version without `--chart`), local charts (`--local`),
 * or the `mirror.helm` section of an ImageSetConfiguration (`--config`).
 * Each chart is pushed as an OCI Helm chart to DEST/<charts-path>/<name>:<version>
 * and its images to DEST/<source path>:<tag> (oc-mirror v2 naming).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { HelmCollector, DEFAULT_CHARTS_PATH, renderFailureLines, type HelmInfo } from '../../mirror/collectors/helm.js';
import { MirrorExecutor } from '../../mirror/executor.js';
import { clusterResources } from '../../mirror/imageset/cluster-resources.js';
import { writeFiles } from '../../mirror/imageset/outputs.js';
import { AIRLOCK_VERSION } from '../../version.js';
import type { HelmChartSpec, HelmSpec } from '../../mirror/imageset/config-helm.js';
import { readImageSetConfig } from '../../mirror/imageset/config-read.js';
import { ImageSetConfigError } from '../../mirror/imageset/yaml-nodes.js';
import { splitRegistryDest } from '../../mirror/imageset/naming.js';
import { makePlan, type PlanItem } from '../../mirror/plan.js';
import { destinationName } from '../../copy/mirror.js';
import { parseImagePath, ImagePathError } from '../../helm/chart/images.js';
import { isValidRegistryHost } from '../../reference/image-name.js';
import { CliError } from '../cli-error.js';
import { mirrorConsole } from '../mirror-console.js';
import { hubOptions, positiveInt, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface HelmFlags extends ConnectionFlags {
  repo?: string;
  chart: string[];
  local: string[];
  imagePath: string[];
  config?: string;
  workspace?: string;
  chartsPath: string;
  maxNestedPaths: number;
  dryRun?: boolean;
  maxPerRegistry: number;
  output: 'text' | 'json';
  progress: boolean;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

function chartArg(text: string, imagePaths: readonly string[]): HelmChartSpec {
  const i = text.indexOf(':');
  const name = i < 0 ? text : text.slice(0, i);
  const version = i < 0 ? undefined : text.slice(i + 1);
  if (name === '' || version === '') throw new CliError(`--chart ${text}: expected NAME or NAME:VERSION`);
  return { name, ...(version !== undefined ? { version } : {}), imagePaths, where: `--chart ${text}` };
}

async function specOf(f: HelmFlags): Promise<HelmSpec> {
  for (const p of f.imagePath) {
    try {
      parseImagePath(p);
    } catch (e) {
      if (e instanceof ImagePathError) throw new CliError(`--image-path: ${e.message}`);
      throw e;
    }
  }
  if (f.config !== undefined) {
    if (f.repo !== undefined || f.local.length > 0 || f.chart.length > 0) throw new CliError('--config cannot be combined with --repo, --chart or --local (the config names the charts)');
    let helm;
    try {
      helm = (await readImageSetConfig(f.config)).helm;
    } catch (e) {
      if (e instanceof ImageSetConfigError) throw new CliError(e.message);
      throw e;
    }
    if (helm === undefined) throw new CliError(`${f.config}: has no mirror.helm section`);
    return helm;
  }
  if (f.chart.length > 0 && f.repo === undefined) throw new CliError('--chart needs --repo URL (the Helm repository that holds the chart)');
  if (f.repo !== undefined && !/^https?:\/\/[^/]/.test(f.repo)) throw new CliError(`--repo ${f.repo}: must be an http:// or https:// URL (oci:// chart repositories are not yet supported)`);
  const repositories = f.repo === undefined ? [] : [{ name: new URL(f.repo).host, url: f.repo, ...(f.chart.length > 0 ? { charts: f.chart.map((c) => chartArg(c, f.imagePath)) } : {}), where: '--repo' }];
  const local = f.local.map((p) => ({ name: p, path: resolve(p), imagePaths: f.imagePath, where: `--local ${p}` }));
  if (repositories.length === 0 && local.length === 0) throw new CliError('nothing to mirror: give --repo URL [--chart NAME[:VERSION]…], --local PATH, or --config FILE');
  return { repositories, local };
}

function destOf(text: string): string {
  const d = text.replace(/^docker:\/\//, '').replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(d)) throw new CliError(`destination ${text}: must be docker://HOST[:PORT][/PATH] (a registry)`);
  const { host } = splitRegistryDest(d);
  if (!isValidRegistryHost(host)) throw new CliError(`destination ${text}: "${host}" is not a registry host`);
  return d;
}

function textReport(info: HelmInfo, dryRun: boolean): string {
  const lines: string[] = [];
  for (const c of info.charts) {
    lines.push(`chart ${c.name}-${c.version} (${c.source}) -> ${c.artifact.reference} ${c.artifact.digest}`);
    for (const i of c.images) lines.push(`  image ${i.image} (${i.templates.join(', ')})`);
  }
  if (dryRun) lines.push('dry run: nothing was pushed');
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

async function helmMirror(destination: string, f: HelmFlags): Promise<void> {
  const dest = destOf(destination);
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(f.chartsPath)) throw new CliError(`--charts-path ${f.chartsPath}: not a repository path (lowercase letters, digits, . _ - and /)`);
  const spec = await specOf(f);
  const json = f.output === 'json';
  const dryRun = f.dryRun === true;
  const own = f.workspace === undefined;
  const workspace = own ? await mkdtemp(join(tmpdir(), 'airlock-helm-')) : resolve(f.workspace!);
  const hub = await hubOptions(f, { sides: true, retries: true });
  const executor = new MirrorExecutor({
    hub,
    console: (report) => mirrorConsole(report, { progress: !json && f.progress, bytes: !dryRun }),
    fileDir: process.cwd(),
    maxPerRegistry: f.maxPerRegistry,
    retry: hub.retry,
    retryMessages: !json,
  });
  const say = (line: string): void => executor.console.message(line);
  try {
    const { items, info } = await new HelmCollector({ spec, dest, maxNestedPaths: f.maxNestedPaths, dir: join(workspace, 'helm'), chartsPath: f.chartsPath }).collect({ env: executor.env, warn: (m) => say(`warning: ${m}`) });
    for (const s of info.selections) say(`info: helm repository ${s.url}: ${s.count} chart version(s)${s.all ? ' (no --chart: every non-library chart version in index.yaml)' : ''}`);
    for (const fl of info.failures) say(`error: ${fl.what}: ${fl.message}`);
    const renderErrors = renderFailureLines(info);
    for (const l of renderErrors) say(`error: template not rendered: ${l}`);
    for (const c of info.charts) {
      for (const d of c.disabled) say(`info: chart ${c.name}-${c.version}: subchart ${d} is disabled by its condition or tags`);
      for (const k of c.skipped) say(`warning: chart ${c.name}-${c.version}: ${k.template}: "${k.image}" is not an image reference (${k.why}); skipped`);
    }
    const plan = makePlan(items, { dryRun, skipMissing: true, continueOnError: true, attachments: true });
    const missing = await executor.findMissing(plan);
    for (const m of missing) say(`warning: ${m.image} does not exist (${m.item.origins.map((o) => `chart ${o.package}-${o.bundle}`).join(', ')}); skipped`);
    const skip = new Set(missing.map((m) => m.item));
    const result = await executor.execute({ ...plan, items: items.filter((i) => !skip.has(i)) }, { onImage: (o) => { if (!json && !dryRun) executor.console.out(`${o.digest} ${o.destination}\n`); } });
    for (const e of result.errors) say(`error: ${e.source}: ${e.message}`);
    // with --workspace: the IDMS/ITMS for the images that were mirrored (v2's generic category)
    let resourcesDir: string | undefined;
    if (!own && !dryRun) {
      const failed = new Set(result.errors.map((e) => e.source));
      const label = (i: PlanItem): string => `${destinationName(i.source, undefined)}${i.within.includes(':') ? '@' : ':'}${i.within}`;
      const mirrored = items.filter((i) => !skip.has(i) && !failed.has(label(i)));
      const files = clusterResources({ items: mirrored, catalogs: [], maxNestedPaths: f.maxNestedPaths, signatures: [], annotations: { createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), createdBy: 'airlock', airlock_version: AIRLOCK_VERSION } });
      resourcesDir = join(workspace, 'cluster-resources');
      await writeFiles(resourcesDir, files);
      say(`info: cluster resources in ${resourcesDir}`);
    }
    if (json) {
      process.stdout.write(`${JSON.stringify({ dryRun, destination: `docker://${dest}`, workspace: own ? undefined : workspace, clusterResources: resourcesDir, selections: info.selections, charts: info.charts, failures: info.failures, renderFailures: renderErrors, missing: missing.map((m) => m.image), images: result.images, errors: result.errors }, null, 2)}\n`);
    } else process.stderr.write(textReport(info, dryRun));
    const failed = info.failures.length + renderErrors.length + result.errors.length;
    if (failed > 0) {
      if (!json && failed > 1) say(`error: ${failed} problems: ${info.failures.length} chart or repository, ${renderErrors.length} template(s) not rendered (their images may be missing from the mirror), ${result.errors.length} copy error(s)`);
      process.exitCode = 1;
    }
  } finally {
    await executor.close();
    if (own) await rm(workspace, { recursive: true, force: true });
  }
}

export function helmMirrorCommand(): Command {
  const cmd = new Command('mirror')
    .description('Mirror Helm charts (as OCI Helm charts) and the images they name to a registry')
    .argument('<destination>', 'docker://HOST[:PORT][/PATH] (the mirror registry)')
    .option('--repo <url>', 'Helm repository (http(s) URL of the directory holding index.yaml)')
    .option('--chart <name[:version]>', 'chart of --repo to mirror (newest version without :VERSION); repeatable; none: every non-library chart version', collect, [])
    .option('--local <path>', 'local chart directory or .tgz archive; repeatable', collect, [])
    .option('--image-path <jsonpath>', 'extra JSONPath to images in rendered manifests, e.g. {.spec.template.spec.custom[*].image}; repeatable', collect, [])
    .option('-c, --config <file>', 'read the charts from the mirror.helm section of an ImageSetConfiguration')
    .option('--workspace <dir>', 'keep chart archives, indexes and the OCI layout of charts in DIR/helm, and write the IDMS/ITMS for the mirrored images to DIR/cluster-resources (default: a temporary directory, no cluster resources)')
    .option('--charts-path <path>', 'repository path of pushed charts under the destination', DEFAULT_CHARTS_PATH)
    .option('--max-nested-paths <n>', 'keep at most N path components below the host (the rest joined with -); 0: unlimited', (v) => { const n = Number(v); if (!Number.isInteger(n) || n < 0) throw new CliError(`--max-nested-paths ${v}: expected a whole number >= 0`); return n; }, 0);
  withConnectionFlags(cmd, { sides: true, retries: true });
  return cmd
    .option('--dry-run', 'download and render the charts, print what would be pushed, push nothing')
    .option('--max-per-registry <n>', 'concurrent blob transfers per registry; look-ups (manifests, HEADs, mounts, blobs up to 1 MiB) get 8 times as many', positiveInt('--max-per-registry'), 6)
    .option('--no-progress', 'no progress bar or progress lines on stderr')
    .addOption(new Option('-o, --output <format>', 'output format (json: one document on stdout)').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Images are found by rendering each chart with its default values (Go templates with Helm's
functions; subcharts, globals, conditions and tags applied) and reading oc-mirror v2's paths
({.spec.template.spec.containers[*].image}, initContainers, {.spec.containers[*].image}, …),
the --image-path ones and any containers/initContainers list. A template that cannot be
rendered is named (chart, file, line, why) and the exit status is 1.

Example:
  airlock helm mirror --repo https://charts.example.com --chart podinfo:6.5.0 \\
      docker://mirror.example.com:5000/apps
  helm pull oci://mirror.example.com:5000/apps/${DEFAULT_CHARTS_PATH}/podinfo --version 6.5.0`,
    )
    .action((destination: string, f: HelmFlags) => helmMirror(destination, f));
}

export function helmCommand(): Command {
  return new Command('helm').description('Helm charts: mirror charts and their images').addCommand(helmMirrorCommand());
}
