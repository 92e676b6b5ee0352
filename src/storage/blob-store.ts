import type { Readable, Writable } from 'node:stream';
import { DigestHasher, parseDigest, type Digest } from '../oci/digest.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import type { ByteRange, StorageDriver } from './driver.js';

/**
 * Content-addressed blob store over a StorageDriver.
 *
 *   <root>/
 *     blobs/<alg>/<hex[0:2]>/<hex>      committed blob, immutable, stored once
 *     uploads/<uuid>/data               upload in progress (appended by PATCH)
 *
 * A blob path is only ever created by moving a fully written, fsynced and
 * digest-verified upload file into place, so a partial blob is never visible.
 * Upload ids are validated UUIDs and digests are validated before any path is
 * built from them.
 */
export const UPLOAD_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class DigestMismatchError extends Error {
  constructor(readonly expected: Digest, readonly actual: Digest) {
    super(`content digest ${actual} does not match the expected ${expected}`);
    this.name = 'DigestMismatchError';
  }
}

export class SizeMismatchError extends Error {
  constructor(readonly expected: number, readonly actual: number) {
    super(`received ${actual} bytes, expected ${expected}`);
    this.name = 'SizeMismatchError';
  }
}

export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body exceeds the limit of ${limit} bytes`);
    this.name = 'TooLargeError';
  }
}

interface HashState {
  hasher: DigestHasher;
  offset: number;
}

export function blobPath(digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

export function uploadPath(id: string): string {
  if (!UPLOAD_ID_RE.test(id)) throw new Error(`invalid upload id ${JSON.stringify(id)}`);
  return `uploads/${id}/data`;
}

export interface AppendOptions {
  /** When given, the body must be exactly this long. */
  readonly expectedLength?: number;
}

export class BlobStore {
  /** sha256 state of uploads in progress, so commit needs no second read. */
  private readonly hashes = new Map<string, HashState>();
  /** Serializes commit and delete of the same digest. */
  readonly digestLocks = new KeyedMutex();

  constructor(readonly driver: StorageDriver) {}

  async size(digest: Digest): Promise<number | undefined> {
    return (await this.driver.stat(blobPath(digest)))?.size;
  }

  open(digest: Digest, range?: ByteRange): Promise<Readable> {
    return this.driver.read(blobPath(digest), range);
  }

  async createUpload(id: string): Promise<void> {
    const w = await this.driver.append(uploadPath(id));
    await w.commit();
    this.hashes.set(id, { hasher: new DigestHasher('sha256'), offset: 0 });
  }

  async uploadSize(id: string): Promise<number | undefined> {
    return (await this.driver.stat(uploadPath(id)))?.size;
  }

  /**
   * Appends `body` to an upload, hashing while streaming. Returns the new
   * size. On a short or failed body the bytes that did arrive stay appended
   * (the session reports them through its Range), but the hash state is
   * dropped and recomputed from the file at commit.
   */
  async append(id: string, body: Readable, startOffset: number, opts: AppendOptions = {}): Promise<number> {
    const w = await this.driver.append(uploadPath(id));
    let state = this.hashes.get(id);
    if (state && state.offset !== startOffset) {
      this.hashes.delete(id);
      state = undefined;
    }
    let received = 0;
    const hasher = state?.hasher;
    try {
      received = await copyHashing(body, w.stream, hasher, opts.expectedLength);
      await w.commit();
    } catch (e) {
      this.hashes.delete(id);
      await w.abort().catch(() => undefined);
      throw e;
    }
    if (opts.expectedLength !== undefined && received !== opts.expectedLength) {
      this.hashes.delete(id);
      throw new SizeMismatchError(opts.expectedLength, received);
    }
    if (state) state.offset += received;
    return startOffset + received;
  }

  /**
   * Verifies the upload against `expected` and moves it into the blob pool.
   * When the blob already exists the upload is discarded (dedup). Returns the
   * blob size. Throws DigestMismatchError and leaves the upload in place
   * (so the client may retry or cancel). `record` runs under the digest lock
   * after the bytes are in place, so the garbage collector (which takes the
   * same lock) can never delete the bytes between commit and record.
   */
  async commitUpload(id: string, expected: Digest, record: (size: number) => Promise<void>): Promise<number> {
    const path = uploadPath(id);
    const info = await this.driver.stat(path);
    if (!info) throw new Error(`upload ${id} has no data file`);
    const { algorithm } = parseDigest(expected);
    const state = this.hashes.get(id);
    let actual: Digest;
    if (state && state.offset === info.size && algorithm === 'sha256') {
      actual = state.hasher.digest();
      this.hashes.delete(id);
    } else {
      this.hashes.delete(id);
      actual = await this.hashFile(path, algorithm);
    }
    if (actual !== expected) throw new DigestMismatchError(expected, actual);
    await this.digestLocks.run(expected, async () => {
      const existing = await this.driver.stat(blobPath(expected));
      if (existing && existing.size === info.size) {
        await this.driver.delete(`uploads/${id}`);
      } else {
        await this.driver.move(path, blobPath(expected));
        await this.driver.delete(`uploads/${id}`);
      }
      await record(info.size);
    });
    return info.size;
  }

  async deleteUpload(id: string): Promise<void> {
    this.hashes.delete(id);
    await this.driver.delete(`uploads/${id.replace(/[^0-9a-f-]/g, '')}`);
  }

  /** Upload directories present in storage (for purging orphans). */
  async listUploads(): Promise<string[]> {
    return (await this.driver.list('uploads')).filter((n) => UPLOAD_ID_RE.test(n));
  }

  async deleteBlob(digest: Digest): Promise<void> {
    await this.driver.delete(blobPath(digest));
  }

  private async hashFile(path: string, algorithm: 'sha256' | 'sha512'): Promise<Digest> {
    const h = new DigestHasher(algorithm);
    const rs = await this.driver.read(path);
    for await (const chunk of rs) h.update(chunk as Buffer);
    return h.digest();
  }
}

/** Size of each of the two staging buffers an upload writes through. */
const STAGE_BYTES = 4 << 20;

/**
 * Streams `body` into `out`, feeding the hasher in the same pass. Incoming
 * socket chunks are copied into two reused staging buffers (double
 * buffering): the chunks then die young instead of living until their disk
 * write completes, which keeps V8's major GC out of the ingest path, and
 * memory stays at 2 × STAGE_BYTES per upload whatever the blob size.
 * Fails with SizeMismatchError as soon as more than `limit` bytes arrive.
 */
async function copyHashing(body: Readable, out: Writable, hasher: DigestHasher | undefined, limit?: number): Promise<number> {
  let received = 0;
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const stages = [Buffer.allocUnsafeSlow(STAGE_BYTES), Buffer.allocUnsafeSlow(STAGE_BYTES)];
  const inFlight: (Promise<void> | undefined)[] = [undefined, undefined];
  let current = 0;
  let filled = 0;
  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    const buf = stages[current]!.subarray(0, filled);
    inFlight[current] = new Promise<void>((res, rej) => out.write(buf, (err) => (err ? rej(err) : res())));
    current ^= 1;
    filled = 0;
    // The other buffer must be on disk before it is refilled.
    await Promise.race([inFlight[current], failed]);
  };
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    received += buf.length;
    if (limit !== undefined && received > limit) {
      body.destroy();
      throw new SizeMismatchError(limit, received);
    }
    hasher?.update(buf);
    let off = 0;
    while (off < buf.length) {
      const n = buf.copy(stages[current]!, filled, off);
      filled += n;
      off += n;
      if (filled === STAGE_BYTES) await flush();
    }
  }
  await flush();
  await Promise.race([Promise.all(inFlight), failed]);
  return received;
}
