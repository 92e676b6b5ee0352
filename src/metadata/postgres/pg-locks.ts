import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedMutex, type KeyedLock } from '../../util/keyed-mutex.js';
import { guardClient } from './pg-connect.js';
import { mapUnavailable } from './pg-exec.js';

/** Connection and lock-query failures (PostgreSQL down or shutting down) become MetadataUnavailableError (503). */
const unavailable = (e: unknown): never => {
  throw mapUnavailable(e);
};

/**
 * Keyed locks held across every process on one PostgreSQL: a session
 * advisory lock on hashtextextended(key) held on a connection of its own
 * pool (never the query pool, so a lock holder's queries cannot starve),
 * with an in-process queue in front so one process waits on one connection
 * per key. A connection lost while holding a lock releases it in the server;
 * the holder's `fn` still finishes, so callers keep their own re-checks.
 */
export class PgAdvisoryLocks implements KeyedLock {
  private readonly local = new KeyedMutex();

  constructor(private readonly pool: pg.Pool, private readonly namespace: string) {}

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.local.run(key, async () => {
      const c = await this.pool.connect().catch(unavailable);
      const lost = guardClient(c);
      let broken: Error | undefined;
      try {
        await c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`${this.namespace}:${key}`]).catch(unavailable);
        try {
          return await fn();
        } finally {
          await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`${this.namespace}:${key}`]).catch((e: Error) => (broken = e));
        }
      } finally {
        c.release(lost() ?? broken);
      }
    });
  }

  /** Runs `fn` only if no other process holds `key` right now; undefined when it was held. */
  async tryRun<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    const c = await this.pool.connect().catch(unavailable);
    const lost = guardClient(c);
    let broken: Error | undefined;
    const k = `${this.namespace}:${key}`;
    try {
      const got = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [k]).catch(unavailable)).rows[0]?.ok;
      if (!got) return undefined;
      try {
        return await fn();
      } finally {
        await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [k]).catch((e: Error) => (broken = e));
      }
    } finally {
      c.release(lost() ?? broken);
    }
  }
}

/**
 * Keyed locks for many long holds (upload sessions: one per body being
 * received): every lock of the process is a session advisory lock on one
 * shared connection (a pool of one that never closes it), taken with
 * pg_try_advisory_lock and retried with backoff while another process
 * holds it, so holders cost no connection each and a wait never blocks the
 * connection. If that connection is lost the server releases its locks;
 * holders finish unaware, so callers keep their own re-checks (an upload
 * PATCH checks its offset against the stored size).
 */
export class PgSharedLocks implements KeyedLock {
  private readonly local = new KeyedMutex();

  constructor(private readonly pool: pg.Pool, private readonly namespace: string) {}

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const k = `${this.namespace}:${key}`;
    return this.local.run(key, async () => {
      for (let attempt = 0; ; attempt++) {
        const got = (await this.pool.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [k]).catch(unavailable)).rows[0]?.ok;
        if (got) break;
        await sleep(Math.min(100, 2 ** attempt));
      }
      try {
        return await fn();
      } finally {
        await this.pool.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [k]).catch(() => undefined);
      }
    });
  }
}
