import type { KeyedLock, MetadataQueries, MetadataStore, TransactionOptions } from '../store.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { openSqlite, type Db } from './open.js';
import { SqliteQueries } from './sqlite-store.js';
import type { RunLogQueries } from '../run-log.js';
import { SqliteRunLog } from './sqlite-run-log.js';

/** Names of every query method, delegated by SqliteMetadataStore. */
const QUERY_METHODS = Object.getOwnPropertyNames(SqliteQueries.prototype).filter((n) => n !== 'constructor') as (keyof MetadataQueries)[];

// The query methods are assigned in the constructor (one gated delegate each).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface SqliteMetadataStore extends MetadataQueries {}

/**
 * MetadataStore on one SQLite file. A transaction is BEGIN IMMEDIATE on the
 * one connection: it excludes other writers, other processes included, and
 * while it is open every other call on this store waits for it, so no
 * outside call lands inside it. SQLite serves one host, so `blobLocks` is a
 * process mutex (processes sharing one file must not run two servers).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Db;
  private readonly queries: SqliteQueries;
  /** Resolved when the open transaction ends. */
  private active: Promise<void> | undefined;
  readonly blobLocks: KeyedLock = new KeyedMutex();
  readonly uploadLocks: KeyedLock = new KeyedMutex();
  /** The run log in this database, its calls gated like the queries' (never inside an open transaction). */
  readonly runLog: RunLogQueries;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.queries = new SqliteQueries(this.db);
    for (const name of QUERY_METHODS) {
      const fn = (this.queries[name] as (...a: unknown[]) => Promise<unknown>).bind(this.queries);
      (this as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        while (this.active) await this.active;
        return fn(...args);
      };
    }
    const log = new SqliteRunLog(this.db);
    const gate = async <T>(fn: () => Promise<T>): Promise<T> => {
      while (this.active) await this.active;
      return fn();
    };
    this.runLog = {
      addMirrorRun: (r, by, at) => gate(() => log.addMirrorRun(r, by, at)),
      mirrorRuns: (n, before) => gate(() => log.mirrorRuns(n, before)),
      addGcRun: (r) => gate(() => log.addGcRun(r)),
      gcRuns: (n) => gate(() => log.gcRuns(n)),
      importRuns: (i) => gate(() => log.importRuns(i)),
    };
  }

  async transaction<T>(body: (tx: MetadataQueries) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    while (this.active) await this.active;
    let done!: () => void;
    this.active = new Promise<void>((r) => (done = r));
    try {
      this.db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await body(this.queries);
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
      this.db.exec(opts.commit === false ? 'ROLLBACK' : 'COMMIT');
      return result;
    } finally {
      this.active = undefined;
      done();
    }
  }

  private readonly held = new Set<string>();

  async tryExclusive<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.held.has(name)) return undefined;
    this.held.add(name);
    try {
      return await fn();
    } finally {
      this.held.delete(name);
    }
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    while (this.active) await this.active;
    this.db.close();
  }
}
