/** `airlock release info REF`: version, upgrades, components by digest, architectures. */
import { Command, Option } from 'commander';
import { destinationName } from '../../copy/mirror.js';
import { referenceWithin, openSource } from '../../transports/open.js';
import { readRelease } from '../../release/payload-reader.js';
import { releaseInfoDoc, renderReleaseInfo } from '../../release/release-info.js';
import { CliError } from '../cli-error.js';
import { asCliError, parseRef, registryHub, withRegistryFlags, type RegistryFlags } from './release-common.js';

interface InfoFlags extends RegistryFlags {
  output: 'text' | 'json';
  filterByOs?: string;
  fromDir?: string;
}

async function info(image: string, f: InfoFlags): Promise<void> {
  const ref = parseRef('release image', image);
  const within = referenceWithin(ref);
  if (within === undefined) throw new CliError(`release image ${image} needs a tag or a digest`);
  const registries = await registryHub(f);
  try {
    const src = await openSource({ registries, fromDir: f.fromDir }, ref);
    const r = await readRelease(src, within, { platform: f.filterByOs });
    const doc = releaseInfoDoc(r, destinationName(ref, undefined));
    process.stdout.write(f.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : renderReleaseInfo(doc));
  } catch (e) {
    throw asCliError(e);
  } finally {
    await registries.close();
  }
}

export function releaseInfoCommand(): Command {
  return withRegistryFlags(
    new Command('info')
      .description('Show a release image: version, upgrades, components by digest, architectures (oc adm release info)')
      .argument('<image>', 'release image (registry reference or file://repo:tag with --from-dir)'),
  )
    .option('--filter-by-os <os/arch>', 'platform of a multi-arch release to read (default: this machine, else linux/amd64)')
    .option('--from-dir <dir>', 'root of the file:// disk store')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((image: string, f: InfoFlags) => info(image, f));
}
