import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { prepareS3, s3Gate, s3StorageUrl, s3TestDriver, s3TestEnv, TEST_BUCKET } from '../helpers/s3.js';
import { driverConformance, readAll } from './driver-conformance.js';

const gate = s3Gate();
const env = s3TestEnv();
const MiB = 1 << 20;

/** Multipart uploads still open under the driver's prefix (sessions that never completed). */
async function openUploads(d: S3Driver): Promise<string[]> {
  const r = await d.client.send(new ListMultipartUploadsCommand({ Bucket: TEST_BUCKET, Prefix: d.location.prefix }));
  return (r.Uploads ?? []).map((u) => u.Key!);
}

if (gate.failure !== undefined) {
  describe('StorageDriver conformance: s3', () => it('has an S3 store to test against', () => assert.fail(gate.failure)));
} else if (gate.skip !== false || env === undefined) {
  describe('StorageDriver conformance: s3', { skip: gate.skip || 'no S3 store' }, () => undefined);
} else {
  const urls = new Map<unknown, string>();
  driverConformance('s3 (Ceph RGW)', {
    redirects: true,
    async make() {
      await prepareS3(env);
      const url = s3StorageUrl(env);
      const d = s3TestDriver(url);
      urls.set(d, url);
      return d;
    },
    async fresh(d) {
      return s3TestDriver(urls.get(d)!);
    },
    async cleanup(d) {
      await d.delete('');
      const rest = await d.list('');
      const open = await openUploads(d as S3Driver);
      (d as S3Driver).close();
      assert.deepEqual(rest, [], 'the prefix is empty after delete');
      assert.deepEqual(open, [], 'no multipart upload is left open after delete');
    },
  });

  describe('S3 driver: append sessions and multipart uploads', () => {
    let d: S3Driver;
    before(async () => {
      await prepareS3(env);
      d = s3TestDriver(s3StorageUrl(env));
    });
    after(async () => {
      await d.delete('');
      d.close();
    });

    it('a session that crashed mid-upload leaves only an open multipart upload, invisible; delete of the path aborts it', async () => {
      const data = randomBytes(16 * MiB);
      const w = await d.append('uploads/u1/data');
      // Written but never committed or aborted, as when the process is killed.
      await new Promise<void>((res) => w.stream.write(data, () => res()));
      for (let i = 0; i < 100 && (await openUploads(d)).length === 0; i++) await sleep(50);
      assert.equal((await openUploads(d)).length, 1, 'the session streams into one multipart upload');
      assert.equal(await d.stat('uploads/u1/data'), undefined, 'nothing of the session is visible');
      await d.delete('uploads/u1');
      assert.deepEqual(await openUploads(d), []);
      assert.deepEqual(await d.list('uploads'), []);
    });

    it('a one-session upload moves with one server-side copy of one object (no part composition)', async () => {
      const data = randomBytes(13 * MiB + 1);
      await new Promise<void>((res, rej) => {
        void d.append('uploads/u2/data').then(async (w) => {
          w.stream.write(data);
          await w.commit();
          res();
        }, rej);
      });
      const keys = await (await import('../../src/storage/s3/s3-chunks.js')).listKeys(
        { client: d.client, bucket: TEST_BUCKET, partSize: d.location.partSize },
        `${d.location.prefix}uploads/u2/data/`,
      );
      assert.deepEqual(keys.map((k) => [k.Key!.slice(d.location.prefix.length), k.Size]), [['uploads/u2/data/.append-s-000000000000000', data.length]]);
      await d.move('uploads/u2/data', 'blobs/x');
      assert.ok((await readAll(await d.read('blobs/x'))).equals(data));
      assert.deepEqual(await d.list('uploads'), []);
    });
  });
}
