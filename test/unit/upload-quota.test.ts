/**
 * Open-session caps in the SQLite metadata store: counted per owner and per
 * address inside the insert's transaction, expired sessions not counted,
 * and migration 2 applied to a database created by the first schema.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/metadata/sqlite/migrations.js';
import { SqliteMetadataStore } from '../../src/metadata/sqlite/sqlite-metadata-store.js';

describe('upload session quota (SQLite)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-quota-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('refuses past the owner and the address caps, and stops counting expired sessions', async () => {
    const store = new SqliteMetadataStore(join(dir, 'quota.db'));
    try {
      const quota = (now: number) => ({ perOwner: 2, perAddress: 3, activeSince: now - 1000 });
      const open = (owner: string | undefined, address: string, now = 10_000) =>
        store.createUpload({ id: randomUUID(), repo: 'r', now, ...(owner ? { owner } : {}), address }, quota(now));
      assert.deepEqual(await open('alice', '10.0.0.1'), { ok: true });
      assert.deepEqual(await open('alice', '10.0.0.1'), { ok: true });
      assert.deepEqual(await open('alice', '10.0.0.2'), { ok: false, limit: 'owner', open: 2 });
      assert.deepEqual(await open('bob', '10.0.0.1'), { ok: true });
      assert.deepEqual(await open('carol', '10.0.0.1'), { ok: false, limit: 'address', open: 3 });
      assert.deepEqual(await open(undefined, '10.0.0.1'), { ok: false, limit: 'address', open: 3 }, 'without an owner only the address counts');
      assert.deepEqual(await open(undefined, '10.0.0.9'), { ok: true });
      // 2 s later every session above is idle past the 1 s TTL: none counts.
      assert.deepEqual(await open('alice', '10.0.0.1', 12_000), { ok: true });
      const id = randomUUID();
      await store.createUpload({ id, repo: 'r', now: 1, owner: 'dave', address: '::1' });
      assert.deepEqual(await store.getUpload(id), { id, repo: 'r', createdAt: 1, updatedAt: 1, owner: 'dave', address: '::1' });
    } finally {
      await store.close();
    }
  });

  it('adds the owner and address columns to a database of the first schema, keeping its sessions', async () => {
    const path = join(dir, 'v1.db');
    const v1 = new Database(path);
    v1.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    v1.exec(MIGRATIONS[0]!);
    v1.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)').run();
    const id = randomUUID();
    v1.prepare('INSERT INTO uploads (id, repo, created_at, updated_at) VALUES (?, ?, 5, 6)').run(id, 'old/repo');
    v1.close();
    const store = new SqliteMetadataStore(path);
    try {
      assert.deepEqual(await store.getUpload(id), { id, repo: 'old/repo', createdAt: 5, updatedAt: 6 });
      assert.deepEqual(await store.createUpload({ id: randomUUID(), repo: 'r', now: 7, owner: 'x', address: 'y' }, { perOwner: 1, perAddress: 1, activeSince: 0 }), { ok: true });
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    assert.equal((check.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v, MIGRATIONS.length);
    check.close();
  });
});
