import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import { ACCEPT_ALL_MANIFESTS, assertEnvelope, assertError, assertStatus } from './http-client.js';
import { randomDigest } from './registry-ops.js';
import type { SuiteContext } from './suite-context.js';

/** Workflow specs: content management, errors (registered by describeDistributionSpec). */
export function managementSpecs({ spec, http, ops, repo }: SuiteContext): void {
  describe('content management', () => {
    spec('manage.delete-tag', 'DELETE manifest by tag removes only that tag', async () => {
      const r = repo('manage/delete-tag');
      const img = await ops().pushImage(r, ['keep', 'drop']);
      const del = await http().request('DELETE', `/v2/${r}/manifests/drop`);
      assertStatus(del, 202);
      assertError(await ops().getManifest(r, 'drop'), 404, ['MANIFEST_UNKNOWN']);
      const keep = await ops().getManifest(r, 'keep');
      assertStatus(keep, 200, 'other tag survives');
      assert.deepEqual(keep.body, img.manifest);
      assertStatus(await ops().getManifest(r, img.manifestDigest), 200, 'manifest survives by digest');
      assert.deepEqual((await ops().tags(r)).tags, ['keep']);
    });

    spec('manage.delete-manifest-digest', 'DELETE manifest by digest answers 202, then it is gone', async () => {
      const r = repo('manage/delete-digest');
      const img = await ops().pushImage(r, ['t']);
      const del = await http().request('DELETE', `/v2/${r}/manifests/${img.manifestDigest}`);
      assertStatus(del, 202);
      assertError(await ops().getManifest(r, img.manifestDigest), 404, ['MANIFEST_UNKNOWN']);
      assertError(await ops().getManifest(r, img.manifestDigest, ACCEPT_ALL_MANIFESTS, 'HEAD'), 404, ['MANIFEST_UNKNOWN']);
      assertError(await ops().getManifest(r, 't'), 404, ['MANIFEST_UNKNOWN'], 'tag of a deleted manifest');
    });

    spec('manage.delete-blob', 'DELETE blob answers 202, then HEAD is 404', async () => {
      const r = repo('manage/delete-blob');
      const digest = await ops().pushBlob(r, randomBytes(300));
      const del = await http().request('DELETE', `/v2/${r}/blobs/${digest}`);
      assertStatus(del, 202);
      assertStatus(await http().request('HEAD', `/v2/${r}/blobs/${digest}`), 404);
      assertError(await http().request('GET', `/v2/${r}/blobs/${digest}`), 404, ['BLOB_UNKNOWN']);
    });
  });

  describe('errors', () => {
    spec('errors.unknown-route', 'unknown routes under /v2/ answer 404 with the OCI error envelope', async () => {
      for (const path of [`/v2/${repo('x')}/not-a-route`, `/v2/${repo('x')}/blobs/`, '/v2/_nothing/here/at/all']) {
        const res = await http().request('GET', path);
        assertStatus(res, 404);
        assertEnvelope(res);
      }
    });

    const invalidName = async (name: string): Promise<void> => {
      const probes: [string, string][] = [
        ['GET', `/v2/${name}/manifests/latest`],
        ['GET', `/v2/${name}/blobs/${randomDigest()}`],
        ['GET', `/v2/${name}/tags/list`],
        ['POST', `/v2/${name}/blobs/uploads/`],
      ];
      for (const [method, path] of probes) {
        const res = await http().request(method, path);
        assertError(res, [400, 404], ['NAME_INVALID', 'NAME_UNKNOWN']);
        if (res.status === 404) assertError(res, 404, ['NAME_UNKNOWN']);
        else assertError(res, 400, ['NAME_INVALID']);
      }
    };

    spec('errors.name-invalid-uppercase', 'an uppercase repository name answers NAME_INVALID/NAME_UNKNOWN', async () => {
      await invalidName(repo('UpperCase'));
    });

    spec('errors.name-invalid-dot-dot', 'a `..` repository name answers NAME_INVALID/NAME_UNKNOWN', async () => {
      await invalidName('../x');
      await invalidName(`${repo('a')}/../b`);
    });

    spec('errors.name-invalid-too-long', 'a 300-character repository name answers NAME_INVALID/NAME_UNKNOWN', async () => {
      const base = repo('long/');
      await invalidName(base + 'a'.repeat(300 - base.length));
    });
  });
}
