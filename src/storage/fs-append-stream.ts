import { write as fsWrite } from 'node:fs';
import { Writable } from 'node:stream';
import { DIRECT_IO_ALIGN, isAligned } from '../util/aligned-buffer.js';

/**
 * The byte stream of one filesystem append session: positional writes from
 * the file's size at open, in order, each chunk fully written (short writes
 * are continued) before the next starts.
 *
 * When the driver opened a second descriptor with O_DIRECT, every run of
 * bytes that can go direct does: an aligned buffer (util/aligned-buffer.ts)
 * written at an aligned offset, its length rounded down to the alignment.
 * Direct writes skip the page cache, whose allocation costs more CPU than
 * the copy itself on this kind of virtual machine (dd: 3.35 s of system time
 * per GiB buffered, 0.29 s direct). Everything else (a tail shorter than the
 * alignment, unaligned chunks from a slow upload, a session that starts at
 * an unaligned size) goes through the ordinary descriptor. The two never
 * overlap, and fdatasync on either descriptor makes both durable. A direct
 * write refused with EINVAL (a filesystem without O_DIRECT support for this
 * file) is retried through the page cache, and `onDirectRefused` tells the
 * driver to stop trying.
 */
export class FileAppendStream extends Writable {
  /** Bytes written so far by this session. */
  bytesWritten = 0;
  /** Of those, bytes that went through the page cache (what a background fdatasync has to flush). */
  bufferedBytes = 0;
  private pos: number;

  constructor(
    private readonly fd: number,
    private directFd: number | undefined,
    start: number,
    private readonly onDirectRefused: () => void,
    /** fs.write, replaceable so a test can make the kernel refuse a direct write. */
    private readonly writeFn: typeof fsWrite = fsWrite,
  ) {
    super({ highWaterMark: 8 << 20 });
    this.pos = start;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.put(chunk, 0, cb);
  }

  private put(chunk: Buffer, off: number, cb: (err?: Error | null) => void): void {
    const rest = chunk.length - off;
    if (rest === 0) return cb();
    let fd = this.fd;
    let len = rest;
    const direct = this.directFd;
    if (direct !== undefined && this.pos % DIRECT_IO_ALIGN === 0 && rest >= DIRECT_IO_ALIGN && isAligned(chunk.subarray(off))) {
      fd = direct;
      len = rest - (rest % DIRECT_IO_ALIGN);
    }
    this.writeFn(fd, chunk, off, len, this.pos, (err, n) => {
      if (err) {
        if (fd === direct && (err as NodeJS.ErrnoException).code === 'EINVAL') {
          this.directFd = undefined;
          this.onDirectRefused();
          return this.put(chunk, off, cb);
        }
        return cb(err);
      }
      this.pos += n;
      this.bytesWritten += n;
      if (fd !== direct) this.bufferedBytes += n;
      this.put(chunk, off + n, cb);
    });
  }
}
