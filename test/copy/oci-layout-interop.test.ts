/**
 * OCI image layouts both ways with skopeo 1.9 (containers/image) as the
 * independent peer: airlock writes a layout skopeo reads, skopeo writes a
 * layout airlock reads; digests equal everywhere.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { checkOciLayoutRef } from '../interop/support/disk-check.js';
import { checkImageTree, headManifest } from '../interop/support/registry-api.js';
import { peerGate } from '../interop/support/peers.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import type { CopyEvent } from '../../src/copy/events.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutDestination, OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';

const gate = peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)', dockerRegistryUnavailableReason()]);
const TLS = ['--src-tls-verify=false', '--dest-tls-verify=false'];
/** skopeo's oci: transport holds OCI-format images only (it converts Docker ones), so compare those. */
const ociOnly = (images: FixtureImage[]): FixtureImage[] => images.filter((i) => !i.mediaType.includes('docker'));

describe('OCI layout interop with skopeo', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let src: AirlockHandle;
  let peer: DockerRegistryHandle;
  let hub: RegistryHub;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-oci-it-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 3 });
    [src, peer] = await Promise.all([startAirlock(), startDockerRegistry()]);
    hub = new RegistryHub({ insecure: () => true });
    const ctx = createCopyContext();
    const layout = new OciLayoutSource(await OciLayout.open(fx.layout, { create: false }));
    for (const img of fx.images) await copyImage(ctx, layout, img.ref, [{ dst: hub.destination({ registry: src.hostPort, repository: img.repo }), tag: img.tag ?? undefined }]);
  });

  after(async () => {
    await hub?.close();
    await Promise.all([src?.close(), peer?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('airlock writes a layout (registry → oci:) that skopeo reads and copies on, digests unchanged', async () => {
    const out = join(work, 'airlock-written');
    const events: CopyEvent[] = [];
    const ctx = createCopyContext({ emit: (e) => events.push(e) });
    const dst = new OciLayoutDestination(await OciLayout.open(out, { create: true }));
    for (const img of fx.images) {
      await copyImage(ctx, hub.source({ registry: src.hostPort, repository: img.repo }), img.tag ?? img.digest, [{ dst, tag: img.ref }]);
    }
    await dst.commit();
    for (const img of fx.images) assert.deepEqual(await checkOciLayoutRef(out, img.ref, img.digest), [], img.ref);
    // One shared pool: every blob crossed once, none duplicated by the shared base layers.
    const uploads = events.filter((e) => e.type === 'blob' && e.action === 'uploaded').length;
    const dedup = events.filter((e) => e.type === 'blob' && e.action === 'deduped').length;
    assert.ok(dedup > 0 && uploads > 0);
    for (const img of ociOnly(fx.images)) {
      const raw = await skopeoOk(['inspect', '--raw', `oci:${out}:${img.ref}`]);
      assert.equal(`sha256:${createHash('sha256').update(raw.stdoutBytes).digest('hex')}`, img.digest, `skopeo inspect --raw ${img.ref}`);
      await skopeoOk(['copy', '--all', '-q', ...TLS, `oci:${out}:${img.ref}`, `docker://${peer.hostPort}/from-airlock/${img.ref}:v1`]);
      assert.equal((await headManifest(peer.url, `from-airlock/${img.ref}`, 'v1')).digest, img.digest, `${img.ref} via skopeo`);
      assert.deepEqual(await checkImageTree(peer.url, `from-airlock/${img.ref}`, img.digest), []);
    }
    const leftovers = await readdir(join(out, 'blobs', 'sha256'));
    assert.deepEqual(leftovers.filter((n) => n.startsWith('.tmp-')), [], 'no temp files left behind');
  });

  it('airlock reads a layout skopeo wrote (oci: → registry), digests unchanged', async () => {
    const out = join(work, 'skopeo-written');
    for (const img of ociOnly(fx.images)) {
      const from = `docker://${src.hostPort}/${img.repo}${img.tag ? `:${img.tag}` : `@${img.digest}`}`;
      await skopeoOk(['copy', '--all', '-q', ...TLS, from, `oci:${out}:${img.ref}`]);
    }
    const target = await startAirlock();
    try {
      const layout = new OciLayoutSource(await OciLayout.open(out, { create: false }));
      const ctx = createCopyContext();
      for (const img of ociOnly(fx.images)) {
        const r = await copyImage(ctx, layout, img.ref, [{ dst: hub.destination({ registry: target.hostPort, repository: `from-skopeo/${img.ref}` }), tag: 'v1' }]);
        assert.equal(r.sourceDigest, img.digest, `${img.ref}: skopeo kept the digest`);
        assert.equal((await headManifest(target.url, `from-skopeo/${img.ref}`, 'v1')).digest, img.digest);
        assert.deepEqual(await checkImageTree(target.url, `from-skopeo/${img.ref}`, img.digest), []);
      }
    } finally {
      await target.close();
    }
  });

  it('re-tagging in a layout replaces the ref name; listing shows each name once', async () => {
    const out = join(work, 'retag');
    const dst = new OciLayoutDestination(await OciLayout.open(out, { create: true }));
    const ctx = createCopyContext();
    const [a, b] = ociOnly(fx.images).filter((i) => i.tag !== null);
    await copyImage(ctx, hub.source({ registry: src.hostPort, repository: a!.repo }), a!.tag!, [{ dst, tag: 'current' }]);
    await copyImage(ctx, hub.source({ registry: src.hostPort, repository: b!.repo }), b!.tag!, [{ dst, tag: 'current' }]);
    await dst.commit();
    assert.deepEqual(await checkOciLayoutRef(out, 'current', b!.digest), []);
    const names: string[] = [];
    for await (const n of new OciLayoutSource(await OciLayout.open(out, { create: false })).listTags()) names.push(n);
    assert.deepEqual(names, ['current']);
  });
});
