/**
 * --max-registry on a real run: two source registries (two gate proxies in
 * front of one airlock, so two hosts) mirrored into a third. With a cap of 1
 * or 2, no request ever reaches one source while the other has one in
 * flight (each image needs its source and the destination); with 3 both
 * sources are worked on at once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { headManifest } from '../interop/support/registry-api.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { mappingsFromArgs } from '../../src/copy/mappings.js';
import { expandMappings, runMirror } from '../../src/copy/mirror.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startGateProxy, type GateProxy } from './support/gate-proxy.js';
import { writeTinyImages, type TinyImage } from './support/tiny-images.js';

describe('--max-registry in a mirror run', () => {
  let work: string;
  let images: TinyImage[];
  let src: AirlockHandle;
  let dst: AirlockHandle;
  const active = [0, 0];
  const seen = { overlap: false, maxPerSource: 0 };
  let gates: GateProxy[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-maxreg-'));
    images = await writeTinyImages(join(work, 'layout'), 4, { layerSize: 20_000, seed: 'maxreg' });
    [src, dst] = await Promise.all([startAirlock(), startAirlock()]);
    const layout = new OciLayoutSource(await OciLayout.open(join(work, 'layout'), { create: false }));
    const hub = new RegistryHub({ insecure: () => true });
    for (const [i, img] of images.entries()) await copyImage(createCopyContext(), layout, img.ref, [{ dst: hub.destination({ registry: src.hostPort, repository: `src/img-${i}` }), tag: 'v1' }]);
    await hub.close();
    gates = await Promise.all(
      [0, 1].map((k) =>
        startGateProxy({
          upstream: src.url,
          delayMs: 15,
          onActive: (d) => {
            active[k]! += d;
            seen.maxPerSource = Math.max(seen.maxPerSource, active[k]!);
            if (active[0]! > 0 && active[1]! > 0) seen.overlap = true;
          },
        }),
      ),
    );
  });

  after(async () => {
    await Promise.all(gates.map((g) => g.close()));
    await Promise.all([src?.close(), dst?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const run = async (maxRegistries: number): Promise<typeof seen> => {
    seen.overlap = false;
    seen.maxPerSource = 0;
    const hub = new RegistryHub({ insecure: () => true });
    const ns = `cap${maxRegistries}`;
    try {
      const args = gates.flatMap((g, k) => images.map((_, i) => `${g.hostPort}/src/img-${i}:v1=${dst.hostPort}/${ns}/s${k}-img-${i}`));
      const jobs = await expandMappings({ registries: hub }, mappingsFromArgs(args));
      const r = await runMirror(jobs, { env: { registries: hub }, copy: createCopyContext({ maxPerStore: 6 }), parallelImages: 8, maxRegistries });
      assert.deepEqual(r.errors, []);
      assert.equal(r.images.length, 2 * images.length);
      for (const [k] of gates.entries()) for (const [i, img] of images.entries()) assert.equal((await headManifest(dst.url, `${ns}/s${k}-img-${i}`, 'v1')).digest, img.digest);
    } finally {
      await hub.close();
    }
    return { ...seen };
  };

  it('cap 1: one source+destination pair at a time', async () => {
    const r = await run(1);
    assert.equal(r.overlap, false, 'the two sources were never worked on at once');
  });

  it('cap 2: images of one source run together, the other source waits', async () => {
    const r = await run(2);
    assert.equal(r.overlap, false, 'the two sources were never worked on at once');
    assert.ok(r.maxPerSource > 1, 'several requests to one source at once');
  });

  it('cap 3: both sources at once', async () => {
    const r = await run(3);
    assert.equal(r.overlap, true, 'both sources had requests in flight together');
  });
});
