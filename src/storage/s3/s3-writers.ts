import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AppendOptions, FileWriter, WriteOptions } from '../driver.js';
import { PartSink } from './part-sink.js';
import { deleteKeys, getBuffer, loadAppendState, segmentKey, type S3Ctx } from './s3-chunks.js';
import { mapS3Error } from './s3-errors.js';
import { MAX_PUT, openPutSession } from './s3-put-session.js';

/**
 * Parts uploading at once while the next fills: one part's round trip to the
 * store no longer stalls the stream. Memory: PARTS_IN_FLIGHT + 1 part
 * buffers per write or append session.
 */
const PARTS_IN_FLIGHT = 2;

/**
 * One object written as a multipart upload, created at its first part.
 * Nothing is visible at `key` before `finish`; `abort` leaves nothing.
 */
class Multipart {
  private created: Promise<string> | undefined;
  private uploadId: string | undefined;
  private numbered = 0;
  private readonly parts: { ETag: string; PartNumber: number }[] = [];

  constructor(
    private readonly ctx: S3Ctx,
    private readonly key: string,
  ) {}

  /** Parts uploaded without a gap from part 1 (what a salvage can complete). */
  get partCount(): number {
    const done = new Set(this.parts.map((p) => p.PartNumber));
    let n = 0;
    while (done.has(n + 1)) n++;
    return n;
  }

  /** Uploads the next part; parts are numbered in call order, and several may run at once. */
  readonly upload = async (part: Buffer): Promise<void> => {
    const { ctx, key } = this;
    const n = ++this.numbered;
    this.created ??= ctx.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.bucket, Key: key })).then((r) => (this.uploadId = r.UploadId!));
    const uploadId = await this.created;
    const r = await ctx.client.send(new UploadPartCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: part, ContentLength: part.length }));
    this.parts.push({ ETag: r.ETag!, PartNumber: n });
  };

  /** Writes `rest` as the last part (or as the whole object when no part was uploaded) and makes the object visible. */
  async finish(rest: Buffer): Promise<void> {
    const { ctx, key } = this;
    if (this.created === undefined) {
      await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: Buffer.from(rest), ContentLength: rest.length }));
      return;
    }
    if (rest.length > 0) await this.upload(Buffer.from(rest));
    const uploadId = await this.created;
    const parts = this.parts.sort((a, b) => a.PartNumber - b.PartNumber).slice(0, this.partCount);
    // Complete's own ETag is not used (Ceph RGW 16 answers it empty).
    await ctx.client.send(new CompleteMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  }

  async abort(): Promise<void> {
    await this.created?.catch(() => undefined);
    if (this.uploadId === undefined) return;
    const { ctx, key } = this;
    await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: this.uploadId })).catch(() => undefined);
  }
}

/**
 * One append session on key `k` (see s3-chunks.ts for the layout): the
 * session's bytes become one segment. A declared length of at least a part
 * streams them into one PutObject (s3-put-session.ts); otherwise they are
 * streamed as a multipart upload while
 * they arrive (parts upload while the next fills) and completed at
 * commit. A last segment shorter than a part is reloaded first and rewritten
 * with the new bytes behind it. A cancel (abort() or the signal) completes
 * the full parts already uploaded, so the file is always a prefix of what
 * was sent, and drops the unfinished part.
 */
export async function openAppend(ctx: S3Ctx, k: string, opts: AppendOptions): Promise<FileWriter> {
  opts.signal?.throwIfAborted();
  const st = await loadAppendState(ctx, k);
  const last = st.segments[st.segments.length - 1];
  const reload = last !== undefined && last.size < ctx.partSize;
  // A declared chunk of at least a part, after a full segment: one streamed PutObject.
  if (!reload && opts.length !== undefined && opts.length >= ctx.partSize && opts.length <= MAX_PUT) {
    return openPutSession(ctx, segmentKey(k, st.size), opts.length, st.stale, opts.signal);
  }
  const initial = reload ? await getBuffer(ctx, last.key) : undefined;
  const mp = new Multipart(ctx, segmentKey(k, st.size - (initial?.length ?? 0)));
  const sink = new PartSink(ctx.partSize, mp.upload, initial, PARTS_IN_FLIGHT);
  const onAbort = (): void => void sink.destroy(new Error('the write was cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let closed = false;
  const close = (): void => {
    closed = true;
    opts.signal?.removeEventListener('abort', onAbort);
  };
  /** After a failure or a cancel: keeps the full parts that made it, or leaves the chain as it was. */
  const salvage = async (): Promise<void> => {
    await sink.settle();
    if (mp.partCount > 0) await mp.finish(Buffer.alloc(0)).catch(() => mp.abort());
    else await mp.abort();
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
        await salvage();
        throw e;
      } finally {
        close();
      }
      if (mp.partCount === 0 && rest.length === (initial?.length ?? 0)) return;
      try {
        await mp.finish(rest);
      } catch (e) {
        await mp.abort();
        throw mapS3Error(e, 'append');
      }
      await deleteKeys(ctx, st.stale).catch(() => undefined);
    },
    abort: async () => {
      if (closed) return;
      close();
      sink.destroy();
      await salvage();
    },
  };
}

/**
 * Writes `body` as the whole object `key`: one PutObject when it fits in one
 * part, else a multipart upload of partSize parts (aborted on failure, so a
 * failed or cancelled write leaves nothing). PARTS_IN_FLIGHT + 1 part buffers of memory.
 */
export async function writeWhole(ctx: S3Ctx, key: string, body: Readable, opts: WriteOptions): Promise<number> {
  const mp = new Multipart(ctx, key);
  const sink = new PartSink(ctx.partSize, mp.upload, undefined, PARTS_IN_FLIGHT);
  try {
    await pipeline(body, sink, opts.signal ? { signal: opts.signal } : {});
    await mp.finish(await sink.remainder());
    return sink.total;
  } catch (e) {
    await sink.settle();
    await mp.abort();
    throw opts.signal?.aborted ? e : mapS3Error(e, 'write');
  }
}
