import type pg from 'pg';
import { KeyedMutex, type KeyedLock } from '../../util/keyed-mutex.js';

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
      const c = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`${this.namespace}:${key}`]);
        try {
          return await fn();
        } finally {
          await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`${this.namespace}:${key}`]).catch((e: Error) => (broken = e));
        }
      } finally {
        c.release(broken);
      }
    });
  }

  /** Runs `fn` only if no other process holds `key` right now; undefined when it was held. */
  async tryRun<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    const k = `${this.namespace}:${key}`;
    try {
      const got = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [k])).rows[0]?.ok;
      if (!got) return undefined;
      try {
        return await fn();
      } finally {
        await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [k]).catch((e: Error) => (broken = e));
      }
    } finally {
      c.release(broken);
    }
  }
}
