/**
 * The work `npm run bench:ha` measures on each set-up (stack.ts), and RGW's
 * own PUT throughput as the baseline for the S3 ingest target:
 *   push      skopeo copy of every fixture image, one after the other
 *             (a fresh skopeo HOME per run: cold blob-info cache);
 *   ingest    one blob of BENCH_BLOB_MIB the way skopeo and podman send it
 *             (POST, one streamed PATCH with its Content-Length, PUT
 *             ?digest=), until the 201;
 *   manifests GET of one manifest by tag from BENCH_CONNECTIONS keep-alive
 *             clients for BENCH_LOAD_S seconds, with every replica's CPU
 *             seconds over that time;
 *   rgw PUT   the same bytes straight into RGW with the SDK: one streamed
 *             PutObject, and a multipart upload of 8 MiB parts, 4 in flight
 *             (the faster counts).
 * The blob is BLOCKS random MiB repeated, so the client spends its CPU on
 * sending, not on making bytes; its digest is computed once.
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectsCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { request } from 'undici';
import type { FixtureImage } from '../../test/fixtures/make-fixtures.js';
import { cpuSeconds, machineBusySeconds } from '../lib/proc.js';
import { runLoad, type LoadTool } from '../lib/load.js';
import { newSkopeoHome, skopeoCopy } from '../lib/skopeo.js';
import { MANIFEST_ACCEPT, verifyBlob, verifyRegistry } from '../lib/verify.js';
import type { Services, Setup } from './stack.js';

const MiB = 1 << 20;
const BLOCKS = 64;

export interface Blob {
  readonly size: number;
  readonly digest: string;
  stream(): Readable;
}

export function makeBlob(mib: number): Blob {
  const blocks = Array.from({ length: BLOCKS }, () => randomBytes(MiB));
  const stream = (): Readable => {
    let i = 0;
    return new Readable({
      read() {
        this.push(i < mib ? blocks[i++ % BLOCKS] : null);
      },
    });
  };
  const h = createHash('sha256');
  for (let i = 0; i < mib; i++) h.update(blocks[i % BLOCKS]!);
  return { size: mib * MiB, digest: `sha256:${h.digest('hex')}`, stream };
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
const refOf = (img: FixtureImage): string => (img.tag === null ? `@${img.digest}` : `:${img.tag}`);

/** skopeo push of every image; returns the wall seconds, after checking every manifest digest. */
export async function pushFixtures(s: Setup, images: readonly FixtureImage[], workDir: string): Promise<number> {
  const home = await newSkopeoHome(workDir);
  const t0 = process.hrtime.bigint();
  for (const img of images) {
    const r = await skopeoCopy(home, ['-q', '--all', '--dest-tls-verify=false', img.source, `docker://${s.hostPort}/${img.repo}${refOf(img)}`]);
    if (r.code !== 0) throw new Error(`push ${img.ref} into ${s.name}: ${r.stderr.trim().slice(-800)}`);
  }
  const wall = seconds(t0);
  await rm(home.dir, { recursive: true, force: true });
  await verifyRegistry(s, images.map((i) => ({ repo: i.repo, ref: i.tag ?? i.digest, digest: i.digest })), `pushing into ${s.name}`);
  return wall;
}

async function expect(res: Awaited<ReturnType<typeof request>>, status: number, what: string): Promise<void> {
  if (res.statusCode !== status) throw new Error(`${what}: HTTP ${res.statusCode} ${(await res.body.text()).slice(0, 300)}`);
  await res.body.dump();
}

/** POST, one PATCH with the whole blob, PUT ?digest=; returns the wall seconds to the 201. */
export async function ingestBlob(s: Setup, blob: Blob, repo: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const post = await request(`${s.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await expect(post, 202, 'POST upload');
  const loc = new URL(String(post.headers.location), s.url);
  const patch = await request(loc, { method: 'PATCH', body: blob.stream(), headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) }, bodyTimeout: 600_000, headersTimeout: 600_000 });
  await expect(patch, 202, 'PATCH blob');
  const put = new URL(String(patch.headers.location), s.url);
  put.searchParams.set('digest', blob.digest);
  await expect(await request(put, { method: 'PUT', headersTimeout: 600_000 }), 201, 'PUT ?digest=');
  const wall = seconds(t0);
  await verifyBlob(s, repo, blob.digest, blob.size, `ingest into ${s.name}`);
  return wall;
}

export interface LoadFigures {
  readonly rps: number;
  readonly bad: number;
  /** CPU seconds of each replica during the load. */
  readonly cpuS: number[];
  /** CPU seconds the whole machine was busy during the load (every process: replicas, HAProxy, PostgreSQL, the load tool). */
  readonly machineS: number;
}

/**
 * `warmupS` of the same load first, not measured: fresh replicas JIT-compile
 * the GET path and open (SCRAM-authenticate) their PostgreSQL connections
 * and prepare their statements in the first seconds, three times over with
 * 3 replicas on the same 2 cores, which a 10 s window would count as rate.
 */
export async function manifestLoad(s: Setup, img: FixtureImage, tool: LoadTool, connections: number, durationS: number, warmupS = 0): Promise<LoadFigures> {
  const url = `${s.url}/v2/${img.repo}/manifests/${img.tag ?? img.digest}`;
  if (warmupS > 0) await runLoad(tool, { url, method: 'GET', headers: { accept: MANIFEST_ACCEPT }, connections, durationS: warmupS });
  const before = s.replicas.map((r) => cpuSeconds(r.pid) ?? NaN);
  const busy0 = machineBusySeconds();
  const r = await runLoad(tool, { url, method: 'GET', headers: { accept: MANIFEST_ACCEPT }, connections, durationS });
  const machineS = machineBusySeconds() - busy0;
  const cpuS = s.replicas.map((p, i) => (cpuSeconds(p.pid) ?? NaN) - before[i]!);
  return { rps: r.rps, bad: r.bad, cpuS, machineS };
}

/** RGW's own PUT throughput for the blob in MB/s: the better of one streamed PutObject and an 8 MiB × 4 multipart upload. */
export async function rgwPut(svc: Services, blob: Blob, key: string): Promise<{ putObject: number; multipart: number }> {
  const c = new S3Client({
    endpoint: svc.s3.endpoint,
    region: svc.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: svc.s3.accessKey, secretAccessKey: svc.s3.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { requestTimeout: 600_000 },
  });
  const mbps = (t0: bigint): number => blob.size / 1e6 / seconds(t0);
  try {
    let t0 = process.hrtime.bigint();
    await c.send(new PutObjectCommand({ Bucket: svc.bucket, Key: `${key}-put`, Body: blob.stream(), ContentLength: blob.size }));
    const putObject = mbps(t0);
    t0 = process.hrtime.bigint();
    const id = (await c.send(new CreateMultipartUploadCommand({ Bucket: svc.bucket, Key: `${key}-mp` }))).UploadId!;
    const partSize = 8 * MiB;
    const parts: { ETag: string; PartNumber: number }[] = [];
    const src = blob.stream();
    let next = 1;
    let pending = Buffer.alloc(0);
    const chunks = src[Symbol.asyncIterator]();
    const nextPart = async (): Promise<{ part: Buffer; n: number } | undefined> => {
      while (pending.length < partSize) {
        const r = await chunks.next();
        if (r.done) break;
        pending = Buffer.concat([pending, r.value as Buffer]);
      }
      if (pending.length === 0) return undefined;
      const part = pending.subarray(0, partSize);
      pending = pending.subarray(part.length);
      return { part, n: next++ };
    };
    // Parts are cut one after the other (a chain), uploaded 4 at a time.
    let reading: Promise<unknown> = Promise.resolve();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (;;) {
          const p = reading.then(nextPart);
          reading = p;
          const got = await p;
          if (!got) return;
          const { part, n } = got;
          const r = await c.send(new UploadPartCommand({ Bucket: svc.bucket, Key: `${key}-mp`, UploadId: id, PartNumber: n, Body: part, ContentLength: part.length }));
          parts.push({ ETag: r.ETag!, PartNumber: n });
        }
      }),
    );
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await c.send(new CompleteMultipartUploadCommand({ Bucket: svc.bucket, Key: `${key}-mp`, UploadId: id, MultipartUpload: { Parts: parts } }));
    const multipart = mbps(t0);
    await c.send(new DeleteObjectsCommand({ Bucket: svc.bucket, Delete: { Objects: [{ Key: `${key}-put` }, { Key: `${key}-mp` }], Quiet: true } }));
    return { putObject, multipart };
  } finally {
    c.destroy();
  }
}
