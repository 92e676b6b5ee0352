/**
 * Turns the engine's events into what `image mirror` and `release mirror`
 * print: the dry-run plan (plan-text.ts), the final summary, and the numbers
 * a progress display needs (bytes done of a total that grows as images are
 * resolved, images done, retries).
 */
import type { BlobAction, CopyEvent } from './events.js';
import { formatBytes, planText, type RepoPlan } from './plan-text.js';

export { formatBytes } from './plan-text.js';

export interface MirrorStats {
  images: number;
  imagesSkipped: number;
  blobs: Record<BlobAction, number>;
  /** Bytes of blobs that crossed (or, in a dry run, would cross). */
  bytesTransferred: number;
  bytesMounted: number;
  bytesSkipped: number;
  manifests: number;
  retries: number;
  warnings: string[];
}

/** Progress numbers at one instant. */
export interface ProgressSnapshot {
  /** Blob bytes sent so far (streamed to destinations, net of failed attempts): what the summary calls transferred. */
  readonly bytesDone: number;
  /**
   * Bytes that will be sent: the blob bytes of every image resolved so far,
   * times its destinations, less those found mounted, already present,
   * shared within the run, or in images already complete.
   */
  readonly bytesTotal: number;
  /** False while some images are not resolved yet: the total will grow. */
  readonly totalKnown: boolean;
  /** Bytes actually streamed (for the transfer rate). */
  readonly bytesMoved: number;
  readonly imagesDone: number;
  readonly imagesTotal: number;
  readonly retries: number;
}

export interface MirrorReportOptions {
  /** The registry header of file:// destinations in the plan (oc prints the --dir path). */
  readonly fileDir?: string;
}

export class MirrorReport {
  readonly stats: MirrorStats = {
    images: 0,
    imagesSkipped: 0,
    blobs: { uploaded: 0, mounted: 0, exists: 0, deduped: 0 },
    bytesTransferred: 0,
    bytesMounted: 0,
    bytesSkipped: 0,
    manifests: 0,
    retries: 0,
    warnings: [],
  };
  private readonly plan = new Map<string, RepoPlan>();
  /** Bytes streamed so far, net of failed attempts (progress). */
  bytesStreamed = 0;
  private bytesTotal = 0;
  private bytesUnvisited = 0;
  private imagesExpected = 0;
  private imagesResolved = 0;
  private imagesSettled = 0;
  private imagesFailed = 0;

  constructor(private readonly opts: MirrorReportOptions = {}) {}

  /** Feed every engine event here. */
  readonly sink = (e: CopyEvent): void => {
    switch (e.type) {
      case 'blob': {
        this.stats.blobs[e.action]++;
        if (e.action === 'uploaded') this.stats.bytesTransferred += e.size;
        else if (e.action === 'mounted') this.stats.bytesMounted += e.size;
        else this.stats.bytesSkipped += e.size;
        if (e.action !== 'deduped') this.repo(e.dst).blobs.push({ src: e.src, digest: e.digest, size: e.size, action: e.action, from: e.from });
        break;
      }
      case 'bytes':
        this.bytesStreamed += e.n;
        break;
      case 'resolved':
        this.bytesTotal += e.bytes * e.targets;
        if (!e.attachment) this.imagesResolved += e.targets;
        break;
      case 'manifest':
        this.stats.manifests++;
        this.repo(e.dst).manifests.push({ digest: e.digest, tag: e.tag, child: e.child, rewrittenFrom: e.rewrittenFrom });
        break;
      case 'image':
        this.stats.images++;
        if (e.skipped) this.stats.imagesSkipped++;
        this.bytesUnvisited += e.bytesUnvisited;
        if (!e.attachment) this.imagesSettled++;
        break;
      case 'planned':
        this.imagesExpected += e.images;
        break;
      case 'failed':
        this.imagesFailed += e.targets;
        break;
      case 'retry':
        this.stats.retries++;
        break;
      case 'warning':
        this.stats.warnings.push(e.message);
        break;
    }
  };

  progress(): ProgressSnapshot {
    // Only bytes that cross count: mounted, present, shared and unvisited bytes leave the total instead.
    const done = Math.max(0, this.bytesStreamed);
    const toSend = this.bytesTotal - this.stats.bytesMounted - this.stats.bytesSkipped - this.bytesUnvisited;
    return {
      bytesDone: done,
      bytesTotal: Math.max(done, toSend),
      totalKnown: this.imagesResolved + this.imagesFailed >= this.imagesExpected,
      bytesMoved: this.bytesStreamed,
      imagesDone: Math.min(this.imagesSettled, this.imagesExpected),
      imagesTotal: this.imagesExpected,
      retries: this.stats.retries,
    };
  }

  private repo(dst: string): RepoPlan {
    let p = this.plan.get(dst);
    if (p === undefined) {
      p = { blobs: [], manifests: [] };
      this.plan.set(dst, p);
    }
    return p;
  }

  /** The plan (oc's layout with an action per blob), then a total line. */
  planText(): string {
    const s = this.stats;
    const body = planText(this.plan, this.opts.fileDir ?? process.cwd());
    const total =
      `total: ${s.images} images (${s.imagesSkipped} already complete), ${s.blobs.uploaded} blobs to transfer (${formatBytes(s.bytesTransferred)}), ` +
      `${s.blobs.mounted} to mount, ${s.blobs.exists} already present, ${s.blobs.deduped} shared within the run`;
    return body === '' ? total : `${body}\n\n${total}`;
  }

  /** One-line summary (`wallMs` = run time). */
  summary(wallMs: number, dryRun = false): string {
    const s = this.stats;
    const secs = wallMs / 1000;
    const rate = secs > 0 ? s.bytesTransferred / 1e6 / secs : 0;
    const [moved, mounted] = dryRun ? ['to transfer', 'to mount'] : ['transferred', 'mounted'];
    return (
      `${s.images} images (${s.imagesSkipped} already complete); blobs: ${s.blobs.uploaded} ${moved} (${formatBytes(s.bytesTransferred)}), ` +
      `${s.blobs.mounted} ${mounted}, ${s.blobs.exists} already present, ${s.blobs.deduped} shared; ${s.manifests} manifests; ` +
      `${secs.toFixed(2)}s${dryRun ? '' : `, ${rate.toFixed(1)} MB/s`}${s.retries > 0 ? `; ${s.retries} retries` : ''}`
    );
  }
}
