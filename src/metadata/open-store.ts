import { SqliteMetadataStore } from './sqlite/sqlite-metadata-store.js';
import type { MetadataStore } from './store.js';

/**
 * Opens the metadata store `--metadata` names: PostgreSQL for a
 * postgres:// URL, else SQLite at `sqlitePath` (the data directory's
 * metadata.db). `where` is safe to print: the URL's password is masked.
 * Errors are one line naming the server (never the password).
 */
export async function openMetadataStore(
  url: string | undefined,
  sqlitePath: string,
  opts: { onError?: (e: Error) => void } = {},
): Promise<{ store: MetadataStore; where: string }> {
  if (url === undefined) return { store: new SqliteMetadataStore(sqlitePath, sqliteOptions()), where: sqlitePath };
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('--metadata: expected postgres://USER@HOST:PORT/DATABASE');
  // Loaded only for a postgres:// URL: pg is not needed (nor kept in memory) by a SQLite server.
  const { redactPgUrl } = await import('./postgres/pg-connect.js');
  const { PgMetadataStore } = await import('./postgres/pg-store.js');
  try {
    return { store: await PgMetadataStore.open(url, opts.onError ? { onError: opts.onError } : {}), where: redactPgUrl(url) };
  } catch (e) {
    throw new Error(`${(e as Error).message}; check --metadata and that PostgreSQL is running`, { cause: e });
  }
}

/**
 * AIRLOCK_COMMIT_WINDOW_MS (0–1000, default 0): how long acknowledged SQLite
 * writes wait to share one fdatasync of the WAL (docs/durability.md).
 */
function sqliteOptions(): { commitWindowMs?: number } {
  const v = process.env.AIRLOCK_COMMIT_WINDOW_MS;
  if (v === undefined || v === '') return {};
  if (!/^\d{1,4}$/.test(v) || Number(v) > 1000) throw new Error(`AIRLOCK_COMMIT_WINDOW_MS: expected 0 to 1000 (milliseconds), got ${JSON.stringify(v.slice(0, 20))}`);
  return { commitWindowMs: Number(v) };
}
