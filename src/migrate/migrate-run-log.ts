import { createHash } from 'node:crypto';
import type { GcRunSummary } from '../registry/gc-history.js';
import type { MirrorRunReport, RunLogQueries } from '../metadata/run-log.js';
import type { SourceRunLog } from './source-snapshot.js';

/**
 * The run log (mirror run reports and GC history, MetadataStore.runLog) of
 * the source into the destination's, oldest first, after what is there.
 * Each row is one `importRuns` under a stable key, the SHA-256 of the row's
 * content (a mirror run's received_at, sender and report JSON; a GC run's
 * summary JSON, which holds its finish time): the destination records the
 * key in the same transaction as the row, so a re-run (after kill -9 too)
 * skips every row already copied and never duplicates one, and rows the
 * source received since the last run are appended.
 */
export interface RunLogReport {
  mirrorRuns: { total: number; copied: number; present: number };
  gcRuns: { total: number; copied: number; present: number };
}

const key = (kind: string, ...parts: (string | number)[]): string =>
  `migrate:${kind}:${createHash('sha256').update(parts.join('\n')).digest('hex')}`;

export async function migrateRunLog(source: SourceRunLog, dest: RunLogQueries): Promise<RunLogReport> {
  const rows = source.runLog();
  const out: RunLogReport = {
    mirrorRuns: { total: rows.mirrorRuns.length, copied: 0, present: 0 },
    gcRuns: { total: rows.gcRuns.length, copied: 0, present: 0 },
  };
  for (const m of rows.mirrorRuns) {
    const fresh = await dest.importRuns({
      key: key('mirror-run', m.receivedAt, m.sentBy, m.report),
      mirrorRuns: [{ report: JSON.parse(m.report) as MirrorRunReport, sentBy: m.sentBy, receivedAt: m.receivedAt }],
      gcRuns: [],
    });
    if (fresh) out.mirrorRuns.copied++;
    else out.mirrorRuns.present++;
  }
  for (const g of rows.gcRuns) {
    const fresh = await dest.importRuns({ key: key('gc-run', g.summary), mirrorRuns: [], gcRuns: [JSON.parse(g.summary) as GcRunSummary] });
    if (fresh) out.gcRuns.copied++;
    else out.gcRuns.present++;
  }
  return out;
}
