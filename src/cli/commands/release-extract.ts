/** `airlock release extract --command=…`: the installer/oc/ccoctl of a release, pinned to it. */
import { readCliInput } from '../read-input.js';
import { INPUT_LIMITS } from '../../util/input-file.js';
import { Command } from 'commander';
import { parseMirrorPolicy, type DigestMirrors } from '../../release/mirror-policy.js';
import { releaseExtract } from '../../release/release-extract.js';
import { COMMANDS } from '../../release/extract-targets.js';
import { CliError } from '../cli-error.js';
import { asCliError, parseRef, registryHub, withRegistryFlags, type RegistryFlags } from './release-common.js';

interface ExtractFlags extends RegistryFlags {
  from?: string;
  command?: string;
  commandOs?: string;
  to: string;
  idmsFile?: string;
  icspFile?: string;
  fromDir?: string;
}

async function loadPolicy(file: string): Promise<DigestMirrors[]> {
  return parseMirrorPolicy(await readCliInput(file, 'mirror policy file', INPUT_LIMITS.list), file);
}

async function extract(arg: string | undefined, f: ExtractFlags): Promise<void> {
  if (arg !== undefined && f.from !== undefined) throw new CliError('you may not specify an argument and --from');
  const fromText = f.from ?? arg;
  if (fromText === undefined) throw new CliError('must specify a release image with --from');
  if (f.command === undefined) throw new CliError(`--command is required: one of ${COMMANDS.join(', ')}`);
  if (f.idmsFile !== undefined && f.icspFile !== undefined) throw new CliError('--icsp-file and --idms-file are mutually exclusive');
  if (f.icspFile !== undefined) process.stderr.write('warning: --icsp-file is deprecated; use --idms-file\n');
  const from = parseRef('--from', fromText);
  const registries = await registryHub(f);
  try {
    const policyFile = f.idmsFile ?? f.icspFile;
    const policy = policyFile !== undefined ? await loadPolicy(policyFile) : [];
    const files = await releaseExtract({ env: { registries, fromDir: f.fromDir }, from, command: f.command, commandOs: f.commandOs, toDir: f.to, policy, err: (s) => process.stderr.write(s) });
    for (const x of files) process.stderr.write(`info: extracted ${x.path}\n`);
  } catch (e) {
    throw asCliError(e);
  } finally {
    await registries.close();
  }
}

export function releaseExtractCommand(): Command {
  return withRegistryFlags(
    new Command('extract')
      .description('Extract openshift-install, oc or ccoctl from a release, pinned to it (oc adm release extract --command)')
      .argument('[release]', 'release image (same as --from)'),
  )
    .option('--from <image>', 'release image')
    .option('--command <name>', `tool to extract: ${COMMANDS.join(', ')}`)
    .option('--command-os <os>', "linux, mac, windows, OS/ARCH (linux/arm64, mac/arm64), or '*' for every OS as archives")
    .option('--to <dir>', 'directory to write to', '.')
    .option('--idms-file <file>', 'ImageDigestMirrorSet file: its mirrors are tried first for images by digest')
    .option('--icsp-file <file>', 'ImageContentSourcePolicy file (deprecated; use --idms-file)')
    .option('--from-dir <dir>', 'root of the file:// disk store')
    .action((arg: string | undefined, f: ExtractFlags) => extract(arg, f));
}
