/**
 * SqliteAuthStore: identities that are never reused, the upgrade of an
 * accounts database made before identities existed, and the refresh-token
 * bookkeeping (single use, replay revokes the family, even a token being
 * recorded after the revocation).
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

  it('gives every account a random identity, a new one when a name is taken again', () => {
    const s = new SqliteAuthStore(join(dir, 'a.db'));
    try {
      const a = s.add({ name: 'robot+ci', kind: 'robot', secretHash: HASH, admin: false, pull: ['a/**'], push: [] });
      assert.match(a.id, /^[0-9a-f]{32}$/);
      s.remove('robot+ci');
      const b = s.add({ name: 'robot+ci', kind: 'robot', secretHash: HASH, admin: false, pull: [], push: ['secret/**'] });
      assert.notEqual(b.id, a.id);
      assert.equal(b.generation, 1, 'the generation starts again: only the identity tells the accounts apart');
      assert.equal(s.setGrants('robot+ci', { admin: false, pull: [], push: [] }).id, b.id, 'changes keep the identity');
    } finally {
      s.close();
    }
  });

  it('upgrades a database from before identities: each existing account gets its own', () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    db.exec(AUTH_MIGRATIONS[0]!);
    db.prepare('INSERT INTO schema_migrations VALUES (1, 0)').run();
    for (const n of ['admin', 'alice']) db.prepare("INSERT INTO accounts (name, kind, secret_hash, admin, created_at, updated_at) VALUES (?, 'user', ?, 0, 0, 0)").run(n, HASH);
    db.close();
    const s = new SqliteAuthStore(path);
    try {
      const [x, y] = [s.get('admin')!, s.get('alice')!];
      assert.match(x.id, /^[0-9a-f]{32}$/);
      assert.match(y.id, /^[0-9a-f]{32}$/);
      assert.notEqual(x.id, y.id);
    } finally {
      s.close();
    }
  });

  it('refresh tokens: first use ok, second use replayed and the family revoked; expired and unknown tokens are unknown', () => {
    const s = new SqliteAuthStore(join(dir, 'r.db'));
    try {
      const now = Date.now();
      const rec = (jti: string, family: string, expiresAt = now + 60_000): boolean => s.recordRefresh({ jti, family, accountId: 'id1', expiresAt });
      assert.equal(rec('t0', 'f'), true);
      assert.equal(rec('other', 'g'), true);
      assert.equal(s.useRefresh('t0', now).outcome, 'ok');
      assert.equal(rec('t1', 'f'), true);
      assert.deepEqual(s.useRefresh('t0', now), { outcome: 'replayed', family: 'f', accountId: 'id1' });
      assert.equal(s.useRefresh('t1', now).outcome, 'unknown', 't1, of the revoked family, is gone');
      assert.equal(rec('t2', 'f'), false, 'a token of a revoked family is never recorded');
      assert.equal(s.useRefresh('t2', now).outcome, 'unknown');
      assert.equal(s.useRefresh('other', now).outcome, 'ok', 'other families are untouched');
      assert.equal(rec('old', 'h', now - 1), true);
      assert.equal(s.useRefresh('old', now).outcome, 'unknown', 'expired');
      assert.equal(s.useRefresh('never', now).outcome, 'unknown');
    } finally {
      s.close();
    }
  });

  it('removing an account or changing its secret deletes its refresh tokens', () => {
    const s = new SqliteAuthStore(join(dir, 'd.db'));
    try {
      const a = s.add({ name: 'bob', kind: 'user', secretHash: HASH, admin: false, pull: [], push: [] });
      const exp = Date.now() + 60_000;
      s.recordRefresh({ jti: 'b1', family: 'fb', accountId: a.id, expiresAt: exp });
      s.setSecret('bob', HASH);
      assert.equal(s.useRefresh('b1', Date.now()).outcome, 'unknown');
      s.recordRefresh({ jti: 'b2', family: 'fb2', accountId: a.id, expiresAt: exp });
      s.remove('bob');
      assert.equal(s.useRefresh('b2', Date.now()).outcome, 'unknown');
    } finally {
      s.close();
    }
  });
});
