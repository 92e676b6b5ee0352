/**
 * `airlock release mirror`: oc adm release mirror's flags on airlock's copy
 * engine, plus cosign signatures, deterministic mirror instructions and
 * --output-dir files.
 */
import { Command, Option } from 'commander';
import type { CopyEvent } from '../../copy/events.js';
import { MirrorReport } from '../../copy/mirror-report.js';
import type { ImageReference } from '../../reference/transport-ref.js';
import { releaseMirror } from '../../release/release-mirror.js';
import type { InstructionType } from '../../release/mirror-instructions.js';
import { CliError } from '../cli-error.js';
import { ProgressRenderer } from '../progress.js';
import { asCliError, parseRef, registryHub, withRegistryFlags, type RegistryFlags } from './release-common.js';

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
  printMirrorInstructions: string;
  outputDir?: string;
  releaseImageSignatureToDir?: string;
  signatureStore: string[];
  cosignSignatures: boolean;
  filterByOs?: string;
  progress: boolean;
}

type Dest = ImageReference & { transport: 'docker' | 'file' };

function dest(what: string, text: string): Dest {
  const r = parseRef(what, text);
  if (r.transport === 'oci') throw new CliError(`${what} must be a registry repository or file://repository`);
  return r;
}

async function mirror(arg: string | undefined, f: MirrorFlags): Promise<void> {
  if (arg !== undefined && f.from !== undefined) throw new CliError('you may not specify an argument and --from');
  const fromText = f.from ?? arg;
  if (fromText === undefined) throw new CliError('must specify a release image with --from');
  if (f.to === undefined && f.toDir === undefined) throw new CliError('must specify an image repository to mirror the release to (--to or --to-dir)');
  if (f.skipReleaseImage && f.toReleaseImage !== undefined) throw new CliError('--skip-release-image and --to-release-image may not both be specified');
  const instructions = f.printMirrorInstructions.toLowerCase();
  if (!['icsp', 'idms', 'none'].includes(instructions)) throw new CliError('--print-mirror-instructions must be one of icsp, idms, none');
  const from = parseRef('--from', fromText);
  const to = dest('--to', f.to ?? 'file://openshift/release');
  if (to.name.tag !== undefined || to.name.digest !== undefined) throw new CliError('--to must be to an image repository and may not contain a tag or digest');
  const toRelease = f.toReleaseImage !== undefined ? dest('--to-release-image', f.toReleaseImage) : undefined;
  if (toRelease !== undefined && (toRelease.name.tag === undefined || toRelease.name.digest !== undefined)) throw new CliError('--to-release-image must have a tag and no digest');
  if (instructions === 'icsp' && !f.toMirror) {
    process.stderr.write("Flag --print-mirror-instructions's value 'icsp' has been deprecated. Use 'idms' instead to allow the printing of instructions for ImageDigestSources and ImageDigestMirrorSet.\n");
  }
  const signatureDir = f.releaseImageSignatureToDir ?? (f.toDir !== undefined ? `${f.toDir.replace(/\/+$/, '')}/config` : undefined);
  const report = new MirrorReport({ fileDir: f.toDir ?? process.cwd() });
  const progress = f.progress && !f.toMirror ? new ProgressRenderer(process.stderr, () => report.progress(), { bytes: f.dryRun !== true }) : undefined;
  const say = (s: string): void => {
    if (progress) progress.message(s);
    else process.stderr.write(s);
  };
  const sink = (e: CopyEvent): void => {
    report.sink(e);
    if (e.type === 'warning') say(`warning: ${e.message}\n`);
    if (e.type === 'retry') say(`info: retry ${e.attempt} of ${e.what} in ${(e.delayMs / 1000).toFixed(1)}s: ${e.error}\n`);
  };
  const registries = await registryHub(f, { sides: true }, { onRetry: (r) => sink({ type: 'retry', ...r }), onWarning: (message) => sink({ type: 'warning', message }) });
  const started = Date.now();
  try {
    progress?.start();
    const r = await releaseMirror({
      env: { registries, dir: f.toDir, fromDir: f.fromDir },
      from,
      to,
      toText: f.to,
      toRelease,
      toReleaseText: f.toReleaseImage,
      toDir: f.toDir,
      skipRelease: f.skipReleaseImage,
      keepManifestList: f.keepManifestList,
      filterByOs: f.filterByOs,
      dryRun: f.dryRun,
      toMirror: f.toMirror,
      instructions: instructions as InstructionType,
      outputDir: f.outputDir,
      signatureDir,
      signatureStores: f.signatureStore,
      cosign: f.cosignSignatures,
      maxPerStore: f.maxPerRegistry,
      out: (s) => (progress ? progress.print(process.stdout, s) : process.stdout.write(s)),
      err: say,
      emit: (e) => {
        sink(e);
        if (e.type === 'image' && !e.attachment) progress?.imageDone();
      },
    });
    progress?.stop();
    if (f.toMirror) return;
    if (f.dryRun) process.stderr.write(`${report.planText()}\n`);
    for (const e of r.errors) process.stderr.write(`error: ${e.source}: ${e.message}\n`);
    process.stderr.write(`info: ${f.dryRun ? 'Dry run complete' : 'Mirroring completed'}: ${report.summary(Date.now() - started, f.dryRun === true)}\n`);
    if (r.errors.length > 0) {
      process.stderr.write('error: one or more errors occurred while uploading images\n');
      process.exitCode = 1;
    }
  } catch (e) {
    throw asCliError(e);
  } finally {
    progress?.stop();
    await registries.close();
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
    .option('--dry-run', 'plan only: print what would be copied and the instructions')
    .option('--to-mirror', 'only print the SRC DST mappings')
    .option('--skip-release-image', 'do not push the release image')
    .option('--keep-manifest-list', 'keep a multi-arch release whole and name it <version>-multi')
    .option('--filter-by-os <os/arch>', 'platform whose release image is read from a manifest list (default: this machine, else linux/amd64)')
    .addOption(new Option('--print-mirror-instructions <type>', 'icsp, idms or none').default('icsp'))
    .option('--output-dir <dir>', 'also write icsp.yaml, idms.yaml and install-config-snippet.yaml here')
    .option('--release-image-signature-to-dir <dir>', 'write the GPG signature ConfigMap here (default with --to-dir: <to-dir>/config)')
    .option('--signature-store <url>', 'GPG signature store: http(s) URL or directory (repeatable; default: the payload\'s verification ConfigMap stores)', (v, acc: string[]) => [...acc, v], [])
    .option('--no-cosign-signatures', 'do not copy the cosign sha256-<hex>.sig tags')
    .option('--no-progress', 'no progress bar (terminal) or progress lines (otherwise) on stderr')
    .action((arg: string | undefined, f: MirrorFlags) => mirror(arg, f));
}
