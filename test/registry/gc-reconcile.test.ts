/**
 * Finding 6: blob files without rows (left by a crash between a commit's
 * rename and its row, or between the collector's row delete and its file
 * delete) and rows without files. A kill -9 at exactly that instant is hard
 * to time, so the tests build the crash state directly on disk.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { MT, RegistryClient, RegistryOps, assertError, assertStatus, sha256, type PushedImage } from '../conformance/workflows.js';
import { blobPath } from '../../src/storage/blob-store.js';
import type { Digest } from '../../src/oci/digest.js';
import type { ReconcileReport } from '../../src/registry/gc.js';

const HOUR = 3600_000;

function filePath(dataDir: string, digest: string): string {
  return join(dataDir, 'storage', blobPath(digest as Digest));
}

/** Writes `data` where the blob store keeps `digest` (no row), last modified `ageMs` ago. */
async function plantFile(dataDir: string, data: Buffer, ageMs: number, digest = sha256(data)): Promise<string> {
  const p = filePath(dataDir, digest);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, data);
  const t = (Date.now() - ageMs) / 1000;
  await utimes(p, t, t);
  return digest;
}

describe('online reconciliation of blob files and rows', () => {
  let h: AirlockHandle;
  let http: RegistryClient;
  let ops: RegistryOps;

  before(async () => {
    h = await startAirlock({ config: { gc: { enabled: false, graceSeconds: 3600 } } });
    http = new RegistryClient(h.url);
    ops = new RegistryOps(http);
  });
  after(async () => {
    await http.close();
    await h.close();
  });

  it('deletes an old file without a row, keeps a young one, and drops rows whose file is missing', async () => {
    const old = await plantFile(h.dataDir, randomBytes(3000), 2 * HOUR);
    const young = await plantFile(h.dataDir, randomBytes(100), 0);
    const img = await ops.pushImage('rec/online', ['v1']);
    const lost = img.layerDesc.digest;
    await rm(filePath(h.dataDir, lost));

    const r = (await h.registry.gc.run()).reconcile;
    assert.deepEqual(r.strayFiles, [{ digest: old, size: 3000 }]);
    assert.equal(r.strayBytes, 3000);
    assert.equal(r.youngStrayFiles, 1);
    assert.deepEqual(r.missingFiles, [{ digest: lost, size: img.layerDesc.size, manifests: 1 }]);
    assert.equal(r.complete, true);
    assert.ok(!existsSync(filePath(h.dataDir, old)), 'old stray file deleted');
    assert.ok(existsSync(filePath(h.dataDir, young)), 'young stray file kept (a commit may be about to write its row)');

    // The lost blob is unknown now, not a 500 nor a 200 without bytes.
    assertError(await http.request('HEAD', `/v2/rec/online/blobs/${lost}`), 404, ['BLOB_UNKNOWN']);
    assertError(await http.request('GET', `/v2/rec/online/blobs/${lost}`), 404, ['BLOB_UNKNOWN']);
    // The image is kept (re-pushing the blob repairs it); a manifest needing the blob is refused until then.
    assertStatus(await ops.getManifest('rec/online', 'v1'), 200, 'manifest kept');
    assertError(await ops.putManifest('rec/online', 'v2', img.manifest, MT.ociManifest), 400, ['MANIFEST_BLOB_UNKNOWN']);
    await ops.pushBlob('rec/online', img.layer);
    const blob = await http.request('GET', `/v2/rec/online/blobs/${lost}`);
    assertStatus(blob, 200, 'layer pushed again');
    assert.equal(sha256(blob.body), lost);

    // Nothing left to do on the next run.
    const again = (await h.registry.gc.run()).reconcile;
    assert.deepEqual([again.strayFiles, again.missingFiles, again.relinkedFiles], [[], [], []]);
  });

  it('re-links a file that comes back after its row was dropped, once its bytes verify, and deletes a corrupt one', async () => {
    const good = await ops.pushImage('rec/back', ['v1']);
    const bad = await ops.pushImage('rec/back', ['v2']);
    for (const img of [good, bad]) await rm(filePath(h.dataDir, img.layerDesc.digest));
    const dropped = (await h.registry.gc.run()).reconcile.missingFiles.map((f) => f.digest).sort();
    assert.deepEqual(dropped, [good.layerDesc.digest, bad.layerDesc.digest].sort());

    // The storage comes back: one file intact, one corrupt (same name, other bytes).
    await plantFile(h.dataDir, good.layer, 2 * HOUR);
    await plantFile(h.dataDir, Buffer.alloc(bad.layer.length, 1), 2 * HOUR, bad.layerDesc.digest);
    const r = (await h.registry.gc.run()).reconcile;
    assert.deepEqual(r.relinkedFiles, [{ digest: good.layerDesc.digest, size: good.layer.length }]);
    assert.deepEqual(r.strayFiles, [{ digest: bad.layerDesc.digest, size: bad.layer.length }]);
    const blob = await http.request('GET', `/v2/rec/back/blobs/${good.layerDesc.digest}`);
    assertStatus(blob, 200, 're-linked layer served');
    assert.equal(sha256(blob.body), good.layerDesc.digest);
    assertError(await http.request('HEAD', `/v2/rec/back/blobs/${bad.layerDesc.digest}`), 404, ['BLOB_UNKNOWN']);
    assert.ok(!existsSync(filePath(h.dataDir, bad.layerDesc.digest)), 'corrupt file deleted');
  });

  it('leaves every row alone when the blob tree is empty (storage not mounted?) and says so', async () => {
    const dir = h.dataDir;
    const img = await ops.pushImage('rec/unmounted', ['v1']);
    const blobs = join(dir, 'storage', 'blobs');
    const aside = join(dir, 'storage', 'blobs.aside');
    await rename(blobs, aside);
    try {
      const r = (await h.registry.gc.run(Date.now())).reconcile;
      assert.match(r.warning ?? '', /no blob files .* is the storage mounted/);
      assert.deepEqual(r.missingFiles, []);
    } finally {
      await rm(blobs, { recursive: true, force: true });
      await rename(aside, blobs);
    }
    const blob = await http.request('GET', `/v2/rec/unmounted/blobs/${img.layerDesc.digest}`);
    assertStatus(blob, 200, 'rows kept, layer served once the storage is back');
  });
});

describe('start-up reconciliation', () => {
  it('removes an old file without a row in the background after listening', async () => {
    const first = await startAirlock({ keepDataDir: true, config: { gc: { enabled: false } } });
    const dataDir = first.dataDir;
    await first.close();
    const stray = await plantFile(dataDir, randomBytes(512), 2 * HOUR);
    const h = await startAirlock({ dataDir, config: { gc: { enabled: true, intervalSeconds: 3600, graceSeconds: 3600 } } });
    try {
      for (let i = 0; i < 100 && existsSync(filePath(dataDir, stray)); i++) await sleep(100);
      assert.ok(!existsSync(filePath(dataDir, stray)), 'start-up run deleted the stray file within 10 s');
    } finally {
      await h.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

interface JsonReport {
  dryRun: boolean;
  bytes: number;
  reconcile: ReconcileReport;
}

describe('airlock gc reconciles too', () => {
  let dataDir: string;
  let img: PushedImage;
  let old: string;
  let young: string;

  before(async () => {
    const h = await startAirlock({ keepDataDir: true, config: { gc: { enabled: false } } });
    dataDir = h.dataDir;
    const http = new RegistryClient(h.url);
    img = await new RegistryOps(http).pushImage('rec/cli', ['v1']);
    await http.close();
    await h.close();
    old = await plantFile(dataDir, randomBytes(4096), 2 * HOUR);
    young = await plantFile(dataDir, randomBytes(10), 0);
    await rm(filePath(dataDir, img.layerDesc.digest));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('--dry-run reports stray files and missing files (counts, bytes, json) and changes nothing', async () => {
    for (let pass = 0; pass < 2; pass++) {
      const res = await runAirlockCli(['gc', '--dry-run', '--data-dir', dataDir, '--output', 'json']);
      assert.equal(res.code, 0, res.stderr);
      const report = JSON.parse(res.stdout) as JsonReport;
      assert.equal(report.dryRun, true);
      assert.deepEqual(report.reconcile.strayFiles, [{ digest: old, size: 4096 }]);
      assert.equal(report.reconcile.strayBytes, 4096);
      assert.equal(report.reconcile.youngStrayFiles, 1);
      assert.deepEqual(report.reconcile.missingFiles, [{ digest: img.layerDesc.digest, size: img.layer.length, manifests: 1 }]);
      assert.equal(report.reconcile.missingBytes, img.layer.length);
      assert.equal(report.bytes, 4096, 'the stray file counts as reclaimable');
      assert.ok(existsSync(filePath(dataDir, old)), 'dry run deleted nothing');
    }
    const text = await runAirlockCli(['gc', '--dry-run', '--data-dir', dataDir]);
    assert.match(text.stdout, new RegExp(`stray blob file ${old} \\(4\\.0 KiB\\)`));
    assert.match(
      text.stdout,
      new RegExp(`reconcile: 1 stray blob files without a row would delete \\(4096 bytes\\), 1 younger than the grace period kept, 0 to re-link; ` +
        `1 blob rows without a file would be dropped \\(${img.layer.length} bytes, 1 manifest references to them\\)`),
    );
  });

  it('a real run deletes the old stray file, keeps the young one and drops the row; the registry then answers BLOB_UNKNOWN', async () => {
    const res = await runAirlockCli(['gc', '--data-dir', dataDir]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /reconcile: 1 stray blob files without a row deleted \(4096 bytes\), 1 younger than the grace period kept, 0 re-linked; 1 blob rows without a file dropped/);
    assert.ok(!existsSync(filePath(dataDir, old)), 'old stray file deleted');
    assert.ok(existsSync(filePath(dataDir, young)), 'young stray file kept');
    const next = JSON.parse((await runAirlockCli(['gc', '--dry-run', '--data-dir', dataDir, '--output', 'json'])).stdout) as JsonReport;
    assert.deepEqual([next.reconcile.strayFiles, next.reconcile.missingFiles], [[], []]);

    const h = await startAirlock({ dataDir, config: { gc: { enabled: false } } });
    const http = new RegistryClient(h.url);
    try {
      assertError(await http.request('HEAD', `/v2/rec/cli/blobs/${img.layerDesc.digest}`), 404, ['BLOB_UNKNOWN']);
      assertStatus(await http.request('HEAD', `/v2/rec/cli/blobs/${img.configDesc.digest}`), 200, 'config untouched');
      assertStatus(await new RegistryOps(http).getManifest('rec/cli', 'v1'), 200, 'manifest kept');
    } finally {
      await http.close();
      await h.close();
    }
  });
});
