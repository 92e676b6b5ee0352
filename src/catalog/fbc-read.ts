/**
 * Reads a file-based catalog directory: every regular file under it (in
 * sorted path order, so results never depend on readdir order) except those
 * `.indexignore` files exclude and the `.indexignore` files themselves, each
 * as a JSON or YAML document stream (doc-stream.ts). Symbolic links are not
 * followed (a catalog extracted by airlock holds none). Messages name files
 * relative to the directory's parent, as `configs/etcd/catalog.yaml:12`.
 */
import { lstat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InputFileError, readInputFile } from '../util/input-file.js';
import { parseDocStream } from './doc-stream.js';
import { CatalogError } from './errors.js';
import { catalogFromDocs, type LocatedDoc } from './fbc-parse.js';
import { isIgnored, parseIgnoreFile, type IgnoreRule } from './indexignore.js';
import type { Catalog } from './model.js';

export const IGNORE_FILE = '.indexignore';
/** Largest single catalog file read (the Red Hat operator index's biggest package file is ~100 MB). */
const FILE_LIMIT = 512 << 20;

export interface ReadFbcOptions {
  /** Prefix for file names in messages (default: the directory's base name, e.g. `configs`). */
  readonly label?: string;
}

/** Lists the catalog files under `root` (relative `/` paths), honouring .indexignore. */
export async function catalogFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string, rules: readonly IgnoreRule[]): Promise<void> => {
    const dir = rel === '' ? root : join(root, rel);
    const names = (await readdir(dir)).sort();
    let here = rules;
    if (names.includes(IGNORE_FILE)) {
      const text = await readInputFile(join(dir, IGNORE_FILE), IGNORE_FILE, 4 << 20);
      here = [...rules, ...parseIgnoreFile(text, rel)];
    }
    for (const name of names) {
      if (name === IGNORE_FILE) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(join(root, path));
      if (st.isDirectory()) {
        if (!isIgnored(here, path, true)) await walk(path, here);
      } else if (st.isFile() && !isIgnored(here, path, false)) out.push(path);
    }
  };
  await walk('', []);
  return out;
}

/** Reads and validates the catalog under `root`. */
export async function readFbcDir(root: string, opts: ReadFbcOptions = {}): Promise<Catalog> {
  const label = opts.label ?? basename(root);
  let files: string[];
  try {
    files = await catalogFiles(root);
  } catch (e) {
    if (e instanceof InputFileError) throw new CatalogError(e.message);
    throw new CatalogError(`cannot read catalog directory ${label}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const docs: LocatedDoc[] = [];
  for (const rel of files) {
    const file = label === '' ? rel : `${label}/${rel}`;
    let text: string;
    try {
      text = await readInputFile(join(root, rel), file, FILE_LIMIT);
    } catch (e) {
      if (e instanceof InputFileError) throw new CatalogError(e.message);
      throw new CatalogError(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const d of parseDocStream(text, file)) docs.push({ value: d.value, source: { file, line: d.line } });
  }
  return catalogFromDocs(docs);
}
