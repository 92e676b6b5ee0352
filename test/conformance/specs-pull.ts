import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ACCEPT_ALL_MANIFESTS, HttpResponse, MT, assertError, assertStatus, header } from './http-client.js';
import { PushedImage, randomDigest } from './registry-ops.js';
import type { SuiteContext } from './suite-context.js';

/** Workflow specs: ping, pull (registered by describeDistributionSpec). */
export function pullSpecs({ spec, http, ops, repo }: SuiteContext): void {
  describe('ping', () => {
    spec('ping.v2', 'GET /v2/ answers 200 with Docker-Distribution-Api-Version', async () => {
      const res = await http().request('GET', '/v2/');
      assertStatus(res, 200);
      assert.equal(header(res, 'docker-distribution-api-version'), 'registry/2.0');
    });
  });

  describe('pull', () => {
    let image: Promise<PushedImage> | undefined;
    const pulled = (): Promise<PushedImage> => (image ??= ops().pushImage(repo('pull/image'), ['v1'], { layerSize: 4096 }));

    const checkManifestHeaders = (res: HttpResponse, img: PushedImage): void => {
      assert.equal(header(res, 'docker-content-digest'), img.manifestDigest, `${res.what}: Docker-Content-Digest`);
      assert.equal(header(res, 'content-type'), img.mediaType, `${res.what}: Content-Type`);
      assert.equal(header(res, 'content-length'), String(img.manifest.length), `${res.what}: Content-Length`);
    };

    spec('pull.manifest-get-by-tag', 'GET manifest by tag returns the exact bytes and headers', async () => {
      const img = await pulled();
      const res = await ops().getManifest(img.repo, 'v1');
      assertStatus(res, 200);
      checkManifestHeaders(res, img);
      assert.deepEqual(res.body, img.manifest, 'manifest bytes');
    });

    spec('pull.manifest-head-by-tag', 'HEAD manifest by tag returns headers and no body', async () => {
      const img = await pulled();
      const res = await ops().getManifest(img.repo, 'v1', ACCEPT_ALL_MANIFESTS, 'HEAD');
      assertStatus(res, 200);
      checkManifestHeaders(res, img);
      assert.equal(res.body.length, 0, 'HEAD body must be empty');
    });

    spec('pull.manifest-get-by-digest', 'GET manifest by digest returns the exact bytes and headers', async () => {
      const img = await pulled();
      const res = await ops().getManifest(img.repo, img.manifestDigest);
      assertStatus(res, 200);
      checkManifestHeaders(res, img);
      assert.deepEqual(res.body, img.manifest, 'manifest bytes');
    });

    spec('pull.manifest-head-by-digest', 'HEAD manifest by digest returns headers and no body', async () => {
      const img = await pulled();
      const res = await ops().getManifest(img.repo, img.manifestDigest, ACCEPT_ALL_MANIFESTS, 'HEAD');
      assertStatus(res, 200);
      checkManifestHeaders(res, img);
      assert.equal(res.body.length, 0, 'HEAD body must be empty');
    });

    spec('pull.blob-get', 'GET blob returns the exact bytes, Content-Length and Docker-Content-Digest', async () => {
      const img = await pulled();
      const res = await http().request('GET', `/v2/${img.repo}/blobs/${img.layerDesc.digest}`);
      assertStatus(res, 200);
      assert.deepEqual(res.body, img.layer, 'blob bytes');
      assert.equal(header(res, 'content-length'), String(img.layer.length), 'Content-Length');
      assert.equal(header(res, 'docker-content-digest'), img.layerDesc.digest, 'Docker-Content-Digest');
    });

    spec('pull.blob-head', 'HEAD blob returns Content-Length and Docker-Content-Digest, no body', async () => {
      const img = await pulled();
      const res = await http().request('HEAD', `/v2/${img.repo}/blobs/${img.layerDesc.digest}`);
      assertStatus(res, 200);
      assert.equal(header(res, 'content-length'), String(img.layer.length), 'Content-Length');
      assert.equal(header(res, 'docker-content-digest'), img.layerDesc.digest, 'Docker-Content-Digest');
      assert.equal(res.body.length, 0, 'HEAD body must be empty');
    });

    spec('pull.blob-range', 'GET blob with Range: bytes=10-19 answers 206 with Content-Range', async () => {
      const img = await pulled();
      const res = await http().request('GET', `/v2/${img.repo}/blobs/${img.layerDesc.digest}`, {
        headers: { range: 'bytes=10-19' },
      });
      assertStatus(res, 206);
      assert.equal(header(res, 'content-range'), `bytes 10-19/${img.layer.length}`, 'Content-Range');
      assert.equal(header(res, 'content-length'), '10', 'Content-Length');
      assert.deepEqual(res.body, img.layer.subarray(10, 20), 'ranged bytes');
    });

    spec('pull.blob-unknown', 'unknown blob answers 404 BLOB_UNKNOWN', async () => {
      const img = await pulled();
      const d = randomDigest();
      assertError(await http().request('GET', `/v2/${img.repo}/blobs/${d}`), 404, ['BLOB_UNKNOWN']);
      assertError(await http().request('HEAD', `/v2/${img.repo}/blobs/${d}`), 404, ['BLOB_UNKNOWN']);
    });

    spec('pull.manifest-unknown', 'unknown tag or digest answers 404 MANIFEST_UNKNOWN', async () => {
      const img = await pulled();
      assertError(await ops().getManifest(img.repo, 'no-such-tag'), 404, ['MANIFEST_UNKNOWN']);
      assertError(await ops().getManifest(img.repo, randomDigest()), 404, ['MANIFEST_UNKNOWN']);
      assertError(await ops().getManifest(img.repo, 'no-such-tag', ACCEPT_ALL_MANIFESTS, 'HEAD'), 404, ['MANIFEST_UNKNOWN']);
    });

    spec('pull.manifest-invalid-tag', 'GET and HEAD of a syntactically invalid tag answer 404 MANIFEST_UNKNOWN (it cannot exist)', async () => {
      const img = await pulled();
      for (const tag of ['.INVALID_MANIFEST_NAME', '-dash-first', 'x'.repeat(129)]) {
        assertError(await ops().getManifest(img.repo, tag), 404, ['MANIFEST_UNKNOWN'], `GET ${tag.slice(0, 20)}`);
        assertError(await ops().getManifest(img.repo, tag, ACCEPT_ALL_MANIFESTS, 'HEAD'), 404, ['MANIFEST_UNKNOWN'], `HEAD ${tag.slice(0, 20)}`);
      }
    });

    spec('pull.unknown-repository', 'manifest/blob/tags of an unknown repository answer 404', async () => {
      const r = repo('pull/never-pushed');
      assertError(await ops().getManifest(r, 'latest'), 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
      assertError(await http().request('GET', `/v2/${r}/blobs/${randomDigest()}`), 404, ['NAME_UNKNOWN', 'BLOB_UNKNOWN']);
      assertError(await http().request('GET', `/v2/${r}/tags/list`), 404, ['NAME_UNKNOWN']);
    });

    spec('pull.oci-manifest-docker-accept', 'OCI manifest is served even when Accept lists only Docker types', async () => {
      const img = await pulled();
      const res = await ops().getManifest(img.repo, 'v1', `${MT.dockerManifest}, ${MT.dockerList}`);
      assertStatus(res, 200);
      assert.equal(header(res, 'content-type'), MT.ociManifest, 'Content-Type');
      assert.deepEqual(res.body, img.manifest, 'manifest bytes');
    });
  });
}
