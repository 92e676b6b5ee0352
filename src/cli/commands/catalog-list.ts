/**
 * `airlock catalog list INDEX [--package P] [-o json]`: the packages of an
 * operator index image with their default channel, channels, heads,
 * versions and deprecations, read from the FBC or SQLite catalog inside it.
 */
import { Command, Option } from 'commander';
import { CatalogError } from '../../catalog/errors.js';
import { byVersion, channelHead } from '../../catalog/graph.js';
import { openIndexCatalog, DEFAULT_INDEX_PLATFORM } from '../../catalog/index-image.js';
import { CatalogIndex, type Catalog } from '../../catalog/model.js';
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

export interface ChannelSummary {
  name: string;
  head: string | null;
  headVersion: string | null;
  /** Set when the channel has no single head. */
  error?: string;
  versions: string[];
  deprecated?: string;
}

export interface PackageSummary {
  name: string;
  defaultChannel: string | null;
  deprecated?: string;
  channels: ChannelSummary[];
  deprecatedBundles: { bundle: string; message: string }[];
}

/** The listing of `c` (packages and channels by name; versions ascending). */
export function summarize(c: Catalog, only: readonly string[] = []): PackageSummary[] {
  const idx = new CatalogIndex(c);
  const names = c.packages.map((p) => p.name).filter((n) => only.length === 0 || only.includes(n)).sort();
  for (const n of only) if (!idx.packages.has(n)) throw new CatalogError(`package ${n} is not in the catalog`);
  return names.map((name) => {
    const pkg = idx.packages.get(name)!;
    const dep = c.deprecations.find((d) => d.package === name)?.entries ?? [];
    const channels = [...idx.channels(name)]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((ch): ChannelSummary => {
        const versions = byVersion(idx, name, ch.entries.map((e) => e.name)).map((n) => idx.bundle(name, n)?.version ?? n);
        const deprecated = dep.find((d) => d.reference.schema === 'olm.channel' && d.reference.name === ch.name)?.message;
        try {
          const head = channelHead(idx, ch);
          return { name: ch.name, head, headVersion: idx.bundle(name, head)?.version ?? null, versions, ...(deprecated ? { deprecated } : {}) };
        } catch (e) {
          return { name: ch.name, head: null, headVersion: null, error: (e as Error).message, versions, ...(deprecated ? { deprecated } : {}) };
        }
      });
    const pkgDep = dep.find((d) => d.reference.schema === 'olm.package')?.message;
    return {
      name,
      defaultChannel: pkg.defaultChannel ?? null,
      ...(pkgDep ? { deprecated: pkgDep } : {}),
      channels,
      deprecatedBundles: dep.filter((d) => d.reference.schema === 'olm.bundle').map((d) => ({ bundle: d.reference.name!, message: d.message })),
    };
  });
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
