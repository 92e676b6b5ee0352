/**
 * The collector and sparse manifests: absent references (layers, config,
 * children a sparse repository let a manifest omit) are neither collected,
 * counted nor reported as missing; content pushed later is held by the
 * manifest that references it; deleting the manifest frees what was present.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { MT, RegistryClient, RegistryOps, assertStatus, descriptor, randomDigest, sha256 } from '../conformance/workflows.js';
import { blobPath } from '../../src/storage/blob-store.js';
import type { Digest } from '../../src/oci/digest.js';

const HOUR = 3600_000;

describe('garbage collection of sparse manifests', () => {
  let h: AirlockHandle;
  let http: RegistryClient;
  let ops: RegistryOps;
  const onDisk = (d: string): boolean => existsSync(join(h.dataDir, 'storage', blobPath(d as Digest)));

  before(async () => {
    h = await startAirlock({ config: { gc: { enabled: false, graceSeconds: 3600 }, sparseRepos: ['gc/sparse/**'] } });
    http = new RegistryClient(h.url);
    ops = new RegistryOps(http);
  });
  after(async () => {
    await http.close();
    await h.close();
  });

  it('keeps a sparse image and index, ignores their absent references, holds content pushed later, frees it all after deletion', async () => {
    const repo = 'gc/sparse/img';
    const present = randomBytes(500);
    const later = randomBytes(600); // absent at push time, pushed afterwards
    const p = await ops.pushBlob(repo, present);
    const absentConfig = randomDigest();
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: absentConfig, size: 300 },
      layers: [descriptor(MT.ociLayer, later), descriptor(MT.ociLayer, present)],
    }));
    await ops.pushManifest(repo, 'v1', manifest, MT.ociManifest);
    const absentChild = randomDigest();
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociIndex,
      manifests: [
        { ...descriptor(MT.ociManifest, manifest), platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: MT.ociManifest, digest: absentChild, size: 777, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    }));
    await ops.pushManifest(repo, 'idx', index, MT.ociIndex);

    const plan = await h.registry.gc.plan(Date.now() + 2 * HOUR);
    assert.deepEqual(plan.manifests, [], 'nothing to collect');
    assert.deepEqual(plan.blobs, [], 'no blob to collect, absent ones not listed');
    assert.deepEqual(plan.reconcile.missingFiles, [], 'absent references are not missing files');
    const first = await h.registry.gc.run(Date.now() + 2 * HOUR);
    assert.equal(first.manifests, 0);
    assert.equal(first.blobs, 0);
    assert.deepEqual(first.reconcile.missingFiles, []);
    assert.deepEqual(first.reconcile.relinkedFiles, []);
    for (const ref of ['v1', 'idx', sha256(manifest), sha256(index)]) assertStatus(await ops.getManifest(repo, ref), 200, ref);
    assertStatus(await http.request('HEAD', `/v2/${repo}/blobs/${p}`), 200, 'present layer kept');

    const l = await ops.pushBlob(repo, later);
    await h.registry.gc.run(Date.now() + 4 * HOUR);
    assertStatus(await http.request('HEAD', `/v2/${repo}/blobs/${l}`), 200, 'a layer pushed after its sparse manifest is held by it');
    assert.ok(onDisk(l));

    assertStatus(await http.request('DELETE', `/v2/${repo}/manifests/idx`), 202);
    assertStatus(await http.request('DELETE', `/v2/${repo}/manifests/v1`), 202);
    const sweep = await h.registry.gc.plan(Date.now() + 6 * HOUR);
    assert.ok(Array.isArray(sweep.manifests) && Array.isArray(sweep.blobs));
    assert.deepEqual(new Set(sweep.manifests.map((m) => m.digest)), new Set([sha256(manifest), sha256(index)]));
    assert.deepEqual(new Set(sweep.blobs.map((b) => b.digest)), new Set([p, l]), 'exactly the present blobs, not the absent config or child');
    const last = await h.registry.gc.run(Date.now() + 6 * HOUR);
    assert.equal(last.manifests, 2);
    assert.equal(last.blobs, 2);
    assert.equal(last.bytes, present.length + later.length);
    assert.ok(!onDisk(p) && !onDisk(l), 'the blob files are gone');
    assertStatus(await ops.getManifest(repo, sha256(manifest)), 404);
  });
});
