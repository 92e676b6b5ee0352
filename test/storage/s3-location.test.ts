/**
 * `--storage` values: parsed precisely, refused with one line (never with a
 * credential in it), and `serve` stops with one line when the store cannot
 * be used. Needs no S3 store (a closed loopback port stands for one that is down).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { parseS3Location } from '../../src/storage/s3/s3-location.js';
import { freePort, runAirlockCli } from '../helpers/airlock-process.js';

describe('--storage s3:// URLs', () => {
  it('parses bucket, prefix, endpoint, region, path style and part size', () => {
    assert.deepEqual(parseS3Location('s3://mirror/team/a/?endpoint=http://127.0.0.1:7480/&region=eu-west-1&forcePathStyle=true&partSize=16M'), {
      bucket: 'mirror',
      prefix: 'team/a/',
      endpoint: 'http://127.0.0.1:7480',
      region: 'eu-west-1',
      forcePathStyle: true,
      partSize: 16 << 20,
    });
    const plain = parseS3Location('s3://mirror');
    assert.equal(plain.prefix, '');
    assert.equal(plain.endpoint, undefined);
    assert.equal(plain.forcePathStyle, false);
    assert.equal(plain.partSize, 8 << 20);
  });

  it('refuses bad values with one line, never repeating a credential', () => {
    const cases: [string, RegExp][] = [
      ['s3://AKIAEXAMPLE:supersecret@mirror?endpoint=http://127.0.0.1:1', /must not hold credentials: set AWS_ACCESS_KEY_ID/],
      ['http://mirror', /unsupported scheme "http:"/],
      ['s3://Bad_Bucket', /invalid S3 bucket name/],
      ['s3://mirror?endpoint=ftp://x', /invalid S3 endpoint/],
      ['s3://mirror?secretKey=abc', /unknown --storage parameter "secretKey"/],
      ['s3://mirror?partSize=1M', /partSize: expected 5M to 5G/],
      ['s3://mirror?forcePathStyle=yes', /forcePathStyle: expected true or false/],
    ];
    for (const [url, re] of cases) {
      assert.throws(() => parseS3Location(url), (e: Error) => {
        assert.ok(e instanceof ConfigError, url);
        assert.match(e.message, re, url);
        assert.doesNotMatch(e.message, /supersecret|\n/);
        return true;
      });
    }
  });

  it('serve stops with one line when the store is unreachable, or when --storage-redirect has no S3', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-s3-loc-'));
    try {
      const port = await freePort();
      const base = ['serve', '--insecure-http', '--no-auth', '--listen', '127.0.0.1:0', '--data-dir', dir];
      const down = await runAirlockCli([...base, '--storage', `s3://mirror?endpoint=http://127.0.0.1:${port}&forcePathStyle=true`], {
        env: { AWS_ACCESS_KEY_ID: 'AKIATEST', AWS_SECRET_ACCESS_KEY: 'never-shown-secret' },
        timeoutMs: 60_000,
      });
      assert.notEqual(down.code, 0);
      const lines = down.stderr.trim().split('\n');
      assert.equal(lines.length, 1, down.stderr);
      assert.match(lines[0]!, /blob storage: the S3 storage is unavailable: HeadBucket: ECONNREFUSED/);
      assert.doesNotMatch(down.stderr + down.stdout, /never-shown-secret/);
      const noS3 = await runAirlockCli([...base, '--storage-redirect']);
      assert.notEqual(noS3.code, 0);
      assert.match(noS3.stderr.trim(), /^[^\n]*--storage-redirect needs --storage s3:\/\/[^\n]*$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
