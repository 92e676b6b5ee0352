import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe } from 'node:test';
import { assertEnvelope, assertError, assertStatus, header, requireHeader } from './http-client.js';
import { randomDigest, sha256, sha512, withQuery } from './registry-ops.js';
import type { SuiteContext } from './suite-context.js';

/** Workflow specs: push: blobs (registered by describeDistributionSpec). */
export function blobPushSpecs({ spec, http, ops, repo }: SuiteContext): void {
  describe('push: blobs', () => {
    spec('push.post-put-monolithic', 'POST then PUT uploads a blob (201, Location, Docker-Content-Digest)', async () => {
      const r = repo('push/monolithic');
      const data = randomBytes(3000);
      const digest = sha256(data);
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      const loc = http().resolve(requireHeader(start, 'location'));
      const put = await http().request('PUT', withQuery(loc, { digest }), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assertStatus(put, 201);
      assert.equal(header(put, 'docker-content-digest'), digest, 'Docker-Content-Digest');
      const blobLoc = decodeURIComponent(http().resolve(requireHeader(put, 'location')));
      assert.ok(blobLoc.endsWith(`/blobs/${digest}`), `blob Location ${blobLoc} should name the blob`);
      const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
    });

    spec('push.single-post-digest', 'single POST ?digest= with the body answers 201', async () => {
      const r = repo('push/single-post');
      const data = randomBytes(2048);
      const digest = sha256(data);
      const res = await http().request('POST', withQuery(`/v2/${r}/blobs/uploads/`, { digest }), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assertStatus(res, 201);
      requireHeader(res, 'location');
      assert.equal(header(res, 'docker-content-digest'), digest, 'Docker-Content-Digest');
      const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
    });

    spec('push.chunked', 'chunked PATCH uploads with Content-Range answer 202 with Range and Location', async () => {
      const r = repo('push/chunked');
      const chunks = [randomBytes(1000), randomBytes(2500), randomBytes(77)];
      const data = Buffer.concat(chunks);
      const digest = sha256(data);
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      let loc = http().resolve(requireHeader(start, 'location'));
      let offset = 0;
      for (const chunk of chunks) {
        const end = offset + chunk.length - 1;
        const res = await http().request('PATCH', loc, {
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset}-${end}`,
            'content-length': String(chunk.length),
          },
          body: chunk,
        });
        assertStatus(res, 202, `chunk ${offset}-${end}`);
        assert.equal(header(res, 'range'), `0-${end}`, `${res.what}: Range after chunk ${offset}-${end}`);
        loc = http().resolve(requireHeader(res, 'location'));
        offset = end + 1;
      }
      const put = await http().request('PUT', withQuery(loc, { digest }));
      assertStatus(put, 201);
      assert.equal(header(put, 'docker-content-digest'), digest, 'Docker-Content-Digest');
      const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
    });

    spec('push.chunk-out-of-order', 'an out-of-order chunk answers 416 and the session survives', async () => {
      const r = repo('push/out-of-order');
      const data = randomBytes(30);
      const digest = sha256(data);
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      let loc = http().resolve(requireHeader(start, 'location'));
      const first = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9', 'content-length': '10' },
        body: data.subarray(0, 10),
      });
      assertStatus(first, 202);
      loc = http().resolve(requireHeader(first, 'location'));
      const skip = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '20-29', 'content-length': '10' },
        body: data.subarray(20, 30),
      });
      assertStatus(skip, 416);
      assert.equal(header(skip, 'range'), '0-9', '416 answer: Range of what the registry holds');
      assertEnvelope(skip);
      const status = await http().request('GET', loc);
      assertStatus(status, 204, 'status after 416');
      assert.equal(header(status, 'range'), '0-9', 'the rejected chunk must not have been written');
      const rest = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '10-29', 'content-length': '20' },
        body: data.subarray(10),
      });
      assertStatus(rest, 202, 'resume after 416');
      assert.equal(header(rest, 'range'), '0-29');
      loc = http().resolve(requireHeader(rest, 'location'));
      const put = await http().request('PUT', withQuery(loc, { digest }));
      assertStatus(put, 201);
      const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
    });

    spec('push.streamed-patch', 'a streamed PATCH without Content-Range/Content-Length is accepted', async () => {
      const r = repo('push/streamed');
      const parts = [randomBytes(700), randomBytes(64 * 1024), randomBytes(33)];
      const data = Buffer.concat(parts);
      const digest = sha256(data);
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      const loc = http().resolve(requireHeader(start, 'location'));
      const patch = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream' },
        body: Readable.from(parts),
      });
      assertStatus(patch, 202);
      assert.equal(header(patch, 'range'), `0-${data.length - 1}`, 'Range');
      const next = http().resolve(requireHeader(patch, 'location'));
      const put = await http().request('PUT', withQuery(next, { digest }));
      assertStatus(put, 201);
      const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
    });

    spec('push.upload-status', 'GET on an upload session answers 204 with Range and Location', async () => {
      const r = repo('push/status');
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      let loc = http().resolve(requireHeader(start, 'location'));
      const patch = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-99', 'content-length': '100' },
        body: randomBytes(100),
      });
      assertStatus(patch, 202);
      loc = http().resolve(requireHeader(patch, 'location'));
      const status = await http().request('GET', loc);
      assertStatus(status, 204);
      assert.equal(header(status, 'range'), '0-99', 'Range');
      requireHeader(status, 'location');
      assert.equal(status.body.length, 0, '204 has no body');
    });

    spec('push.upload-cancel', 'DELETE on an upload answers 204, then the session is gone', async () => {
      const r = repo('push/cancel');
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      const loc = http().resolve(requireHeader(start, 'location'));
      const del = await http().request('DELETE', loc);
      assertStatus(del, 204);
      assertError(await http().request('GET', loc), 404, ['BLOB_UPLOAD_UNKNOWN']);
    });

    spec('push.upload-cancel-after-data', 'DELETE on an upload that holds bytes answers 204; the location is then unknown to every method', async () => {
      const r = repo('push/cancel-data');
      const data = randomBytes(4000);
      const digest = sha256(data);
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      let loc = http().resolve(requireHeader(start, 'location'));
      const patch = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-1999', 'content-length': '2000' },
        body: data.subarray(0, 2000),
      });
      assertStatus(patch, 202);
      loc = http().resolve(requireHeader(patch, 'location'));
      const del = await http().request('DELETE', loc, { headers: { 'content-length': '0' } });
      assertStatus(del, 204);
      assert.equal(del.body.length, 0, '204 has no body');
      assertError(await http().request('GET', loc), 404, ['BLOB_UPLOAD_UNKNOWN'], 'status after cancel');
      const more = await http().request('PATCH', loc, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '2000-3999', 'content-length': '2000' },
        body: data.subarray(2000),
      });
      assertError(more, 404, ['BLOB_UPLOAD_UNKNOWN'], 'PATCH after cancel');
      assertError(await http().request('PUT', withQuery(loc, { digest })), 404, ['BLOB_UPLOAD_UNKNOWN'], 'PUT after cancel');
      assertError(await http().request('DELETE', loc), 404, ['BLOB_UPLOAD_UNKNOWN'], 'second DELETE');
      assertStatus(await http().request('HEAD', `/v2/${r}/blobs/${digest}`), 404, 'nothing was committed');
    });

    spec('push.wrong-digest', 'PUT with a digest that does not match the data answers 400 DIGEST_INVALID', async () => {
      const r = repo('push/wrong-digest');
      const data = randomBytes(500);
      const claimed = randomDigest();
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      const loc = http().resolve(requireHeader(start, 'location'));
      const put = await http().request('PUT', withQuery(loc, { digest: claimed }), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assertError(put, 400, ['DIGEST_INVALID']);
      assertStatus(await http().request('HEAD', `/v2/${r}/blobs/${claimed}`), 404, 'claimed digest must not exist');
      assertStatus(await http().request('HEAD', `/v2/${r}/blobs/${sha256(data)}`), 404, 'real digest must not exist');
    });

    spec('push.mount', 'cross-repository mount answers 201 and the blob appears in the target', async () => {
      const from = repo('push/mount-from');
      const to = repo('push/mount-to');
      const data = randomBytes(1500);
      const digest = await ops().pushBlob(from, data);
      const res = await http().request('POST', withQuery(`/v2/${to}/blobs/uploads/`, { mount: digest, from }));
      assertStatus(res, 201);
      assert.equal(header(res, 'docker-content-digest'), digest, 'Docker-Content-Digest');
      const blobLoc = decodeURIComponent(http().resolve(requireHeader(res, 'location')));
      assert.ok(blobLoc.endsWith(`/blobs/${digest}`), `mount Location ${blobLoc} should name the blob`);
      const get = await http().request('GET', `/v2/${to}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
    });

    spec('push.mount-missing', 'mount of a blob missing in `from` answers 202 with a usable upload session', async () => {
      const from = repo('push/mount-missing-from');
      const to = repo('push/mount-missing-to');
      await ops().pushBlob(from, randomBytes(10)); // `from` exists, the mounted blob does not
      const data = randomBytes(600);
      const digest = sha256(data);
      const res = await http().request('POST', withQuery(`/v2/${to}/blobs/uploads/`, { mount: digest, from }));
      assertStatus(res, 202);
      const loc = http().resolve(requireHeader(res, 'location'));
      const put = await http().request('PUT', withQuery(loc, { digest }), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assertStatus(put, 201, 'finish the session the mount opened');
      assertStatus(await http().request('HEAD', `/v2/${to}/blobs/${digest}`), 200);
    });

    spec('push.mount-without-from', 'mount without `from` of a blob another repository holds answers 201 (automatic content discovery)', async () => {
      const holder = repo('push/auto-mount-holder');
      const to = repo('push/auto-mount-to');
      const data = randomBytes(1700);
      const digest = await ops().pushBlob(holder, data);
      const res = await http().request('POST', withQuery(`/v2/${to}/blobs/uploads/`, { mount: digest }));
      assertStatus(res, 201);
      assert.equal(header(res, 'docker-content-digest'), digest, 'Docker-Content-Digest');
      const blobLoc = decodeURIComponent(http().resolve(requireHeader(res, 'location')));
      assert.ok(blobLoc.endsWith(`/v2/${to}/blobs/${digest}`), `mount Location ${blobLoc} should name the blob in the target`);
      const get = await http().request('GET', `/v2/${to}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
    });

    spec('push.mount-without-from-unknown', 'mount without `from` of a blob nobody holds answers 202 with a usable upload session', async () => {
      const to = repo('push/auto-mount-unknown');
      const data = randomBytes(900);
      const digest = sha256(data);
      const res = await http().request('POST', withQuery(`/v2/${to}/blobs/uploads/`, { mount: digest }));
      assertStatus(res, 202);
      assert.equal(header(res, 'docker-content-digest'), undefined, 'a 202 names no blob');
      const loc = http().resolve(requireHeader(res, 'location'));
      assert.ok(decodeURIComponent(loc).includes(`/v2/${to}/blobs/uploads/`), `session Location ${loc}`);
      const put = await http().request('PUT', withQuery(loc, { digest }), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assertStatus(put, 201, 'finish the session the mount opened');
      const get = await http().request('GET', `/v2/${to}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
    });

    spec('push.sha512-blob', 'a blob uploaded with a sha512 digest can be fetched by that digest', async () => {
      const r = repo('push/sha512');
      const data = randomBytes(1234);
      const digest = sha512(data);
      const start = await http().request('POST', `/v2/${r}/blobs/uploads/`);
      assertStatus(start, 202);
      const loc = http().resolve(requireHeader(start, 'location'));
      const put = await http().request('PUT', withQuery(loc, { digest }), {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      assertStatus(put, 201);
      assert.equal(header(put, 'docker-content-digest'), digest, 'Docker-Content-Digest');
      const get = await http().request('GET', `/v2/${r}/blobs/${digest}`);
      assertStatus(get, 200);
      assert.deepEqual(get.body, data);
      const head = await http().request('HEAD', `/v2/${r}/blobs/${digest}`);
      assertStatus(head, 200);
      assert.equal(header(head, 'content-length'), String(data.length));
    });
  });
}
