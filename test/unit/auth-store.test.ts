/**
 * SqliteAuthStore: the upgrade of an accounts database made before
 * identities existed. Everything else an AuthStore promises is in the
 * conformance suite (test/auth/conformance.ts), run against SQLite and
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AUTH_MIGRATIONS } from '../../src/auth/migrations.js';
import { SqliteAuthStore } from '../../src/auth/sqlite-auth-store.js';

const HASH = '$2b$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY';

describe('accounts store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-authstore-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('upgrades a database from before identities: each existing account gets its own', async () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    db.exec(AUTH_MIGRATIONS[0]!);
    db.prepare('INSERT INTO schema_migrations VALUES (1, 0)').run();
    for (const n of ['admin', 'alice']) db.prepare("INSERT INTO accounts (name, kind, secret_hash, admin, created_at, updated_at) VALUES (?, 'user', ?, 0, 0, 0)").run(n, HASH);
    db.close();
    const s = new SqliteAuthStore(path);
    try {
      const [x, y] = [(await s.get('admin'))!, (await s.get('alice'))!];
      assert.match(x.id, /^[0-9a-f]{32}$/);
      assert.match(y.id, /^[0-9a-f]{32}$/);
      assert.notEqual(x.id, y.id);
    } finally {
      await s.close();
    }
  });
});
