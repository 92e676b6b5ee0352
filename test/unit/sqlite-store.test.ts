import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteMetadataStore } from '../../src/metadata/sqlite/sqlite-metadata-store.js';
import { digestOf } from '../../src/oci/digest.js';

describe('SqliteMetadataStore', () => {
  let dir: string;
  let store: SqliteMetadataStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-meta-'));
    store = new SqliteMetadataStore(join(dir, 'metadata.db'));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pages a 100k-repository catalog from the index in byte order', async () => {
    const d = digestOf('shared');
    const names = Array.from({ length: 100_000 }, (_, i) => `org${i % 100}/repo-${String(i).padStart(6, '0')}`);
    // One transaction: one WAL sync for the 100k acknowledged writes, not one each.
    await store.transaction(async (tx) => {
      for (const n of names) await tx.linkBlob(n, d, 6, 1);
    });
    names.sort();
    assert.equal(await store.repositoryCount(), 100_000);
    assert.deepEqual(await store.listRepositories({ n: 3 }), names.slice(0, 3));
    const mid = names[50_000]!;
    assert.deepEqual(await store.listRepositories({ n: 2, last: mid }), names.slice(50_001, 50_003));
    let seen = 0;
    let last: string | undefined;
    for (;;) {
      const page = await store.listRepositories({ n: 10_000, ...(last ? { last } : {}) });
      if (page.length === 0) break;
      seen += page.length;
      last = page[page.length - 1];
    }
    assert.equal(seen, 100_000);
    assert.deepEqual(await store.blobStats(), { count: 1, bytes: 6 });
  });

  it('reopens an existing database without re-running migrations', async () => {
    const again = new SqliteMetadataStore(join(dir, 'metadata.db'));
    assert.equal(await again.repositoryCount(), 100_000);
    await again.close();
  });
});
