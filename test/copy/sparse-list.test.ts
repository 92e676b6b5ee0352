/**
 * The copy engine's sparse option (ImageCopyOptions.sparseManifestList with
 * a platform filter): the manifest list is pushed with its source bytes
 * (digest unchanged) and only the matching children; a later copy that
 * chooses more platforms completes the list already at the destination
 * (the list being there is not "complete" while a chosen child is absent).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';

describe('copy engine: sparse manifest lists', () => {
  let up: AirlockHandle;
  let down: AirlockHandle;
  let hub: RegistryHub;
  let set: BuiltImageSet;

  before(async () => {
    [up, down] = await Promise.all([startAirlock(), startAirlock({ config: { sparseRepos: ['sparse/**'] } })]);
    hub = new RegistryHub({ insecure: () => true });
    set = await buildImageSet('sparse engine', true);
    await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'src/multi' }), set, 'v1');
  });
  after(async () => {
    await hub?.close();
    await Promise.all([up?.close(), down?.close()]);
  });

  it('keeps the list bytes and copies only the chosen children; a wider choice later adds the rest', async () => {
    const src = hub.source({ registry: up.hostPort, repository: 'src/multi' });
    const dst = hub.destination({ registry: down.hostPort, repository: 'sparse/multi' });
    const [amd64, arm64] = set.manifests;
    const present = (): Promise<(string | undefined)[]> => Promise.all([set.top, amd64!, arm64!].map((m) => dst.resolveManifest(m.digest)));

    const first = await copyImage(createCopyContext({ platformFilter: /^linux\/arm64$/, sparseManifestList: true }), src, 'v1', [{ dst, tag: 'v1' }]);
    assert.equal(first.targets[0]!.digest, set.top.digest);
    assert.equal(first.targets[0]!.rewrittenFrom, undefined);
    assert.deepEqual(first.tree?.children.map((c) => c.digest), [arm64!.digest]);
    assert.deepEqual(await present(), [set.top.digest, undefined, arm64!.digest]);
    assert.deepEqual((await dst.resolveManifest('v1')), set.top.digest);
    const got = await hub.source({ registry: down.hostPort, repository: 'sparse/multi' }).getManifest('v1');
    assert.deepEqual(got.bytes, set.top.bytes, 'the list is byte for byte the source list');

    const again = await copyImage(createCopyContext({ platformFilter: /^linux\/arm64$/, sparseManifestList: true }), src, 'v1', [{ dst, tag: 'v1' }]);
    assert.equal(again.targets[0]!.skipped, true, 'complete for the same choice');

    const wider = await copyImage(createCopyContext({ platformFilter: /^linux\/(arm64|amd64)$/, sparseManifestList: true }), src, 'v1', [{ dst, tag: 'v1' }]);
    assert.equal(wider.targets[0]!.skipped, false);
    assert.deepEqual(await present(), [set.top.digest, amd64!.digest, arm64!.digest]);
  });

  it('outside the sparse repositories the registry refuses the list (nothing tagged)', async () => {
    const src = hub.source({ registry: up.hostPort, repository: 'src/multi' });
    const dst = hub.destination({ registry: down.hostPort, repository: 'strict/multi' });
    await assert.rejects(copyImage(createCopyContext({ platformFilter: /^linux\/arm64$/, sparseManifestList: true }), src, 'v1', [{ dst, tag: 'v1' }]), /MANIFEST_BLOB_UNKNOWN|400/);
    assert.equal(await dst.resolveManifest('v1'), undefined);
  });
});
