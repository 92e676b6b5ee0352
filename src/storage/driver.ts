import type { Readable, Writable } from 'node:stream';

/**
 * The storage interface blob bytes live behind (distribution's StorageDriver,
 * trimmed). Two implementations: the filesystem (fs-driver.ts, the default)
 * and S3 (s3-driver.ts). test/storage/driver-conformance.ts proves every
 * implementation against the contracts stated here.
 *
 * Paths are '/'-separated, relative, and built only by the blob store from
 * validated digests and upload ids, never from user input. A path names a
 * file; a "directory" is only a prefix of other paths.
 *
 * A file is made in one of two ways, and callers never mix them on one path:
 * - `write` puts a whole file at once (it appears complete or not at all);
 * - `append` builds a file across any number of sessions, possibly from
 *   different processes or machines: the state of an append in progress lives
 *   in the store itself, never in process memory, so a fresh driver instance
 *   (another replica) continues where the last session ended.
 * `move` turns either kind into a plain file at its destination.
 */
export interface FileInfo {
  readonly size: number;
  readonly modifiedAt: Date;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * One append session on one path. Bytes written to `stream` are durable and
 * visible (in `stat` and `read`) only after `commit()` resolves; bytes not yet
 * committed may or may not have been kept when the session ends otherwise.
 * Either way the file is always a prefix of the bytes sent, in order:
 * `stat().size` after the session is where the next session continues.
 * `abort()` ends the session without the durability guarantee (the
 * filesystem keeps what reached the disk; S3 drops the unflushed part).
 * The writer must not be used after commit or abort.
 */
export interface FileWriter {
  readonly stream: Writable;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface WriteOptions {
  /** Aborting stops the write: the call rejects and nothing of it is visible. */
  readonly signal?: AbortSignal;
}

export interface AppendOptions extends WriteOptions {
  /**
   * The session will carry exactly this many bytes (the client declared
   * them), so a driver may send them to the store as one request (S3: one
   * streamed PutObject instead of a multipart upload). When a session then
   * ends with any other number of bytes, a driver that used the length
   * rejects at commit and keeps none of the session's bytes (the file stays
   * as it was before the session); one that ignored it (the filesystem)
   * keeps them as usual.
   */
  readonly length?: number;
}

export interface ListPage {
  /** Names directly under the prefix, ascending (byte order), at most `limit`. */
  readonly names: string[];
  /** Pass as `after` to get the next page; undefined on the last page. */
  readonly next?: string;
}

export interface ListOptions {
  /** Only names sorting strictly after this one. */
  readonly after?: string;
  /** Page size (default 1000). */
  readonly limit?: number;
}

export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`storage path not found: ${path}`);
    this.name = 'PathNotFoundError';
  }
}

/**
 * The store cannot be reached or answers with a server error (after the
 * driver's own retries). The registry answers 503 UNAVAILABLE: nothing about
 * the request was wrong and a retry later may succeed.
 */
export class StorageUnavailableError extends Error {
  constructor(readonly driverName: string, readonly reason: string) {
    super(`the ${driverName} storage is unavailable: ${reason}`);
    this.name = 'StorageUnavailableError';
  }
}

export interface StorageDriver {
  readonly name: string;
  /** undefined when the path does not exist (a file being appended counts with its committed bytes). */
  stat(path: string): Promise<FileInfo | undefined>;
  /**
   * A stream of the file's bytes, or of `range` only (which must lie inside
   * the file). Streams in constant memory whatever the size. MUST reject
   * with PathNotFoundError when the path does not exist.
   */
  read(path: string, range?: ByteRange): Promise<Readable>;
  /**
   * Writes `body` as the whole file at `path`, replacing any file there.
   * Readers see the old file or the complete new one, never a part; a body
   * error or an abort rejects and leaves nothing of the write visible.
   * Resolves with the number of bytes written. Constant memory.
   */
  write(path: string, body: Readable, opts?: WriteOptions): Promise<number>;
  /**
   * Opens an append session on `path`, creating the file at its first
   * committed byte. See FileWriter. Sessions on one path must not overlap
   * (the caller serializes them); a session on another path is independent.
   */
  append(path: string, opts?: AppendOptions): Promise<FileWriter>;
  /**
   * Replaces `to` with `from` (a written or an appended file). Readers of `to`
   * see the old file or the complete new one. After it resolves `from` is
   * gone. PathNotFoundError when `from` does not exist.
   */
  move(from: string, to: string): Promise<void>;
  /** Deletes a file and every path under it as a prefix (`a/b` takes `a/b/…`); missing paths are not an error. */
  delete(path: string): Promise<void>;
  /** Every name directly under a prefix (all pages; see listAll). */
  list(prefix: string): Promise<string[]>;
  /** One page of the names directly under a prefix (empty when missing). */
  listPage(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /**
   * A URL a client can GET the file from directly for `expirySeconds`
   * (presigned for S3), or undefined when the driver has none (filesystem).
   * It does not check that the file exists.
   */
  redirectURL(path: string, expirySeconds: number): Promise<string | undefined>;
  /** Checks that the store answers (and, for S3, that the bucket exists); rejects with a one-line reason. */
  check(): Promise<void>;
}

/** Every name under `prefix`, walking the pages (for callers that need them all). */
export async function listAll(driver: StorageDriver, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await driver.listPage(prefix, after === undefined ? {} : { after });
    out.push(...page.names);
    if (page.next === undefined) return out;
    after = page.next;
  }
}
