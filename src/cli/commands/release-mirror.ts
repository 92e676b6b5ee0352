/**
 * `airlock release mirror`: oc adm release mirror's flags on airlock's copy
 * engine, plus cosign signatures, deterministic mirror instructions and
 * --output-dir files.
 */
import { reportToRegistries } from '../../mirror/run-report.js';
import { Command, Option } from 'commander';
import { ReleaseCollector, type ReleaseDestination } from '../../mirror/collectors/release.js';
import { MirrorExecutor } from '../../mirror/executor.js';
import { makePlan } from '../../mirror/plan.js';
import { writeReleaseOutputs } from '../../mirror/release-outputs.js';
import { defaultInstructions, supportsIdms, type InstructionType } from '../../mirror/release-text.js';
import { mappingLines } from '../../mirror/resources/mapping-txt.js';
import { summaryText } from '../../mirror/summary.js';
import { formatImageReference, imageNameOf, selectorOf } from '../../transports/all.js';
import { hubOptions } from './registry-flags.js';
import { CliError } from '../cli-error.js';
import { mirrorConsole } from '../mirror-console.js';
import { asCliError, parseRef, withRegistryFlags, type RegistryFlags } from './release-common.js';

interface MirrorFlags extends RegistryFlags {
  from?: string;
  to?: string;
  toReleaseImage?: string;
  toDir?: string;
  fromDir?: string;
  dryRun?: boolean;
  toMirror?: boolean;
  skipReleaseImage?: boolean;
  keepManifestList?: boolean;
  printMirrorInstructions?: string;
  outputDir?: string;
  releaseImageSignatureToDir?: string;
  signatureStore: string[];
  cosignSignatures: boolean;
  filterByOs?: string;
  progress: boolean;
  reportToRegistry?: boolean;
}

function dest(what: string, text: string): ReleaseDestination {
  const r = parseRef(what, text);
  if (imageNameOf(r) === undefined) throw new CliError(`${what} must be a registry repository or file://repository`);
  return r;
}

async function mirror(arg: string | undefined, f: MirrorFlags): Promise<void> {
  if (arg !== undefined && f.from !== undefined) throw new CliError('you may not specify an argument and --from');
  const fromText = f.from ?? arg;
  if (fromText === undefined) throw new CliError('must specify a release image with --from');
  if (f.to === undefined && f.toDir === undefined) throw new CliError('must specify an image repository to mirror the release to (--to or --to-dir)');
  if (f.skipReleaseImage && f.toReleaseImage !== undefined) throw new CliError('--skip-release-image and --to-release-image may not both be specified');
  const explicit = f.printMirrorInstructions?.toLowerCase();
  if (explicit !== undefined && !['icsp', 'idms', 'none'].includes(explicit)) throw new CliError('--print-mirror-instructions must be one of icsp, idms, none');
  const from = parseRef('--from', fromText);
  const to = dest('--to', f.to ?? 'file://openshift/release');
  const toSel = selectorOf(to);
  if (toSel.tag !== undefined || toSel.digest !== undefined) throw new CliError('--to must be to an image repository and may not contain a tag or digest');
  const toRelease = f.toReleaseImage !== undefined ? dest('--to-release-image', f.toReleaseImage) : undefined;
  const relSel = toRelease !== undefined ? selectorOf(toRelease) : undefined;
  if (relSel !== undefined && (relSel.tag === undefined || relSel.digest !== undefined)) throw new CliError('--to-release-image must have a tag and no digest');
  const signatureDir = f.releaseImageSignatureToDir ?? (f.toDir !== undefined ? `${f.toDir.replace(/\/+$/, '')}/config` : undefined);
  const dryRun = f.dryRun === true;
  const executor = new MirrorExecutor({
    hub: await hubOptions(f, { sides: true }),
    console: (report) => mirrorConsole(report, { progress: f.progress && !f.toMirror, bytes: !dryRun }),
    dir: f.toDir,
    fromDir: f.fromDir,
    fileDir: f.toDir ?? process.cwd(),
    maxPerRegistry: f.maxPerRegistry,
  });
  const c = executor.console;
  const started = Date.now();
  try {
    const { items, info } = await new ReleaseCollector({ from, to, toRelease, skipRelease: f.skipReleaseImage, keepManifestList: f.keepManifestList, filterByOs: f.filterByOs }).collect({
      env: executor.env,
      warn: (m) => c.message(`warning: ${m}`),
    });
    if (f.toMirror) {
      c.out(mappingLines(info.mappings));
      return;
    }
    // An explicit flag wins; otherwise what the release's own version supports.
    const instructions = (explicit ?? defaultInstructions(info.version)) as InstructionType;
    if (explicit === 'icsp' && supportsIdms(info.version)) {
      c.message("Flag --print-mirror-instructions's value 'icsp' has been deprecated. Use 'idms' instead to allow the printing of instructions for ImageDigestSources and ImageDigestMirrorSet.");
    }
    c.message(`info: Mirroring ${info.mappings.length} images to ${f.to ?? formatImageReference(to)} ...`);
    const plan = makePlan(items, { dryRun, continueOnError: true, attachments: f.cosignSignatures });
    const r = await executor.execute(plan);
    if (f.reportToRegistry) await reportToRegistries(executor.registries, { command: 'release mirror', startedAt: started, finishedAt: Date.now(), plan, result: r, stats: executor.report.stats }, (l) => c.message(l));
    if (r.errors.length === 0) {
      await writeReleaseOutputs(
        {
          from,
          to,
          toText: f.to,
          toRelease,
          toReleaseText: f.toReleaseImage,
          toDir: f.toDir,
          fromRoot: f.fromDir ?? f.toDir ?? process.cwd(),
          dryRun,
          instructions,
          outputDir: f.outputDir,
          signatureDir,
          signatureStores: f.signatureStore,
          attachments: r.attachments,
          attachmentsPresent: r.attachmentsPresent,
          out: (s) => c.out(s),
          err: (s) => c.message(s),
        },
        info,
      );
    }
    process.stderr.write(summaryText(executor.report, r, { dryRun, wallMs: Date.now() - started }));
    if (r.errors.length > 0) {
      process.stderr.write('error: one or more errors occurred while uploading images\n');
      process.exitCode = 1;
    }
  } catch (e) {
    throw asCliError(e);
  } finally {
    await executor.close();
  }
}

export function releaseMirrorCommand(): Command {
  return withRegistryFlags(
    new Command('mirror')
      .description('Mirror a release image and its components to a registry or a file:// directory (oc adm release mirror)')
      .argument('[release]', 'release image (same as --from)'),
    { sides: true },
  )
    .option('--from <image>', 'release image (registry reference, or file://repo:tag with --from-dir)')
    .option('--to <repository>', 'repository to push to (no tag or digest); file://repo with --to-dir')
    .option('--to-release-image <image>', 'alternate location (with tag) for the release image')
    .option('--to-dir <dir>', 'mirror into a file:// store under this directory (default --to: file://openshift/release)')
    .option('--from-dir <dir>', 'root of the file:// store to read from')
    .option('--dry-run', 'plan only: print what would be copied and the instructions (and write --output-dir files)')
    .option('--report-to-registry', 'send the run report to each airlock registry the run pushed into (listed in its console under Mirror runs)')
    .option('--to-mirror', 'only print the SRC DST mappings')
    .option('--skip-release-image', 'do not push the release image')
    .option('--keep-manifest-list', 'keep a multi-arch release whole and name it <version>-multi')
    .option('--filter-by-os <os/arch>', 'platform whose release image is read from a manifest list (default: this machine, else linux/amd64)')
    .addOption(new Option('--print-mirror-instructions <type>', 'icsp, idms or none (default: what the release supports: icsp up to 4.12, idms from 4.13)'))
    .option('--output-dir <dir>', 'also write icsp.yaml, idms.yaml and install-config-snippet.yaml here')
    .option('--release-image-signature-to-dir <dir>', 'write the GPG signature ConfigMap here (default with --to-dir: <to-dir>/config)')
    .option('--signature-store <url>', 'GPG signature store: http(s) URL or directory (repeatable; default: the payload\'s verification ConfigMap stores)', (v, acc: string[]) => [...acc, v], [])
    .option('--no-cosign-signatures', 'do not copy the cosign sha256-<hex>.sig tags')
    .option('--no-progress', 'no progress bar (terminal) or progress lines (otherwise) on stderr')
    .action((arg: string | undefined, f: MirrorFlags) => mirror(arg, f));
}
