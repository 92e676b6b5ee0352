/**
 * The Ceph RGW that scripts/services/rgw-up.sh starts, as the tests find it:
 * AIRLOCK_TEST_S3_ENDPOINT (and _ACCESS_KEY, _SECRET_KEY, _REGION). Without
 * it the S3 suites skip with that reason, or fail when AIRLOCK_REQUIRE_PEERS=1.
 * Credentials reach the driver the way they reach `airlock serve`: through
 * the standard AWS_* environment variables.
 */
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { parseS3Location } from '../../src/storage/s3/s3-location.js';
import { peerGate, type PeerGate } from '../interop/support/peers.js';

export const TEST_BUCKET = 'airlock-test';

export interface S3TestEnv {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
}

export function s3TestEnv(): S3TestEnv | undefined {
  const e = process.env;
  if (!e.AIRLOCK_TEST_S3_ENDPOINT || !e.AIRLOCK_TEST_S3_ACCESS_KEY || !e.AIRLOCK_TEST_S3_SECRET_KEY) return undefined;
  return { endpoint: e.AIRLOCK_TEST_S3_ENDPOINT, accessKey: e.AIRLOCK_TEST_S3_ACCESS_KEY, secretKey: e.AIRLOCK_TEST_S3_SECRET_KEY, region: e.AIRLOCK_TEST_S3_REGION ?? 'us-east-1' };
}

export function s3Gate(): PeerGate {
  return peerGate([s3TestEnv() ? undefined : 'an S3 store: AIRLOCK_TEST_S3_ENDPOINT is unset (eval "$(scripts/services/rgw-up.sh)")']);
}

/** The AWS_* variables a process needs to reach the test store. */
export function awsEnv(env: S3TestEnv): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: env.accessKey, AWS_SECRET_ACCESS_KEY: env.secretKey, AWS_REGION: env.region };
}

/** Sets the AWS_* variables in this process and creates the bucket when missing. */
export async function prepareS3(env: S3TestEnv, bucket = TEST_BUCKET): Promise<void> {
  Object.assign(process.env, awsEnv(env));
  const c = new S3Client({ endpoint: env.endpoint, region: env.region, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    await c.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await c.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: { name?: string }) => {
      if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
    });
  } finally {
    c.destroy();
  }
}

/** The --storage URL of a fresh key prefix in the test bucket (5 MiB parts, S3's minimum, to reach part boundaries quickly). */
export function s3StorageUrl(env: S3TestEnv, prefix = `t-${randomUUID()}`, bucket = TEST_BUCKET): string {
  return `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(env.endpoint)}&region=${env.region}&forcePathStyle=true&partSize=5M`;
}

export function s3TestDriver(url: string): S3Driver {
  return new S3Driver(parseS3Location(url));
}
