/**
 * A pass-through stream that checks a blob's size and digest while it flows,
 * and HOLDS BACK THE LAST CHUNK until the check passed. A consumer that commits
 * only after the end of the body (a registry's PUT with a Content-Length, a
 * temp file renamed at end) therefore never sees a complete wrong blob: on a
 * mismatch the stream errors before its final bytes are delivered.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { DigestHasher, digestOf, parseDigest } from '../oci/digest.js';
import { streamed } from '../util/gc-pacer.js';
import { DigestMismatchError, errorText, SourceReadError, type BlobInfo, type RawManifest } from './types.js';

export class VerifyingStream extends Transform {
  private readonly hasher: DigestHasher;
  private held: Buffer | undefined;
  private received = 0;

  /** `onBytes` is told the size of every chunk as it passes (progress). */
  constructor(
    readonly blob: BlobInfo,
    private readonly onBytes?: (n: number) => void,
  ) {
    super();
    this.hasher = new DigestHasher(parseDigest(blob.digest).algorithm);
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.received;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.blob.size) {
      cb(new DigestMismatchError(`blob ${this.blob.digest}: more than the expected ${this.blob.size} bytes`));
      return;
    }
    this.hasher.update(chunk);
    streamed(chunk.length);
    this.onBytes?.(chunk.length);
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.received !== this.blob.size) {
      cb(new DigestMismatchError(`blob ${this.blob.digest}: got ${this.received} bytes, expected ${this.blob.size}`));
      return;
    }
    const got = this.hasher.digest();
    if (got !== this.blob.digest) {
      cb(new DigestMismatchError(`blob ${this.blob.digest}: content hashes to ${got}`));
      return;
    }
    if (this.held !== undefined) this.push(this.held);
    this.held = undefined;
    cb();
  }
}

/**
 * Returns `body` wrapped in a VerifyingStream for `blob`, or `body` itself
 * when it already is one for the same digest and size (no double hashing).
 *
 * Its errors never go unhandled. The wrapper is handed to consumers that may
 * attach their listeners only after an await (a destination's POST that opens
 * an upload, a mkdir), and a small blob can be read in full, checked and
 * failed before then; a source connection can drop meanwhile. So the wrapper
 * listens to its own 'error' from the start: the failure stays in `errored`,
 * where pipeline(), async iteration and undici find it (each rejects at once
 * with the error of an errored stream), and where the copy engine looks after
 * the destination returned. A failure of `body` itself (a dropped connection,
 * a body shorter than its Content-Length) destroys the wrapper with a
 * SourceReadError that says how far it got; destroying the wrapper destroys
 * `body`.
 */
export function verified(body: Readable, blob: BlobInfo, onBytes?: (n: number) => void): Readable {
  if (body instanceof VerifyingStream && body.blob.digest === blob.digest && body.blob.size === blob.size) return body;
  const v = new VerifyingStream(blob, onBytes);
  v.on('error', keptInErrored);
  body.on('error', (e) => {
    const got = v.bytes + v.writableLength;
    v.destroy(e instanceof SourceReadError ? e : new SourceReadError(`blob ${blob.digest}: the source failed after ${got} of ${blob.size} bytes: ${errorText(e)}`, { cause: e }));
  });
  v.on('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(v);
  return v;
}

/** The error listener of a VerifyingStream: the error itself stays in `stream.errored` (see verified()). */
function keptInErrored(): void {}

/**
 * Throws the error of a stream that already failed, or says it was closed
 * before a consumer got to it. For consumers that await something before they
 * read `body`: Node's pipeline() never settles for a stream destroyed without
 * an error.
 */
export function assertReadable(body: Readable, what: string): void {
  if (body.errored) throw body.errored;
  if (body.destroyed) throw new Error(`${what}: the body was closed before it was read`);
}

/** Throws DigestMismatchError unless `m.bytes` hash to `m.digest` (every putManifest checks, before writing). */
export function assertManifestDigest(m: RawManifest, where: string): void {
  const got = digestOf(m.bytes, parseDigest(m.digest).algorithm);
  if (got !== m.digest) throw new DigestMismatchError(`${where}: manifest bytes hash to ${got}, not ${m.digest}`);
}
