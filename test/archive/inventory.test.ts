/**
 * Inventory deltas: `airlock inventory export docker://REG` on the far side
 * lists what the mirror holds (catalog API, tags, manifest trees), and an m2d
 * whose skip set is that inventory carries only the blobs missing there; its
 * d2m then completes the mirror. Far side: Debian's docker-registry (or a
 * second airlock when it is not installed).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { dockerRegistryUnavailableReason, startDockerRegistry } from '../helpers/docker-registry.js';
import { checkImageTree } from '../interop/support/registry-api.js';
import { uniqueBlobs } from '../copy/support/counts.js';
import { inventorySkipSet, type Inventory } from '../../src/transports/archive/skip-set.js';
import { CARRIED, packImages, pushSet, seedRegistry, type Carried } from './support/archive-fixture.js';

describe('inventory export and --since-inventory', () => {
  let work: string;
  let src: AirlockHandle;
  let far: { url: string; hostPort: string; close(): Promise<void> };
  let carried: Carried;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-inventory-'));
    src = await startAirlock();
    far = dockerRegistryUnavailableReason() === undefined ? await startDockerRegistry() : await startAirlock();
    carried = await seedRegistry(join(work, 'fixtures'), src.hostPort, CARRIED);
  });

  after(async () => {
    await far?.close();
    await src?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('exports what the far registry holds, and the next archive carries only what is missing there', async () => {
    const first = carried.images.filter((i) => i.ref !== 'small-00-v1');
    await packImages(src.hostPort, first, join(work, 'a1'), { archiveSize: 64 << 20 });
    assert.deepEqual((await pushSet(join(work, 'a1'), far.hostPort, 'mirror')).errors, []);

    const file = join(work, 'inventory.json');
    const r = await runAirlockCli(['inventory', 'export', `docker://${far.hostPort}/mirror`, '--insecure', '-f', file, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const inv = JSON.parse(await readFile(file, 'utf8')) as Inventory;
    const summary = JSON.parse(r.stdout) as { repositories: number; tags: number; blobs: number };
    assert.equal(summary.repositories, first.length, 'every repository of the catalog (the untagged image has no tag to find its blobs by)');
    const oldBlobs = await uniqueBlobs(carried.fx.layout, first.filter((i) => i.tag !== null).map((i) => i.digest));
    for (const b of oldBlobs) assert.ok(inv.blobs[b] !== undefined, `inventory lists ${b}`);
    for (const img of first.filter((i) => i.tag !== null)) assert.equal(inv.repositories[`mirror/${img.repo}`]?.tags[img.tag!], img.digest);

    const skip = (await inventorySkipSet(file)).blobs;
    const second = await packImages(src.hostPort, carried.images, join(work, 'a2'), { archiveSize: 64 << 20, skip });
    const all = await uniqueBlobs(carried.fx.layout, carried.images.map((i) => i.digest));
    const missing = [...all].filter((b) => !oldBlobs.has(b)).sort();
    const manifests = new Set(Object.keys(second.index.manifests));
    assert.deepEqual(Object.keys(second.index.blobs).filter((d) => !manifests.has(d)).sort(), missing, 'only blobs the far side lacks');
    assert.deepEqual((await pushSet(join(work, 'a2'), far.hostPort, 'mirror')).errors, []);
    for (const img of carried.images) assert.deepEqual(await checkImageTree(far.url, `mirror/${img.repo}`, img.digest), [], img.ref);
  });

  it('refuses a file that is not an inventory, and a bad registry argument, in one line', async () => {
    const bad = join(work, 'bad.json');
    await writeFile(bad, '{"format":"something-else"}');
    await assert.rejects(inventorySkipSet(bad), /bad\.json: not an airlock inventory .*airlock inventory export/);
    const r = await runAirlockCli(['inventory', 'export', 'docker://', '-f', join(work, 'x.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: docker:\/\/: expected docker:\/\/HOST\[:PORT\]\[\/PREFIX\]\n/);
  });
});
