/**
 * Progress output for long copies (image mirror, release mirror), on stderr.
 *
 * On a terminal: one bar line redrawn at most ~10 times a second
 *   [=======>            ]  1.20GiB/3.40GiB+  3/10 images  25.3 MB/s  ETA 1m32s
 * where `+` marks a total that still grows (images not resolved yet; no ETA
 * then). Anything else written while the bar is up goes through print(),
 * which clears the bar line first and redraws it after, so `<digest> <dst>`
 * lines on stdout and messages on stderr never share a line with it.
 *
 * Elsewhere (a pipe, a log file): plain lines, one per image done and one
 * every `plainEveryMs` (10 s) while bytes keep moving:
 *   progress: 3/10 images, 1.20GiB/3.40GiB+, 25.3 MB/s
 */
import { formatBytes, type ProgressSnapshot } from '../copy/mirror-report.js';

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): boolean;
}

export interface ProgressOptions {
  /** Draw a bar (default: the stream is a TTY). */
  readonly tty?: boolean;
  /** Clock in ms (tests). */
  readonly now?: () => number;
  /** Bar redraw interval (default 100 ms). */
  readonly frameMs?: number;
  /** Plain-line interval while bytes move (default 10 s). */
  readonly plainEveryMs?: number;
  /** Show bytes, rate and ETA (false in a dry run: nothing streams). */
  readonly bytes?: boolean;
}

const CLEAR = '\r\x1b[K';
/** Transfer rate over this recent window. */
const RATE_WINDOW_MS = 10_000;
/** No ETA before the rate means something. */
const ETA_AFTER_MS = 2000;

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressRenderer {
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly samples: { t: number; bytes: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** A bar is on screen (TTY). */
  private shown = false;
  private lastPlainAt: number;
  private lastPlainKey = '';
  private readonly started: number;

  constructor(
    private readonly stream: ProgressStream,
    private readonly snapshot: () => ProgressSnapshot,
    private readonly opts: ProgressOptions = {},
  ) {
    this.tty = opts.tty ?? stream.isTTY === true;
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    this.lastPlainAt = this.started;
  }

  /** Starts redrawing (TTY) or the periodic plain lines. The timer never keeps the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), this.tty ? (this.opts.frameMs ?? 100) : 1000);
    this.timer.unref();
  }

  /** TTY: draws a frame. Plain: writes a line when one is due and something moved. */
  tick(): void {
    const p = this.snapshot();
    this.sample(p);
    if (this.tty) {
      this.stream.write(`${CLEAR}${this.frame(p)}`);
      this.shown = true;
      return;
    }
    if (this.now() - this.lastPlainAt >= (this.opts.plainEveryMs ?? 10_000)) this.plain(p);
  }

  /** Writes `text` to `target` (stdout, or this stream) without tearing the bar. */
  print(target: { write(chunk: string): boolean }, text: string): void {
    if (this.shown) this.stream.write(CLEAR);
    target.write(text);
    if (this.shown) this.stream.write(this.frame(this.snapshot()));
  }

  /** A message line on this stream (a warning, an error). */
  message(text: string): void {
    this.print(this.stream, text.endsWith('\n') ? text : `${text}\n`);
  }

  /** An image is done: plain mode writes a line; the bar just moves on. */
  imageDone(): void {
    if (!this.tty) this.plain(this.snapshot());
  }

  /** Stops the timer and removes the bar. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.stream.write(CLEAR);
    this.shown = false;
  }

  private sample(p: ProgressSnapshot): void {
    const t = this.now();
    this.samples.push({ t, bytes: p.bytesMoved });
    while (this.samples.length > 2 && t - this.samples[0]!.t > RATE_WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second over the recent window (the whole run while it is younger than one second). */
  rate(p: ProgressSnapshot): number {
    const t = this.now();
    const first = this.samples[0];
    if (first === undefined || t - first.t < 1000) {
      const secs = (t - this.started) / 1000;
      return secs > 0 ? p.bytesMoved / secs : 0;
    }
    return Math.max(0, (p.bytesMoved - first.bytes) / ((t - first.t) / 1000));
  }

  private fields(p: ProgressSnapshot): string[] {
    const out: string[] = [];
    if (this.opts.bytes !== false) out.push(`${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}${p.totalKnown ? '' : '+'}`);
    out.push(`${p.imagesDone}/${p.imagesTotal} images`);
    if (this.opts.bytes !== false) {
      const rate = this.rate(p);
      out.push(`${(rate / 1e6).toFixed(1)} MB/s`);
      const settled = this.now() - this.started >= ETA_AFTER_MS;
      if (p.totalKnown && settled && rate > 0 && p.bytesDone < p.bytesTotal) out.push(`ETA ${formatDuration(((p.bytesTotal - p.bytesDone) / rate) * 1000)}`);
    }
    if (p.retries > 0) out.push(`${p.retries} ${p.retries === 1 ? 'retry' : 'retries'}`);
    return out;
  }

  /** One bar line, never wider than the terminal (a wrapped line cannot be redrawn in place). */
  frame(p: ProgressSnapshot): string {
    const text = this.fields(p).join('  ');
    // 0 or unset: size unknown (e.g. a pty nobody sized).
    const columns = this.stream.columns || 80;
    const room = columns - 1 - text.length - 4;
    const done = this.opts.bytes !== false ? (p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0) : p.imagesTotal > 0 ? p.imagesDone / p.imagesTotal : 0;
    if (room < 10) return text.slice(0, columns - 1);
    const width = Math.min(30, room);
    const filled = Math.min(width, Math.floor(done * width));
    const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
    return `[${bar}]  ${text}`;
  }

  private plain(p: ProgressSnapshot): void {
    const key = `${p.imagesDone}/${p.bytesDone}/${p.retries}`;
    this.lastPlainAt = this.now();
    if (key === this.lastPlainKey) return;
    this.lastPlainKey = key;
    this.stream.write(`progress: ${this.fields(p).join(', ')}\n`);
  }
}
