/**
 * m2d → archive verify → d2m on loopback: multi-arch images from one airlock
 * registry into archives split at 3 MiB (several tar files, one oversize
 * blob in an archive of its own), checked, then pushed straight from the
 * tars into Debian's docker-registry (or a second airlock when it is not
 * installed) with every digest verified there. Then an incremental m2d
 * against the first run's delivered set, which carries only the new blobs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { dockerRegistryUnavailableReason, startDockerRegistry } from '../helpers/docker-registry.js';
import { checkImageTree, headManifest } from '../interop/support/registry-api.js';
import { uniqueBlobs } from '../copy/support/counts.js';
import { uploadStarts } from '../copy/support/counts.js';
import { verifyArchiveSet } from '../../src/transports/archive/archive-verify.js';
import { deliveredByIndex } from '../../src/transports/archive/skip-set.js';
import { INDEX_FILE } from '../../src/transports/archive/format.js';
import { CARRIED, packImages, pushSet, seedRegistry, type Carried } from './support/archive-fixture.js';

const MiB = 1024 * 1024;

describe('archive transport: m2d, verify, d2m', () => {
  let work: string;
  let src: AirlockHandle;
  let carried: Carried;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-archive-'));
    src = await startAirlock();
    carried = await seedRegistry(join(work, 'fixtures'), src.hostPort, CARRIED);
  });

  after(async () => {
    for (const c of closers) await c();
    await src?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('splits at the size limit, verifies, and lands every digest in another registry', async () => {
    const dir = join(work, 'out');
    const { index, warnings } = await packImages(src.hostPort, carried.images, dir, { archiveSize: 3 * MiB });
    const names = (await readdir(dir)).sort();
    assert.ok(!names.some((n) => n.endsWith('.partial')), `no partial file is left: ${names.join(' ')}`);
    const tars = names.filter((n) => /^mirror_\d{6}\.tar$/.test(n));
    assert.ok(tars.length >= 4, `several archives: ${tars.join(' ')}`);
    assert.deepEqual(tars, index.archives.map((a) => a.file));
    assert.equal(tars[0], 'mirror_000001.tar');
    assert.ok(names.includes(INDEX_FILE));
    // The 8 MiB shared base layer of multi-v1 is larger than the limit: an archive of its own, with a warning.
    assert.equal(warnings.length, 1, warnings.join('\n'));
    const oversize = index.archives.filter((a) => a.size > 3 * MiB);
    assert.equal(oversize.length, 1);
    for (const a of index.archives) assert.equal((await stat(join(dir, a.file))).size, a.size);
    // Every blob of the carried images is in the set, once.
    const blobs = await uniqueBlobs(carried.fx.layout, carried.images.map((i) => i.digest));
    for (const b of blobs) assert.ok(index.blobs[b] !== undefined, `blob ${b} is archived`);
    assert.deepEqual(index.delivered, {});

    const report = await verifyArchiveSet(dir);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.ok(report.members > blobs.size);

    let dst: { url: string; hostPort: string; close(): Promise<void> };
    if (dockerRegistryUnavailableReason() === undefined) dst = await startDockerRegistry();
    else dst = await startAirlock();
    closers.push(() => dst.close());
    const pushed = await pushSet(dir, dst.hostPort, 'mirror');
    assert.deepEqual(pushed.errors, []);
    assert.equal(pushed.images.length, carried.images.length);
    for (const img of carried.images) {
      const repo = `mirror/${img.repo}`;
      if (img.tag !== null) assert.equal((await headManifest(dst.url, repo, img.tag)).digest, img.digest, `${repo}:${img.tag}`);
      assert.deepEqual(await checkImageTree(dst.url, repo, img.digest), [], repo);
    }
    // A second d2m of the same set sends nothing: every tag already resolves.
    const again = await pushSet(dir, dst.hostPort, 'mirror');
    assert.deepEqual(again.errors, []);
    assert.ok(again.images.every((i) => i.skipped));
    assert.deepEqual(again.actions.filter((a) => a === 'uploaded'), []);
  });

  it('an incremental m2d against the delivered set carries only the new blobs', async () => {
    const first = carried.images.filter((i) => i.ref !== 'small-00-v1');
    const dir1 = join(work, 'inc1');
    await packImages(src.hostPort, first, dir1, { archiveSize: 64 * MiB });
    const dst = await startAirlock();
    closers.push(() => dst.close());
    assert.deepEqual((await pushSet(dir1, dst.hostPort, '')).errors, []);

    // Second run: the same images plus small-00-v1, skipping what the first delivered.
    const dir2 = join(work, 'inc2');
    const skip = await deliveredByIndex(join(dir1, INDEX_FILE));
    const second = await packImages(src.hostPort, carried.images, dir2, { archiveSize: 64 * MiB, skip });
    const oldBlobs = await uniqueBlobs(carried.fx.layout, first.map((i) => i.digest));
    const allBlobs = await uniqueBlobs(carried.fx.layout, carried.images.map((i) => i.digest));
    const fresh = [...allBlobs].filter((b) => !oldBlobs.has(b)).sort();
    assert.ok(fresh.length >= 2 && fresh.length < allBlobs.size);
    const manifests = new Set(Object.keys(second.index.manifests));
    const carriedBlobs = Object.keys(second.index.blobs).filter((d) => !manifests.has(d)).sort();
    assert.deepEqual(carriedBlobs, fresh, 'the archive holds exactly the blobs the first run did not deliver');
    assert.deepEqual(Object.keys(second.index.delivered), [...allBlobs].filter((b) => oldBlobs.has(b)).sort());
    // It still holds every manifest and tag of the set.
    for (const img of carried.images) assert.ok(second.index.manifests[img.digest] !== undefined, img.ref);
    assert.equal((await verifyArchiveSet(dir2)).ok, true);

    const before = await uploadStarts(dst.url);
    const pushed = await pushSet(dir2, dst.hostPort, '');
    assert.deepEqual(pushed.errors, []);
    assert.equal((await uploadStarts(dst.url)) - before, fresh.length, 'd2m uploads only the new blobs');
    for (const img of carried.images) assert.deepEqual(await checkImageTree(dst.url, img.repo, img.digest), [], img.ref);
  });
});
