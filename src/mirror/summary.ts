/**
 * The end of a mirror run on stderr, shared by the mirroring commands: the
 * dry-run plan, one line per failed image, what was copied along, the
 * missing images, and the `info: Mirroring completed: …` summary.
 */
import type { MirrorReport } from '../copy/mirror-report.js';
import type { MirrorResult } from '../copy/mirror.js';

export interface SummaryOptions {
  readonly dryRun: boolean;
  readonly wallMs: number;
  /** Print `info: N signatures, attestations and referrers copied along` (image mirror). */
  readonly attachmentsLine?: boolean;
  /** Where the missing images were listed (printed when there are some). */
  readonly missingFile?: string;
}

export function summaryText(report: MirrorReport, result: MirrorResult, o: SummaryOptions): string {
  let s = o.dryRun ? `${report.planText()}\n` : '';
  for (const e of result.errors) s += `error: ${e.source}: ${e.message}\n`;
  if (o.attachmentsLine && result.attachments > 0) s += `info: ${result.attachments} signatures, attestations and referrers ${o.dryRun ? 'would be ' : ''}copied along\n`;
  if (o.attachmentsLine && result.attachmentsPresent > 0) s += `info: ${result.attachmentsPresent} signatures, attestations and referrers already present\n`;
  if (o.missingFile !== undefined && result.missing.length > 0) s += `info: ${result.missing.length} missing images listed in ${o.missingFile}\n`;
  return `${s}info: ${o.dryRun ? 'Dry run complete' : 'Mirroring completed'}: ${report.summary(o.wallMs, o.dryRun)}\n`;
}
