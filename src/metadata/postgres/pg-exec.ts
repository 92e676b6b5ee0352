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

/** Runs SQL: one statement, or several atomically. */
export interface Sql {
  rows<T>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Rows changed by an INSERT/UPDATE/DELETE. */
  count(text: string, params?: readonly unknown[]): Promise<number>;
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

  async rows<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.c.query(text, params as unknown[])).rows as T[];
  }

  async count(text: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.c.query(text, params as unknown[])).rowCount ?? 0;
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

  async rows<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(text, params as unknown[])).rows as T[];
    } catch (e) {
      throw mapUnavailable(e);
    }
  }

  async count(text: string, params: readonly unknown[] = []): Promise<number> {
    try {
      return (await this.pool.query(text, params as unknown[])).rowCount ?? 0;
    } catch (e) {
      throw mapUnavailable(e);
    }
  }

  atomic<T>(fn: (s: Sql) => Promise<T>): Promise<T> {
    return serializable(this.pool, fn);
  }
}
