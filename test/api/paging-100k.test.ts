/**
 * Paging the JSON API through 100,000 repositories (created directly through
 * the metadata store of a running TLS+auth airlock): every name exactly once
 * and in order, for an admin (unfiltered) and for a pull-only account (a
 * tenth of them, filtered); the tree of a namespace; and the queries behind
 * a page are index searches (EXPLAIN QUERY PLAN), never table scans.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { Digest } from '../../src/oci/digest.js';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { SecureClient, basic, sha256 } from '../security/support/secure-client.js';

const COUNT = 100_000;
const name = (i: number): string => `org-${i % 10}/team-${i % 100}/repo-${String(i).padStart(6, '0')}`;

describe('JSON API paging with 100,000 repositories', () => {
  let reg: AirlockHandle;
  let c: SecureClient;
  let admin: string;

  before(async () => {
    reg = await startAirlock({ auth: 'token', config: { gc: { enabled: false } } });
    c = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    await reg.security!.addUser('org3', 'org3-password', { pull: ['org-3/**'] });
    const digest = sha256('one blob linked everywhere') as Digest;
    const now = Date.now();
    for (let i = 0; i < COUNT; i++) await reg.registry.meta.linkBlob(name(i), digest, 26, now);
  });
  after(async () => {
    await c?.close();
    await reg?.close();
  });

  async function pageAll(auth: string, limit: number): Promise<{ names: string[]; pages: number }> {
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await c.request('GET', `/api/v1/repositories?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: auth } });
      assert.equal(r.status, 200, r.text());
      const body = r.json<{ repositories: { name: string }[]; next: string | null }>();
      assert.ok(body.repositories.length <= limit);
      names.push(...body.repositories.map((x) => x.name));
      cursor = body.next;
      pages++;
    } while (cursor !== null && pages <= COUNT);
    return { names, pages };
  }

  it('an admin pages through all of them, each once, in byte order', async () => {
    const { names, pages } = await pageAll(admin, 1000);
    assert.equal(names.length, COUNT);
    assert.equal(pages, COUNT / 1000);
    const expected = Array.from({ length: COUNT }, (_, i) => name(i)).sort();
    assert.deepEqual(names, expected);
  });

  it('a pull-only account pages through its tenth only', async () => {
    const { names } = await pageAll(basic('org3', 'org3-password'), 500);
    assert.equal(names.length, COUNT / 10);
    assert.ok(names.every((n) => n.startsWith('org-3/')));
    assert.deepEqual(names, [...names].sort());
  });

  it('the tree of a namespace lists its children with one page per level', async () => {
    const top = await c.request('GET', '/api/v1/tree?limit=1000', { headers: { authorization: admin } });
    assert.deepEqual(top.json<{ nodes: { name: string }[] }>().nodes.map((n) => n.name), Array.from({ length: 10 }, (_, i) => `org-${i}`));
    const org = await c.request('GET', '/api/v1/tree?parent=org-3&limit=5', { headers: { authorization: admin } });
    const body = org.json<{ nodes: { name: string; children: boolean; repository: boolean }[]; next: string }>();
    assert.deepEqual(body.nodes.map((n) => n.name), ['team-13', 'team-23', 'team-3', 'team-33', 'team-43']);
    assert.ok(body.nodes.every((n) => n.children && !n.repository));
    const rest = await c.request('GET', `/api/v1/tree?parent=org-3&limit=1000&cursor=${body.next}`, { headers: { authorization: admin } });
    assert.deepEqual(rest.json<{ nodes: { name: string }[] }>().nodes.map((n) => n.name), ['team-53', 'team-63', 'team-73', 'team-83', 'team-93']);
    const leaf = await c.request('GET', '/api/v1/tree?parent=org-3/team-13&limit=1000', { headers: { authorization: admin } });
    assert.equal(leaf.json<{ nodes: unknown[] }>().nodes.length, COUNT / 100);
  });

  it('the queries behind a page search the name index instead of scanning', () => {
    const db = new Database(join(reg.dataDir, 'metadata.db'), { readonly: true });
    try {
      const plan = (sql: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('a', 'b', 10) as { detail: string }[]).map((r) => r.detail).join('; ');
      const between = plan('SELECT name FROM repositories WHERE name > ? AND name < ? ORDER BY name LIMIT ?');
      assert.match(between, /SEARCH repositories USING COVERING INDEX/);
      assert.doesNotMatch(between, /SCAN|TEMP B-TREE/);
      const tags = plan(`SELECT t.name, t.digest, t.updated_at, m.media_type, m.size, m.artifact_type, m.created_at
        FROM tags t JOIN manifests m ON m.repo_id = t.repo_id AND m.digest = t.digest
        WHERE t.repo_id = ? AND t.name > ? ORDER BY t.name LIMIT ?`);
      assert.match(tags, /SEARCH t USING PRIMARY KEY/);
      assert.doesNotMatch(tags, /SCAN|TEMP B-TREE/);
    } finally {
      db.close();
    }
  });
});
