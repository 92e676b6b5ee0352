import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import { MT, assertError, assertStatus, describeBody, header, requireHeader } from './http-client.js';
import { descriptor, randomDigest, sha256 } from './registry-ops.js';
import type { SuiteContext } from './suite-context.js';

/** Workflow specs: push: manifests (registered by describeDistributionSpec). */
export function manifestPushSpecs({ spec, http, ops, repo }: SuiteContext): void {
  describe('push: manifests', () => {
    spec('push.manifest-by-tag', 'manifest PUT by tag answers 201 with Location and Docker-Content-Digest', async () => {
      const r = repo('push/manifest-tag');
      const img = await ops().pushImage(r, []);
      const res = await ops().putManifest(r, 'release-1', img.manifest, img.mediaType);
      assertStatus(res, 201);
      assert.equal(header(res, 'docker-content-digest'), img.manifestDigest, 'Docker-Content-Digest');
      requireHeader(res, 'location');
      const get = await ops().getManifest(r, 'release-1');
      assertStatus(get, 200);
      assert.deepEqual(get.body, img.manifest);
    });

    spec('push.manifest-by-digest', 'tagless manifest PUT by digest answers 201 and is fetchable by digest', async () => {
      const r = repo('push/manifest-digest');
      const img = await ops().pushImage(r, []); // no tags: the manifest is PUT by digest only
      const get = await ops().getManifest(r, img.manifestDigest);
      assertStatus(get, 200);
      assert.deepEqual(get.body, img.manifest);
      assert.equal(header(get, 'docker-content-digest'), img.manifestDigest);
    });

    spec('push.manifest-invalid-tag', 'manifest PUT to a syntactically invalid tag answers 400 MANIFEST_INVALID and stores nothing', async () => {
      const r = repo('push/invalid-tag');
      const img = await ops().pushImage(r, ['valid']);
      const res = await ops().putManifest(r, '.INVALID_MANIFEST_NAME', img.manifest, img.mediaType);
      assertError(res, 400, ['MANIFEST_INVALID']);
      assert.deepEqual((await ops().tags(r)).tags, ['valid'], 'no tag was added');
    });

    spec('push.manifest-tag-params', 'PUT by digest with ?tag= sets every tag and names each in OCI-Tag', async () => {
      const r = repo('push/tag-params');
      const img = await ops().pushImage(r, []);
      const tags = ['1.2.3', '1.2', '1', 'latest'];
      const query = tags.map((t) => `tag=${encodeURIComponent(t)}`).join('&');
      const res = await http().request('PUT', `/v2/${r}/manifests/${img.manifestDigest}?${query}`, {
        headers: { 'content-type': img.mediaType },
        body: img.manifest,
      });
      assertStatus(res, 201);
      assert.equal(header(res, 'docker-content-digest'), img.manifestDigest, 'Docker-Content-Digest');
      const announced = (header(res, 'oci-tag') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
      assert.deepEqual([...announced].sort(), [...tags].sort(), `${res.what}: OCI-Tag must list every accepted tag`);
      for (const t of tags) {
        const get = await ops().getManifest(r, t);
        assertStatus(get, 200, `tag ${t}`);
        assert.deepEqual(get.body, img.manifest, `bytes by ${t}`);
      }
      assert.deepEqual((await ops().tags(r)).tags, [...tags].sort());
    });

    spec('push.manifest-tag-param-invalid', 'PUT by digest with an invalid ?tag= answers 400 MANIFEST_INVALID and sets no tag', async () => {
      const r = repo('push/tag-param-invalid');
      const img = await ops().pushImage(r, ['first']);
      const res = await http().request('PUT', `/v2/${r}/manifests/${img.manifestDigest}?tag=good&tag=.bad`, {
        headers: { 'content-type': img.mediaType },
        body: img.manifest,
      });
      assertError(res, 400, ['MANIFEST_INVALID']);
      assertError(await ops().getManifest(r, 'good'), 404, ['MANIFEST_UNKNOWN'], 'the valid tag of a refused push');
      assert.deepEqual((await ops().tags(r)).tags, ['first']);
    });

    spec('push.nested-names', 'a five-component repository name works for blobs, manifests and tags', async () => {
      const r = repo('a/b/c/d/e');
      const img = await ops().pushImage(r, ['nested']);
      const get = await ops().getManifest(r, 'nested');
      assertStatus(get, 200);
      assert.deepEqual(get.body, img.manifest);
      const blob = await http().request('GET', `/v2/${r}/blobs/${img.layerDesc.digest}`);
      assertStatus(blob, 200);
      assert.deepEqual(blob.body, img.layer);
      const tags = await ops().tags(r);
      assert.equal(tags.name, r);
      assert.deepEqual(tags.tags, ['nested']);
    });

    spec('push.manifest-missing-layer', 'manifest referencing a missing layer answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const r = repo('push/missing-layer');
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
      await ops().pushBlob(r, config);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociManifest,
          config: descriptor(MT.ociConfig, config),
          layers: [{ mediaType: MT.ociLayer, digest: randomDigest(), size: 1234 }],
        }),
      );
      const res = await ops().putManifest(r, 'broken', manifest, MT.ociManifest);
      assertError(res, 400, ['MANIFEST_BLOB_UNKNOWN']);
      assertError(await ops().getManifest(r, 'broken'), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
      assertError(await ops().getManifest(r, sha256(manifest)), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
    });

    spec('push.index-missing-child', 'index referencing a missing manifest answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const r = repo('push/missing-child');
      const img = await ops().pushImage(r, ['present']);
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociIndex,
          manifests: [
            { mediaType: MT.ociManifest, digest: img.manifestDigest, size: img.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
            { mediaType: MT.ociManifest, digest: randomDigest(), size: 321, platform: { architecture: 'arm64', os: 'linux' } },
          ],
        }),
      );
      const res = await ops().putManifest(r, 'multi', index, MT.ociIndex);
      assertError(res, 400, ['MANIFEST_BLOB_UNKNOWN']);
      assertError(await ops().getManifest(r, 'multi'), 404, ['MANIFEST_UNKNOWN']);
      assertError(await ops().getManifest(r, sha256(index)), 404, ['MANIFEST_UNKNOWN']);
    });

    spec('push.docker-schema2-byte-exact', 'Docker schema2 manifest with unusual formatting is stored byte-exact', async () => {
      const r = repo('push/docker-exact');
      const img = await ops().pushImage(r, [], { docker: true });
      // Same content as img.manifest, but odd whitespace, key order, an
      // escaped slash and a trailing newline: a registry that re-serializes
      // would change the digest.
      const text =
        `{\n   "layers" : [\n\t{ "size":${img.layerDesc.size},   "digest" : "${img.layerDesc.digest}",\n` +
        `\t  "mediaType":"application\\/vnd.docker.image.rootfs.diff.tar.gzip"}\n  ],\n` +
        `  "config":{"digest":"${img.configDesc.digest}","size":${img.configDesc.size},"mediaType":"${MT.dockerConfig}"},\n` +
        `  "mediaType": "${MT.dockerManifest}",\r\n  "schemaVersion":2\n}\n`;
      const bytes = Buffer.from(text);
      const digest = sha256(bytes);
      assert.notEqual(digest, img.manifestDigest);
      const put = await ops().putManifest(r, 'odd', bytes, MT.dockerManifest);
      assertStatus(put, 201);
      assert.equal(header(put, 'docker-content-digest'), digest, 'digest of the bytes sent');
      for (const ref of ['odd', digest]) {
        const get = await ops().getManifest(r, ref, MT.dockerManifest);
        assertStatus(get, 200);
        assert.equal(header(get, 'content-type'), MT.dockerManifest);
        assert.equal(header(get, 'docker-content-digest'), digest);
        assert.deepEqual(get.body, bytes, `bytes by ${ref}`);
      }
    });

    spec('push.docker-manifest-list-byte-exact', 'Docker manifest list with unusual formatting is stored byte-exact', async () => {
      const r = repo('push/docker-list-exact');
      const img = await ops().pushImage(r, [], { docker: true });
      const text =
        `{"manifests":[\n    {"platform":{"os":"linux","architecture":"amd64"},\n` +
        `     "digest":"${img.manifestDigest}","mediaType":"${MT.dockerManifest}","size":${img.manifest.length}}\n  ],\n` +
        `"schemaVersion":   2,"mediaType":"${MT.dockerList}"  }\n\n`;
      const bytes = Buffer.from(text);
      const digest = sha256(bytes);
      const put = await ops().putManifest(r, 'list', bytes, MT.dockerList);
      assertStatus(put, 201);
      assert.equal(header(put, 'docker-content-digest'), digest, 'digest of the bytes sent');
      for (const ref of ['list', digest]) {
        const get = await ops().getManifest(r, ref, `${MT.dockerList}, ${MT.dockerManifest}`);
        assertStatus(get, 200);
        assert.equal(header(get, 'content-type'), MT.dockerList);
        assert.equal(header(get, 'docker-content-digest'), digest);
        assert.deepEqual(get.body, bytes, `bytes by ${ref}`);
      }
    });

    spec('push.schema1-rejected', 'a schema1 manifest is rejected with MANIFEST_INVALID or UNSUPPORTED', async () => {
      const r = repo('push/schema1');
      const layer = randomBytes(100);
      const layerDigest = await ops().pushBlob(r, layer);
      const body = Buffer.from(
        JSON.stringify(
          {
            schemaVersion: 1,
            name: r,
            tag: 'old',
            architecture: 'amd64',
            fsLayers: [{ blobSum: layerDigest }],
            history: [{ v1Compatibility: JSON.stringify({ id: randomBytes(32).toString('hex'), created: '2020-01-01T00:00:00Z' }) }],
            signatures: [
              {
                header: { jwk: { crv: 'P-256', kty: 'EC', x: 'AAAA', y: 'AAAA' }, alg: 'ES256' },
                signature: 'AAAA',
                protected: 'e30',
              },
            ],
          },
          null,
          3,
        ),
      );
      const res = await ops().putManifest(r, 'old', body, MT.dockerSchema1Signed);
      assert.ok(res.status >= 400 && res.status < 500, `${res.what}: expected a 4xx, got ${res.status};${describeBody(res)}`);
      assertError(res, res.status, ['MANIFEST_INVALID', 'UNSUPPORTED']);
      assertError(await ops().getManifest(r, 'old'), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
    });
  });
}
