/**
 * The run log on PostgreSQL (tables mirror_runs, gc_runs, run_log_imports
 * of pg-migrations.ts), shared by every replica: a report posted to one
 * replica and a collection run on another are in one history. Inserts are
 * single statements (ids from a sequence, so concurrent replicas never
 * collide); the trim of old rows and an import are one SERIALIZABLE
 * transaction each (retried).
 */
import type { GcRunSummary } from '../../registry/gc-history.js';
import { mirrorRunOf, type MirrorRunRow } from '../run-log-row.js';
import { RUN_LOG_KEEP, type MirrorRun, type MirrorRunReport, type RunLogImport, type RunLogQueries } from '../run-log.js';
import type { Sql } from './pg-exec.js';

export class PgRunLog implements RunLogQueries {
  constructor(private readonly sql: Sql, private readonly keep = RUN_LOG_KEEP) {}

  private async insertMirror(s: Sql, report: MirrorRunReport, sentBy: string, receivedAt: number): Promise<number> {
    const [r] = await s.rows<{ id: number }>('INSERT INTO mirror_runs (received_at, sent_by, report) VALUES ($1, $2, $3) RETURNING id',
      [receivedAt, sentBy, JSON.stringify(report)]);
    await s.count('DELETE FROM mirror_runs WHERE id <= $1', [r!.id - this.keep]);
    return r!.id;
  }

  private async insertGc(s: Sql, run: GcRunSummary): Promise<void> {
    const [r] = await s.rows<{ id: number }>('INSERT INTO gc_runs (finished_at, summary) VALUES ($1, $2) RETURNING id', [run.finishedAt, JSON.stringify(run)]);
    await s.count('DELETE FROM gc_runs WHERE id <= $1', [r!.id - this.keep]);
  }

  async addMirrorRun(report: MirrorRunReport, sentBy: string, receivedAt = Date.now()): Promise<MirrorRun> {
    const id = await this.sql.atomic((s) => this.insertMirror(s, report, sentBy, receivedAt));
    return { ...report, id, receivedAt, sentBy };
  }

  async mirrorRuns(limit: number, before?: number): Promise<MirrorRun[]> {
    const rows = await this.sql.rows<MirrorRunRow>('SELECT id, received_at, sent_by, report FROM mirror_runs WHERE id < $1 ORDER BY id DESC LIMIT $2',
      [before ?? Number.MAX_SAFE_INTEGER, limit]);
    return rows.map(mirrorRunOf);
  }

  async addGcRun(run: GcRunSummary): Promise<void> {
    await this.sql.atomic((s) => this.insertGc(s, run));
  }

  async gcRuns(limit: number): Promise<GcRunSummary[]> {
    const rows = await this.sql.rows<{ summary: string }>('SELECT summary FROM gc_runs ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map((r) => JSON.parse(r.summary) as GcRunSummary);
  }

  importRuns(i: RunLogImport): Promise<boolean> {
    return this.sql.atomic(async (s) => {
      const fresh = await s.count('INSERT INTO run_log_imports (key, imported_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [i.key, Date.now()]);
      if (fresh === 0) return false;
      for (const m of i.mirrorRuns) await this.insertMirror(s, m.report, m.sentBy, m.receivedAt);
      for (const g of i.gcRuns) await this.insertGc(s, g);
      return true;
    });
  }
}
