/**
 * The shared stores of an HA test: a fresh database on the test PostgreSQL
 * (--metadata) and a fresh prefix in the test bucket on Ceph RGW (--storage),
 * with the AWS environment a child process needs to reach the bucket.
 * remove() drops the database and deletes the prefix; a store passed in by
 * the caller is left alone.
 */
import { createTestDatabase, dropTestDatabase } from './pg.js';
import { awsEnv, prepareS3, s3StorageUrl, s3TestDriver, s3TestEnv } from './s3.js';

export interface SharedStores {
  readonly dbUrl: string;
  readonly storage: string;
  /** AWS_* variables for `airlock serve`/`migrate` children ({} without a test S3 store). */
  readonly env: Record<string, string>;
  remove(): Promise<void>;
}

export async function createSharedStores(opts: { metadata?: string; storage?: string } = {}): Promise<SharedStores> {
  const s3 = s3TestEnv();
  if (opts.storage === undefined && !s3) throw new Error('no S3 store: AIRLOCK_TEST_S3_ENDPOINT is unset');
  if (s3) await prepareS3(s3);
  const dbUrl = opts.metadata ?? (await createTestDatabase());
  const storage = opts.storage ?? s3StorageUrl(s3!);
  return {
    dbUrl,
    storage,
    env: s3 ? awsEnv(s3) : {},
    async remove() {
      if (opts.storage === undefined) {
        const driver = s3TestDriver(storage);
        await driver.delete('').catch(() => undefined);
        driver.close();
      }
      if (opts.metadata === undefined) await dropTestDatabase(dbUrl);
    },
  };
}
