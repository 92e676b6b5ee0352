/**
 * Resumable blob uploads for large blobs: POST, then PATCH chunks with
 * Content-Range, then PUT ?digest= with no body. After a failure the session
 * and its confirmed offset are kept; the next attempt asks the registry where
 * the session stands (GET on the Location) and sends only what is missing.
 * The source is read again from the start so every byte is still hashed
 * before the final PUT (the prefix is hashed and dropped, not re-sent).
 */
import { Readable } from 'node:stream';
import type { Digest } from '../../oci/digest.js';
import { httpError } from './http-errors.js';
import type { Scope } from './registry-auth.js';
import { header, type RegistryHttp, type Response } from './registry-http.js';

export interface UploadSession {
  /** Latest Location (registries may change it after every PATCH). */
  location: string;
  /** Bytes the registry confirmed. */
  offset: number;
}

/**
 * `Range: 0-N` → N+1 bytes received. `0-0` is read as nothing: it is how
 * distribution (and airlock) report an empty session, and sending one byte
 * again is harmless where skipping one would not be.
 */
function confirmed(res: Response, fallback: number): number {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '');
  if (!m) return fallback;
  const end = Number(m[1]);
  return end === 0 ? 0 : end + 1;
}

/** Reads a stream in exact-size pieces through one iterator. */
export class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private rest: Buffer | undefined;
  private ended = false;

  constructor(stream: Readable) {
    this.it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  private async next(max: number): Promise<Buffer | undefined> {
    let buf = this.rest;
    this.rest = undefined;
    if (buf === undefined) {
      if (this.ended) return undefined;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return undefined;
      }
      buf = r.value;
    }
    if (buf.length > max) {
      this.rest = buf.subarray(max);
      return buf.subarray(0, max);
    }
    return buf;
  }

  async skip(n: number): Promise<void> {
    for (let left = n; left > 0; ) {
      const b = await this.next(left);
      if (b === undefined) throw new Error(`stream ended ${left} bytes before the resume offset`);
      left -= b.length;
    }
  }

  /** A stream of the next `n` bytes. */
  take(n: number): Readable {
    let left = n;
    const read = (max: number): Promise<Buffer | undefined> => this.next(max);
    return Readable.from(
      (async function* pieces() {
        while (left > 0) {
          const b = await read(left);
          if (b === undefined) throw new Error(`stream ended ${left} bytes early`);
          left -= b.length;
          yield b;
        }
      })(),
      { objectMode: false },
    );
  }

  /** Reads to the end (which runs the verifier's final check); fails on extra bytes. */
  async finish(): Promise<void> {
    if ((await this.next(Infinity)) !== undefined) throw new Error('stream longer than expected');
  }
}

export class ChunkedUploader {
  constructor(
    private readonly http: RegistryHttp,
    private readonly what: string,
    private readonly scope: Scope,
  ) {}

  /** Where the session stands, or undefined when the registry forgot it. */
  async status(s: UploadSession, signal?: AbortSignal): Promise<UploadSession | undefined> {
    const res = await this.http.send({ method: 'GET', path: s.location, scope: this.scope, signal });
    await res.body.dump();
    if (res.statusCode !== 204 && res.statusCode !== 200) return undefined;
    return { location: header(res, 'location') ?? s.location, offset: confirmed(res, s.offset) };
  }

  /** Sends `length` bytes at the session's offset; updates `s` in place. */
  async patch(s: UploadSession, body: Readable, length: number, signal?: AbortSignal): Promise<void> {
    const res = await this.http.send({
      method: 'PATCH',
      path: s.location,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(length), 'content-range': `${s.offset}-${s.offset + length - 1}` },
      body,
      scope: this.scope,
      signal,
      retry: false,
    });
    if (res.statusCode !== 202 && res.statusCode !== 204) throw await httpError(res, `PATCH ${this.what} at ${s.offset}`);
    await res.body.dump();
    s.location = header(res, 'location') ?? s.location;
    s.offset = confirmed(res, s.offset + length);
  }

  /** Commits the session as `digest` (no body); `size` bytes were sent (the registry may take a while to verify them). */
  async finish(s: UploadSession, digest: Digest, size: number, signal?: AbortSignal): Promise<void> {
    const abs = /^https?:\/\//.test(s.location);
    const u = new URL(s.location, 'http://placeholder');
    u.searchParams.set('digest', digest);
    const res = await this.http.send({ method: 'PUT', path: abs ? u.toString() : u.pathname + u.search, headers: { 'content-length': '0' }, scope: this.scope, signal, retry: false, headersTimeoutMs: this.http.commitTimeoutMs(size) });
    if (res.statusCode !== 201 && res.statusCode !== 204) throw await httpError(res, `PUT ${this.what}`);
    await res.body.dump();
  }
}
