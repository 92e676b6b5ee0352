/**
 * --blob-cache: a later run mounts from the destination repository an
 * earlier run filled, instead of uploading again; stale entries only cost a
 * declined mount. The cache file itself: merged on save, written 0600,
 * damaged or missing files read as empty.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { checkImageTree } from '../interop/support/registry-api.js';
import type { Digest } from '../../src/oci/digest.js';
import { BlobLocations, defaultBlobLocationsFile } from '../../src/copy/blob-locations.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { writeTinyImages, type TinyImage } from './support/tiny-images.js';

const d = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;

describe('blob location cache (file)', () => {
  let work: string;
  before(async () => (work = await mkdtemp(join(tmpdir(), 'airlock-blobcache-unit-'))));
  after(async () => rm(work, { recursive: true, force: true }));

  it('defaults under $XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(defaultBlobLocationsFile({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/airlock/blob-locations.json');
    assert.match(defaultBlobLocationsFile({ XDG_CACHE_HOME: 'relative' }), /\/\.cache\/airlock\/blob-locations\.json$/);
  });

  it('round-trips, merges with a concurrent run, keeps the 4 most recent repositories, writes 0600', async () => {
    const file = join(work, 'sub', 'locations.json');
    const a = await BlobLocations.load(file);
    assert.deepEqual(a.candidates('docker://r', d('1')), []);
    const b = await BlobLocations.load(file);
    for (const repo of ['x1', 'x2', 'x3', 'x4', 'x5']) a.record('docker://r', d('1'), repo);
    a.record('docker://r', d('2'), 'y');
    await a.save();
    b.record('docker://r', d('1'), 'z');
    b.record('docker://other', d('1'), 'w');
    await b.save();
    const c = await BlobLocations.load(file);
    assert.deepEqual(c.candidates('docker://r', d('1')), ['z', 'x5', 'x4', 'x3']);
    assert.deepEqual(c.candidates('docker://r', d('2')), ['y']);
    assert.deepEqual(c.candidates('docker://other', d('1')), ['w']);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('reads a damaged file as empty and replaces it on save', async () => {
    const file = join(work, 'damaged.json');
    await writeFile(file, '{"version":1,"blobs":[[');
    const l = await BlobLocations.load(file);
    assert.deepEqual(l.candidates('docker://r', d('1')), []);
    l.record('docker://r', d('1'), 'a');
    await l.save();
    assert.deepEqual((await BlobLocations.load(file)).candidates('docker://r', d('1')), ['a']);
  });
});

describe('image mirror --blob-cache', () => {
  let work: string;
  let src: AirlockHandle;
  let dst: AirlockHandle;
  let img: TinyImage;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-blobcache-'));
    [img] = (await writeTinyImages(join(work, 'layout'), 1, { layerSize: 50_000, seed: 'cache' })) as [TinyImage];
    [src, dst] = await Promise.all([startAirlock(), startAirlock()]);
    const hub = new RegistryHub({ insecure: () => true });
    const layout = new OciLayoutSource(await OciLayout.open(join(work, 'layout'), { create: false }));
    await copyImage(createCopyContext(), layout, img.ref, [{ dst: hub.destination({ registry: src.hostPort, repository: 'src/app' }), tag: 'v1' }]);
    await hub.close();
  });

  after(async () => {
    await Promise.all([src?.close(), dst?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const mirror = async (repo: string, cache: boolean, to: AirlockHandle = dst): Promise<Record<string, number>> => {
    const args = ['image', 'mirror', '--insecure', '-o', 'json', ...(cache ? ['--blob-cache'] : []), `${src.hostPort}/src/app:v1`, `${to.hostPort}/${repo}`];
    const r = await runAirlockCli(args, { cwd: work, env: { HOME: work, XDG_CACHE_HOME: join(work, 'cache') } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await checkImageTree(to.url, repo, img.digest), [], repo);
    return (JSON.parse(r.stdout) as { stats: { blobs: Record<string, number> } }).stats.blobs;
  };

  it('a later run mounts from the repository an earlier run filled', async () => {
    assert.deepEqual(await mirror('first/app', true), { uploaded: 3, mounted: 0, exists: 0, deduped: 0 });
    const file = join(work, 'cache', 'airlock', 'blob-locations.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await mirror('second/app', true), { uploaded: 0, mounted: 3, exists: 0, deduped: 0 }, 'mounted from first/app');
    assert.deepEqual(await mirror('third/app', false), { uploaded: 3, mounted: 0, exists: 0, deduped: 0 }, 'without the cache: uploaded');
    // Stale entries (a repository that never held the blobs) cost a declined mount, nothing else. airlock
    // serve takes `from` as a hint and mounts from any readable holder, so the stale entries point at a
    // fresh registry where nothing holds the blobs.
    const fresh = await startAirlock();
    try {
      const doc = JSON.parse(await readFile(file, 'utf8')) as { blobs: [string, string[]][] };
      const moved = doc.blobs.map(([k]): [string, string[]] => [k.split(dst.hostPort).join(fresh.hostPort), ['gone/repo']]);
      assert.ok(moved.every(([k]) => k.includes(fresh.hostPort)), 'entries keyed by the destination store');
      await writeFile(file, JSON.stringify({ version: 1, blobs: moved }));
      assert.deepEqual(await mirror('fourth/app', true, fresh), { uploaded: 3, mounted: 0, exists: 0, deduped: 0 });
    } finally {
      await fresh.close();
    }
  });
});
