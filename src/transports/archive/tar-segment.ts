/**
 * One tar file being written, member by member, through tar-stream's pack.
 * It knows where every member's data starts (for ranged reads later) and can
 * take back a member that failed part-way: the file is cut back to the
 * member's header and a fresh pack continues there, so a failed blob leaves
 * no bytes in the archive. The file is fsynced when closed.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { MemberEntry } from './format.js';

/** The bytes a member's data fills, padded to the 512-byte block. */
export const padded = (size: number): number => Math.ceil(size / 512) * 512;
/** Two zero blocks end a tar. */
export const END_OF_TAR = 1024;

/** Bytes of the header(s) tar-stream writes before a member called `name` (512, or more with a pax header). */
export async function headerLength(name: string): Promise<number> {
  const p = tarPack();
  p.entry({ name, size: 0, mtime: new Date(0) }, Buffer.alloc(0));
  p.finalize();
  let n = 0;
  for await (const chunk of p as unknown as AsyncIterable<Buffer>) n += chunk.length;
  return n - END_OF_TAR;
}

export class TarSegment {
  private pack!: Pack;
  private written!: Promise<void>;
  /** End of the last complete member. */
  private end = 0;
  readonly members: MemberEntry[] = [];
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly mtime: Date,
  ) {}

  /** Creates (or replaces) `path`. */
  static create(path: string, mtime: Date): TarSegment {
    const s = new TarSegment(path, mtime);
    s.start(0);
    return s;
  }

  /** Bytes the file holds once every member so far is complete (without the end marker). */
  get offset(): number {
    return this.end;
  }

  private start(at: number): void {
    this.pack = tarPack();
    const out = createWriteStream(this.path, { flags: at === 0 ? 'w' : 'r+', start: at, highWaterMark: 1 << 20 });
    this.written = pipeline(this.pack as unknown as Readable, out);
    this.written.catch(() => undefined);
  }

  /**
   * Appends a member of exactly `size` bytes. Resolves once tar-stream took
   * all of them; on any failure the member is taken back and the error rethrown.
   */
  async add(name: string, size: number, body: Readable | Buffer): Promise<MemberEntry> {
    if (this.closed) throw new Error(`${this.path} is already closed`);
    const headerLen = await headerLength(name);
    const at = this.end;
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const sink = this.pack.entry({ name, size, mode: 0o644, mtime: this.mtime, type: 'file' }, (err) => (err ? reject(err) : resolve()));
        const src = Buffer.isBuffer(body) ? Readable.from([body]) : body;
        pipeline(src, tap, sink as unknown as PassThrough).catch(reject);
      });
    } catch (e) {
      await this.takeBack(at);
      throw e;
    }
    const entry: MemberEntry = { name, offset: at + headerLen, size, sha256: hash.digest('hex') };
    this.end = at + headerLen + padded(size);
    this.members.push(entry);
    return entry;
  }

  /** Cuts the file back to `at` (the failed member's header) and continues there. */
  private async takeBack(at: number): Promise<void> {
    this.pack.destroy();
    await this.written.catch(() => undefined);
    await truncate(this.path, at);
    this.start(at);
  }

  /** Writes the end marker, fsyncs, and checks the file is as long as the members say. Returns its size. */
  async close(): Promise<number> {
    this.closed = true;
    this.pack.finalize();
    await this.written;
    const fh = await open(this.path, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const size = (await stat(this.path)).size;
    if (size !== this.end + END_OF_TAR) throw new Error(`${this.path}: wrote ${size} bytes, the members add up to ${this.end + END_OF_TAR}`);
    return size;
  }

  /** Stops writing (the caller removes the file). */
  async abort(): Promise<void> {
    this.closed = true;
    this.pack.destroy();
    await this.written.catch(() => undefined);
  }
}
