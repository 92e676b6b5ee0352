import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ociErrorBody, RegistryError } from '../registry/errors.js';
import type { ByteRange } from '../storage/driver.js';
import type { ChunkInfo } from '../registry/uploads.js';

/** The OCI error envelope (registry/errors.ts serializes it). */
export const errorBody = ociErrorBody;

export function sendError(reply: FastifyReply, e: RegistryError): FastifyReply {
  if (e.headers) reply.headers(e.headers);
  return reply
    .code(e.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(errorBody(e.code, e.message, e.detail));
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Content-Length as a number; undefined when absent. Throws on garbage. */
export function contentLength(req: IncomingMessage): number | undefined {
  const raw = header(req, 'content-length');
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new RegistryError('SIZE_INVALID', 'invalid Content-Length');
  return Number(raw);
}

/** Upload chunk info from Content-Range (`start-end`, optionally `bytes start-end/*`) and Content-Length. */
export function chunkInfo(req: IncomingMessage): ChunkInfo {
  const length = contentLength(req);
  const raw = header(req, 'content-range');
  if (raw === undefined) return length === undefined ? {} : { length };
  const m = raw.match(/^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/);
  if (!m) throw new RegistryError('BLOB_UPLOAD_INVALID', `invalid Content-Range "${raw.slice(0, 60)}": expected <start>-<end>`, undefined, 416);
  const range = { start: Number(m[1]), end: Number(m[2]) };
  // past 2^53 Number() rounds: 9007199254740993 would be read as ...992
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end)) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', `invalid Content-Range "${raw.slice(0, 60)}": offsets must be below 2^53`, undefined, 416);
  }
  return length === undefined ? { range } : { range, length };
}

/** Parses a single `Range: bytes=` request for a blob of `size` bytes; undefined = whole blob. */
export function parseRange(raw: string | undefined, size: number): ByteRange | undefined {
  if (!raw) return undefined;
  const m = raw.trim().match(/^bytes=(\d*)-(\d*)$/);
  if (!m || (m[1] === '' && m[2] === '')) {
    throw new RegistryError('SIZE_INVALID', 'unsupported Range header (one bytes= range is supported)', undefined, 416, {
      'Content-Range': `bytes */${size}`,
    });
  }
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new RegistryError('SIZE_INVALID', 'requested range not satisfiable', undefined, 416, { 'Content-Range': `bytes */${size}` });
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return { start, end };
}

/** 408 for a small body (manifest, token form) that went silent; the connection is closed. */
class BodyIdleError extends RegistryError {
  override readonly closeConnection = true;
  constructor(idleMs: number) {
    super('SIZE_INVALID', `request body: no byte received for ${idleMs / 1000} s before its end`, undefined, 408);
  }
}

/**
 * Reads a request body up to `max` bytes; more than that throws SIZE_INVALID
 * (413). A body that sends no byte for `idleMs` throws 408.
 */
export async function readBody(req: IncomingMessage, max: number, idleMs: number): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > max) {
    req.resume();
    throw new RegistryError('SIZE_INVALID', `body of ${declared} bytes exceeds the ${max}-byte limit`, undefined, 413);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const stop = (err?: Error): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', stop).off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => {
      req.pause();
      stop(new BodyIdleError(idleMs));
    }, idleMs);
    const onData = (c: Buffer): void => {
      timer.refresh();
      total += c.length;
      if (total > max) {
        stop(new RegistryError('SIZE_INVALID', `body exceeds the ${max}-byte limit`, undefined, 413));
        req.resume();
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => stop();
    const onClose = (): void => {
      if (!req.readableEnded) stop(new Error('the request body ended before its end (connection closed)'));
    };
    req.on('data', onData).once('end', onEnd).once('error', stop).once('close', onClose);
  });
  if (declared !== undefined && total !== declared) {
    throw new RegistryError('SIZE_INVALID', `received ${total} bytes but Content-Length was ${declared}`);
  }
  return Buffer.concat(chunks, total);
}

/** Splits `/path?query` into the path and decoded query parameters. */
export function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: new URLSearchParams() } : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}

/**
 * Fastify's own refusals of a request (`FST_ERR_CTP_*`: a body over the
 * route's limit, an empty or unsupported body, a bad content length) as
 * the OCI envelope with their 4xx status, instead of an internal error.
 */
export function asFastifyRefusal(e: unknown): RegistryError | undefined {
  const f = e as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  if (!f || typeof f.code !== 'string' || !f.code.startsWith('FST_ERR_CTP_') || typeof f.statusCode !== 'number' || f.statusCode < 400 || f.statusCode > 499) return undefined;
  const message = typeof f.message === 'string' ? f.message.split('\n')[0]!.slice(0, 300) : 'the request body was refused';
  return new RegistryError(f.statusCode === 413 ? 'SIZE_INVALID' : 'UNSUPPORTED', message, undefined, f.statusCode);
}
