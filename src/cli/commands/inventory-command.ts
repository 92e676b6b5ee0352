/**
 * `airlock inventory export docker://REG[/prefix] [-f FILE]`: run on the
 * disconnected side; writes what the mirror registry holds (repositories,
 * tags → digests, every blob digest) to a small JSON file, atomically. The
 * connected side's m2d then packs only what is missing (--since-inventory FILE).
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { exportInventory } from '../../copy/inventory-export.js';
import { RegistryHub } from '../../transports/registry/registry-hub.js';
import { CliError } from '../cli-error.js';
import { hubOptions, withConnectionFlags, type ConnectionFlags } from './registry-flags.js';

interface ExportFlags extends ConnectionFlags {
  file: string;
  repository: string[];
  output: 'text' | 'json';
}

/** `docker://host[:port][/prefix]` or `host[:port][/prefix]` → host and prefix. */
export function parseRegistryTarget(input: string): { registry: string; prefix: string } {
  const rest = input.replace(/^docker:\/\//, '');
  const [registry, ...path] = rest.split('/');
  if (registry === undefined || registry === '' || !/^[a-zA-Z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(registry)) throw new CliError(`${input}: expected docker://HOST[:PORT][/PREFIX]`);
  return { registry, prefix: path.filter((p) => p !== '').join('/') };
}

async function runExport(target: string, f: ExportFlags): Promise<void> {
  const { registry, prefix } = parseRegistryTarget(target);
  const hub = new RegistryHub(await hubOptions(f));
  try {
    const inv = await exportInventory(hub, registry, { prefix, repositories: f.repository.length > 0 ? f.repository : undefined });
    const tmp = `${f.file}.partial`;
    try {
      await writeFile(tmp, `${JSON.stringify(inv)}\n`, { flush: true });
      await rename(tmp, f.file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const summary = { file: f.file, registry, repositories: Object.keys(inv.repositories).length, tags: Object.values(inv.repositories).reduce((n, r) => n + Object.keys(r.tags).length, 0), blobs: Object.keys(inv.blobs).length };
    if (f.output === 'json') process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(`wrote ${summary.file}: ${summary.repositories} repositories, ${summary.tags} tags, ${summary.blobs} blobs and manifests held by ${registry}\n`);
  } finally {
    await hub.close();
  }
}

function exportCommand(): Command {
  const cmd = new Command('export')
    .description('Write what a mirror registry holds (repositories, tags, blob digests) for --since-inventory')
    .argument('<registry>', 'docker://HOST[:PORT][/PREFIX]: the mirror registry (only repositories under PREFIX)')
    .option('-f, --file <file>', 'where to write the inventory', 'inventory.json')
    .option('--repository <name>', 'list this repository instead of asking the catalog API (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExample (disconnected side):\n  airlock inventory export docker://mirror.internal:8443/ocp4 -f inventory.json\nthen, on the connected side, pack only what is missing there with --since-inventory inventory.json\n')
    .action((target: string, f: ExportFlags) => runExport(target, f));
  return withConnectionFlags(cmd);
}

export function inventoryCommand(): Command {
  return new Command('inventory').description('What a mirror registry holds, for delta archives').addCommand(exportCommand());
}
