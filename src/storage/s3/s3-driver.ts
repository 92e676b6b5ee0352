import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import {
  PathNotFoundError,
  StorageUnavailableError,
  listAll,
  type AppendOptions,
  type ByteRange,
  type FileInfo,
  type FileWriter,
  type ListOptions,
  type ListPage,
  type StorageDriver,
  type WriteOptions,
} from '../driver.js';
import { abortUploads, composeObject, copyObject, deleteKeys, exists, getStream, listKeys, loadAppendState, readChunks, type Chunk, type S3Ctx } from './s3-chunks.js';
import { isNotFound, mapS3Error } from './s3-errors.js';
import { describeS3Location, type S3Location } from './s3-location.js';
import { openAppend, writeWhole } from './s3-writers.js';

/** CopyObject's limit; bigger objects are copied in ranges with UploadPartCopy (each ≤ 2 GiB, under the 5 GiB part limit). */
const MAX_COPY = 5 * 1024 ** 3;
const COPY_RANGE = 1024 ** 3;

/**
 * S3 driver (any S3-compatible store; tested on Ceph RGW). A path is the key
 * `prefix + path`; an append in progress is a chain of segment objects beside
 * it (s3-chunks.ts), so any replica resumes it; move is a server-side copy
 * (or compose) followed by a delete. Credentials come only from the SDK's
 * default chain (AWS_* environment variables, ~/.aws files, instance roles).
 */
export class S3Driver implements StorageDriver {
  readonly name = 's3';
  private readonly ctx: S3Ctx;
  readonly client: S3Client;

  constructor(readonly location: S3Location) {
    // The SDK's multi-line notice about its future Node.js support would break
    // the one-line error output of every command; operators can re-enable it.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: location.region,
      ...(location.endpoint ? { endpoint: location.endpoint } : {}),
      forcePathStyle: location.forcePathStyle,
      // S3-compatible stores that predate the SDK's default checksums (Ceph
      // RGW 16) refuse aws-chunked streamed bodies with 411: send checksums
      // only where an operation requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    });
    this.ctx = { client: this.client, bucket: location.bucket, partSize: location.partSize };
  }

  private key(path: string): string {
    if (path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.' || s.startsWith('.append-'))) {
      throw new Error(`storage path escapes the storage root: ${path}`);
    }
    return this.location.prefix + path;
  }

  private async head(key: string): Promise<FileInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.ctx.bucket, Key: key }));
      return { size: r.ContentLength ?? 0, modifiedAt: r.LastModified ?? new Date(0) };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw mapS3Error(e, 'HeadObject');
    }
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    const k = this.key(path);
    const plain = await this.head(k);
    if (plain) return plain;
    const st = await loadAppendState(this.ctx, k);
    return exists(st) ? { size: st.size, modifiedAt: st.modifiedAt ?? new Date(0) } : undefined;
  }

  async read(path: string, range?: ByteRange): Promise<Readable> {
    const k = this.key(path);
    try {
      return await getStream(this.ctx, k, range);
    } catch (e) {
      if (!isNotFound(e)) throw mapS3Error(e, 'GetObject');
    }
    const st = await loadAppendState(this.ctx, k);
    if (!exists(st)) throw new PathNotFoundError(path);
    return Readable.from(readChunks(this.ctx, st, range), { objectMode: false });
  }

  write(path: string, body: Readable, opts: WriteOptions = {}): Promise<number> {
    return writeWhole(this.ctx, this.key(path), body, opts);
  }

  append(path: string, opts: AppendOptions = {}): Promise<FileWriter> {
    return openAppend(this.ctx, this.key(path), opts);
  }

  async move(from: string, to: string): Promise<void> {
    const src = this.key(from);
    const dst = this.key(to);
    const plain = await this.head(src);
    if (plain) {
      await this.copyInto(dst, [{ key: src, size: plain.size }]);
      await this.deleteKey(src);
      return;
    }
    const st = await loadAppendState(this.ctx, src);
    if (!exists(st)) throw new PathNotFoundError(from);
    await this.copyInto(dst, st.segments);
    await deleteKeys(this.ctx, [...st.segments.map((c) => c.key), ...st.stale]);
  }

  /**
   * Makes `dst` the concatenation of `chunks` server-side: one CopyObject for
   * a single object up to 5 GiB (Ceph RGW copies by reference, no bytes
   * move), else a multipart UploadPartCopy of ranges. Every chunk but the
   * last is at least 5 MiB (s3-chunks.ts), and a chunk's last range takes its
   * remainder, so no part is below S3's minimum.
   */
  private async copyInto(dst: string, chunks: readonly Chunk[]): Promise<void> {
    if (chunks.length === 1 && chunks[0]!.size <= MAX_COPY) return copyObject(this.ctx, chunks[0]!.key, dst);
    const ranges: { key: string; range: ByteRange }[] = [];
    for (const c of chunks) {
      const n = Math.max(1, Math.floor(c.size / COPY_RANGE));
      for (let i = 0; i < n; i++) ranges.push({ key: c.key, range: { start: i * COPY_RANGE, end: i === n - 1 ? c.size - 1 : (i + 1) * COPY_RANGE - 1 } });
    }
    await composeObject(this.ctx, dst, ranges);
  }

  private async deleteKey(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.ctx.bucket, Key: key }));
    } catch (e) {
      if (!isNotFound(e)) throw mapS3Error(e, 'DeleteObject');
    }
  }

  async delete(path: string): Promise<void> {
    const k = this.key(path);
    if (path !== '') await this.deleteKey(k);
    const prefix = path === '' ? this.location.prefix : `${k}/`;
    // Independent listings, side by side: each is a round trip with a body.
    const [under] = await Promise.all([listKeys(this.ctx, prefix), abortUploads(this.ctx, prefix)]);
    await deleteKeys(this.ctx, under.map((o) => o.Key!));
  }

  list(prefix: string): Promise<string[]> {
    return listAll(this, prefix);
  }

  /**
   * Names in S3's key order (byte order, a directory sorting as its name and
   * '/'). Filters the dot names (append parts) and the cursor's own directory,
   * reading on until the page is full.
   */
  async listPage(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    const limit = opts.limit ?? 1000;
    const base = prefix === '' ? this.location.prefix : `${this.key(prefix.replace(/\/$/, ''))}/`;
    const names: string[] = [];
    let token: string | undefined;
    let startAfter = opts.after !== undefined ? base + opts.after : undefined;
    for (;;) {
      let r;
      try {
        r = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.ctx.bucket,
            Prefix: base,
            Delimiter: '/',
            MaxKeys: Math.min(1000, limit + 1 - names.length + 1),
            ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
          }),
        );
      } catch (e) {
        throw mapS3Error(e, 'ListObjectsV2');
      }
      const entries = [...(r.Contents ?? []).map((o) => o.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!)].sort(byteOrder);
      for (const e of entries) {
        const name = e.slice(base.length).replace(/\/$/, '');
        if (name === '' || name.startsWith('.') || name === opts.after || names[names.length - 1] === name) continue;
        names.push(name);
      }
      if (names.length > limit) return { names: names.slice(0, limit), next: names[limit - 1]! };
      if (!r.IsTruncated || !r.NextContinuationToken) return { names };
      token = r.NextContinuationToken;
      startAfter = undefined;
    }
  }

  redirectURL(path: string, expirySeconds: number): Promise<string | undefined> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.ctx.bucket, Key: this.key(path) }), { expiresIn: expirySeconds });
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.ctx.bucket }));
    } catch (e) {
      if (isNotFound(e)) throw new Error(`S3 bucket "${this.ctx.bucket}" does not exist at ${describeS3Location(this.location)}: create it first`);
      const m = mapS3Error(e, 'HeadBucket');
      throw m instanceof StorageUnavailableError ? m : new Error(`cannot use ${describeS3Location(this.location)}: ${m.message}`);
    }
  }

  close(): void {
    this.client.destroy();
  }
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
