import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { MT, RegistryClient, RegistryOps, assertStatus, descriptor, sha256 } from '../conformance/workflows.js';
import { blobPath } from '../../src/storage/blob-store.js';
import type { Digest } from '../../src/oci/digest.js';

const HOUR = 3600_000;
const run = promisify(execFile);

/** Blob presence as the registry and the disk see it. */
async function blobState(h: AirlockHandle, http: RegistryClient, repo: string, digest: string): Promise<{ api: number; disk: boolean }> {
  const res = await http.request('HEAD', `/v2/${repo}/blobs/${digest}`);
  return { api: res.status, disk: existsSync(join(h.dataDir, 'storage', blobPath(digest as Digest))) };
}

describe('online garbage collection', () => {
  let h: AirlockHandle;
  let http: RegistryClient;
  let ops: RegistryOps;

  before(async () => {
    h = await startAirlock({ config: { gc: { enabled: false, graceSeconds: 3600, uploadTtlSeconds: 86400 } } });
    http = new RegistryClient(h.url);
    ops = new RegistryOps(http);
  });
  after(async () => {
    await http.close();
    await h.close();
  });

  it('keeps a blob uploaded without a manifest during the grace period, then collects it', async () => {
    const d = await ops.pushBlob('gc/loose', Buffer.from('loose blob ' + Date.now()));
    await h.registry.gc.run(Date.now() + HOUR / 2);
    assert.deepEqual(await blobState(h, http, 'gc/loose', d), { api: 200, disk: true });
    const report = await h.registry.gc.run(Date.now() + 2 * HOUR);
    assert.ok(typeof report.blobs === 'number' && report.blobs >= 1, 'the loose blob is counted');
    assert.deepEqual(await blobState(h, http, 'gc/loose', d), { api: 404, disk: false });
  });

  it('never collects tagged or tagless-pushed images or their blobs', async () => {
    const tagged = await ops.pushImage('gc/keep', ['v1']);
    const tagless = await ops.pushImage('gc/keep-tagless', []);
    await h.registry.gc.run(Date.now() + 48 * HOUR);
    for (const img of [tagged, tagless]) {
      assertStatus(await ops.getManifest(img.repo, img.manifestDigest), 200, 'manifest kept');
      assert.equal((await blobState(h, http, img.repo, img.layerDesc.digest)).api, 200);
      assert.equal((await blobState(h, http, img.repo, img.configDesc.digest)).api, 200);
    }
  });

  it('collects an index and its children after its tag is deleted, but keeps a child another index still uses', async () => {
    const repo = 'gc/idx';
    const a = await ops.pushImage(repo, []);
    const b = await ops.pushImage(repo, []);
    const idx = (children: typeof a[]) =>
      Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MT.ociIndex,
        manifests: children.map((c) => ({ ...descriptor(MT.ociManifest, c.manifest), platform: { architecture: 'amd64', os: 'linux' } })),
      }));
    const doomed = idx([a, b]);
    const keeper = idx([b]);
    await ops.pushManifest(repo, 'doomed', doomed, MT.ociIndex);
    await ops.pushManifest(repo, 'keeper', keeper, MT.ociIndex);
    assertStatus(await http.request('DELETE', `/v2/${repo}/manifests/doomed`), 202, 'delete tag');

    const plan = await h.registry.gc.plan(Date.now() + 2 * HOUR);
    assert.ok(Array.isArray(plan.manifests) && Array.isArray(plan.blobs));
    const planned = new Set(plan.manifests.map((m) => m.digest));
    assert.ok(planned.has(sha256(doomed) as Digest), 'dry run lists the untagged index');
    assert.ok(planned.has(a.manifestDigest as Digest), 'dry run lists the child only that index used');
    assert.ok(!planned.has(b.manifestDigest as Digest), 'dry run keeps the shared child');
    assert.ok(plan.blobs.some((x) => x.digest === a.layerDesc.digest), 'dry run lists the orphaned layer');
    assert.equal(plan.bytes, plan.blobs.reduce((s, x) => s + x.size, 0));
    // The dry run changed nothing.
    assertStatus(await ops.getManifest(repo, sha256(doomed)), 200, 'index still there after dry run');

    await h.registry.gc.run(Date.now() + 2 * HOUR);
    assertStatus(await ops.getManifest(repo, sha256(doomed)), 404, 'index collected');
    assertStatus(await ops.getManifest(repo, a.manifestDigest), 404, 'unshared child collected');
    assert.deepEqual(await blobState(h, http, repo, a.layerDesc.digest), { api: 404, disk: false });
    assertStatus(await ops.getManifest(repo, 'keeper'), 200, 'other index kept');
    assertStatus(await ops.getManifest(repo, b.manifestDigest), 200, 'shared child kept');
    assert.equal((await blobState(h, http, repo, b.layerDesc.digest)).api, 200);
  });

  it('keeps a blob stored once for all repositories until its last reference goes', async () => {
    const shared = Buffer.from('shared layer ' + Date.now());
    await ops.pushBlob('gc/one', shared);
    const d = await ops.pushBlob('gc/two', shared);
    assertStatus(await http.request('DELETE', `/v2/gc/one/blobs/${d}`), 202, 'unlink from one');
    await h.registry.gc.run(Date.now() + HOUR / 2);
    assert.deepEqual(await blobState(h, http, 'gc/two', d), { api: 200, disk: true });
    assert.equal((await blobState(h, http, 'gc/one', d)).api, 404);
  });

  it('purges abandoned upload sessions after the upload TTL', async () => {
    const start = await http.request('POST', '/v2/gc/uploads/blobs/uploads/');
    const loc = http.resolve(String(start.headers.location));
    assertStatus(await http.request('PATCH', loc, { body: Buffer.alloc(1000, 1) }), 202, 'chunk');
    await h.registry.gc.run(Date.now() + 2 * HOUR);
    assertStatus(await http.request('GET', loc), 204, 'young session kept');
    await h.registry.gc.run(Date.now() + 25 * HOUR);
    assertStatus(await http.request('GET', loc), 404, 'old session purged');
  });

  it('does not lose anything pushed while collections run concurrently', async () => {
    let stop = false;
    const collector = (async () => {
      let runs = 0;
      while (!stop) {
        await h.registry.gc.run();
        runs++;
        await new Promise((r) => setImmediate(r));
      }
      return runs;
    })();
    const images = await Promise.all(Array.from({ length: 12 }, (_, i) => ops.pushImage(`gc/race-${i % 3}`, [`t${i}`], { layerSize: 64 * 1024 })));
    stop = true;
    assert.ok((await collector) > 0);
    for (const img of images) {
      assertStatus(await ops.getManifest(img.repo, img.manifestDigest), 200, 'manifest present');
      const blob = await http.request('GET', `/v2/${img.repo}/blobs/${img.layerDesc.digest}`);
      assertStatus(blob, 200, 'layer present');
      assert.equal(sha256(blob.body), img.layerDesc.digest);
    }
  });
});

describe('airlock gc command', () => {
  it('--dry-run --output json reports removable blobs and bytes without removing them', async () => {
    const h = await startAirlock({ config: { gc: { enabled: false } } });
    const http = new RegistryClient(h.url);
    const ops = new RegistryOps(http);
    const data = Buffer.alloc(4096, 7);
    const d = await ops.pushBlob('cli/loose', data);
    await http.close();
    await h.registry.close();
    try {
      const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
      const { stdout } = await run(process.execPath, [cli, 'gc', '--dry-run', '--grace', '0', '--data-dir', h.dataDir, '--output', 'json']);
      const report = JSON.parse(stdout) as { dryRun: boolean; blobs: { digest: string; size: number }[]; bytes: number };
      assert.equal(report.dryRun, true);
      assert.deepEqual(report.blobs.map((b) => b.digest), [d]);
      assert.equal(report.bytes, 4096);
      assert.ok(existsSync(join(h.dataDir, 'storage', blobPath(d as Digest))), 'dry run removed nothing');
      const text = await run(process.execPath, [cli, 'gc', '--grace', '0', '--data-dir', h.dataDir]);
      assert.match(text.stdout, /removed: 0 manifests, 1 blobs, 0 upload sessions; reclaimed 4\.0 KiB \(4096 bytes\)/);
      assert.ok(!existsSync(join(h.dataDir, 'storage', blobPath(d as Digest))), 'real run removed the blob');
    } finally {
      await h.close();
    }
  });

  it('HEAD renews an old link, so "HEAD, then skip the upload" keeps the blob until the manifest arrives', async () => {
    const g = await startAirlock({ config: { gc: { enabled: false, graceSeconds: 2, uploadTtlSeconds: 86400 } } });
    const gh = new RegistryClient(g.url);
    try {
      const o = new RegistryOps(gh);
      const seen = await o.pushBlob('gc/renew', Buffer.from('found by HEAD ' + Date.now()));
      const unseen = await o.pushBlob('gc/renew', Buffer.from('never asked for ' + Date.now()));
      await new Promise((r) => setTimeout(r, 1200)); // both links are now older than half the grace period (1 s)
      assert.equal((await gh.request('HEAD', `/v2/gc/renew/blobs/${seen}`)).status, 200);
      // 1.5 s after the HEAD: the renewed link is younger than the grace period, the other one older.
      await g.registry.gc.run(Date.now() + 1500);
      assert.equal((await blobState(g, gh, 'gc/renew', seen)).api, 200, 'the blob a client just found is kept');
      assert.deepEqual(await blobState(g, gh, 'gc/renew', unseen), { api: 404, disk: false }, 'control: the link nobody asked for is collected');
    } finally {
      await gh.close();
      await g.close();
    }
  });
});
