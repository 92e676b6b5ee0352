/**
 * kill -9 in the middle of a mirror, then run it again: the second run
 * finishes, does not transfer the blobs the first one completed, and no
 * partial blob was ever visible at the destination.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { airlockCliArgs, childEnv } from '../helpers/airlock-process.js';
import { checkImageTree, headBlob, headManifest } from '../interop/support/registry-api.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startGateProxy, type GateProxy } from './support/gate-proxy.js';
import { uniqueBlobs } from './support/counts.js';

async function until(what: string, cond: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(25);
  }
}

describe('interrupted mirror', () => {
  let work: string;
  let fx: FixtureSet;
  let src: AirlockHandle;
  let dst: AirlockHandle;
  let gate: GateProxy;
  let big: FixtureImage;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-kill-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 0 });
    big = fx.images.find((i) => i.ref === 'big-v1')!;
    [src, dst] = await Promise.all([startAirlock(), startAirlock()]);
    gate = await startGateProxy({ upstream: dst.url });
    const hub = new RegistryHub({ insecure: () => true });
    await copyImage(createCopyContext(), new OciLayoutSource(await OciLayout.open(fx.layout, { create: false })), big.ref, [{ dst: hub.destination({ registry: src.hostPort, repository: 'r/big' }), tag: 'v1' }]);
    await hub.close();
  });

  after(async () => {
    await gate?.close();
    await Promise.all([src?.close(), dst?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('re-running after SIGKILL completes without re-sending finished blobs', async () => {
    const blobs = [...(await uniqueBlobs(fx.layout, [big.digest]))];
    const layers = blobs.filter((b) => b !== big.configDigest);
    const stalled = layers[layers.length - 1]!;
    const done = blobs.filter((b) => b !== stalled);
    // Hold the upload of one layer forever; everything else goes through.
    gate.faults.push({ match: (m, p) => m === 'PUT' && decodeURIComponent(p).includes(stalled), action: 'stall', times: 1 });
    const args = [...airlockCliArgs(), 'image', 'mirror', '--insecure', `${src.hostPort}/r/big:v1`, `${gate.hostPort}/r/big`];
    const child = spawn(process.execPath, args, { cwd: work, env: childEnv({ HOME: work }), stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('close', (code, signal) => r(signal ? -1 : code)));
    await until('the stalled upload and the other blobs', async () => gate.faults[0]!.times === 0 && (await Promise.all(done.map((d) => headBlob(dst.url, 'r/big', d)))).every((h) => h.status === 200));
    child.kill('SIGKILL');
    assert.equal(await exited, -1);
    assert.equal((await headBlob(dst.url, 'r/big', stalled)).status, 404, 'no partial blob is visible');
    assert.equal((await headManifest(dst.url, 'r/big', 'v1')).status, 404);

    const rerun = spawn(process.execPath, [...args, '-o', 'json'], { cwd: work, env: childEnv({ HOME: work }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    rerun.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    rerun.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((r) => rerun.on('close', r));
    assert.equal(code, 0, err);
    const doc = JSON.parse(out) as { stats: { blobs: Record<string, number>; bytesTransferred: number } };
    assert.deepEqual(doc.stats.blobs, { uploaded: 1, mounted: 0, exists: done.length, deduped: 0 }, 'only the interrupted blob crosses again');
    assert.equal((await headManifest(dst.url, 'r/big', 'v1')).digest, big.digest);
    assert.deepEqual(await checkImageTree(dst.url, 'r/big', big.digest), []);
  });
});
