/**
 * `airlock image extract IMAGE`: oc image extract's flags on airlock's layer
 * reader. Files appear in the target directories only after every layer read
 * verified and nothing was refused (see src/extract/extract-image.ts).
 */
import { Command, Option } from 'commander';
import { formatBytes } from '../../copy/mirror-report.js';
import { extractImage, type ExtractedEntry, type ExtractSummary } from '../../extract/extract-image.js';
import { platformFilter, type PlatformFilter } from '../../extract/platform.js';
import { resolveTargets } from '../../extract/targets.js';
import { CliError } from '../cli-error.js';
import { parseRef, registryHub, withRegistryFlags, type RegistryFlags } from './release-common.js';

interface ExtractFlags extends RegistryFlags {
  path?: string[];
  file?: string[];
  confirm?: boolean;
  onlyFiles?: boolean;
  preserveOwnership?: boolean;
  filterByOs?: string;
  dryRun?: boolean;
  fromDir?: string;
  output: 'text' | 'json';
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

const TYPE_CHAR: Record<ExtractedEntry['type'], string> = { dir: 'd', symlink: 'L', file: '-', hardlink: '-' };

/** Go's FileMode.String() for the entries oc's --dry-run lists (`drwxr-xr-x`, `Lrwxrwxrwx`, `urwxr-xr-x`). */
export function modeString(type: ExtractedEntry['type'], mode: number): string {
  let special = '';
  if (mode & 0o4000) special += 'u';
  if (mode & 0o2000) special += 'g';
  if (mode & 0o1000) special += 't';
  const t = TYPE_CHAR[type] === '-' ? '' : TYPE_CHAR[type];
  const rwx = 'rwxrwxrwx'.split('').map((c, i) => (mode & (1 << (8 - i)) ? c : '-')).join('');
  return `${t}${special}${t === '' && special === '' ? '-' : ''}${rwx}`;
}

function dryRunLine(e: ExtractedEntry): string {
  const mode = modeString(e.type, e.mode);
  const link = e.linkname !== undefined ? ` -> ${e.linkname}` : '';
  return `${String(e.layer).padStart(2)} ${mode} ${String(e.size).padStart(12)} ${e.path}${link}\n`;
}

function jsonDoc(ref: string, dryRun: boolean, s: ExtractSummary, entries: ExtractedEntry[], warnings: string[]): string {
  const doc = {
    image: ref,
    digest: s.digest,
    ...(s.listDigest ? { manifestList: s.listDigest } : {}),
    ...(s.platform ? { platform: s.platform } : {}),
    dryRun,
    layers: s.layers,
    layersRead: s.layersRead,
    targets: s.targets,
    entries: entries.map((e) => ({ ...e, mode: `0${e.mode.toString(8).padStart(3, '0')}` })),
    warnings,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

async function extract(image: string, f: ExtractFlags): Promise<void> {
  const ref = parseRef('image', image);
  const json = f.output === 'json';
  const dryRun = f.dryRun === true;
  let filter: PlatformFilter | undefined;
  let targets;
  try {
    filter = f.filterByOs !== undefined ? platformFilter(f.filterByOs) : undefined;
    targets = await resolveTargets({ paths: f.path ?? [], files: f.file ?? [], confirm: f.confirm === true, dryRun });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_EXTRACT_USAGE') throw new CliError((e as Error).message);
    throw e;
  }
  const registries = await registryHub(f);
  const warnings: string[] = [];
  const entries: ExtractedEntry[] = [];
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await extractImage({
      env: { registries, fromDir: f.fromDir },
      ref,
      targets,
      filter,
      onlyFiles: f.onlyFiles === true,
      preserveOwnership: f.preserveOwnership === true,
      dryRun,
      signal: abort.signal,
      warn: (m) => {
        warnings.push(m);
        process.stderr.write(`warning: ${m}\n`);
      },
      onEntry: (e) => {
        if (json) entries.push(e);
        else if (dryRun) process.stdout.write(dryRunLine(e));
      },
    });
    if (json) process.stdout.write(jsonDoc(image, dryRun, summary, entries, warnings));
    else if (!dryRun) {
      for (const t of summary.targets) process.stderr.write(`info: extracted ${t.entries} entries (${formatBytes(t.bytes)} in files) to ${t.to}\n`);
    }
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_EXTRACT_USAGE') throw new CliError((e as Error).message);
    // Not a usage error: say what went wrong (no stack), exit 1; the target directories are unchanged.
    const msg = abort.signal.aborted ? 'interrupted' : (e as Error).message;
    process.stderr.write(`error: ${image}: ${msg}\n`);
    process.exitCode = abort.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await registries.close();
  }
}

export function imageExtractCommand(): Command {
  return withRegistryFlags(
    new Command('extract')
      .description('Copy files out of an image to local directories (oc image extract): layers applied top-most first with whiteouts, nothing written outside the targets')
      .argument('<image>', 'image reference (docker://, oci:PATH[:REF] or file://REPO:TAG with --from-dir)'),
  )
    .option('--path <src:dst>', 'SRC in the image (a directory ending in /, a file, a glob in the last segment, / for all) to the local directory DST; repeatable (default: /:.)', collect)
    .option('--file <src>', 'extract this file of the image into the current directory; repeatable', collect)
    .option('--confirm', 'allow extracting into a non-empty directory (files there are replaced)')
    .option('--only-files', 'only regular files and directories (links are left out)')
    .option('-p, --preserve-ownership', 'keep owners (when root) and setuid/setgid/sticky bits')
    .option('--filter-by-os <regex>', 'which image of a manifest list: regex on os/arch[/variant] (default: this machine, else linux/amd64)')
    .option('--dry-run', 'list what would be written (layer, mode, size, path) and write nothing')
    .option('--from-dir <dir>', 'root of the file:// disk store')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  airlock image extract REGISTRY/ocp/cli:4.16 --file /usr/bin/oc
  airlock image extract REGISTRY/app:v1 --path /etc/yum.repos.d/*.repo:./repos
  airlock image extract oci:./layout:app --path /:./rootfs --only-files

Safety: entries named with ".." or an absolute path, relative symbolic links
climbing out of the target, hard links to files not extracted, and entries
below a link are refused (error, nothing written). An absolute symbolic link
(usr/bin/foo -> /etc/alternatives/foo) is written relative, to the same image
path inside the target (../../etc/alternatives/foo), never above it; when
only part of the image is extracted and that path lies outside it, the link
is left out with a warning. Modes come from the image (setuid/setgid only
with -p); device nodes and fifos are skipped with a warning.`,
    )
    .action((image: string, f: ExtractFlags) => extract(image, f));
}
