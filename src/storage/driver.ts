import type { Readable, Writable } from 'node:stream';

/**
 * The small storage interface blob bytes live behind (distribution's
 * StorageDriver, trimmed). Paths are '/'-separated, relative, and built only
 * by the blob store from validated digests and upload ids, never from user
 * input. A filesystem driver exists now; an S3 driver must be able to satisfy
 * the same contract (append maps to multipart parts, move to copy+delete).
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
 * A writer that appends to one path. Bytes written to `stream` are durable
 * only after `commit()` resolves (the filesystem driver fsyncs). `abort()`
 * closes without the durability guarantee; data already written stays.
 */
export interface FileWriter {
  readonly stream: Writable;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`storage path not found: ${path}`);
    this.name = 'PathNotFoundError';
  }
}

export interface StorageDriver {
  readonly name: string;
  /** undefined when the path does not exist. */
  stat(path: string): Promise<FileInfo | undefined>;
  /** MUST reject with PathNotFoundError when the path does not exist. */
  read(path: string, range?: ByteRange): Promise<Readable>;
  /** Opens `path` for appending, creating it (and its parents) if needed. */
  append(path: string): Promise<FileWriter>;
  /** Atomically replaces `to` with `from`. After it resolves `from` is gone. */
  move(from: string, to: string): Promise<void>;
  /** Deletes a file or a whole directory prefix; missing paths are not an error. */
  delete(path: string): Promise<void>;
  /** Names directly under a directory prefix (empty when missing). */
  list(prefix: string): Promise<string[]>;
}
