import { Readable } from 'node:stream';
import { DigestHasher, parseDigest, type Digest } from '../oci/digest.js';
import { KeyedMutex, type KeyedLock } from '../util/keyed-mutex.js';
import type { ByteRange, FileWriter, StorageDriver } from './driver.js';
import { SizeMismatchError, stagedCopy } from './staged-copy.js';
import { StagingPool } from './staging-pool.js';

export { SizeMismatchError };

/**
 * Content-addressed blob store over a StorageDriver.
 *
 *   <root>/
 *     blobs/<alg>/<hex[0:2]>/<hex>      committed blob, immutable, stored once
 *     uploads/<uuid>/data               upload in progress (appended by PATCH),
 *                                       created at the upload's first byte
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
  /** When given, the body must be exactly this long (unless it stalls). */
  readonly expectedLength?: number;
}

export interface AppendResult {
  /** Size of the upload after the append. */
  readonly size: number;
  /** The body went silent for the idle timeout: what arrived is appended and durable, the rest was not read. */
  readonly stalled: boolean;
}

export interface BlobStoreOptions {
  /** Staging buffers shared by every upload (default: 8 × 1 MiB, 2 kept when idle: server RSS, issue 13; larger buffers measured no faster with direct I/O). */
  readonly staging?: StagingPool;
  /** An upload body silent for this long is stopped (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** The per-digest lock (default: this process only); servers pass the metadata store's `blobLocks`, shared by every replica. */
  readonly locks?: KeyedLock;
}

export class BlobStore {
  /** sha256 state of uploads in progress, so commit needs no second read. */
  private readonly hashes = new Map<string, HashState>();
  /** Serializes commit, mount and delete of the same digest. */
  readonly digestLocks: KeyedLock;
  readonly staging: StagingPool;
  /** An upload body silent for this long is stopped. */
  readonly idleTimeoutMs: number;

  constructor(readonly driver: StorageDriver, opts: BlobStoreOptions = {}) {
    this.staging = opts.staging ?? new StagingPool();
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
    this.digestLocks = opts.locks ?? new KeyedMutex();
  }

  async size(digest: Digest): Promise<number | undefined> {
    return (await this.driver.stat(blobPath(digest)))?.size;
  }

  open(digest: Digest, range?: ByteRange): Promise<Readable> {
    return this.driver.read(blobPath(digest), range);
  }

  /** A presigned URL for the blob (S3), or undefined (see StorageDriver.redirectURL). */
  redirectURL(digest: Digest, expirySeconds: number): Promise<string | undefined> {
    return this.driver.redirectURL(blobPath(digest), expirySeconds);
  }

  /** When an upload last received bytes (its data file; else its directory), for purging orphans. */
  async uploadModifiedAt(id: string): Promise<Date | undefined> {
    return ((await this.driver.stat(uploadPath(id))) ?? (await this.driver.stat(`uploads/${id}`)))?.modifiedAt;
  }

  async uploadSize(id: string): Promise<number | undefined> {
    return (await this.driver.stat(uploadPath(id)))?.size;
  }

  /**
   * Appends `body` to an upload, hashing while streaming; the upload's file
   * (and directory) is created at its first byte. On a failed body the bytes
   * that did arrive may stay appended (the session reports them through its
   * Range), but the hash state is dropped and recomputed from the file at
   * commit. A body that goes silent for the idle timeout is not an error:
   * what arrived is made durable and the result says `stalled`.
   */
  async append(id: string, body: Readable, startOffset: number, opts: AppendOptions = {}): Promise<AppendResult> {
    const path = uploadPath(id);
    let state = this.hashes.get(id);
    if (state && state.offset !== startOffset) {
      this.hashes.delete(id);
      state = undefined;
    }
    if (!state && startOffset === 0) {
      state = { hasher: new DigestHasher('sha256'), offset: 0 };
      this.hashes.set(id, state);
    }
    let w: FileWriter | undefined;
    // A declared length lets the driver store the chunk in one request (S3: one PutObject).
    const open = async () => (w = await this.driver.append(path, opts.expectedLength !== undefined ? { length: opts.expectedLength } : {})).stream;
    let copied;
    try {
      copied = await stagedCopy(body, open, { pool: this.staging, hasher: state?.hasher, limit: opts.expectedLength, idleMs: this.idleTimeoutMs, startOffset });
      await w?.commit();
    } catch (e) {
      this.hashes.delete(id);
      await w?.abort().catch(() => undefined);
      throw e;
    }
    if (state) state.offset += copied.received;
    if (!copied.stalled && opts.expectedLength !== undefined && copied.received !== opts.expectedLength) {
      this.hashes.delete(id);
      throw new SizeMismatchError(opts.expectedLength, copied.received);
    }
    return { size: startOffset + copied.received, stalled: copied.stalled };
  }

  /**
   * Verifies the upload against `expected` and moves it into the blob pool.
   * When the blob already exists the upload is discarded (dedup). Returns the
   * blob size. Throws DigestMismatchError and leaves the upload in place
   * (so the client may retry or cancel). `record` runs under the digest lock
   * after the bytes are in place, so the garbage collector (which takes the
   * same lock) can never delete the bytes between commit and record.
   * `knownSize`: the upload's size as the caller's own append just reported
   * it (saves a stat); the stored size is asked for otherwise.
   */
  async commitUpload(id: string, expected: Digest, record: (size: number) => Promise<void>, knownSize?: number): Promise<number> {
    const path = uploadPath(id);
    let info = knownSize !== undefined && knownSize > 0 ? { size: knownSize } : await this.driver.stat(path);
    if (!info) {
      // No byte was ever sent: the blob is empty; its file is created now.
      await this.driver.write(path, Readable.from([]));
      info = { size: 0 };
    }
    const size = info.size;
    const { algorithm } = parseDigest(expected);
    const state = this.hashes.get(id);
    let actual: Digest;
    if (state && state.offset === size && algorithm === 'sha256') {
      actual = state.hasher.digest();
      this.hashes.delete(id);
    } else {
      this.hashes.delete(id);
      actual = await this.hashFile(path, algorithm);
    }
    if (actual !== expected) throw new DigestMismatchError(expected, actual);
    await this.digestLocks.run(expected, async () => {
      const existing = await this.driver.stat(blobPath(expected));
      const fresh = !(existing && existing.size === size);
      if (fresh) await this.driver.move(path, blobPath(expected));
      try {
        await record(size);
      } catch (e) {
        // Not recorded (e.g. the metadata store is full): the blob is not
        // visible; its bytes go back to the session so a retry finds them.
        if (fresh) await this.driver.move(blobPath(expected), path).catch(() => undefined);
        throw e;
      }
      await this.driver.delete(`uploads/${id}`);
    });
    return size;
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
