import { allocAligned } from '../util/aligned-buffer.js';

/**
 * A bounded pool of equal-size staging buffers, shared by every upload of
 * one blob store.
 *
 * Contract:
 * - at most `max` buffers exist at once (lent out + kept free), so staging
 *   memory is `max × bufferBytes` whatever the number of uploads;
 * - `tryAcquire` never waits: it answers undefined when every buffer is lent
 *   out (the caller then writes its chunks without staging);
 * - a released buffer is kept for reuse while fewer than `keep` are free,
 *   otherwise dropped so its memory can go back to the system;
 * - a borrower must not touch a buffer after releasing it, and releases each
 *   buffer exactly once;
 * - buffers are page-aligned where possible (util/aligned-buffer.ts), so the
 *   filesystem driver can write them with O_DIRECT.
 */
export class StagingPool {
  private readonly free: Buffer[] = [];
  private lentOut = 0;

  constructor(
    readonly bufferBytes = 1 << 20,
    readonly max = 8,
    readonly keep = 2,
  ) {
    if (!(bufferBytes > 0 && max >= 1 && keep >= 0)) throw new RangeError('StagingPool: bufferBytes > 0, max ≥ 1, keep ≥ 0');
  }

  tryAcquire(): Buffer | undefined {
    const reused = this.free.pop();
    if (reused) {
      this.lentOut++;
      return reused;
    }
    if (this.lentOut >= this.max) return undefined;
    this.lentOut++;
    return allocAligned(this.bufferBytes);
  }

  release(buf: Buffer): void {
    this.lentOut--;
    if (this.free.length < this.keep && this.lentOut + this.free.length < this.max) this.free.push(buf);
  }

  /** Buffers currently lent out (for tests and diagnostics). */
  get inUse(): number {
    return this.lentOut;
  }
}
