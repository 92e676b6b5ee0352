import type { KeyedLock, MetadataQueries, MetadataStore, TransactionOptions } from '../store.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { openSqlite, type Db } from './open.js';
import { SqliteQueries } from './sqlite-store.js';
import type { RunLogQueries } from '../run-log.js';
import { SqliteRunLog } from './sqlite-run-log.js';
import { GroupSync } from '../../util/group-sync.js';

/** Names of every query method, delegated by SqliteMetadataStore. */
const QUERY_METHODS = Object.getOwnPropertyNames(SqliteQueries.prototype).filter((n) => n !== 'constructor') as (keyof MetadataQueries)[];

/**
 * Writes whose answer is an acknowledgement a client relies on after a power
 * loss (201 of a blob or manifest, 202 of a delete, gc decisions): they
 * resolve only once the WAL holding them is fdatasync'd (WalSync). Upload
 * session rows (createUpload, touchUpload, deleteUpload) are committed at
 * once (they survive kill -9) but do not wait for the disk: after a power
 * loss a client at worst finds its session unknown and starts it again.
 */
const DURABLE_WRITES: ReadonlySet<string> = new Set<keyof MetadataQueries>([
  'linkBlob', 'unlinkBlob', 'putManifest', 'deleteManifest', 'deleteTag', 'relinkBlob', 'dropBlobRow',
  'gcOrphanedManifests', 'gcUntaggedManifests', 'gcSweepManifestContent', 'gcDropStaleLinks', 'gcStaleUploads', 'gcDeleteBlob',
]);

export interface SqliteStoreOptions {
  /**
   * Commit window: writes acknowledged within this many milliseconds of the
   * first share one fdatasync of the WAL (default 0: share it with the writes
   * of the same event-loop turn and with all that arrive while a sync is in
   * flight, so a lone sequential client pays no added wait).
   */
  readonly commitWindowMs?: number;
}

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

  /** Group fdatasync of the WAL (undefined for an in-memory database). */
  readonly walSync: { readonly group: GroupSync; durable(): Promise<void> } | undefined;

  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.db = openSqlite(path);
    this.queries = new SqliteQueries(this.db);
    const memory = path === ':memory:' || path === '';
    if (!memory) {
      // synchronous = NORMAL (open.ts): a COMMIT writes its WAL frames without an fsync, so it
      // survives kill -9 at once; durable() adds the fdatasync that makes it survive a power loss.
      // Checkpoints need nothing from here: SQLite fsyncs the WAL before copying it into the database.
      const group = new GroupSync(opts.commitWindowMs ?? 0);
      const wal = `${path}-wal`;
      this.walSync = { group, durable: () => group.sync(wal, { data: true, missingOk: true }) };
    }
    const wal = this.walSync;
    for (const name of QUERY_METHODS) {
      const fn = (this.queries[name] as (...a: unknown[]) => Promise<unknown>).bind(this.queries);
      const durable = wal !== undefined && DURABLE_WRITES.has(name);
      (this as unknown as Record<string, unknown>)[name] = durable
        ? async (...args: unknown[]) => {
            while (this.active) await this.active;
            const r = await fn(...args);
            await wal.durable();
            return r;
          }
        : async (...args: unknown[]) => {
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
    let committed = false;
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
      committed = opts.commit !== false;
      return result;
    } finally {
      this.active = undefined;
      done();
      // After the gate opens: the sync waits for the disk, not other callers.
      if (committed) await this.walSync?.durable();
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
