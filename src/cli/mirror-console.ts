/** The terminal side of a mirror run: stdout/stderr lines, with or without the progress display. */
import type { MirrorReport } from '../copy/mirror-report.js';
import type { MirrorConsole } from '../mirror/console.js';
import { ProgressRenderer } from './progress.js';

export interface ConsoleOptions {
  /** Draw the progress bar (terminal) or `progress:` lines (otherwise) on stderr. */
  readonly progress: boolean;
  /** Count bytes in the progress display (off for dry runs: nothing moves). */
  readonly bytes: boolean;
}

export function mirrorConsole(report: MirrorReport, o: ConsoleOptions): MirrorConsole {
  const progress = o.progress ? new ProgressRenderer(process.stderr, () => report.progress(), { bytes: o.bytes }) : undefined;
  return {
    start: () => progress?.start(),
    stop: () => progress?.stop(),
    out: (text) => (progress ? progress.print(process.stdout, text) : process.stdout.write(text)),
    message: (line) => (progress ? progress.message(line) : process.stderr.write(line.endsWith('\n') ? line : `${line}\n`)),
    imageDone: () => progress?.imageDone(),
  };
}
