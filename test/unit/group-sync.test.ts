/**
 * util/group-sync.ts on real files: callers of one window share one fsync,
 * a caller arriving while a sync is in flight gets the next round, paths are
 * independent, a missing path rejects unless missingOk, and the SQLite store
 * makes its acknowledged writes wait for a WAL sync.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../../src/oci/digest.js';
import { GroupSync } from '../../src/util/group-sync.js';
import { SqliteMetadataStore } from '../../src/metadata/sqlite/sqlite-metadata-store.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'airlock-gsync-'));
  dirs.push(d);
  return d;
}

describe('GroupSync', () => {
  it('shares one sync among the callers of one window, per path', async () => {
    const d = await tmp();
    await writeFile(join(d, 'a'), 'x');
    await writeFile(join(d, 'b'), 'y');
    const g = new GroupSync(5);
    await Promise.all([g.sync(join(d, 'a')), g.sync(join(d, 'a')), g.sync(join(d, 'a')), g.sync(join(d, 'b'), { data: true })]);
    assert.equal(g.rounds, 2, 'three callers on a, one on b: two syncs');
    await g.sync(d);
    assert.equal(g.rounds, 3, 'a directory syncs too');
  });

  it('gives a caller that arrives while a sync is in flight the next round', async () => {
    const d = await tmp();
    await writeFile(join(d, 'a'), 'x');
    const g = new GroupSync(0);
    const first = g.sync(join(d, 'a'));
    // Let the first round start (setImmediate), then call again while it runs.
    await new Promise((r) => setImmediate(r));
    const second = g.sync(join(d, 'a'));
    await Promise.all([first, second]);
    assert.equal(g.rounds, 2);
  });

  it('rejects for a missing path unless missingOk', async () => {
    const d = await tmp();
    const g = new GroupSync(0);
    await assert.rejects(g.sync(join(d, 'nope')), /ENOENT/);
    await g.sync(join(d, 'nope'), { missingOk: true });
  });

  it('makes acknowledged SQLite writes wait for a WAL fdatasync, not session rows', async () => {
    const d = await tmp();
    const store = new SqliteMetadataStore(join(d, 'm.db'), { commitWindowMs: 0 });
    const g = store.walSync!.group;
    const before = g.rounds;
    await store.createUpload({ id: '00000000-0000-4000-8000-000000000001', repo: 'a/b', now: 1 });
    assert.equal(g.rounds, before, 'a session row does not wait for the disk');
    const digest = `sha256:${'a'.repeat(64)}` as Digest;
    await Promise.all([store.linkBlob('a/b', digest, 3, 1), store.linkBlob('a/c', digest, 3, 1)]);
    assert.equal(g.rounds, before + 1, 'two links of one turn share one WAL sync');
    assert.equal(await store.repoBlobSize('a/c', digest), 3);
    await store.close();
  });
});
