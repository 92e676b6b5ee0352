/**
 * The one row shape of the run log's mirror_runs table on both stores
 * (SQLite and PostgreSQL) and its mapping to a MirrorRun: the report is
 * kept as the JSON the API validated.
 */
import type { MirrorRun, MirrorRunReport } from './run-log.js';

export interface MirrorRunRow {
  id: number;
  received_at: number;
  sent_by: string;
  report: string;
}

export function mirrorRunOf(r: MirrorRunRow): MirrorRun {
  return { ...(JSON.parse(r.report) as MirrorRunReport), id: r.id, receivedAt: r.received_at, sentBy: r.sent_by };
}
