import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import { ACCEPT_ALL_MANIFESTS, MT, assertError, assertStatus, header } from './http-client.js';
import { descriptor, randomDigest, sha256 } from './registry-ops.js';
import type { SuiteContext } from './suite-context.js';

/**
 * Workflow specs: sparse repositories (registered by describeDistributionSpec).
 * A target that supports them makes SPARSE_REPO_GLOB (the repositories
 * under `<run prefix>/sparse/`) sparse (airlock: the `sparseRepos` setting):
 * manifests there may reference absent layers, config and child manifests,
 * while present references are still size-checked. Outside them, the
 * push.manifest-missing-layer and push.index-missing-child specs hold.
 */
/** The repositories the sparse specs push to, for the target's sparse-repository setting. */
export const SPARSE_REPO_GLOB = 'conformance/*/sparse/**';

export function sparseSpecs({ spec, ops, repo }: SuiteContext): void {
  describe('push: sparse repositories', () => {
    /** GET and HEAD by tag and digest serve the exact bytes. */
    const assertServed = async (r: string, tag: string, bytes: Buffer, mediaType: string): Promise<void> => {
      for (const ref of [tag, sha256(bytes)]) {
        const get = await ops().getManifest(r, ref);
        assertStatus(get, 200, `GET by ${ref}`);
        assert.deepEqual(get.body, bytes, `bytes by ${ref}`);
        assert.equal(header(get, 'content-type'), mediaType);
        assert.equal(header(get, 'docker-content-digest'), sha256(bytes));
        const head = await ops().getManifest(r, ref, ACCEPT_ALL_MANIFESTS, 'HEAD');
        assertStatus(head, 200, `HEAD by ${ref}`);
        assert.equal(header(head, 'content-length'), String(bytes.length));
        assert.equal(head.body.length, 0);
      }
    };

    spec('sparse.image-absent-layers', 'an image manifest with absent config and layers is accepted and served; a present layer is still size-checked', async () => {
      const r = repo('sparse/image');
      const present = randomBytes(700);
      await ops().pushBlob(r, present);
      const presentDesc = descriptor(MT.ociLayer, present);
      const manifest = (layerSize: number): Buffer =>
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MT.ociManifest,
            config: { mediaType: MT.ociConfig, digest: randomDigest(), size: 321 },
            layers: [{ mediaType: MT.ociLayer, digest: randomDigest(), size: 4096 }, { ...presentDesc, size: layerSize }],
          }),
        );
      const wrong = manifest(presentDesc.size + 1);
      assertError(await ops().putManifest(r, 'wrong', wrong, MT.ociManifest), 400, ['MANIFEST_INVALID'], 'present layer with a wrong size');
      assertError(await ops().getManifest(r, 'wrong'), 404, ['MANIFEST_UNKNOWN']);
      const good = manifest(presentDesc.size);
      assertStatus(await ops().putManifest(r, 'partial', good, MT.ociManifest), 201);
      await assertServed(r, 'partial', good, MT.ociManifest);
    });

    spec('sparse.index-absent-children', 'an index with absent children is accepted and served; a present child is still size-checked', async () => {
      const r = repo('sparse/index');
      const img = await ops().pushImage(r, []);
      const index = (childSize: number): Buffer =>
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MT.ociIndex,
            manifests: [
              { mediaType: MT.ociManifest, digest: img.manifestDigest, size: childSize, platform: { architecture: 'amd64', os: 'linux' } },
              { mediaType: MT.ociManifest, digest: randomDigest(), size: 999, platform: { architecture: 'arm64', os: 'linux' } },
              { mediaType: MT.ociManifest, digest: randomDigest(), size: 998, platform: { architecture: 's390x', os: 'linux' } },
            ],
          }),
        );
      assertError(await ops().putManifest(r, 'wrong', index(img.manifest.length + 3), MT.ociIndex), 400, ['MANIFEST_INVALID'], 'present child with a wrong size');
      const good = index(img.manifest.length);
      assertStatus(await ops().putManifest(r, 'filtered', good, MT.ociIndex), 201);
      await assertServed(r, 'filtered', good, MT.ociIndex);
      const child = await ops().getManifest(r, img.manifestDigest);
      assertStatus(child, 200, 'the present child');
      assert.deepEqual(child.body, img.manifest);
    });
  });
}
