import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  UploadPartCopyCommand,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { ByteRange } from '../driver.js';
import { isNotFound, mapS3Error } from './s3-errors.js';

/** What the S3 driver's helpers share. */
export interface S3Ctx {
  readonly client: S3Client;
  readonly bucket: string;
  readonly partSize: number;
}

/**
 * An append in progress is a chain of plain objects next to the file's key K
 * (dot names, never listed), each named by the offset it starts at:
 *
 *   K/.append-s-000000000000000            bytes 0 … n1-1
 *   K/.append-s-0000000000<n1>             bytes n1 … n2-1, and so on
 *
 * An append session writes exactly one segment: it streams its bytes into a
 * multipart upload of `partSize` parts at the key of its start offset and
 * completes it at commit (a small session is one PutObject). When the last
 * segment is shorter than `partSize`, the next session reloads it and writes
 * a longer segment at the same key, which replaces it atomically; so every
 * segment but the last is at least 5 MiB, and `move` of a one-segment append
 * (every single-request upload) is a plain server-side CopyObject. Nothing
 * of a session is visible before its multipart upload completes; a crash
 * leaves the chain as it was plus an incomplete multipart upload, which
 * `delete` of the path aborts. Objects off the chain are stale.
 */
export interface Chunk {
  readonly key: string;
  readonly size: number;
}

export interface AppendState {
  /** The chain, in order (only non-empty segments). */
  readonly segments: Chunk[];
  /** Objects under the append marker that are not on the chain (removed at the next commit or move). */
  readonly stale: string[];
  readonly size: number;
  readonly modifiedAt?: Date;
}

const MARK = '/.append-';
export const segmentKey = (k: string, start: number): string => `${k}${MARK}s-${String(start).padStart(15, '0')}`;

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
  const byStart = new Map<number, _Object>();
  const stale: string[] = [];
  for (const o of objs) {
    const m = o.Key!.slice(k.length + MARK.length).match(/^s-(\d{15})$/);
    if (m && (o.Size ?? 0) > 0) byStart.set(Number(m[1]), o);
    else stale.push(o.Key!);
  }
  const segments: Chunk[] = [];
  let modified: Date | undefined;
  let size = 0;
  for (let o = byStart.get(0); o; o = byStart.get(size)) {
    byStart.delete(size);
    segments.push({ key: o.Key!, size: o.Size! });
    size += o.Size!;
    if (o.LastModified && (!modified || o.LastModified > modified)) modified = o.LastModified;
  }
  for (const o of byStart.values()) stale.push(o.Key!);
  return { segments, stale, size, ...(modified ? { modifiedAt: modified } : {}) };
}

/** Aborts every multipart upload under `prefix` (the sessions a crash left unfinished). */
export async function abortUploads(ctx: S3Ctx, prefix: string): Promise<void> {
  for (let keyMarker: string | undefined, idMarker: string | undefined; ; ) {
    let r;
    try {
      r = await ctx.client.send(
        new ListMultipartUploadsCommand({ Bucket: ctx.bucket, Prefix: prefix, ...(keyMarker ? { KeyMarker: keyMarker, UploadIdMarker: idMarker } : {}) }),
      );
    } catch (e) {
      throw mapS3Error(e, 'ListMultipartUploads');
    }
    for (const u of r.Uploads ?? []) {
      await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: u.Key!, UploadId: u.UploadId! })).catch((e: unknown) => {
        if (!isNotFound(e)) throw mapS3Error(e, 'AbortMultipartUpload');
      });
    }
    if (!r.IsTruncated) return;
    keyMarker = r.NextKeyMarker;
    idMarker = r.NextUploadIdMarker;
    if (!keyMarker) return;
  }
}

export function exists(s: AppendState): boolean {
  return s.segments.length > 0;
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
  for (const c of s.segments) {
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
