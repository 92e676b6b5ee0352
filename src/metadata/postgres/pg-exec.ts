import { createHash } from 'node:crypto';
import type pg from 'pg';
import { MetadataUnavailableError } from '../store.js';
import { RETRYABLE, guardClient } from './pg-connect.js';

const NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A lost or refused connection becomes MetadataUnavailableError (503); anything else is returned as is. */
export function mapUnavailable(e: unknown): unknown {
  if (e instanceof MetadataUnavailableError) return e;
  const code = (e as { code?: string }).code ?? '';
  const msg = e instanceof Error ? e.message : String(e);
  if (NET.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(msg)) {
    return new MetadataUnavailableError(`PostgreSQL: ${code ? `${code} ` : ''}${msg.split('\n')[0]}`);
  }
  return e;
}

/**
 * A statement prepared once per pooled connection (a named statement):
 * PostgreSQL parses and plans it on first use and then reuses the plan.
 * For the hot reads of a pull (manifest by tag or digest, blob stat),
 * whose joins cost PostgreSQL ~10x more CPU to parse and plan than to run.
 * Only for constant texts with explicit column lists: a later schema
 * migration may add columns but never changes what these return.
 */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}

export function prepared(text: string): Prepared {
  return { name: `airlock_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
}

/** A query for pg: a plain text, or a named (prepared) statement. */
export function queryConfig(q: string | Prepared, params: readonly unknown[]): pg.QueryConfig {
  return typeof q === 'string' ? { text: q, values: params as unknown[] } : { name: q.name, text: q.text, values: params as unknown[] };
}

/** Runs SQL: one statement, or several atomically. */
export interface Sql {
  rows<T>(text: string | Prepared, params?: readonly unknown[]): Promise<T[]>;
  /** Rows changed by an INSERT/UPDATE/DELETE. */
  count(text: string | Prepared, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs `fn` atomically: SERIALIZABLE on its own connection, re-run on a
   * serialization failure or deadlock; inside a transaction(), part of it.
   */
  atomic<T>(fn: (s: Sql) => Promise<T>): Promise<T>;
}

const ATTEMPTS = 30;

function retryable(e: unknown): boolean {
  return RETRYABLE.has((e as { code?: string }).code ?? '');
}

const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));

/** One client inside an open transaction: `atomic` is part of it. */
export class ClientSql implements Sql {
  constructor(private readonly c: pg.PoolClient) {}

  async rows<T>(text: string | Prepared, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.c.query(queryConfig(text, params))).rows as T[];
  }

  async count(text: string | Prepared, params: readonly unknown[] = []): Promise<number> {
    return (await this.c.query(queryConfig(text, params))).rowCount ?? 0;
  }

  atomic<T>(fn: (s: Sql) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/**
 * Runs `body` in one SERIALIZABLE transaction on its own pooled connection,
 * re-running it (from the start) on a serialization failure or deadlock.
 * `commit: false` rolls back instead of committing.
 */
export async function serializable<T>(pool: pg.Pool, body: (s: Sql) => Promise<T>, commit = true): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const c = await pool.connect().catch((e: unknown) => {
      throw mapUnavailable(e);
    });
    const lost = guardClient(c);
    let broken: Error | undefined;
    try {
      await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      try {
        const result = await body(new ClientSql(c));
        await c.query(commit ? 'COMMIT' : 'ROLLBACK');
        return result;
      } catch (e) {
        await c.query('ROLLBACK').catch((re: Error) => (broken = re));
        throw e;
      }
    } catch (e) {
      if (!retryable(e) || attempt >= ATTEMPTS) throw mapUnavailable(e);
    } finally {
      c.release(lost() ?? broken);
    }
    await pause(attempt);
  }
}

/** The pool outside any transaction: single statements autocommit. */
export class PoolSql implements Sql {
  constructor(private readonly pool: pg.Pool) {}

  async rows<T>(text: string | Prepared, params: readonly unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(queryConfig(text, params))).rows as T[];
    } catch (e) {
      throw mapUnavailable(e);
    }
  }

  async count(text: string | Prepared, params: readonly unknown[] = []): Promise<number> {
    try {
      return (await this.pool.query(queryConfig(text, params))).rowCount ?? 0;
    } catch (e) {
      throw mapUnavailable(e);
    }
  }

  atomic<T>(fn: (s: Sql) => Promise<T>): Promise<T> {
    return serializable(this.pool, fn);
  }
}
