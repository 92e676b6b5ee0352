/**
 * The copy engine end to end on real registries: an OCI layout (the fixture
 * set) → airlock → docker-registry and → a second airlock, every digest
 * preserved, every unique blob uploaded once per run, re-runs moving nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { checkImageTree, headManifest } from '../interop/support/registry-api.js';
import { peerGate } from '../interop/support/peers.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import type { CopyEvent } from '../../src/copy/events.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import type { ImageSource } from '../../src/transports/types.js';
import { manifestGets, uniqueBlobs, uploadStarts } from './support/counts.js';

const gate = peerGate([dockerRegistryUnavailableReason()]);

interface Run {
  events: CopyEvent[];
  actions: Record<string, number>;
}

async function copyAll(hub: RegistryHub, images: FixtureImage[], src: (i: FixtureImage) => { source: ImageSource; ref: string }, dstHost: string, ns: string): Promise<Run> {
  const events: CopyEvent[] = [];
  const ctx = createCopyContext({ emit: (e) => events.push(e) });
  await Promise.all(
    images.map(async (img) => {
      const { source, ref } = src(img);
      const dst = hub.destination({ registry: dstHost, repository: img.repo.replace(/^fixtures\//, `${ns}/`) });
      const r = await copyImage(ctx, source, ref, [{ dst, tag: img.tag ?? undefined }]);
      assert.equal(r.targets[0]?.digest, img.digest, `${img.ref}: pushed digest`);
    }),
  );
  const actions: Record<string, number> = {};
  for (const e of events) if (e.type === 'blob') actions[e.action] = (actions[e.action] ?? 0) + 1;
  return { events, actions };
}

async function assertMirrored(url: string, ns: string, images: FixtureImage[]): Promise<void> {
  for (const img of images) {
    const repo = img.repo.replace(/^fixtures\//, `${ns}/`);
    const h = await headManifest(url, repo, img.tag ?? img.digest);
    assert.equal(h.digest, img.digest, `${repo}: digest`);
    assert.deepEqual(await checkImageTree(url, repo, img.digest), [], `${repo}: tree`);
  }
}

describe('copy engine', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let a: AirlockHandle;
  let b: AirlockHandle;
  let d: DockerRegistryHandle;
  let hub: RegistryHub;
  let layoutSource: OciLayoutSource;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-copy-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 6 });
    [a, b, d] = await Promise.all([startAirlock(), startAirlock(), startDockerRegistry()]);
    hub = new RegistryHub({ insecure: () => true });
    layoutSource = new OciLayoutSource(await OciLayout.open(fx.layout, { create: false }));
  });

  after(async () => {
    await hub?.close();
    await Promise.all([a?.close(), b?.close(), d?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pushes the OCI layout into airlock, each unique blob once, digests preserved', async () => {
    const run = await copyAll(hub, fx.images, (i) => ({ source: layoutSource, ref: i.ref }), a.hostPort, 'fixtures');
    await assertMirrored(a.url, 'fixtures', fx.images);
    const unique = await uniqueBlobs(fx.layout, fx.images.map((i) => i.digest));
    assert.equal(run.actions.uploaded, unique.size, 'uploads = unique blobs');
    assert.equal(await uploadStarts(a.url), unique.size, 'uploads started at the registry = unique blobs');
  });

  it('copies airlock → airlock with mounts for shared blobs and no blob uploaded twice', async () => {
    const run = await copyAll(hub, fx.images, (i) => ({ source: hub.source({ registry: a.hostPort, repository: i.repo }), ref: i.tag ?? i.digest }), b.hostPort, 'mirror');
    await assertMirrored(b.url, 'mirror', fx.images);
    const unique = await uniqueBlobs(fx.layout, fx.images.map((i) => i.digest));
    assert.equal(run.actions.uploaded, unique.size);
    assert.ok((run.actions.mounted ?? 0) > 0, 'shared blobs were mounted');
    assert.equal(await uploadStarts(b.url), unique.size);
  });

  it('copies airlock → docker-registry with identical digests', async () => {
    await copyAll(hub, fx.images, (i) => ({ source: hub.source({ registry: a.hostPort, repository: i.repo }), ref: i.tag ?? i.digest }), d.hostPort, 'mirror');
    await assertMirrored(d.url, 'mirror', fx.images);
  });

  it('a re-run moves nothing: one source GET and one HEAD per image, no child manifests, no blob requests', async () => {
    const before = hub.totals();
    const startsBefore = await uploadStarts(b.url);
    const getsBefore = await manifestGets(a.url);
    const run = await copyAll(hub, fx.images, (i) => ({ source: hub.source({ registry: a.hostPort, repository: i.repo }), ref: i.tag ?? i.digest }), b.hostPort, 'mirror');
    assert.deepEqual(run.actions, {});
    assert.ok(run.events.filter((e) => e.type === 'image').every((e) => e.type === 'image' && e.skipped));
    assert.equal(await uploadStarts(b.url), startsBefore);
    // Only the top manifests: a multi-arch list's children are not fetched when the destination has the list.
    assert.equal((await manifestGets(a.url)) - getsBefore, fx.images.length);
    const t = hub.totals();
    assert.equal(t.blobUploads, before.blobUploads);
    assert.equal(t.manifestPuts, before.manifestPuts);
  });
});
