import { Writable } from 'node:stream';

/**
 * A Writable that cuts what it is given into parts of exactly `partSize`
 * bytes and hands each full part to `onPart` (one upload in flight while the
 * next part fills: memory is two part buffers whatever the size). Chunks
 * are copied on write, so the caller may reuse its buffers as soon as a
 * write calls back. `remainder()` waits for the end of the stream and the
 * last upload and returns the bytes of the unfinished last part.
 */
export class PartSink extends Writable {
  private buf: Buffer;
  private spare: Buffer | undefined;
  private filled = 0;
  private inflight: Promise<void> = Promise.resolve();
  private partFailure: Error | undefined;
  private readonly ended: Promise<void>;
  /** Bytes accepted (including the initial bytes). */
  total = 0;

  constructor(
    private readonly partSize: number,
    private readonly onPart: (part: Buffer) => Promise<void>,
    initial?: Buffer,
  ) {
    super({ highWaterMark: 1 << 20, decodeStrings: true });
    this.buf = Buffer.allocUnsafeSlow(partSize);
    this.ended = new Promise((res, rej) => {
      this.once('finish', res);
      this.once('error', rej);
      this.once('close', () => (this.writableFinished ? res() : rej(this.errored ?? new Error('the write was cancelled'))));
    });
    this.ended.catch(() => undefined);
    if (initial && initial.length > 0) this.take(initial, () => undefined);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.take(chunk, cb);
  }

  private take(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.partFailure) return cb(this.partFailure);
    this.total += chunk.length;
    let off = 0;
    const step = (): void => {
      while (off < chunk.length) {
        const n = chunk.copy(this.buf, this.filled, off);
        this.filled += n;
        off += n;
        if (this.filled === this.partSize) {
          this.flushFull().then(step, cb);
          return;
        }
      }
      cb();
    };
    step();
  }

  /** Starts the upload of the full buffer once the previous one is done; resolves when filling may go on. */
  private async flushFull(): Promise<void> {
    await this.inflight;
    if (this.partFailure) throw this.partFailure;
    const part = this.buf;
    this.buf = this.spare ?? Buffer.allocUnsafeSlow(this.partSize);
    this.spare = undefined;
    this.filled = 0;
    this.inflight = this.onPart(part).then(
      () => void (this.spare = part),
      (e: Error) => void (this.partFailure = e),
    );
  }

  /** After the stream ended: waits for the last full part's upload, then returns the unfinished part (a view, valid until the sink is dropped). */
  async remainder(): Promise<Buffer> {
    await this.ended;
    await this.inflight;
    if (this.partFailure) throw this.partFailure;
    return this.buf.subarray(0, this.filled);
  }

  /** Waits for the upload in flight (after an error or a cancel), ignoring its outcome. */
  async settle(): Promise<void> {
    await this.inflight.catch(() => undefined);
  }
}
