/**
 * The mirror cache on a real directory: entries, LRU order (a read makes an
 * entry recent), prune to a limit (dry run removes nothing; files being
 * written and files outside airlock's part are never touched), removal by
 * image digest (--force-cache-delete), the size parsing and its env default,
 * `airlock cache prune` (text, -o json, --dry-run, --help, a bad size), and
 * the Cincinnati answer kept for when the graph endpoint is down.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore, CACHE_SUBDIR, defaultCacheDir } from '../../src/mirror/cache/cache-store.js';
import { cacheMaxBytes, DEFAULT_CACHE_MAX_BYTES } from '../../src/mirror/cache/cache-limit.js';
import { CachedGraphClient } from '../../src/mirror/cache/graph-cache.js';
import { GraphError } from '../../src/mirror/imageset/cincinnati.js';
import { graphOf, startGraphServer } from '../helpers/graph-server.js';
import { airlock } from '../release/support.js';

const ago = (s: number): Date => new Date(Date.now() - s * 1000);

describe('mirror cache', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-cache-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function filled(name: string): Promise<CacheStore> {
    const c = new CacheStore(join(work, name));
    await c.put('graph', 'a.json', Buffer.alloc(1000));
    await c.put('graph', 'b.json', Buffer.alloc(1000));
    await c.put('signatures', `sha256-${'c'.repeat(64)}`, Buffer.alloc(1000));
    await utimes(join(c.dir, 'graph/a.json'), ago(300), ago(300));
    await utimes(join(c.dir, 'graph/b.json'), ago(200), ago(200));
    await utimes(join(c.dir, `signatures/sha256-${'c'.repeat(64)}`), ago(100), ago(100));
    return c;
  }

  it('prunes least recently used entries first; a read makes an entry recent; dry run removes nothing', async () => {
    const c = await filled('lru');
    assert.equal(c.dir, join(work, 'lru', CACHE_SUBDIR));
    assert.deepEqual((await c.list()).map((e) => e.name), ['a.json', 'b.json', `sha256-${'c'.repeat(64)}`]);
    assert.equal((await c.get('graph', 'a.json'))?.length, 1000);
    assert.deepEqual((await c.list()).map((e) => e.name), ['b.json', `sha256-${'c'.repeat(64)}`, 'a.json'], 'a.json was just used');
    // a file being written (temp name) and a file of oc-mirror's beside airlock's part are not entries
    await writeFile(join(c.dir, 'graph', 'x.json.tmp-1-2'), Buffer.alloc(5000));
    await writeFile(join(work, 'lru/.oc-mirror/.cache/other'), Buffer.alloc(5000));
    const dry = await c.prune(1500, true);
    assert.deepEqual(dry.removed.map((e) => e.name), ['b.json', `sha256-${'c'.repeat(64)}`]);
    assert.equal(dry.beforeBytes, 3000);
    assert.equal(dry.afterBytes, 1000);
    assert.equal((await c.list()).length, 3, 'dry run removed nothing');
    const real = await c.prune(1500);
    assert.deepEqual(real.removed.map((e) => e.name), ['b.json', `sha256-${'c'.repeat(64)}`]);
    assert.deepEqual(await readdir(join(c.dir, 'graph')), ['a.json', 'x.json.tmp-1-2'].sort());
    assert.equal((await stat(join(work, 'lru/.oc-mirror/.cache/other'))).size, 5000);
    assert.equal((await c.prune(0)).removed.length, 1);
    assert.deepEqual(await c.list(), []);
  });

  it('removes the entries of given image digests (--force-cache-delete)', async () => {
    const c = await filled('digests');
    assert.deepEqual((await c.entriesFor([`sha256:${'c'.repeat(64)}`])).map((e) => e.kind), ['signatures']);
    assert.equal(await c.removeFor([`sha256:${'c'.repeat(64)}`, `sha256:${'d'.repeat(64)}`]), 1);
    assert.deepEqual((await c.list()).map((e) => e.name), ['a.json', 'b.json']);
    await assert.rejects(c.put('graph', '../escape', 'x'), /not a safe name/);
  });

  it('size limit: flag, then AIRLOCK_CACHE_MAX_SIZE, then 50GiB; cache dir: AIRLOCK_CACHE_DIR, OC_MIRROR_CACHE, HOME', () => {
    assert.equal(cacheMaxBytes('50GiB', '--cache-max-size', {}), 50 * 2 ** 30);
    assert.equal(cacheMaxBytes(undefined, '--cache-max-size', { AIRLOCK_CACHE_MAX_SIZE: '500M' }), 500 * 2 ** 20);
    assert.equal(cacheMaxBytes(undefined, '--cache-max-size', {}), DEFAULT_CACHE_MAX_BYTES);
    assert.throws(() => cacheMaxBytes('lots', '--cache-max-size', {}), /^Error: --cache-max-size "lots" is not a size \(use e\.g\. 50GiB, 500M or a number of bytes\)$/);
    assert.equal(defaultCacheDir({ AIRLOCK_CACHE_DIR: '/a', OC_MIRROR_CACHE: '/b' }), '/a');
    assert.equal(defaultCacheDir({ OC_MIRROR_CACHE: '/b' }), '/b');
  });

  it('airlock cache prune: --dry-run -o json, then text; --help has an example; a bad size is one line', async () => {
    const c = await filled('cli');
    const dir = join(work, 'cli');
    const dry = await airlock(['cache', 'prune', '--cache-dir', dir, '--max-size', '1.5KiB', '--dry-run', '-o', 'json'], work);
    assert.equal(dry.code, 0, dry.stderr);
    const j = JSON.parse(dry.stdout) as { dryRun: boolean; removed: { kind: string; name: string; bytes: number }[]; afterBytes: number; maxBytes: number };
    assert.equal(j.dryRun, true);
    assert.equal(j.maxBytes, 1536);
    assert.deepEqual(j.removed.map((e) => `${e.kind}/${e.name}`), ['graph/a.json', 'graph/b.json']);
    assert.equal((await c.list()).length, 3);
    const real = await airlock(['cache', 'prune', '--cache-dir', dir, '--max-size', '1.5KiB'], work);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /^removed graph\/a\.json \(1000B, last used .*\)\nremoved graph\/b\.json .*\ncache .*: 2\.930KiB before, 1000B after \(limit 1\.500KiB\); removed 2 entries, kept 1\n$/);
    assert.deepEqual((await c.list()).map((e) => e.kind), ['signatures']);
    const env = await runWithEnv(['cache', 'prune', '--cache-dir', dir], { AIRLOCK_CACHE_MAX_SIZE: '0' });
    assert.match(env, /removed 1 entries, kept 0/);
    const help = await airlock(['cache', 'prune', '--help'], work);
    assert.match(help.stdout, /Examples:\n {2}# Shrink/);
    const bad = await airlock(['cache', 'prune', '--cache-dir', dir, '--max-size', '10 parsecs'], work);
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.trim().split('\n')[0], 'error: --max-size "10 parsecs" is not a size (use e.g. 50GiB, 500M or a number of bytes)');
  });

  async function runWithEnv(args: string[], env: Record<string, string>): Promise<string> {
    const { runAirlockCli } = await import('../helpers/airlock-process.js');
    const r = await runAirlockCli(args, { env: { HOME: work, ...env } });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  it('keeps each Cincinnati answer and uses it, with a warning, when the endpoint is down', async () => {
    const graph = await startGraphServer();
    const store = new CacheStore(join(work, 'graph'));
    const warnings: string[] = [];
    const payload = `127.0.0.1:1/ocp/release@sha256:${'e'.repeat(64)}`;
    graph.set('stable-4.18', 'amd64', graphOf(['4.18.1', '4.18.2'], [['4.18.1', '4.18.2']], () => payload));
    const client = new CachedGraphClient({ url: graph.url }, store, (m) => warnings.push(m));
    const live = await client.graph('ocp', 'stable-4.18', 'amd64');
    assert.equal(live.nodes.length, 2);
    await graph.close();
    const cached = await client.graph('ocp', 'stable-4.18', 'amd64');
    assert.deepEqual(cached, live);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^release graph of channel stable-4\.18 \(amd64\) from http:\/\/127\.0\.0\.1:\d+\/graph: .*; using the answer cached at \d{4}-\d\d-\d\dT/);
    await assert.rejects(client.graph('ocp', 'stable-4.19', 'amd64'), GraphError, 'a channel never fetched still fails');
  });
});
