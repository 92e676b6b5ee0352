/**
 * Manifest PUT validation beyond JSON shape: duplicate keys and descriptor
 * sizes checked against the stored blobs and child manifests.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import {
  MT, RegistryClient, RegistryOps, assertEnvelope, assertError, assertStatus, descriptor, randomDigest, sha256,
  type Descriptor, type HttpResponse,
} from '../conformance/workflows.js';

const FOREIGN_LAYER = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
const OCI_NONDISTRIBUTABLE = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';

function message(res: HttpResponse): string {
  return assertEnvelope(res).errors[0]!.message ?? '';
}

describe('manifest PUT validation', () => {
  let h: AirlockHandle;
  let http: RegistryClient;
  let ops: RegistryOps;

  before(async () => {
    h = await startAirlock({ config: { gc: { enabled: false }, sparseIndexRepos: ['checks/sparse'] /* the older name of sparseRepos */ } });
    http = new RegistryClient(h.url);
    ops = new RegistryOps(http);
  });
  after(async () => {
    await http.close();
    await h.close();
  });

  /** A config and a layer pushed to `repo`. */
  async function blobs(repo: string): Promise<{ config: Descriptor; layer: Descriptor }> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(4).toString('hex') }));
    const layer = randomBytes(777);
    await ops.pushBlob(repo, config);
    await ops.pushBlob(repo, layer);
    return { config: descriptor(MT.ociConfig, config), layer: descriptor(MT.ociLayer, layer) };
  }

  it('refuses duplicate keys with 400 MANIFEST_INVALID naming the key and its position, and stores nothing', async () => {
    const repo = 'checks/dup';
    const { config, layer } = await blobs(repo);
    const text = [
      '{',
      '  "schemaVersion": 2,',
      `  "mediaType": "${MT.ociManifest}",`,
      `  "config": ${JSON.stringify(config)},`,
      '  "layers": [',
      '    {',
      `      "mediaType": "${MT.ociLayer}",`,
      `      "digest": "${randomDigest()}",`,
      `      "size": ${layer.size},`,
      `      "digest": "${layer.digest}"`,
      '    }',
      '  ]',
      '}',
    ].join('\n');
    const bytes = Buffer.from(text);
    const res = await ops.putManifest(repo, 'v1', bytes, MT.ociManifest);
    assertError(res, 400, ['MANIFEST_INVALID'], 'duplicate "digest"');
    assert.equal(message(res), 'duplicate key "digest" at line 10, column 7');
    assertError(await ops.getManifest(repo, 'v1'), 404, ['MANIFEST_UNKNOWN'], 'no tag was created');
    assertError(await ops.getManifest(repo, sha256(bytes)), 404, ['MANIFEST_UNKNOWN'], 'no manifest was stored');
    // The same manifest without the duplicate is accepted.
    const clean = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config, layers: [layer] }));
    await ops.pushManifest(repo, 'v1', clean, MT.ociManifest);
  });

  it('refuses a duplicate top-level key in an index too', async () => {
    const body = Buffer.from(`{"schemaVersion":2,"mediaType":"${MT.ociIndex}","manifests":[],"manifests":[]}`);
    const res = await ops.putManifest('checks/dup-index', 'v1', body, MT.ociIndex);
    assertError(res, 400, ['MANIFEST_INVALID']);
    assert.match(message(res), /^duplicate key "manifests" at line 1, column \d+$/);
  });

  it('refuses config and layer descriptors whose size differs from the stored blob (400 MANIFEST_INVALID)', async () => {
    const repo = 'checks/sizes';
    const { config, layer } = await blobs(repo);
    const cases: [string, Descriptor, Descriptor[]][] = [
      ['layers[0]', config, [{ ...layer, size: layer.size + 1 }]],
      ['layers[1]', config, [layer, { ...layer, size: layer.size - 1 }]],
      ['config', { ...config, size: 0 }, [layer]],
    ];
    for (const [where, c, layers] of cases) {
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: c, layers }));
      const res = await ops.putManifest(repo, 'bad', bytes, MT.ociManifest);
      assertError(res, 400, ['MANIFEST_INVALID'], where);
      assert.match(message(res), new RegExp(`^${where.replace(/[[\]]/g, '\\$&')} declares size \\d+ for sha256:[0-9a-f]{64}, but the stored content is \\d+ bytes$`));
      assertError(await ops.getManifest(repo, sha256(bytes)), 404, ['MANIFEST_UNKNOWN'], `${where}: nothing stored`);
    }
    assertError(await ops.getManifest(repo, 'bad'), 404, ['MANIFEST_UNKNOWN'], 'no tag was created');
    // An unknown blob is still reported as unknown, before any size.
    const unknown = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest, config: { ...config, size: 1 }, layers: [{ ...layer, digest: randomDigest() }],
    }));
    assertError(await ops.putManifest(repo, 'bad', unknown, MT.ociManifest), 400, ['MANIFEST_BLOB_UNKNOWN']);
    const good = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config, layers: [layer] }));
    await ops.pushManifest(repo, 'good', good, MT.ociManifest);
  });

  it('refuses an index whose child descriptor size differs from the stored child manifest', async () => {
    const repo = 'checks/index';
    const img = await ops.pushImage(repo, []);
    const child = { ...descriptor(MT.ociManifest, img.manifest), platform: { architecture: 'amd64', os: 'linux' } };
    const index = (c: Descriptor) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [c] }));
    const res = await ops.putManifest(repo, 'multi', index({ ...child, size: child.size + 10 }), MT.ociIndex);
    assertError(res, 400, ['MANIFEST_INVALID']);
    assert.match(message(res), /^manifests\[0\] declares size \d+ for sha256:/);
    await ops.pushManifest(repo, 'multi', index(child), MT.ociIndex);
  });

  it('in a sparse-index repository, accepts a missing child but still checks a present one', async () => {
    const repo = 'checks/sparse';
    const img = await ops.pushImage(repo, []);
    const present = { ...descriptor(MT.ociManifest, img.manifest), platform: { architecture: 'amd64', os: 'linux' } };
    const missing = { mediaType: MT.ociManifest, digest: randomDigest(), size: 999, platform: { architecture: 'arm64', os: 'linux' } };
    const index = (c: Descriptor[]) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: c }));
    assertError(await ops.putManifest(repo, 'wrong', index([{ ...present, size: 1 }, missing]), MT.ociIndex), 400, ['MANIFEST_INVALID']);
    await ops.pushManifest(repo, 'ok', index([present, missing]), MT.ociIndex);
  });

  it('?tag= parameters: refused on a push by tag, more than 100 answer 414, duplicates set once; DELETE of an invalid tag is 404', async () => {
    const repo = 'checks/tag-params';
    const img = await ops.pushImage(repo, ['base']);
    const put = (path: string): Promise<HttpResponse> =>
      http.request('PUT', `/v2/${repo}/manifests/${path}`, { headers: { 'content-type': img.mediaType }, body: img.manifest });
    const byTag = await put('other?tag=extra');
    assertError(byTag, 400, ['MANIFEST_INVALID']);
    assert.match(message(byTag), /only on a push by digest/);
    const many = Array.from({ length: 101 }, (_, i) => `tag=t${i}`).join('&');
    assertError(await put(`${img.manifestDigest}?${many}`), 414, ['MANIFEST_INVALID']);
    const dup = await put(`${img.manifestDigest}?tag=a&tag=b&tag=a`);
    assertStatus(dup, 201);
    assert.equal(dup.headers['oci-tag'], 'a, b');
    const plain = await put(img.manifestDigest);
    assertStatus(plain, 201);
    assert.equal(plain.headers['oci-tag'], undefined, 'no OCI-Tag without ?tag=');
    assert.deepEqual((await ops.tags(repo)).tags, ['a', 'b', 'base']);
    assertError(await http.request('DELETE', `/v2/${repo}/manifests/.INVALID_MANIFEST_NAME`), 404, ['MANIFEST_UNKNOWN']);
    assertError(await ops.getManifest(repo, 'sha256:baddigeststring'), 400, ['DIGEST_INVALID'], 'a malformed digest stays 400');
  });

  it('keeps accepting foreign and non-distributable layers with urls, whatever their size, without the blob', async () => {
    const repo = 'checks/foreign';
    const { config } = await blobs(repo);
    const dockerConfig = { ...config, mediaType: MT.dockerConfig };
    const foreign = { mediaType: FOREIGN_LAYER, digest: randomDigest(), size: 123456, urls: ['https://example.invalid/layer.tar.gz'] };
    const docker = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.dockerManifest, config: dockerConfig, layers: [foreign] }));
    await ops.pushManifest(repo, 'windows', docker, MT.dockerManifest);
    const nondist = { mediaType: OCI_NONDISTRIBUTABLE, digest: randomDigest(), size: 42, urls: ['https://example.invalid/l'] };
    const oci = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config, layers: [nondist] }));
    await ops.pushManifest(repo, 'nondist', oci, MT.ociManifest);
    // Without urls the layer must be in the registry, as before.
    const { urls: _urls, ...noUrls } = nondist;
    const local = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config, layers: [noUrls] }));
    assertError(await ops.putManifest(repo, 'local', local, MT.ociManifest), 400, ['MANIFEST_BLOB_UNKNOWN']);
    assertStatus(await ops.getManifest(repo, 'windows'), 200, 'foreign-layer manifest served');
  });
});
