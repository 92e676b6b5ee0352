import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AUTH_MIGRATIONS } from './migrations.js';
import { sqliteCounters, sqliteSessions } from './sqlite-auth-extra.js';
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
} from './store.js';
import { accountColumns, importOutcome, REVOKED_KEEP_MS, toAccount, type AccountRow } from './account-row.js';

/**
 * AuthStore over better-sqlite3 (WAL, so the CLI can change accounts while
 * the server runs). The database file is created 0600; SQLite gives its
 * -wal/-shm files the same mode.
 */
export class SqliteAuthStore implements AuthStore {
  private readonly db: Database.Database;
  private readonly counters: ReturnType<typeof sqliteCounters>;
  private readonly sessions: ReturnType<typeof sqliteSessions>;

  constructor(readonly where: string) {
    const path = where;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate(path);
    this.counters = sqliteCounters(this.db);
    this.sessions = sqliteSessions(this.db);
  }

  private migrate(path: string): void {
    const db = this.db;
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    if (current > AUTH_MIGRATIONS.length) {
      db.close();
      throw new Error(`accounts database ${path} has schema version ${current}, newer than this airlock (${AUTH_MIGRATIONS.length}); upgrade airlock`);
    }
    for (let v = current + 1; v <= AUTH_MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(AUTH_MIGRATIONS[v - 1]!);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(v, Date.now());
      })();
    }
  }

  private getSync(name: string): Account | undefined {
    const r = this.db.prepare('SELECT * FROM accounts WHERE name = ?').get(name) as AccountRow | undefined;
    return r ? toAccount(r) : undefined;
  }

  async list(): Promise<Account[]> {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY kind, name').all() as AccountRow[]).map(toAccount);
  }

  private countSync(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM accounts').get() as { n: number }).n;
  }

  private addSync(a: NewAccount): Account {
    const now = Date.now();
    try {
      this.db
        .prepare('INSERT INTO accounts (name, id, kind, secret_hash, admin, pull, push, generation, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)')
        .run(a.name, randomBytes(16).toString('hex'), a.kind, a.secretHash, a.admin ? 1 : 0, JSON.stringify(a.pull), JSON.stringify(a.push), now, now);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new AccountError(`account ${a.name} already exists`);
      throw e;
    }
    return this.getSync(a.name)!;
  }

  private update(name: string, sql: string, ...args: unknown[]): Account {
    const r = this.db.prepare(`UPDATE accounts SET ${sql}, generation = generation + 1, updated_at = ? WHERE name = ?`).run(...args, Date.now(), name);
    if (r.changes === 0) throw new AccountError(`no account named ${name}`);
    return this.getSync(name)!;
  }

  async setSecret(name: string, secretHash: string): Promise<Account> {
    return this.db.transaction(() => {
      const a = this.update(name, 'secret_hash = ?', secretHash);
      this.db.prepare('DELETE FROM refresh_tokens WHERE account_id = ?').run(a.id);
      return a;
    })();
  }

  async setGrants(name: string, g: Grants): Promise<Account> {
    return this.update(name, 'admin = ?, pull = ?, push = ?', g.admin ? 1 : 0, JSON.stringify(g.pull), JSON.stringify(g.push));
  }

  async remove(name: string): Promise<void> {
    this.db.transaction(() => {
      const a = this.getSync(name);
      if (!a) throw new AccountError(`no account named ${name}`);
      this.db.prepare('DELETE FROM accounts WHERE name = ?').run(name);
      this.db.prepare('DELETE FROM refresh_tokens WHERE account_id = ?').run(a.id);
    })();
  }

  async recordRefresh(r: RefreshRecord): Promise<boolean> {
    return this.db.transaction((): boolean => {
      const now = Date.now();
      // Expired tokens can neither be used nor replayed: forget them as new ones come.
      this.db.prepare('DELETE FROM refresh_tokens WHERE expires_at < ?').run(now);
      this.db.prepare('DELETE FROM refresh_revoked WHERE revoked_at < ?').run(now - REVOKED_KEEP_MS);
      if (this.db.prepare('SELECT 1 FROM refresh_revoked WHERE family = ?').get(r.family)) return false;
      this.db.prepare('INSERT INTO refresh_tokens (jti, family, account_id, expires_at) VALUES (?, ?, ?, ?)').run(r.jti, r.family, r.accountId, r.expiresAt);
      return true;
    }).immediate();
  }

  async useRefresh(jti: string, nowMs: number): Promise<RefreshUse> {
    // IMMEDIATE: the read and the write happen under one write lock, so two
    // uses of one token (two processes, or two replicas later) serialize.
    return this.db.transaction((): RefreshUse => {
      const r = this.db.prepare('SELECT jti, family, account_id, expires_at, used_at FROM refresh_tokens WHERE jti = ?').get(jti) as
        | { jti: string; family: string; account_id: string; expires_at: number; used_at: number | null }
        | undefined;
      if (!r || r.expires_at <= nowMs) return { outcome: 'unknown' };
      if (r.used_at !== null) {
        this.db.prepare('DELETE FROM refresh_tokens WHERE family = ?').run(r.family);
        this.db.prepare('INSERT OR REPLACE INTO refresh_revoked (family, revoked_at) VALUES (?, ?)').run(r.family, nowMs);
        return { outcome: 'replayed', family: r.family, accountId: r.account_id };
      }
      this.db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE jti = ?').run(nowMs, jti);
      return { outcome: 'ok', record: { jti: r.jti, family: r.family, accountId: r.account_id, expiresAt: r.expires_at } };
    }).immediate();
  }

  async get(name: string): Promise<Account | undefined> {
    return this.getSync(name);
  }

  async count(): Promise<number> {
    return this.countSync();
  }

  async add(a: NewAccount): Promise<Account> {
    return this.addSync(a);
  }

  async addFirst(a: NewAccount): Promise<Account | undefined> {
    return this.db.transaction(() => (this.countSync() > 0 ? undefined : this.addSync(a))).immediate();
  }

  async secret(name: string, candidate: string): Promise<string> {
    this.db.prepare('INSERT OR IGNORE INTO auth_secrets (name, value) VALUES (?, ?)').run(name, candidate);
    return (this.db.prepare('SELECT value FROM auth_secrets WHERE name = ?').get(name) as { value: string }).value;
  }

  async checkFailures(w: readonly FailureWindowSpec[], nowMs: number): Promise<CounterCheck> {
    return this.counters.check(w, nowMs);
  }

  async reserveFailure(w: readonly FailureWindowSpec[], nowMs: number): Promise<CounterCheck> {
    return this.counters.reserve(w, nowMs);
  }

  async releaseFailure(keys: readonly string[], nowMs: number): Promise<void> {
    this.counters.release(keys, nowMs);
  }

  async putSession(s: SessionRecord): Promise<void> {
    this.sessions.put(s);
  }

  async getSession(idHash: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(idHash);
  }

  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    this.sessions.touch(idHash, lastSeen);
  }

  async deleteSession(idHash: string): Promise<void> {
    this.sessions.delete(idHash);
  }

  async sweepSessions(before: number, max: number): Promise<void> {
    this.sessions.sweep(before, max);
  }

  async importAccount(a: Account): Promise<AccountImport> {
    return this.db.transaction((): AccountImport => {
      const idRow = this.db.prepare('SELECT name FROM accounts WHERE id = ?').get(a.id) as { name: string } | undefined;
      const outcome = importOutcome(a, this.getSync(a.name), idRow !== undefined && idRow.name !== a.name);
      if (outcome === 'added' || outcome === 'updated') {
        this.db.prepare('INSERT OR REPLACE INTO accounts (name, id, kind, secret_hash, admin, pull, push, generation, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(...accountColumns(a, a.admin ? 1 : 0));
      }
      return outcome;
    }).immediate();
  }

  async importRefresh(r: RefreshRecord, usedAt: number | undefined): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (this.db.prepare('SELECT 1 FROM refresh_revoked WHERE family = ?').get(r.family)) return false;
      if (!this.db.prepare('SELECT 1 FROM accounts WHERE id = ?').get(r.accountId)) return false;
      this.db.prepare(`INSERT INTO refresh_tokens (jti, family, account_id, expires_at, used_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (jti) DO UPDATE SET used_at = COALESCE(refresh_tokens.used_at, excluded.used_at)`).run(r.jti, r.family, r.accountId, r.expiresAt, usedAt ?? null);
      return true;
    }).immediate();
  }

  async importRevoked(family: string, revokedAt: number): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO refresh_revoked (family, revoked_at) VALUES (?, ?)').run(family, revokedAt);
      this.db.prepare('DELETE FROM refresh_tokens WHERE family = ?').run(family);
    }).immediate();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
