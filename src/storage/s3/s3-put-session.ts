import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FileWriter } from '../driver.js';
import { deleteKeys, type S3Ctx } from './s3-chunks.js';
import { mapS3Error } from './s3-errors.js';

/** PutObject's limit: a longer session takes the multipart path. */
export const MAX_PUT = 5 * 1024 ** 3;

/**
 * An append session whose length is declared (AppendOptions.length): its
 * bytes stream into one PutObject of exactly `length` bytes at `key` (the
 * segment of the session), as they arrive, with no part buffers and no
 * multipart bookkeeping. The object appears whole when the request ends;
 * a session that ends short, a cancel or an error aborts the request, so
 * nothing of it is kept. Memory: one chunk copy waiting for the request
 * (backpressure holds the caller until the request took it).
 */
export function openPutSession(ctx: S3Ctx, key: string, length: number, stale: string[], signal?: AbortSignal): FileWriter {
  const ac = new AbortController();
  let received = 0;
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const stream = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      if (received > length) return cb(new Error(`the append session got more than the ${length} bytes it declared`));
      // Copied: the caller reuses its buffer once the write calls back, while
      // the request may still hold the bytes.
      if (body.write(Buffer.from(chunk))) cb();
      else body.once('drain', () => cb());
    },
  });
  // Errors reach the caller through its own listener and commit(); none may go unobserved.
  stream.on('error', () => undefined);
  const sent = ctx.client
    .send(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: body, ContentLength: length }), { abortSignal: ac.signal })
    .then(() => undefined);
  // A failed request stops the writer at once (the caller sees the error instead of waiting).
  sent.catch((e: unknown) => stream.destroy(mapS3Error(e, 'PutObject')));
  const onAbort = (): void => {
    ac.abort();
    stream.destroy(new Error('the write was cancelled'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let closed = false;
  const close = (): void => {
    closed = true;
    signal?.removeEventListener('abort', onAbort);
  };
  const drop = async (): Promise<void> => {
    ac.abort();
    body.destroy();
    stream.destroy();
    await sent.catch(() => undefined);
  };
  return {
    stream,
    commit: async () => {
      if (closed) throw new Error('append session already closed');
      close();
      const ended = stream.destroyed ? Promise.reject(stream.errored ?? new Error('the write was cancelled')) : finished(stream.end());
      try {
        await ended;
      } catch (e) {
        await drop();
        throw e;
      }
      if (received !== length) {
        await drop();
        throw new Error(`the chunk ended after ${received} of its ${length} bytes and was not kept: send it again`);
      }
      body.end();
      try {
        await sent;
      } catch (e) {
        throw mapS3Error(e, 'PutObject');
      }
      await deleteKeys(ctx, stale).catch(() => undefined);
    },
    abort: async () => {
      if (closed) return;
      close();
      await drop();
    },
  };
}
