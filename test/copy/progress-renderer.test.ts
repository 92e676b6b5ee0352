/**
 * The progress renderer against a fake stream and a fake clock: bar frames on
 * a terminal (throttled by the caller's ticks, never wider than the terminal,
 * cleared around other output), plain lines elsewhere.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProgressSnapshot } from '../../src/copy/mirror-report.js';
import { formatDuration, ProgressRenderer } from '../../src/cli/progress.js';

const MiB = 1 << 20;
const ERASE = '\u001b[K';

class FakeStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {}
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  /** Same as text, as a call (assertions do not narrow it). */
  all(): string {
    return this.chunks.join('');
  }
  /** What a terminal shows on the current line after `\r` and erase-line. */
  get currentLine(): string {
    const last = this.text.split('\n').at(-1) ?? '';
    const line = last.split('\r').at(-1)!;
    return line.startsWith(ERASE) ? line.slice(ERASE.length) : line;
  }
}

function snapshot(over: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return { bytesDone: 0, bytesTotal: 0, totalKnown: false, bytesMoved: 0, imagesDone: 0, imagesTotal: 10, retries: 0, ...over };
}

describe('progress renderer', () => {
  it('draws a bar with bytes done/total, images, rate and ETA; marks a growing total and omits its ETA', () => {
    let now = 0;
    let p = snapshot({ bytesTotal: 100 * MiB, totalKnown: false });
    const out = new FakeStream(true);
    const r = new ProgressRenderer(out, () => p, { now: () => now });
    r.tick();
    assert.equal(out.currentLine, `[>${' '.repeat(29)}]  0B/100.0MiB+  0/10 images  0.0 MB/s`);
    assert.ok(out.text.startsWith('\r\x1b[K'), 'each frame clears the line first');

    // 2 s later, 20 MiB moved and every image resolved: a rate and an ETA.
    now = 2000;
    p = snapshot({ bytesDone: 20 * MiB, bytesMoved: 20 * MiB, bytesTotal: 100 * MiB, totalKnown: true, imagesDone: 2 });
    r.tick();
    const line = out.currentLine;
    assert.match(line, /^\[======> {23}\] {2}20\.00MiB\/100\.0MiB {2}2\/10 images {2}10\.5 MB\/s {2}ETA 8s$/, line);
    assert.equal(out.chunks.filter((c) => c.includes('\n')).length, 0, 'frames never print newlines');

    // 12 s later (rate over the last 10 s window): 100 MiB moved in total.
    now = 12_000;
    p = snapshot({ bytesDone: 100 * MiB, bytesMoved: 100 * MiB, bytesTotal: 100 * MiB, totalKnown: true, imagesDone: 10, retries: 3 });
    r.tick();
    assert.match(out.currentLine, /^\[={30}\] {2}100\.0MiB\/100\.0MiB {2}10\/10 images {2}8\.4 MB\/s {2}3 retries$/, out.currentLine);
    r.stop();
    assert.equal(out.currentLine, '', 'stop() leaves an empty line');
  });

  it('print() clears the bar, writes the other stream, and redraws', () => {
    const out = new FakeStream(true);
    const stdout = new FakeStream(false);
    const r = new ProgressRenderer(out, () => snapshot({ bytesTotal: 10, bytesDone: 5, totalKnown: true }), { now: () => 1000 });
    r.print(stdout, 'before the first frame\n');
    assert.equal(out.text, '', 'nothing to clear before a bar was drawn');
    r.tick();
    const frame = out.currentLine;
    r.print(stdout, 'sha256:abc 127.0.0.1:5000/x:v1\n');
    assert.equal(stdout.text, 'before the first frame\nsha256:abc 127.0.0.1:5000/x:v1\n');
    assert.deepEqual(out.chunks.slice(-2), ['\r\x1b[K', frame], 'cleared, then redrawn after the line');
    r.message('warning: something');
    assert.ok(out.text.includes(`\r${ERASE}warning: something\n[`), out.text);
    assert.equal(out.currentLine, frame);
  });

  it('never draws wider than the terminal; a narrow one gets the text without the bar', () => {
    const p = snapshot({ bytesDone: 5 * MiB, bytesMoved: 5 * MiB, bytesTotal: 10 * MiB, totalKnown: true, imagesDone: 1 });
    const unsized = new FakeStream(true, 0);
    new ProgressRenderer(unsized, () => p, { now: () => 5000 }).tick();
    assert.match(unsized.currentLine, /^\[=+>? *\] .{10,}$/, 'a terminal of unknown width counts as 80 columns');
    assert.ok(unsized.currentLine.length <= 79);
    const early = new FakeStream(true);
    let t = 0;
    const r0 = new ProgressRenderer(early, () => p, { now: () => t });
    t = 1500;
    r0.tick();
    assert.doesNotMatch(early.currentLine, /ETA/, 'no ETA in the first two seconds');
    for (const columns of [200, 80, 60, 40, 20]) {
      const out = new FakeStream(true, columns);
      const r = new ProgressRenderer(out, () => p, { now: () => 5000 });
      r.tick();
      assert.ok(out.currentLine.length <= columns - 1, `${columns} columns: ${JSON.stringify(out.currentLine)}`);
      if (columns >= 80) assert.match(out.currentLine, /^\[=+>? *\]/);
      if (columns <= 40) assert.doesNotMatch(out.currentLine, /^\[/);
    }
  });

  it('dry runs show images only', () => {
    const out = new FakeStream(true);
    const r = new ProgressRenderer(out, () => snapshot({ imagesDone: 5, imagesTotal: 10, bytesTotal: 99 }), { now: () => 0, bytes: false });
    r.tick();
    assert.equal(out.currentLine, `[===============>${' '.repeat(14)}]  5/10 images`);
  });

  it('without a terminal: a plain line per image done and every 10 s while something moves, nothing else', () => {
    let now = 0;
    let p = snapshot({ bytesTotal: 50 * MiB });
    const out = new FakeStream(false);
    const r = new ProgressRenderer(out, () => p, { now: () => now });
    r.tick();
    assert.equal(out.all(), '', 'no line before 10 s');
    p = snapshot({ bytesTotal: 50 * MiB, bytesDone: 10 * MiB, bytesMoved: 10 * MiB, imagesDone: 1 });
    r.imageDone();
    assert.equal(out.all(), 'progress: 10.00MiB/50.00MiB+, 1/10 images, 0.0 MB/s\n', 'a line per image done');
    now = 10_000;
    r.tick();
    assert.equal(out.all().split('\n').length, 2, 'nothing new since the last line: no periodic line');
    p = snapshot({ bytesTotal: 50 * MiB, totalKnown: true, bytesDone: 30 * MiB, bytesMoved: 30 * MiB, imagesDone: 1 });
    now = 15_000;
    r.tick();
    assert.equal(out.all().split('\n').length, 2, 'less than 10 s since the last line');
    now = 20_000;
    r.tick();
    const lines = out.all().trimEnd().split('\n');
    assert.equal(lines.length, 2, out.all());
    assert.match(lines[1]!, /^progress: 30\.00MiB\/50\.00MiB, 1\/10 images, 2\.1 MB\/s, ETA 10s$/);
    assert.ok(!out.all().includes('\r') && !out.all().includes('\x1b'), 'no terminal control characters');
  });

  it('formats durations', () => {
    assert.deepEqual([0, 999, 59_400, 61_000, 3_599_000, 3_600_000, 7_380_000].map(formatDuration), ['0s', '1s', '59s', '1m01s', '59m59s', '1h00m', '2h03m']);
  });
});
