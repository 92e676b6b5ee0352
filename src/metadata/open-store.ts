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
  if (url === undefined) return { store: new SqliteMetadataStore(sqlitePath), where: sqlitePath };
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
