import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createPool, guardClient, migrate, redactPgUrl } from '../../metadata/postgres/pg-connect.js';
import { mapUnavailable, PoolSql, queryConfig, serializable, type Prepared, type Sql } from '../../metadata/postgres/pg-exec.js';
import { firstFull, SWEEP_EVERY, toSession } from '../sqlite-auth-extra.js';
import {
  AccountError,
  type Account,
  type AccountImport,
  type AuthStore,
  type CounterCheck,
  type FailureWindowSpec,
  type Grants,
  type NewAccount,
  type RefreshRecord,
  type RefreshUse,
  type SessionRecord,
} from '../store.js';
import { PG_AUTH_SCHEMA } from './pg-auth-migrations.js';
import { accountColumns, importOutcome, REVOKED_KEEP_MS, toAccount, type AccountRow } from '../account-row.js';

interface WindowRow {
  key: string;
  window_start: number;
  window_ms: number;
  failures: number;
}

/**
 * Counter keys hold NUL separators and any user name a client sent (text
 * in PostgreSQL cannot hold NUL): rows are keyed by their SHA-256.
 */
const rowKey = (key: string): string => createHash('sha256').update(key).digest('hex');

const uniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === '23505';

/**
 * AuthStore on PostgreSQL (`--metadata postgres://…`): the accounts, refresh
 * tokens, shared secrets (the token signing key), login-failure counters
 * and console sessions of every replica in one database. Multi-statement
 * changes are SERIALIZABLE and retried (pg-exec.ts), except where many
 * writers meet on one key (login counters, the first account): there a
 * READ COMMITTED transaction takes a transaction advisory lock on the key
 * first, so they queue instead of failing. Secrets and hashes are never
 * logged; errors name the server without its password.
 */
export class PgAuthStore implements AuthStore {
  private readonly sql: PoolSql;
  private reservations = 0;

  private constructor(private readonly pool: pg.Pool, readonly where: string) {
    this.sql = new PoolSql(pool);
  }

  static async open(url: string, opts: { poolSize?: number; onError?: (e: Error) => void } = {}): Promise<PgAuthStore> {
    const pool = createPool({ url, max: opts.poolSize ?? 4, name: 'airlock-auth' }, opts.onError ?? (() => undefined));
    try {
      await migrate(pool, PG_AUTH_SCHEMA);
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new Error(`cannot open the PostgreSQL auth store ${redactPgUrl(url)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return new PgAuthStore(pool, redactPgUrl(url));
  }

  /** READ COMMITTED, after a transaction advisory lock on `key`: every statement sees what earlier holders committed. */
  private async locked<T>(key: string, fn: (s: Sql) => Promise<T>): Promise<T> {
    const c = await this.pool.connect().catch((e: unknown) => {
      throw mapUnavailable(e);
    });
    const lost = guardClient(c);
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      try {
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`airlock-auth:${key}`]);
        const s: Sql = {
          rows: async <R,>(text: string | Prepared, params: readonly unknown[] = []) => (await c.query(queryConfig(text, params))).rows as R[],
          count: async (text: string | Prepared, params: readonly unknown[] = []) => (await c.query(queryConfig(text, params))).rowCount ?? 0,
          atomic: (f) => f(s),
        };
        const out = await fn(s);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch((re: Error) => (broken = re));
        throw e;
      }
    } catch (e) {
      throw mapUnavailable(e);
    } finally {
      c.release(lost() ?? broken);
    }
  }

  private async getWith(s: Sql, name: string): Promise<Account | undefined> {
    const r = await s.rows<AccountRow>('SELECT * FROM auth_accounts WHERE name = $1', [name]);
    return r[0] ? toAccount(r[0]) : undefined;
  }

  get(name: string): Promise<Account | undefined> {
    // A name a client sent may hold NUL, which no account name does (and PostgreSQL text cannot).
    if (name.includes('\0')) return Promise.resolve(undefined);
    return this.getWith(this.sql, name);
  }

  async list(): Promise<Account[]> {
    return (await this.sql.rows<AccountRow>('SELECT * FROM auth_accounts ORDER BY kind, name')).map(toAccount);
  }

  async count(): Promise<number> {
    return Number((await this.sql.rows<{ n: string }>('SELECT COUNT(*) AS n FROM auth_accounts'))[0]!.n);
  }

  private async insert(s: Sql, a: NewAccount): Promise<Account> {
    const now = Date.now();
    try {
      await s.count(
        'INSERT INTO auth_accounts (name, id, kind, secret_hash, admin, pull, push, generation, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)',
        [a.name, randomBytes(16).toString('hex'), a.kind, a.secretHash, a.admin, JSON.stringify(a.pull), JSON.stringify(a.push), now],
      );
    } catch (e) {
      if (uniqueViolation(e)) throw new AccountError(`account ${a.name} already exists`);
      throw mapUnavailable(e);
    }
    return (await this.getWith(s, a.name))!;
  }

  add(a: NewAccount): Promise<Account> {
    return this.insert(this.sql, a);
  }

  addFirst(a: NewAccount): Promise<Account | undefined> {
    return this.locked('first-account', async (s) => {
      const n = Number((await s.rows<{ n: string }>('SELECT COUNT(*) AS n FROM auth_accounts'))[0]!.n);
      return n > 0 ? undefined : this.insert(s, a);
    });
  }

  private async update(s: Sql, name: string, set: string, args: unknown[]): Promise<Account> {
    const n = args.length;
    const changed = await s.count(`UPDATE auth_accounts SET ${set}, generation = generation + 1, updated_at = $${n + 1} WHERE name = $${n + 2}`, [...args, Date.now(), name]);
    if (changed === 0) throw new AccountError(`no account named ${name}`);
    return (await this.getWith(s, name))!;
  }

  setSecret(name: string, secretHash: string): Promise<Account> {
    return serializable(this.pool, async (s) => {
      const a = await this.update(s, name, 'secret_hash = $1', [secretHash]);
      await s.count('DELETE FROM auth_refresh_tokens WHERE account_id = $1', [a.id]);
      return a;
    });
  }

  setGrants(name: string, g: Grants): Promise<Account> {
    return this.update(this.sql, name, 'admin = $1, pull = $2, push = $3', [g.admin, JSON.stringify(g.pull), JSON.stringify(g.push)]);
  }

  remove(name: string): Promise<void> {
    return serializable(this.pool, async (s) => {
      const gone = await s.rows<{ id: string }>('DELETE FROM auth_accounts WHERE name = $1 RETURNING id', [name]);
      if (!gone[0]) throw new AccountError(`no account named ${name}`);
      await s.count('DELETE FROM auth_refresh_tokens WHERE account_id = $1', [gone[0].id]);
    });
  }

  recordRefresh(r: RefreshRecord): Promise<boolean> {
    return serializable(this.pool, async (s) => {
      const now = Date.now();
      await s.count('DELETE FROM auth_refresh_tokens WHERE expires_at < $1', [now]);
      await s.count('DELETE FROM auth_refresh_revoked WHERE revoked_at < $1', [now - REVOKED_KEEP_MS]);
      if ((await s.rows('SELECT 1 FROM auth_refresh_revoked WHERE family = $1', [r.family])).length > 0) return false;
      await s.count('INSERT INTO auth_refresh_tokens (jti, family, account_id, expires_at) VALUES ($1, $2, $3, $4)', [r.jti, r.family, r.accountId, r.expiresAt]);
      return true;
    });
  }

  useRefresh(jti: string, nowMs: number): Promise<RefreshUse> {
    return serializable(this.pool, async (s): Promise<RefreshUse> => {
      const r = (
        await s.rows<{ jti: string; family: string; account_id: string; expires_at: number; used_at: number | null }>(
          'SELECT jti, family, account_id, expires_at, used_at FROM auth_refresh_tokens WHERE jti = $1',
          [jti],
        )
      )[0];
      if (!r || r.expires_at <= nowMs) return { outcome: 'unknown' };
      if (r.used_at !== null) {
        await s.count('DELETE FROM auth_refresh_tokens WHERE family = $1', [r.family]);
        await s.count('INSERT INTO auth_refresh_revoked (family, revoked_at) VALUES ($1, $2) ON CONFLICT (family) DO UPDATE SET revoked_at = EXCLUDED.revoked_at', [r.family, nowMs]);
        return { outcome: 'replayed', family: r.family, accountId: r.account_id };
      }
      await s.count('UPDATE auth_refresh_tokens SET used_at = $1 WHERE jti = $2', [nowMs, jti]);
      return { outcome: 'ok', record: { jti: r.jti, family: r.family, accountId: r.account_id, expiresAt: r.expires_at } };
    });
  }

  async secret(name: string, candidate: string): Promise<string> {
    await this.sql.count('INSERT INTO auth_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, candidate]);
    return (await this.sql.rows<{ value: string }>('SELECT value FROM auth_secrets WHERE name = $1', [name]))[0]!.value;
  }

  private async windows(s: Sql, w: readonly FailureWindowSpec[]): Promise<Array<WindowRow | undefined>> {
    const rows = await s.rows<WindowRow>('SELECT key, window_start, window_ms, failures FROM auth_login_failures WHERE key = ANY($1)', [w.map((x) => rowKey(x.key))]);
    const by = new Map(rows.map((r) => [r.key, r]));
    return w.map((x) => by.get(rowKey(x.key)));
  }

  async checkFailures(w: readonly FailureWindowSpec[], nowMs: number): Promise<CounterCheck> {
    return firstFull(w, await this.windows(this.sql, w), nowMs);
  }

  /** Locked on the last window's key (the per-user one: every window of a login includes the user). */
  reserveFailure(w: readonly FailureWindowSpec[], nowMs: number): Promise<CounterCheck> {
    const sweep = ++this.reservations % SWEEP_EVERY === 0;
    return this.locked(`login:${rowKey(w[w.length - 1]?.key ?? '')}`, async (s) => {
      if (sweep) await s.count('DELETE FROM auth_login_failures WHERE window_start + window_ms <= $1', [nowMs]);
      const rows = await this.windows(s, w);
      const full = firstFull(w, rows, nowMs);
      if (!full.ok) return full;
      for (const x of w) {
        await s.count(
          `INSERT INTO auth_login_failures (key, window_start, window_ms, failures) VALUES ($1, $2, $3, 1)
           ON CONFLICT (key) DO UPDATE SET
             window_start = CASE WHEN $2 - auth_login_failures.window_start < auth_login_failures.window_ms THEN auth_login_failures.window_start ELSE $2 END,
             window_ms = CASE WHEN $2 - auth_login_failures.window_start < auth_login_failures.window_ms THEN auth_login_failures.window_ms ELSE $3 END,
             failures = CASE WHEN $2 - auth_login_failures.window_start < auth_login_failures.window_ms THEN auth_login_failures.failures + 1 ELSE 1 END`,
          [rowKey(x.key), nowMs, x.windowMs],
        );
      }
      return full;
    });
  }

  releaseFailure(keys: readonly string[], nowMs: number): Promise<void> {
    const hashed = keys.map(rowKey);
    return this.locked(`login:${hashed[hashed.length - 1] ?? ''}`, async (s) => {
      await s.count('UPDATE auth_login_failures SET failures = failures - 1 WHERE key = ANY($1) AND failures > 0 AND window_start + window_ms > $2', [hashed, nowMs]);
      await s.count('DELETE FROM auth_login_failures WHERE key = ANY($1) AND failures <= 0', [hashed]);
    });
  }

  async putSession(x: SessionRecord): Promise<void> {
    await this.sql.count(
      `INSERT INTO auth_console_sessions (id_hash, account_id, name, generation, csrf, last_seen) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id_hash) DO UPDATE SET account_id = EXCLUDED.account_id, name = EXCLUDED.name, generation = EXCLUDED.generation, csrf = EXCLUDED.csrf, last_seen = EXCLUDED.last_seen`,
      [x.idHash, x.accountId, x.name, x.generation, x.csrf, x.lastSeen],
    );
  }

  async getSession(idHash: string): Promise<SessionRecord | undefined> {
    const r = (await this.sql.rows<Parameters<typeof toSession>[0]>('SELECT * FROM auth_console_sessions WHERE id_hash = $1', [idHash]))[0];
    return r ? toSession(r) : undefined;
  }

  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    await this.sql.count('UPDATE auth_console_sessions SET last_seen = GREATEST(last_seen, $1) WHERE id_hash = $2', [lastSeen, idHash]);
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.sql.count('DELETE FROM auth_console_sessions WHERE id_hash = $1', [idHash]);
  }

  async sweepSessions(before: number, max: number): Promise<void> {
    await this.sql.count('DELETE FROM auth_console_sessions WHERE last_seen < $1', [before]);
    await this.sql.count('DELETE FROM auth_console_sessions WHERE id_hash IN (SELECT id_hash FROM auth_console_sessions ORDER BY last_seen DESC OFFSET $1)', [max]);
  }

  importAccount(a: Account): Promise<AccountImport> {
    return serializable(this.pool, async (s) => {
      const idRow = (await s.rows<{ name: string }>('SELECT name FROM auth_accounts WHERE id = $1', [a.id]))[0];
      const outcome = importOutcome(a, await this.getWith(s, a.name), idRow !== undefined && idRow.name !== a.name);
      if (outcome === 'added' || outcome === 'updated') {
        await s.count(`INSERT INTO auth_accounts (name, id, kind, secret_hash, admin, pull, push, generation, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, secret_hash = EXCLUDED.secret_hash,
          admin = EXCLUDED.admin, pull = EXCLUDED.pull, push = EXCLUDED.push, generation = EXCLUDED.generation, updated_at = EXCLUDED.updated_at`,
        accountColumns(a, a.admin));
      }
      return outcome;
    });
  }

  importRefresh(r: RefreshRecord, usedAt: number | undefined): Promise<boolean> {
    return serializable(this.pool, async (s) => {
      if ((await s.rows('SELECT 1 FROM auth_refresh_revoked WHERE family = $1', [r.family])).length > 0) return false;
      if ((await s.rows('SELECT 1 FROM auth_accounts WHERE id = $1', [r.accountId])).length === 0) return false;
      await s.count(`INSERT INTO auth_refresh_tokens (jti, family, account_id, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (jti) DO UPDATE SET used_at = COALESCE(auth_refresh_tokens.used_at, EXCLUDED.used_at)`, [r.jti, r.family, r.accountId, r.expiresAt, usedAt ?? null]);
      return true;
    });
  }

  importRevoked(family: string, revokedAt: number): Promise<void> {
    return serializable(this.pool, async (s) => {
      await s.count('INSERT INTO auth_refresh_revoked (family, revoked_at) VALUES ($1, $2) ON CONFLICT (family) DO NOTHING', [family, revokedAt]);
      await s.count('DELETE FROM auth_refresh_tokens WHERE family = $1', [family]);
    });
  }

  async ping(): Promise<void> {
    await this.sql.rows('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
