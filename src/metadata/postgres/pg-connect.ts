import pg from 'pg';
import { PG_MIGRATIONS } from './pg-migrations.js';

/** BIGINT (int8) as a JS number: sizes and epoch ms stay below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** Serialization failure and deadlock: the transaction may be retried. */
export const RETRYABLE = new Set(['40001', '40P01']);

/** Advisory lock key of the schema migration (any constant other code never uses). */
const MIGRATION_LOCK = 7_346_113_905;

export interface PgSettings {
  /** postgres:// URL; the password may be in it or in PGPASSWORD / ~/.pgpass (libpq's environment is honoured by pg). */
  readonly url: string;
  readonly max?: number;
  /** Application name shown in pg_stat_activity. */
  readonly name?: string;
  /** Close idle connections after this (default 30 s; 0: never, for connections holding session locks). */
  readonly idleMs?: number;
}

/** A pool with airlock's type parsing; errors of idle clients are reported, never thrown. */
export function createPool(s: PgSettings, onError: (e: Error) => void = () => undefined): pg.Pool {
  const pool = new pg.Pool({
    connectionString: s.url,
    max: s.max ?? 10,
    application_name: s.name ?? 'airlock',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: s.idleMs ?? 30_000,
    types: TYPES,
  });
  pool.on('error', onError);
  return pool;
}

/**
 * Listens for 'error' on a client checked out of a pool (the pool listens
 * only while it is idle): PostgreSQL ending the connection between two
 * queries (a restart: 57P01) then fails the next query instead of being an
 * unhandled 'error' event that ends the process. Call the returned function
 * before release: it stops listening and returns the error seen, if any,
 * for release(err) to discard the client.
 */
export function guardClient(c: pg.PoolClient): () => Error | undefined {
  let lost: Error | undefined;
  const onError = (e: Error) => (lost ??= e);
  c.on('error', onError);
  return () => {
    c.off('error', onError);
    return lost;
  };
}

/** A schema: its migrations, the table recording them, what it is called in messages. */
export interface PgSchema {
  readonly table: string;
  readonly migrations: readonly string[];
  readonly what: string;
}

const METADATA_SCHEMA: PgSchema = { table: 'airlock_schema_migrations', migrations: PG_MIGRATIONS, what: 'metadata' };

/** Applies pending migrations under an advisory lock (replicas starting together migrate once). */
export async function migrate(pool: pg.Pool, schema: PgSchema = METADATA_SCHEMA): Promise<void> {
  const { table, migrations } = schema;
  const c = await pool.connect();
  const lost = guardClient(c);
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await c.query(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
      const r = await c.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${table}`);
      const current = r.rows[0]?.v ?? 0;
      if (current > migrations.length) {
        throw new Error(`the PostgreSQL ${schema.what} schema is version ${current}, newer than this airlock (${migrations.length}); upgrade airlock`);
      }
      for (let v = current + 1; v <= migrations.length; v++) {
        await c.query('BEGIN');
        try {
          await c.query(migrations[v - 1]!);
          await c.query(`INSERT INTO ${table} (version, applied_at) VALUES ($1, $2)`, [v, Date.now()]);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK');
          throw e;
        }
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    c.release(lost());
  }
}

/** The URL without its password, for messages and logs. */
export function redactPgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
