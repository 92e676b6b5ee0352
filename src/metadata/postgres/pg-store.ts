import type pg from 'pg';
import type { MetadataQueries, MetadataStore, TransactionOptions } from '../store.js';
import { createPool, migrate, redactPgUrl } from './pg-connect.js';
import { PoolSql, serializable } from './pg-exec.js';
import { PgQueries } from './pg-gc.js';
import { PgAdvisoryLocks, PgSharedLocks } from './pg-locks.js';
import { PgRunLog } from './pg-run-log.js';

export interface PgStoreOptions {
  /** Query connections per process (default 10). */
  readonly poolSize?: number;
  /** Connections for held blob locks (default 16). */
  readonly lockPoolSize?: number;
  /** Told of errors on idle connections (e.g. the server restarted); never thrown. */
  readonly onError?: (e: Error) => void;
}

/**
 * MetadataStore on PostgreSQL (`--metadata postgres://…`): pooled, migrated
 * at open, every write SERIALIZABLE and retried on serialization failures,
 * blob locks as advisory locks, so N replicas share one store safely.
 * A transaction() body may be re-run from the start after a serialization
 * failure: it must only use `tx` and have no other effects.
 */
export class PgMetadataStore extends PgQueries implements MetadataStore {
  readonly blobLocks: PgAdvisoryLocks;
  /** Locks other than blobs' (e.g. GC leadership). */
  readonly locks: PgAdvisoryLocks;
  readonly uploadLocks: PgSharedLocks;
  readonly runLog: PgRunLog;

  private constructor(private readonly pool: pg.Pool, private readonly lockPool: pg.Pool, private readonly sharedPool: pg.Pool) {
    super(new PoolSql(pool));
    this.blobLocks = new PgAdvisoryLocks(lockPool, 'airlock-blob');
    this.locks = new PgAdvisoryLocks(lockPool, 'airlock');
    this.uploadLocks = new PgSharedLocks(sharedPool, 'airlock-upload');
    this.runLog = new PgRunLog(new PoolSql(pool));
  }

  /** Connects and migrates; the error names the server, never the password. */
  static async open(url: string, opts: PgStoreOptions = {}): Promise<PgMetadataStore> {
    const onError = opts.onError ?? (() => undefined);
    const pool = createPool({ url, max: opts.poolSize ?? 10 }, onError);
    const lockPool = createPool({ url, max: opts.lockPoolSize ?? 16, name: 'airlock-locks' }, onError);
    const sharedPool = createPool({ url, max: 1, name: 'airlock-upload-locks', idleMs: 0 }, onError);
    try {
      await migrate(pool);
    } catch (e) {
      await Promise.all([pool.end(), lockPool.end(), sharedPool.end()]).catch(() => undefined);
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`cannot open the PostgreSQL metadata store ${redactPgUrl(url)}: ${msg}`, { cause: e });
    }
    return new PgMetadataStore(pool, lockPool, sharedPool);
  }

  transaction<T>(body: (tx: MetadataQueries) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    return serializable(this.pool, (s) => body(new PgQueries(s)), opts.commit !== false);
  }

  tryExclusive<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    return this.locks.tryRun(`exclusive:${name}`, fn);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.lockPool.end(), this.sharedPool.end()]);
  }
}
