/**
 * The new layer of a rebuilt SQLite catalog image: the index's own database
 * file, pruned to the filtered catalog (sqlite-prune.ts), at the path the
 * `operators.operatorframework.io.index.database.v1` label names. Only that
 * one file entry is written (no parent directories, so no existing mode
 * changes), uid/gid 0, mtime 0, mode 0644: the same database and filter give
 * the same layer. The database is extracted into a private temporary
 * directory, removed before returning (also on errors).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLayer, type BuiltLayer } from '../release/tar-build.js';
import type { ImageSource, RawManifest } from '../transports/types.js';
import { CatalogError } from './errors.js';
import { extractImagePath } from './image-files.js';
import type { Catalog } from './model.js';

/** `/database/index.db` → `database/index.db`; refuses the root and `.`/`..`/empty segments. */
export function imageFile(path: string, what: string): string {
  const rel = path.replace(/^\/+/, '');
  if (rel === '' || rel.endsWith('/') || rel.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new CatalogError(`${what} ${JSON.stringify(path)} is not a file a rebuilt catalog can replace`);
  return rel;
}

/** Extracts `dbPath` of `image`, prunes it to `keep` and returns it as a layer. */
export async function prunedDatabaseLayer(src: ImageSource, image: RawManifest, dbPath: string, keep: Catalog, what: string, signal?: AbortSignal): Promise<BuiltLayer> {
  const rel = imageFile(dbPath, `${what}: the database label`);
  const dir = await mkdtemp(join(tmpdir(), 'airlock-sqlite-rebuild-'));
  try {
    const tree = await extractImagePath(src, image, dbPath, dir, undefined, signal);
    const names = (await readdir(dir)).sort();
    if (!tree.found || names.length !== 1) throw new CatalogError(`${what}: the database label names ${dbPath}, which is not a single file in the image`);
    const file = join(dir, names[0]!);
    // Lazy: better-sqlite3 is native; the single-file CLI swaps this module (scripts/bundle.mjs).
    const { pruneSqliteIndex } = await import('./sqlite-prune.js');
    pruneSqliteIndex(file, keep, `${what}: ${dbPath}`);
    return await buildLayer([{ path: rel, data: await readFile(file), mode: 0o644 }]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
