/**
 * Turns `--path SRC:DST` and `--file SRC` into extraction targets, checked
 * the way oc checks them before anything is read: DST must exist and be a
 * directory, and (for --path, unless --confirm or --dry-run) be empty.
 * Without either flag the whole image goes to the current directory (`/:.`).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExtractUsageError } from './errors.js';
import { PathSelector } from './path-select.js';

export interface ExtractTarget {
  /** `--path SRC:DST` or `--file SRC`, as given (for messages). */
  readonly arg: string;
  readonly selector: PathSelector;
  /** Absolute, symlink-free path of the destination directory. */
  readonly to: string;
}

export interface TargetFlags {
  readonly paths: readonly string[];
  readonly files: readonly string[];
  readonly confirm: boolean;
  readonly dryRun: boolean;
  /** Base for relative DSTs (default: the current directory). */
  readonly cwd?: string;
}

/** Splits SRC:DST at the first colon (SRC is an image path; DST may contain colons). */
export function splitPathArg(arg: string): { from: string; to: string } {
  const colon = arg.indexOf(':');
  if (colon < 0) throw new ExtractUsageError(`--path ${arg}: must be SRC:DST, a path in the image and a local directory (e.g. /usr/bin/:./bin)`);
  return { from: arg.slice(0, colon), to: arg.slice(colon + 1) };
}

async function directory(dir: string, arg: string): Promise<string> {
  let st;
  try {
    st = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ExtractUsageError(`${arg}: destination path does not exist: ${dir} (create it first)`);
    throw new ExtractUsageError(`${arg}: cannot use ${dir}: ${code ?? (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new ExtractUsageError(`${arg}: ${dir} is not a directory`);
  return realpath(dir);
}

export async function resolveTargets(f: TargetFlags): Promise<ExtractTarget[]> {
  const cwd = f.cwd ?? process.cwd();
  const out: ExtractTarget[] = [];
  for (const file of f.files) {
    const arg = `--file ${file}`;
    if (file.endsWith('/')) throw new ExtractUsageError(`${arg}: must not end with a slash (use --path ${file}:DIR for a directory)`);
    if (file.replace(/^\/+/, '') === '') throw new ExtractUsageError(`${arg}: names no file`);
    out.push({ arg, selector: new PathSelector(file), to: await directory(cwd, arg) });
  }
  const paths = f.paths.length === 0 && f.files.length === 0 ? ['/:.'] : f.paths;
  for (const p of paths) {
    const arg = `--path ${p}`;
    const { from, to } = splitPathArg(p);
    const selector = new PathSelector(from);
    const dir = await directory(resolve(cwd, to === '' ? '.' : to), arg);
    if (!f.confirm && !f.dryRun && (await readdir(dir)).length > 0) {
      throw new ExtractUsageError(`directory ${dir} must be empty, pass --confirm to overwrite contents of directory`);
    }
    out.push({ arg, selector, to: dir });
  }
  return out;
}
