import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileWriter, WriteOptions } from '../driver.js';
import { PartSink } from './part-sink.js';
import { copyObject, deleteKeys, getBuffer, loadAppendState, partKey, putCreateOnly, tailKey, type S3Ctx } from './s3-chunks.js';
import { mapS3Error } from './s3-errors.js';

export class AppendConflictError extends Error {
  constructor(key: string) {
    super(`another writer appended to ${key} at the same time; retry from the current size`);
    this.name = 'AppendConflictError';
  }
}

/**
 * One append session on key `k` (see s3-chunks.ts for the layout): reloads
 * the tail into the first part buffer, writes each full part create-only,
 * and at commit writes the new tail and drops the stale objects. A cancel
 * (abort() or the signal) drops the unfinished part; full parts written
 * before stay, so the file is always a prefix of what was sent.
 */
export async function openAppend(ctx: S3Ctx, k: string, opts: WriteOptions): Promise<FileWriter> {
  opts.signal?.throwIfAborted();
  const st = await loadAppendState(ctx, k);
  let next = st.parts.length + 1;
  const stale = [...st.stale];
  let initial: Buffer | undefined;
  if (st.tail && st.tail.size >= ctx.partSize) {
    // Written with a smaller part size (another configuration): it becomes a full part as it is.
    await copyObject(ctx, st.tail.key, partKey(k, next++));
    stale.push(st.tail.key);
  } else if (st.tail) {
    initial = await getBuffer(ctx, st.tail.key);
  }
  const startParts = next - 1;
  const sink = new PartSink(
    ctx.partSize,
    async (part) => {
      if (!(await putCreateOnly(ctx, partKey(k, next), part))) throw new AppendConflictError(k);
      next++;
    },
    initial,
  );
  const onAbort = (): void => void sink.destroy(new Error('the write was cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let closed = false;
  const close = (): void => {
    closed = true;
    opts.signal?.removeEventListener('abort', onAbort);
  };
  return {
    stream: sink,
    commit: async () => {
      if (closed) throw new Error('append session already closed');
      if (!sink.writableEnded && !sink.destroyed) sink.end();
      let rest: Buffer;
      try {
        rest = await sink.remainder();
      } catch (e) {
        // A part still uploading lands before the caller looks at the size.
        await sink.settle();
        throw e;
      } finally {
        close();
      }
      const parts = next - 1;
      const unchanged = parts === startParts && rest.length === (initial?.length ?? 0);
      if (unchanged) return;
      if (rest.length > 0 && !(await putCreateOnly(ctx, tailKey(k, parts, rest.length), Buffer.from(rest)))) throw new AppendConflictError(k);
      if (st.tail && st.tail.key !== tailKey(k, parts, rest.length)) stale.push(st.tail.key);
      await deleteKeys(ctx, stale).catch(() => undefined);
    },
    abort: async () => {
      if (closed) return;
      close();
      sink.destroy();
      await sink.settle();
    },
  };
}

/**
 * Writes `body` as the whole object `key`: one PutObject when it fits in one
 * part, else a multipart upload of partSize parts (aborted on failure, so a
 * failed or cancelled write leaves nothing). Two part buffers of memory.
 */
export async function writeWhole(ctx: S3Ctx, key: string, body: Readable, opts: WriteOptions): Promise<number> {
  let uploadId: string | undefined;
  const parts: { ETag: string; PartNumber: number }[] = [];
  const upload = async (part: Buffer): Promise<void> => {
    uploadId ??= (await ctx.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.bucket, Key: key }))).UploadId!;
    const n = parts.length + 1;
    const r = await ctx.client.send(new UploadPartCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: part, ContentLength: part.length }));
    parts.push({ ETag: r.ETag!, PartNumber: n });
  };
  const sink = new PartSink(ctx.partSize, upload);
  try {
    await pipeline(body, sink, opts.signal ? { signal: opts.signal } : {});
    const rest = await sink.remainder();
    if (uploadId === undefined) {
      await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: Buffer.from(rest), ContentLength: rest.length }));
    } else {
      if (rest.length > 0) await upload(Buffer.from(rest));
      await ctx.client.send(new CompleteMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    }
    return sink.total;
  } catch (e) {
    await sink.settle();
    if (uploadId) await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw opts.signal?.aborted ? e : mapS3Error(e, 'write');
  }
}
