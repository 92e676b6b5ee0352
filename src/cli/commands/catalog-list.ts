/**
 * `airlock catalog list INDEX [--package P] [-o json]`: the packages of an
 * operator index image with their default channel, channels, heads,
 * versions and deprecations, read from the FBC or SQLite catalog inside it
 * (the listing itself is catalog/summary.ts, shared with the JSON API).
 */
import { Command, Option } from 'commander';
import { CatalogError } from '../../catalog/errors.js';
import { openIndexCatalog, DEFAULT_INDEX_PLATFORM } from '../../catalog/index-image.js';
import { summarize, type PackageSummary } from '../../catalog/summary.js';
import { parseImageReference, type ImageReference } from '../../transports/all.js';
import { openSource, referenceWithin } from '../../transports/open.js';
import { RegistryHub } from '../../transports/registry/registry-hub.js';
import { errorText } from '../../transports/types.js';
import { CliError } from '../cli-error.js';
import { hubOptions, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface ListFlags extends ConnectionFlags {
  package: string[];
  indexFilterByOs: string;
  fromDir?: string;
  output: 'text' | 'json';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function listText(pkgs: readonly PackageSummary[]): string {
  const rows: string[][] = [['PACKAGE', 'CHANNEL', 'DEFAULT', 'HEAD', 'VERSIONS', 'DEPRECATED']];
  for (const p of pkgs) {
    for (const ch of p.channels) {
      const deprecated = [p.deprecated ? 'package' : '', ch.deprecated ? 'channel' : ''].filter(Boolean).join(',');
      rows.push([p.name, ch.name, ch.name === p.defaultChannel ? '*' : '', ch.head === null ? `(${ch.error})` : `${ch.head}`, ch.versions.join(','), deprecated]);
    }
  }
  const out = [table(rows)];
  const notes = pkgs.flatMap((p) => [
    ...(p.deprecated ? [`${p.name}: ${p.deprecated}`] : []),
    ...p.channels.filter((c) => c.deprecated).map((c) => `${p.name} channel ${c.name}: ${c.deprecated}`),
    ...p.deprecatedBundles.map((b) => `${p.name} bundle ${b.bundle}: ${b.message}`),
  ]);
  if (notes.length > 0) out.push('', 'DEPRECATIONS', ...notes.map((n) => `  ${n}`));
  return `${out.join('\n')}\n`;
}

async function list(indexText: string, f: ListFlags): Promise<void> {
  let ref: ImageReference;
  try {
    ref = parseImageReference(indexText);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const within = referenceWithin(ref);
  if (within === undefined) throw new CliError(`${indexText}: needs a tag or a digest`);
  const registries = new RegistryHub(await hubOptions(f));
  try {
    const src = await openSource({ registries, fromDir: f.fromDir }, ref);
    const index = await openIndexCatalog(src, within, indexText, { platform: f.indexFilterByOs });
    for (const w of index.warnings) process.stderr.write(`warning: ${w}\n`);
    const pkgs = summarize(index.catalog, f.package);
    if (f.output === 'json') {
      const doc = { index: indexText, digest: index.digest, platform: index.platform, format: index.format, path: index.path, packages: pkgs };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else process.stdout.write(listText(pkgs));
  } catch (e) {
    if (e instanceof CliError) throw e;
    process.stderr.write(`error: ${e instanceof CatalogError ? e.message : `${indexText}: ${errorText(e)}`}\n`);
    process.exitCode = 1;
  } finally {
    await registries.close();
  }
}

export function catalogListCommand(): Command {
  return withConnectionFlags(
    new Command('list')
      .description('List the packages of an operator index image: default channel, channels, heads, versions, deprecations')
      .argument('<index>', 'index image (docker://, oci:PATH:REF or file://), e.g. registry.redhat.io/redhat/redhat-operator-index:v4.18'),
  )
    .option('--package <name>', 'only this package (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--index-filter-by-os <platform>', 'which image of a multi-platform index to read (regular expression over os/arch[/variant])', DEFAULT_INDEX_PLATFORM)
    .option('--from-dir <dir>', 'root of the file:// disk store')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExample:\n  airlock catalog list -a ~/pull-secret.json registry.redhat.io/redhat/redhat-operator-index:v4.18 --package elasticsearch-operator\n')
    .action((index: string, f: ListFlags) => list(index, f));
}
