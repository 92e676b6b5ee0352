/**
 * `airlock serve --storage s3://…` end to end on loopback, against Ceph RGW:
 * skopeo pushes multi-layer images, a chunked upload crosses S3 part
 * boundaries, everything reads back by digest from the bucket (not the data
 * directory), --storage-redirect answers 307 to a working presigned URL; and
 * with the object store cut off, pushes get a clear 503 and no metadata row
 * points at a blob missing from the bucket.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Digest } from '../../src/oci/digest.js';
import { blobPath } from '../../src/storage/blob-store.js';
import { makeFixtures, type FixtureSet } from '../fixtures/make-fixtures.js';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { sha, verifyPull } from '../helpers/ha-checks.js';
import { awsEnv, prepareS3, s3Gate, s3StorageUrl, s3TestDriver, s3TestEnv } from '../helpers/s3.js';
import { skopeo, skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { cuttableProxy } from '../helpers/tcp-proxy.js';
import { peerGate } from '../interop/support/peers.js';

const s3 = s3Gate();
const tools = peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)']);
const failure = s3.failure ?? tools.failure;
const skip = s3.skip || tools.skip;
const env = s3TestEnv();
const MiB = 1 << 20;

/** POST, then PATCHes of the given sizes with Content-Range, then PUT ?digest=. */
async function chunkedUpload(base: string, repo: string, data: Buffer, sizes: number[]): Promise<Response> {
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202);
  let loc = new URL(post.headers.get('location')!, base).href;
  let off = 0;
  for (const n of sizes) {
    const chunk = data.subarray(off, off + n);
    const r = await fetch(loc, { method: 'PATCH', body: chunk, headers: { 'content-type': 'application/octet-stream', 'content-range': `${off}-${off + n - 1}` } });
    assert.equal(r.status, 202, await r.text());
    assert.equal(r.headers.get('range'), `0-${off + n - 1}`);
    loc = new URL(r.headers.get('location')!, base).href;
    off += n;
  }
  return fetch(`${loc}${loc.includes('?') ? '&' : '?'}digest=${sha(data)}`, { method: 'PUT', body: data.subarray(off), headers: { 'content-type': 'application/octet-stream' } });
}

describe('airlock serve --storage s3:// (Ceph RGW)', { skip }, () => {
  if (failure !== undefined) {
    it('has an S3 store and skopeo', () => assert.fail(failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  before(async () => {
    await prepareS3(env!);
    work = await mkdtemp(join(tmpdir(), 'airlock-s3-serve-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 1 });
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pushes multi-layer images and a chunked upload into the bucket; every digest reads back; redirects work', async () => {
    const url = s3StorageUrl(env!);
    const reg = await startAirlockProcess({ args: ['--no-auth', '--storage', url, '--storage-redirect'], env: awsEnv(env!) });
    const driver = s3TestDriver(url);
    try {
      assert.match(reg.stdout(), /blob storage: s3:\/\/airlock-test\/t-/);
      assert.doesNotMatch(reg.stdout() + reg.stderr(), new RegExp(env!.secretKey));
      for (const ref of ['big-v1', 'multi-v1']) {
        const img = fx.images.find((i) => i.ref === ref)!;
        await skopeoOk(['copy', '--all', '-q', '--dest-tls-verify=false', img.source, `docker://${reg.hostPort}/${img.repo}:${img.tag}`]);
        const inspected = await skopeoOk(['inspect', '--raw', '--tls-verify=false', `docker://${reg.hostPort}/${img.repo}:${img.tag}`]);
        assert.equal(sha(inspected.stdoutBytes), img.digest);
        // Blob GETs redirect; fetch follows the 307 to the presigned RGW URL.
        assert.deepEqual(await verifyPull(reg.url, img.repo, img.tag!), []);
      }
      const data = randomBytes(13 * MiB + 17);
      const put = await chunkedUpload(reg.url, 'chunked/blob', data, [3 * MiB, 3 * MiB, 1, 5 * MiB - 1]);
      assert.equal(put.status, 201, await put.text());
      const get = await fetch(`${reg.url}/v2/chunked/blob/blobs/${sha(data)}`, { redirect: 'manual' });
      assert.equal(get.status, 307);
      const location = get.headers.get('location')!;
      assert.match(location, new RegExp(`^${env!.endpoint}/airlock-test/t-`));
      assert.doesNotMatch(location, new RegExp(env!.secretKey));
      const direct = Buffer.from(await (await fetch(location)).arrayBuffer());
      assert.equal(sha(direct), sha(data));
      const ranged = await fetch(location, { headers: { range: `bytes=${5 * MiB - 2}-${5 * MiB + 2}` } });
      assert.equal(ranged.status, 206);
      assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(5 * MiB - 2, 5 * MiB + 3)));
      const head = await fetch(`${reg.url}/v2/chunked/blob/blobs/${sha(data)}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(data.length));
      // The bytes are in the bucket, none under the data directory, and no upload is left over.
      assert.equal((await driver.stat(blobPath(sha(data) as Digest)))?.size, data.length);
      const local = join(reg.dataDir, 'storage');
      assert.deepEqual(existsSync(local) ? (await readdir(local)).filter((n) => n !== '.tmp') : [], []);
      assert.deepEqual(await driver.list('uploads'), []);
    } finally {
      await reg.stop();
      await driver.delete('');
      driver.close();
    }
  });

  it('with the object store unreachable, pushes get 503 UNAVAILABLE and no metadata row points at a missing blob', async () => {
    const url = new URL(env!.endpoint);
    const { port, open, cut } = await cuttableProxy(Number(url.port), url.hostname);
    const storage = s3StorageUrl({ ...env!, endpoint: `http://127.0.0.1:${port}` });
    const bucketUrl = storage.replace(encodeURIComponent(`http://127.0.0.1:${port}`), encodeURIComponent(env!.endpoint));
    const reg: AirlockProcess = await startAirlockProcess({ args: ['--no-auth', '--storage', storage], env: awsEnv(env!) });
    const driver = s3TestDriver(bucketUrl);
    try {
      const small = fx.images.find((i) => i.ref.startsWith('small-'))!;
      await skopeoOk(['copy', '-q', '--dest-tls-verify=false', small.source, `docker://${reg.hostPort}/before/cut:v1`]);
      await cut();
      // A replica cut off from its object store leaves the load balancer's rotation.
      const notReady = await fetch(`${reg.url}/readyz`);
      assert.equal(notReady.status, 503);
      assert.deepEqual(await notReady.json(), { status: 'blob storage unavailable' });
      const blob = randomBytes(6 * MiB);
      const mono = await fetch(`${reg.url}/v2/after/cut/blobs/uploads/?digest=${sha(blob)}`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(mono.status, 503);
      const err = (await mono.json()) as { errors: { code: string; message: string }[] };
      assert.equal(err.errors[0]!.code, 'UNAVAILABLE');
      assert.match(err.errors[0]!.message, /storage is unavailable: .*retry later/);
      assert.ok(Number(mono.headers.get('retry-after')) > 0);
      const chunked = await chunkedUpload(reg.url, 'after/cut', blob, [1 * MiB]).catch((e: Error) => e);
      assert.ok(chunked instanceof Error || chunked.status === 503, `chunked upload during the cut: ${chunked instanceof Error ? chunked.message : chunked.status}`);
      const big = fx.images.find((i) => i.ref === 'big-v1')!;
      const push = await skopeo(['copy', '-q', '--retry-times=0', '--dest-tls-verify=false', big.source, `docker://${reg.hostPort}/after/cut:v1`]);
      assert.notEqual(push.code, 0);
      // The server answers 503 as soon as the store fails and does not read the rest of the body, so skopeo
      // sees either that answer or its own write failing (the 503 itself is asserted above, over plain HTTP).
      assert.match(push.stderr, /503|unavailable|broken pipe|connection reset/i);
      const head = await fetch(`${reg.url}/v2/after/cut/blobs/${sha(blob)}`, { method: 'HEAD' });
      assert.equal(head.status, 404);
      // Every blob the metadata knows is whole in the bucket.
      const db = new Database(join(reg.dataDir, 'metadata.db'), { readonly: true, fileMustExist: true });
      const rows = db.prepare('SELECT digest, size FROM blobs').all() as { digest: string; size: number }[];
      db.close();
      assert.ok(rows.length >= 2, 'the first push recorded its blobs');
      for (const r of rows) assert.equal((await driver.stat(blobPath(r.digest as Digest)))?.size, r.size, r.digest);
      // The store comes back: the same push now succeeds and reads back.
      await open();
      assert.equal((await fetch(`${reg.url}/readyz`)).status, 200, '/readyz is 200 again once the object store answers');
      await skopeoOk(['copy', '-q', '--dest-tls-verify=false', big.source, `docker://${reg.hostPort}/after/cut:v1`]);
      assert.deepEqual(await verifyPull(reg.url, 'after/cut', 'v1'), []);
    } finally {
      await reg.stop();
      await cut().catch(() => undefined);
      await driver.delete('');
      driver.close();
    }
  });
});
