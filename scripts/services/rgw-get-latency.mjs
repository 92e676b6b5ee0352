// Sequential small GetObject latency of an RGW started by rgw-up.sh (its test
// user): node scripts/services/rgw-get-latency.mjs http://127.0.0.1:7480
// Shows what tcp_nodelay=1 in `rgw frontends` does (AIRLOCK_RGW_NODELAY).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } = await import('@aws-sdk/client-s3');
const endpoint = process.argv[2] ?? 'http://127.0.0.1:7480';
const c = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'airlocktest', secretAccessKey: 'airlocktestsecret0123456789' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
await c.send(new CreateBucketCommand({ Bucket: 'airlock-latency' })).catch(() => undefined);
await c.send(new PutObjectCommand({ Bucket: 'airlock-latency', Key: 'small', Body: Buffer.alloc(1000, 1) }));
for (let i = 0; i < 10; i++) await (await c.send(new GetObjectCommand({ Bucket: 'airlock-latency', Key: 'small' }))).Body.transformToByteArray();
const N = 200; const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) await (await c.send(new GetObjectCommand({ Bucket: 'airlock-latency', Key: 'small' }))).Body.transformToByteArray();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`${endpoint}: ${N} sequential GetObject (1000 B): ${(ms / N).toFixed(2)} ms each, total ${(ms / 1000).toFixed(2)} s`);
c.destroy();
