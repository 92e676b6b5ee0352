/** `airlock release new`: build a release image from component images (oc adm release new). */
import { readCliInput } from '../read-input.js';
import { INPUT_LIMITS } from '../../util/input-file.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { createCopyContext } from '../../copy/copy-context.js';
import { isRegistryReference } from '../../transports/registry/registry-transport.js';
import { newRelease, type NewComponent } from '../../release/release-new.js';
import { CliError } from '../cli-error.js';
import { asCliError, parseRef, registryHub, withRegistryFlags, type RegistryFlags } from './release-common.js';

interface NewFlags extends RegistryFlags {
  name: string;
  toImage: string;
  toImageBase?: string;
  previous: string[];
  metadata?: string;
  mappingFile?: string;
  manifestsDir?: string;
  created?: string;
}

function parsePairs(lines: readonly string[], where: (i: number) => string): NewComponent[] {
  const out: NewComponent[] = [];
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^([a-z0-9][a-z0-9.-]*)\s*(?:=|\s)\s*(\S+)$/.exec(line);
    if (!m) throw new CliError(`${where(i)}: expected NAME=IMAGE, got "${line}"`);
    out.push({ name: m[1]!, ref: m[2]! });
  });
  return out;
}

async function build(pairs: string[], f: NewFlags): Promise<void> {
  const components = parsePairs(pairs, (i) => `argument ${i + 1}`);
  if (f.mappingFile !== undefined) {
    const text = await readCliInput(f.mappingFile, 'mapping file', INPUT_LIMITS.list);
    components.push(...parsePairs(text.split(/\r?\n/), (i) => `${f.mappingFile}:${i + 1}`));
  }
  if (components.length === 0) throw new CliError('no components: give NAME=IMAGE arguments or --mapping-file');
  const to = parseRef('--to-image', f.toImage);
  if (!isRegistryReference(to)) throw new CliError('--to-image must be a registry image');
  let metadata: Record<string, unknown> | undefined;
  if (f.metadata !== undefined) {
    try {
      metadata = JSON.parse(f.metadata) as Record<string, unknown>;
    } catch (e) {
      throw new CliError(`--metadata: not JSON (${(e as Error).message})`);
    }
  }
  const manifests = new Map<string, Buffer>();
  if (f.manifestsDir !== undefined) {
    for (const e of await readdir(f.manifestsDir, { withFileTypes: true })) if (e.isFile()) manifests.set(e.name, await readFile(join(f.manifestsDir, e.name)));
  }
  const registries = await registryHub(f);
  try {
    const r = await newRelease({
      env: { registries },
      copy: createCopyContext({ maxPerStore: f.maxPerRegistry }),
      version: f.name,
      components,
      to,
      base: f.toImageBase,
      previous: f.previous.flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p !== ''),
      metadata,
      manifests,
      created: f.created,
    });
    process.stdout.write(`${r.digest} ${f.toImage}\n`);
    process.stderr.write(`info: release ${f.name} with ${r.components.length} components for ${r.platforms.join(', ')}: ${r.pullSpec}\n`);
  } catch (e) {
    throw asCliError(e);
  } finally {
    await registries.close();
  }
}

export function releaseNewCommand(): Command {
  return withRegistryFlags(
    new Command('new')
      .description('Build an OpenShift release image from component images (oc adm release new)')
      .argument('[components...]', 'NAME=IMAGE pairs (IMAGE by tag or digest; tags are resolved to digests)'),
  )
    .requiredOption('--name <version>', 'release version (image-references name, release-metadata version, io.openshift.release label)')
    .requiredOption('--to-image <image>', 'where to push the release image (registry/repo:tag)')
    .option('--to-image-base <image>', 'image the payload layer goes on (default: the cluster-version-operator component)')
    .option('--previous <versions>', 'versions this release upgrades from (comma separated, repeatable)', (v, acc: string[]) => [...acc, v], [])
    .option('--metadata <json>', 'release-metadata "metadata" object, e.g. {"url":"https://…"}')
    .option('--mapping-file <file>', 'NAME=IMAGE per line (# comments)')
    .option('--manifests-dir <dir>', 'extra files for /release-manifests/')
    .option('--created <rfc3339>', 'creation time recorded in the image (default: now)')
    .action((components: string[], f: NewFlags) => build(components, f));
}
