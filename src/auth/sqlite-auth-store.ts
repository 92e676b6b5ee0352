import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AUTH_MIGRATIONS } from './migrations.js';
import { AccountError, type Account, type AuthStore, type Grants, type NewAccount, type RefreshRecord, type RefreshUse } from './store.js';

interface Row {
  name: string;
  id: string;
  kind: 'user' | 'robot';
  secret_hash: string;
  admin: number;
  pull: string;
  push: string;
  generation: number;
  created_at: number;
  updated_at: number;
}

/** How long a revoked family is remembered: longer than any token issuance in flight could take. */
const REVOKED_KEEP_MS = 86_400_000;

const globs = (json: string): string[] => {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
};

function toAccount(r: Row): Account {
  return {
    name: r.name,
    id: r.id,
    kind: r.kind,
    secretHash: r.secret_hash,
    admin: r.admin === 1,
    pull: globs(r.pull),
    push: globs(r.push),
    generation: r.generation,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * AuthStore over better-sqlite3 (WAL, so the CLI can change accounts while
 * the server runs). The database file is created 0600; SQLite gives its
 * -wal/-shm files the same mode.
 */
export class SqliteAuthStore implements AuthStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate(path);
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

  get(name: string): Account | undefined {
    const r = this.db.prepare('SELECT * FROM accounts WHERE name = ?').get(name) as Row | undefined;
    return r ? toAccount(r) : undefined;
  }

  list(): Account[] {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY kind, name').all() as Row[]).map(toAccount);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM accounts').get() as { n: number }).n;
  }

  add(a: NewAccount): Account {
    const now = Date.now();
    try {
      this.db
        .prepare('INSERT INTO accounts (name, id, kind, secret_hash, admin, pull, push, generation, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)')
        .run(a.name, randomBytes(16).toString('hex'), a.kind, a.secretHash, a.admin ? 1 : 0, JSON.stringify(a.pull), JSON.stringify(a.push), now, now);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new AccountError(`account ${a.name} already exists`);
      throw e;
    }
    return this.get(a.name)!;
  }

  private update(name: string, sql: string, ...args: unknown[]): Account {
    const r = this.db.prepare(`UPDATE accounts SET ${sql}, generation = generation + 1, updated_at = ? WHERE name = ?`).run(...args, Date.now(), name);
    if (r.changes === 0) throw new AccountError(`no account named ${name}`);
    return this.get(name)!;
  }

  setSecret(name: string, secretHash: string): Account {
    return this.db.transaction(() => {
      const a = this.update(name, 'secret_hash = ?', secretHash);
      this.db.prepare('DELETE FROM refresh_tokens WHERE account_id = ?').run(a.id);
      return a;
    })();
  }

  setGrants(name: string, g: Grants): Account {
    return this.update(name, 'admin = ?, pull = ?, push = ?', g.admin ? 1 : 0, JSON.stringify(g.pull), JSON.stringify(g.push));
  }

  remove(name: string): void {
    this.db.transaction(() => {
      const a = this.get(name);
      if (!a) throw new AccountError(`no account named ${name}`);
      this.db.prepare('DELETE FROM accounts WHERE name = ?').run(name);
      this.db.prepare('DELETE FROM refresh_tokens WHERE account_id = ?').run(a.id);
    })();
  }

  recordRefresh(r: RefreshRecord): boolean {
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

  useRefresh(jti: string, nowMs: number): RefreshUse {
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

  close(): void {
    this.db.close();
  }
}
