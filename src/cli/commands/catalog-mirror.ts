/**
 * `airlock catalog mirror SRC DEST`: oc adm catalog mirror's flags on the
 * mirror-planning layer: the catalog collector plans the index and its
 * related images, missing images are found before anything is copied, the
 * executor copies, catalog-outputs writes the manifests directory.
 */
import { reportToRegistries } from '../../mirror/run-report.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CatalogError } from '../../catalog/errors.js';
import { parseCatalogFilter, parsePackageFlags, type CatalogFilter } from '../../catalog/filter-spec.js';
import { DEFAULT_INDEX_PLATFORM } from '../../catalog/index-image.js';
import { checkMaxComponents } from '../../catalog/naming.js';
import { catalogManifests, catalogUploadHint, missingTxt, writeManifestsDir } from '../../mirror/catalog-outputs.js';
import { CatalogCollector, type CatalogMapping } from '../../mirror/collectors/catalog.js';
import { MirrorExecutor } from '../../mirror/executor.js';
import { makePlan } from '../../mirror/plan.js';
import { DEFAULT_MAX_DOCUMENT_SIZE } from '../../mirror/resources/mirror-set-document.js';
import type { MirrorScope } from '../../mirror/resources/mirror-sets.js';
import { summaryText } from '../../mirror/summary.js';
import { isValidRepositoryName } from '../../oci/names.js';
import { isValidRegistryHost } from '../../reference/image-name.js';
import { errorText } from '../../transports/types.js';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../../util/input-file.js';
import { CliError } from '../cli-error.js';
import { mirrorConsole } from '../mirror-console.js';
import { hubOptions, positiveInt, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';
import { parseRef } from './release-common.js';

interface CatalogMirrorFlags extends ConnectionFlags {
  reportToRegistry?: boolean;
  manifestsOnly?: boolean;
  toManifests?: string;
  maxComponents: number;
  indexFilterByOs?: string;
  filterByOs?: string;
  icspScope?: string;
  idmsScope?: string;
  maxIcspSize?: number;
  maxIdmsSize?: number;
  dryRun?: boolean;
  maxPerRegistry: number;
  skipMissing?: boolean;
  continueOnError?: boolean;
  dir?: string;
  fromDir?: string;
  package: string[];
  filterFile?: string;
  output: 'text' | 'json';
  progress: boolean;
}

const DEST_USAGE = 'DEST is REGISTRY[:PORT][/NAMESPACE…] or file://DIR';

/** DEST checked: a registry host with an optional namespace path (no tag or digest), or file://DIR. */
export function checkDest(text: string): string {
  if (text.startsWith('file://')) {
    if (text.slice('file://'.length).replace(/\//g, '') === '') throw new CliError(`${text}: names no directory (${DEST_USAGE})`);
    return text;
  }
  const body = text.replace(/^docker:\/\//, '').replace(/\/+$/, '');
  const [host = '', ...path] = body.split('/');
  if (!isValidRegistryHost(host) || !/[.:]|^localhost$/.test(host)) throw new CliError(`${text}: "${host}" is not a registry host (${DEST_USAGE})`);
  const repo = path.join('/');
  if (/[@:]/.test(repo)) throw new CliError(`${text}: DEST may not contain a tag or digest (${DEST_USAGE})`);
  if (repo !== '' && !isValidRepositoryName(repo)) throw new CliError(`${text}: "${repo}" is not a valid repository path (lowercase letters, digits, . _ - and /)`);
  return body;
}

function scopeOf(f: CatalogMirrorFlags): MirrorScope {
  if (f.icspScope !== undefined && f.idmsScope !== undefined && f.icspScope !== f.idmsScope) throw new CliError('--icsp-scope and --idms-scope differ: give one of them');
  const s = f.idmsScope ?? f.icspScope ?? 'repository';
  if (s !== 'repository' && s !== 'registry') throw new CliError(`--idms-scope must be repository or registry, got "${s}"`);
  return s;
}

/** --filter-file: an operators[] entry (`packages:`…), or an ImageSetConfiguration with one catalog. */
async function filterOf(f: CatalogMirrorFlags): Promise<CatalogFilter | undefined> {
  let fromFile: CatalogFilter | undefined;
  if (f.filterFile !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml(await readInputFile(f.filterFile, 'filter file', INPUT_LIMITS.config));
    } catch (e) {
      if (e instanceof InputFileError) throw new CliError(e.message);
      const code = (e as NodeJS.ErrnoException).code;
      throw new CliError(`--filter-file ${f.filterFile}: ${code ? `cannot read (${code})` : (e as Error).message.split('\n')[0]}`);
    }
    const ops = (doc as { mirror?: { operators?: unknown } } | null)?.mirror?.operators;
    if (Array.isArray(ops)) {
      if (ops.length !== 1) throw new CliError(`--filter-file ${f.filterFile}: the ImageSetConfiguration lists ${ops.length} catalogs; give one operators[] entry`);
      doc = ops[0];
    }
    fromFile = parseCatalogFilter(doc, f.filterFile);
  }
  if (f.package.length === 0) return fromFile;
  const packages = parsePackageFlags(f.package);
  if (fromFile === undefined) return { packages };
  return parseCatalogFilter({ ...fromFile, packages: [...(fromFile.packages ?? []), ...packages] }, `${f.filterFile} with --package`);
}

/** Runs `fn`, turning a CatalogError into a user error. */
function userError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CatalogError) throw new CliError(e.message);
    throw e;
  }
}

function missingLine(m: CatalogMapping, skip: boolean): string {
  const who = [...new Set(m.neededBy.map((n) => `bundle ${n.bundle} of package ${n.package}`))].join(', ');
  return `${skip ? 'warning' : 'error'}: ${m.image} does not exist (needed by ${who})`;
}

async function mirror(srcText: string, destText: string, f: CatalogMirrorFlags): Promise<void> {
  const started = Date.now();
  const dest = checkDest(destText);
  const index = parseRef('SRC', srcText);
  const maxComponents = dest.startsWith('file://') ? 0 : userError(() => checkMaxComponents(f.maxComponents));
  const scope = scopeOf(f);
  if (f.maxIcspSize !== undefined && f.maxIdmsSize !== undefined && f.maxIcspSize !== f.maxIdmsSize) throw new CliError('--max-icsp-size and --max-idms-size differ: give one of them');
  const maxSize = f.maxIdmsSize ?? f.maxIcspSize ?? DEFAULT_MAX_DOCUMENT_SIZE;
  const filter = await filterOf(f).catch((e: unknown) => userError(() => { throw e; }));
  const json = f.output === 'json';
  const dryRun = f.dryRun === true;
  const manifestsOnly = f.manifestsOnly === true;
  const skipMissing = f.skipMissing === true;
  const hub = await hubOptions(f, { sides: true });
  const executor = new MirrorExecutor({
    hub: { ...hub, skipMultipleScopes: true },
    console: (report) => mirrorConsole(report, { progress: !json && f.progress && !manifestsOnly, bytes: !dryRun }),
    dir: f.dir,
    fromDir: f.fromDir,
    fileDir: f.dir ?? process.cwd(),
    maxPerRegistry: f.maxPerRegistry,
    retryMessages: !json,
  });
  const c = executor.console;
  // A filtered catalog is rebuilt into a private layout that lives until the copy is done.
  const rebuildDir = filter !== undefined && !dryRun && !manifestsOnly ? await mkdtemp(join(tmpdir(), 'airlock-catalog-')) : undefined;
  try {
    const { items, info } = await new CatalogCollector({ index, dest, maxComponents, indexPlatform: f.indexFilterByOs ?? f.filterByOs, filter, rebuildDir }).collect({ env: executor.env, warn: (m) => c.message(`warning: ${m}`) });
    for (const n of info.notes) c.message(`info: ${n}`);
    if (!json) c.message(`info: ${info.format === 'fbc' ? 'file-based' : 'SQLite'} catalog ${srcText} (${info.platform}): ${info.packages} packages, ${info.bundles} bundles, ${info.related.length} related images`);
    const manifestsDir = f.toManifests ?? `manifests-${info.name}-${Math.floor(Date.now() / 1000)}`;
    // A dry run writes the manifests only where it was told to (--to-manifests): they are the plan's output, as with oc.
    const writeManifests = !dryRun || f.toManifests !== undefined;
    const plan = makePlan(items, { dryRun, skipMissing: true, continueOnError: f.continueOnError !== false });
    // Missing images, all at once, before copying (not with --manifests-only: the sources may be out of reach).
    const missingItems = manifestsOnly ? [] : await executor.findMissing(plan);
    const missingImages = new Set(missingItems.map((m) => itemKey(m.item)));
    const missing = [info.index, ...info.related].filter((m) => missingImages.has(itemKey(m)));
    if (missing.some((m) => m === info.index)) throw new CliError(`the index image ${srcText} does not exist`);
    for (const m of missing) c.message(missingLine(m, skipMissing));
    if (missing.length > 0 && writeManifests) await writeManifestsDir(manifestsDir, new Map([['missing.txt', missingTxt(missing)]]));
    if (missing.length > 0 && !skipMissing) {
      throw new CliError(`${missing.length} related image(s) of the catalog do not exist (listed above${!writeManifests ? '' : ` and in ${join(manifestsDir, 'missing.txt')}`}); nothing was copied. Rerun with --skip-missing to mirror the others`);
    }
    const keep = plan.items.filter((i) => !missingImages.has(itemKey(i)));
    const result = manifestsOnly ? { images: [], missing: [], errors: [], attachments: 0, attachmentsPresent: 0 } : await executor.execute({ ...plan, items: keep }, {
      onImage: (o) => {
        if (!json && !dryRun) c.out(`${o.digest} ${o.destination}\n`);
      },
    });
    if (f.reportToRegistry && !manifestsOnly) {
      const report = { ...result, missing: [...result.missing, ...missing.map((m) => m.image)] };
      await reportToRegistries(executor.registries, { command: 'catalog mirror', startedAt: started, finishedAt: Date.now(), plan: { ...plan, items: keep }, result: report, stats: executor.report.stats }, (l) => c.message(l));
    }
    const files = catalogManifests(info, { scope, maxSize, missing: new Set(missing.map((m) => m.image)) });
    if (missing.length > 0) files.set('missing.txt', missingTxt(missing));
    if (writeManifests) await writeManifestsDir(manifestsDir, files);
    const wall = Date.now() - started;
    if (json) {
      const doc = {
        dryRun, manifestsOnly, manifests: writeManifests ? manifestsDir : null, format: info.format, platform: info.platform,
        index: { source: srcText, digest: info.indexDigest, destination: info.index.target.reference, catalogImage: info.catalogImage },
        images: result.images, missing: missing.map((m) => ({ image: m.image, neededBy: m.neededBy })), errors: result.errors, stats: executor.report.stats, wallSeconds: wall / 1000,
      };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      if (!manifestsOnly) process.stderr.write(summaryText(executor.report, { ...result, missing: missing.map((m) => m.image) }, { dryRun, wallMs: wall, missingFile: writeManifests ? join(manifestsDir, 'missing.txt') : undefined }));
      c.out(writeManifests ? `wrote mirroring manifests to ${manifestsDir}\n` : `info: would write mirroring manifests to ${manifestsDir}\n`);
      if (info.destIsFile) c.out(catalogUploadHint(info, f.dir));
    }
    if (result.errors.length > 0) {
      if (!json) process.stderr.write('error: one or more errors occurred while mirroring images\n');
      process.exitCode = 1;
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (e instanceof CatalogError) throw new CliError(e.message);
    throw new CliError(`${srcText}: ${errorText(e)}`);
  } finally {
    await executor.close();
    if (rebuildDir !== undefined) await rm(rebuildDir, { recursive: true, force: true });
  }
}

/** Matches findMissing's items back to mappings: source and position. */
function itemKey(i: Pick<CatalogMapping, 'source' | 'within'>): string {
  return `${JSON.stringify(i.source)}#${i.within}`;
}

const HELP = `
Examples (seed §4.3.7, with airlock in place of oc adm):
  # Straight to a mirror registry on the same network
  airlock catalog mirror registry.redhat.io/redhat/redhat-operator-index:v4.12 \\
      mirror.example.com:5000/olm-mirror -a \${REG_CREDS} [--insecure] \\
      [--index-filter-by-os='linux/amd64'] [--manifests-only]

  # Air-gapped: to local files (writes ./v2/), carry v2/ across, upload, then point the ICSP at the mirror
  airlock catalog mirror registry.redhat.io/redhat/redhat-operator-index:v4.12 file:///local/index -a \${REG_CREDS}
  airlock catalog mirror file://local/index/redhat/redhat-operator-index:v4.12 mirror.example.com:5000/olm-mirror
  airlock catalog mirror mirror.example.com:5000/olm-mirror/redhat-redhat-operator-index:v4.12 \\
      mirror.example.com:5000/olm-mirror --manifests-only

  # Only some packages (oc-mirror v2 filtering: channel heads unless a range is given)
  airlock catalog mirror INDEX mirror.example.com:5000/olm --package etcd:stable@1.2.0..1.3.0 --package kafka

Writes manifests-<index name>-<unix time>/ (or --to-manifests): mapping.txt, imageContentSourcePolicy.yaml,
imageDigestMirrorSet.yaml, catalogSource.yaml, clusterCatalog.yaml (sorted, resource names without "/");
only mapping.txt for a file:// DEST.

Missing images (differs from oc, which skips them one at a time mid-run): every related image is
checked BEFORE copying; all missing ones are listed with the bundles and packages that need them and
written to missing.txt, and the run fails without copying unless --skip-missing is given.
Copy errors do not stop the other images (oc's --continue-on-error=true); --no-continue-on-error stops
at the first. Related images are always copied with every architecture (manifest lists kept whole).`;

export function catalogMirrorCommand(): Command {
  const cmd = new Command('mirror')
    .description('Mirror an operator catalog (index image and every related image) to a registry or a file:// store (oc adm catalog mirror)')
    .argument('<src>', 'index image: REGISTRY/REPO:TAG or @DIGEST, or file://ROOT/REPO:TAG (second hop of the air-gapped flow)')
    .argument('<dest>', 'REGISTRY[:PORT][/NAMESPACE] or file://DIR');
  withConnectionFlags(cmd, { sides: true });
  return cmd
    .option('--manifests-only', 'write the manifests directory only; copy nothing (and do not check the sources)')
    .option('--to-manifests <dir>', 'manifests directory (default manifests-<index name>-<unix time>)')
    .addOption(new Option('--max-components <n>', 'most path components in destination names (0 = unlimited; forced to 0 for file://)').argParser(nonNegativeInt('--max-components')).default(2))
    .option('--index-filter-by-os <platform>', `which image of a multi-platform index to read (regex over os/arch[/variant]; default ${DEFAULT_INDEX_PLATFORM})`)
    .addOption(new Option('--filter-by-os <platform>', 'deprecated alias of --index-filter-by-os'))
    .option('--idms-scope <scope>', 'repository or registry: the scope of the mirror-set entries (default repository)')
    .addOption(new Option('--icsp-scope <scope>', 'deprecated alias of --idms-scope'))
    .option('--max-idms-size <bytes>', `largest ImageDigestMirrorSet/ImageContentSourcePolicy document; more entries go to <name>-1, … (default ${DEFAULT_MAX_DOCUMENT_SIZE})`, positiveInt('--max-idms-size'))
    .addOption(new Option('--max-icsp-size <bytes>', 'deprecated alias of --max-idms-size').argParser(positiveInt('--max-icsp-size')))
    .option('--dry-run', 'print the plan and the missing images; copy nothing, and write the manifests only with --to-manifests')
    .option('--report-to-registry', 'send the run report to each airlock registry the run pushed into (listed in its console under Mirror runs)')
    .option('--max-per-registry <n>', 'concurrent blob transfers per registry (or local store); look-ups (manifests, HEADs, mounts, blobs up to 1 MiB) get 8 times as many', positiveInt('--max-per-registry'), 4)
    .option('--skip-missing', 'mirror the other images when related images do not exist (they are listed in missing.txt)')
    .option('--continue-on-error', 'keep mirroring other images after a copy error (the default, as oc; exit status 1 remains)')
    .option('--no-continue-on-error', 'stop at the first copy error')
    .option('--dir <dir>', 'root of the file:// store for writes (and reads without --from-dir); default: the current directory')
    .option('--from-dir <dir>', 'root of the file:// store to read from')
    .option('--package <NAME[:CHANNEL][@MIN..MAX]>', 'mirror only this package (repeatable; channel heads unless a range is given)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--filter-file <file>', 'YAML filter: an oc-mirror v2 operators[] entry (packages: …), or an ImageSetConfiguration with one catalog')
    .option('--no-progress', 'no progress bar (terminal) or progress lines (otherwise) on stderr')
    .addOption(new Option('-o, --output <format>', 'output format (json: one document on stdout, no progress)').choices(['text', 'json']).default('text'))
    .addHelpText('after', HELP)
    .action((src: string, dest: string, f: CatalogMirrorFlags) => mirror(src, dest, f));
}

function nonNegativeInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} takes 0 or a positive integer, got "${v}"`);
    return n;
  };
}
