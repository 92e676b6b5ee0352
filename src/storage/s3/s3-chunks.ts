import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { ByteRange } from '../driver.js';
import { isPreconditionFailed, mapS3Error } from './s3-errors.js';

/** What the S3 driver's helpers share. */
export interface S3Ctx {
  readonly client: S3Client;
  readonly bucket: string;
  readonly partSize: number;
}

/**
 * An append in progress is a set of plain objects next to the file's key K
 * (dot names, never listed):
 *
 *   K/.append-p-000001 … K/.append-p-00000N     full parts, written create-only
 *   K/.append-t-00000N-000000001234             the tail after part N (1234 bytes, < partSize)
 *
 * The file's bytes are the parts in order, then the tail whose part count is
 * N. A session reloads the tail, fills parts of exactly partSize and writes a
 * new tail at commit; every object is written once (If-None-Match: *), so a
 * crash at any point leaves a valid state: a tail naming an older part count,
 * or one shorter than another tail of the same count, is stale and ignored.
 * `move` composes the set into one object server-side (UploadPartCopy).
 */
export interface Chunk {
  readonly key: string;
  readonly size: number;
}

export interface AppendState {
  readonly parts: Chunk[];
  readonly tail?: Chunk;
  /** Objects of the set that no longer count (removed at the next commit or move). */
  readonly stale: string[];
  readonly size: number;
  readonly modifiedAt?: Date;
}

const MARK = '/.append-';
export const partKey = (k: string, n: number): string => `${k}${MARK}p-${String(n).padStart(6, '0')}`;
export const tailKey = (k: string, n: number, len: number): string => `${k}${MARK}t-${String(n).padStart(6, '0')}-${String(len).padStart(12, '0')}`;

/** Every object under `prefix` (all pages). */
export async function listKeys(ctx: S3Ctx, prefix: string): Promise<_Object[]> {
  const out: _Object[] = [];
  for (let token: string | undefined; ; ) {
    let r;
    try {
      r = await ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    } catch (e) {
      throw mapS3Error(e, 'ListObjectsV2');
    }
    out.push(...(r.Contents ?? []));
    if (!r.IsTruncated || !r.NextContinuationToken) return out;
    token = r.NextContinuationToken;
  }
}

export async function loadAppendState(ctx: S3Ctx, k: string): Promise<AppendState> {
  const objs = await listKeys(ctx, `${k}${MARK}`);
  const parts = new Map<number, _Object>();
  const tails: { n: number; len: number; o: _Object }[] = [];
  const stale: string[] = [];
  for (const o of objs) {
    const rest = o.Key!.slice(k.length + MARK.length);
    const p = rest.match(/^p-(\d{6})$/);
    const t = rest.match(/^t-(\d{6})-(\d{12})$/);
    if (p) parts.set(Number(p[1]), o);
    else if (t && Number(t[2]) === o.Size) tails.push({ n: Number(t[1]), len: Number(t[2]), o });
    else stale.push(o.Key!);
  }
  const list: Chunk[] = [];
  let modified: Date | undefined;
  const seen = (o: _Object): void => void (o.LastModified && (!modified || o.LastModified > modified) && (modified = o.LastModified));
  for (let n = 1; parts.has(n); n++) {
    const o = parts.get(n)!;
    list.push({ key: o.Key!, size: o.Size ?? 0 });
    seen(o);
  }
  for (const [n, o] of parts) if (n > list.length) stale.push(o.Key!);
  let tail: Chunk | undefined;
  for (const t of tails.sort((a, b) => b.len - a.len)) {
    if (!tail && t.n === list.length) {
      tail = { key: t.o.Key!, size: t.len };
      seen(t.o);
    } else stale.push(t.o.Key!);
  }
  const size = list.reduce((s, c) => s + c.size, 0) + (tail?.size ?? 0);
  return { parts: list, ...(tail ? { tail } : {}), stale, size, ...(modified ? { modifiedAt: modified } : {}) };
}

export function exists(s: AppendState): boolean {
  return s.parts.length > 0 || s.tail !== undefined;
}

/** Writes an object that must not exist yet; false when it already does (another writer got there first). */
export async function putCreateOnly(ctx: S3Ctx, key: string, body: Buffer): Promise<boolean> {
  try {
    await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: body, ContentLength: body.length, IfNoneMatch: '*' }));
    return true;
  } catch (e) {
    if (isPreconditionFailed(e)) return false;
    throw mapS3Error(e, 'PutObject');
  }
}

export async function getBuffer(ctx: S3Ctx, key: string): Promise<Buffer> {
  try {
    const r = await ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  } catch (e) {
    throw mapS3Error(e, 'GetObject');
  }
}

export async function getStream(ctx: S3Ctx, key: string, range?: ByteRange): Promise<Readable> {
  const r = await ctx.client.send(
    new GetObjectCommand({ Bucket: ctx.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
  );
  return r.Body as Readable;
}

/** The bytes of an append set (or `range` of them), chunk after chunk, one GET open at a time. */
export async function* readChunks(ctx: S3Ctx, s: AppendState, range?: ByteRange): AsyncGenerator<Buffer> {
  const start = range?.start ?? 0;
  const end = range?.end ?? s.size - 1;
  let base = 0;
  for (const c of [...s.parts, ...(s.tail ? [s.tail] : [])]) {
    const cStart = Math.max(start, base);
    const cEnd = Math.min(end, base + c.size - 1);
    if (cStart <= cEnd) {
      let body: Readable;
      try {
        body = await getStream(ctx, c.key, { start: cStart - base, end: cEnd - base });
      } catch (e) {
        throw mapS3Error(e, 'GetObject');
      }
      for await (const b of body) yield b as Buffer;
    }
    base += c.size;
    if (base > end) return;
  }
}

export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Copies one object (≤ 5 GiB) server-side. */
export async function copyObject(ctx: S3Ctx, from: string, to: string): Promise<void> {
  try {
    await ctx.client.send(new CopyObjectCommand({ Bucket: ctx.bucket, Key: to, CopySource: copySource(ctx.bucket, from) }));
  } catch (e) {
    throw mapS3Error(e, 'CopyObject');
  }
}

/**
 * Builds `to` server-side from `sources` (each a whole object, or a byte
 * range of one), in order, with one multipart upload; every source but the
 * last must be at least 5 MiB. Aborts the upload on failure: `to` is then
 * untouched.
 */
export async function composeObject(ctx: S3Ctx, to: string, sources: { key: string; range?: ByteRange }[]): Promise<void> {
  let uploadId: string | undefined;
  try {
    uploadId = (await ctx.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.bucket, Key: to }))).UploadId!;
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (const [i, s] of sources.entries()) {
      const r = await ctx.client.send(
        new UploadPartCopyCommand({
          Bucket: ctx.bucket,
          Key: to,
          UploadId: uploadId,
          PartNumber: i + 1,
          CopySource: copySource(ctx.bucket, s.key),
          ...(s.range ? { CopySourceRange: `bytes=${s.range.start}-${s.range.end}` } : {}),
        }),
      );
      parts.push({ ETag: r.CopyPartResult!.ETag!, PartNumber: i + 1 });
    }
    // Complete's own ETag is not used (Ceph RGW 16 answers it empty).
    await ctx.client.send(new CompleteMultipartUploadCommand({ Bucket: ctx.bucket, Key: to, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (e) {
    if (uploadId) await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: to, UploadId: uploadId })).catch(() => undefined);
    throw mapS3Error(e, 'multipart copy');
  }
}

/** Deletes objects by key, 1000 per request. */
export async function deleteKeys(ctx: S3Ctx, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    try {
      await ctx.client.send(new DeleteObjectsCommand({ Bucket: ctx.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    } catch (e) {
      throw mapS3Error(e, 'DeleteObjects');
    }
  }
}
