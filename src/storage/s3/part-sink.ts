import { Writable } from 'node:stream';

/**
 * A Writable that cuts what it is given into parts of exactly `partSize`
 * bytes and hands each full part to `onPart`, with up to `inFlight` uploads
 * running while the next part fills (parts are handed over in order; memory
 * is `inFlight + 1` part buffers whatever the size). Chunks are copied on
 * write, so the caller may reuse its buffers as soon as a write calls back.
 * `remainder()` waits for the end of the stream and every upload and
 * returns the bytes of the unfinished last part.
 */
export class PartSink extends Writable {
  private buf: Buffer;
  private readonly spare: Buffer[] = [];
  private filled = 0;
  private readonly inflight: Promise<void>[] = [];
  private partFailure: Error | undefined;
  private readonly ended: Promise<void>;
  /** Bytes accepted (including the initial bytes). */
  total = 0;

  constructor(
    private readonly partSize: number,
    private readonly onPart: (part: Buffer) => Promise<void>,
    initial?: Buffer,
    private readonly inFlight = 1,
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

  /** Starts the upload of the full buffer once fewer than `inFlight` run; resolves when filling may go on. */
  private async flushFull(): Promise<void> {
    while (this.inflight.length >= this.inFlight) await this.inflight[0];
    if (this.partFailure) throw this.partFailure;
    const part = this.buf;
    this.buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.partSize);
    this.filled = 0;
    // Parts are numbered when handed over, so they may complete out of order.
    const p: Promise<void> = this.onPart(part).then(
      () => void this.spare.push(part),
      (e: Error) => void (this.partFailure ??= e),
    );
    const done = p.then(() => void this.inflight.splice(this.inflight.indexOf(done), 1));
    this.inflight.push(done);
  }

  /** After the stream ended: waits for every part's upload, then returns the unfinished part (a view, valid until the sink is dropped). */
  async remainder(): Promise<Buffer> {
    await this.ended;
    await this.settle();
    if (this.partFailure) throw this.partFailure;
    return this.buf.subarray(0, this.filled);
  }

  /** Waits for the uploads in flight (after an error or a cancel), ignoring their outcome. */
  async settle(): Promise<void> {
    while (this.inflight.length > 0) await this.inflight[0];
  }
}
