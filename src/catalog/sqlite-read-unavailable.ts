/**
 * Stands in for sqlite-read.ts in the single-file CLI, which carries no
 * native module (scripts/bundle.mjs swaps the import): a SQLite catalog is
 * one line naming the full bundle; file-based catalogs are unaffected.
 */
import { fullBundleName } from '../cli/full-bundle.js';
import { CatalogError } from './errors.js';
import type { SqliteIndex } from './sqlite-read.js';

export function readSqliteIndex(_path: string, label: string = _path): SqliteIndex {
  throw new CatalogError(`${label}: this index is a SQLite catalog; reading it needs the native SQLite module of the full bundle ${fullBundleName()} (the single-file CLI reads file-based catalogs only)`);
}

/** Stands in for sqlite-prune.ts (rebuilding a filtered SQLite catalog), for the same reason. */
export function pruneSqliteIndex(_path: string, _keep: unknown, label: string = _path): void {
  throw new CatalogError(`${label}: this index is a SQLite catalog; rebuilding it filtered needs the native SQLite module of the full bundle ${fullBundleName()} (the single-file CLI rebuilds file-based catalogs only)`);
}
