import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { prepareS3, s3Gate, s3StorageUrl, s3TestDriver, s3TestEnv } from '../helpers/s3.js';
import { driverConformance } from './driver-conformance.js';

const gate = s3Gate();
const env = s3TestEnv();
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
      (d as S3Driver).close();
      assert.deepEqual(rest, [], 'the prefix is empty after delete');
    },
  });
}
