/**
 * The run log on the SQLite metadata database (tables mirror_runs, gc_runs,
 * run_log_imports of migrations.ts). Reports are stored as the JSON the API
 * validated. better-sqlite3 is synchronous: each method is one transaction.
 * SqliteMetadataStore gates calls so that none lands inside its open
 * transaction().
 */
import type { GcRunSummary } from '../../registry/gc-history.js';
import { mirrorRunOf, type MirrorRunRow } from '../run-log-row.js';
import { RUN_LOG_KEEP, type MirrorRun, type MirrorRunReport, type RunLogImport, type RunLogQueries } from '../run-log.js';
import type { Db } from './open.js';

export class SqliteRunLog implements RunLogQueries {
  constructor(private readonly db: Db, private readonly keep = RUN_LOG_KEEP) {}

  private insertMirror(report: MirrorRunReport, sentBy: string, receivedAt: number): number {
    const r = this.db.prepare('INSERT INTO mirror_runs (received_at, sent_by, report) VALUES (?, ?, ?)').run(receivedAt, sentBy, JSON.stringify(report));
    const id = Number(r.lastInsertRowid);
    this.db.prepare('DELETE FROM mirror_runs WHERE id <= ?').run(id - this.keep);
    return id;
  }

  private insertGc(run: GcRunSummary): void {
    const r = this.db.prepare('INSERT INTO gc_runs (finished_at, summary) VALUES (?, ?)').run(run.finishedAt, JSON.stringify(run));
    this.db.prepare('DELETE FROM gc_runs WHERE id <= ?').run(Number(r.lastInsertRowid) - this.keep);
  }

  async addMirrorRun(report: MirrorRunReport, sentBy: string, receivedAt = Date.now()): Promise<MirrorRun> {
    const id = this.db.transaction(() => this.insertMirror(report, sentBy, receivedAt))();
    return { ...report, id, receivedAt, sentBy };
  }

  async mirrorRuns(limit: number, before?: number): Promise<MirrorRun[]> {
    const rows = this.db.prepare('SELECT id, received_at, sent_by, report FROM mirror_runs WHERE id < ? ORDER BY id DESC LIMIT ?').all(before ?? Number.MAX_SAFE_INTEGER, limit) as MirrorRunRow[];
    return rows.map(mirrorRunOf);
  }

  async addGcRun(run: GcRunSummary): Promise<void> {
    this.db.transaction(() => this.insertGc(run))();
  }

  async gcRuns(limit: number): Promise<GcRunSummary[]> {
    const rows = this.db.prepare('SELECT summary FROM gc_runs ORDER BY id DESC LIMIT ?').all(limit) as { summary: string }[];
    return rows.map((r) => JSON.parse(r.summary) as GcRunSummary);
  }

  async importRuns(i: RunLogImport): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (this.db.prepare('INSERT OR IGNORE INTO run_log_imports (key, imported_at) VALUES (?, ?)').run(i.key, Date.now()).changes === 0) return false;
      for (const m of i.mirrorRuns) this.insertMirror(m.report, m.sentBy, m.receivedAt);
      for (const g of i.gcRuns) this.insertGc(g);
      return true;
    }).immediate();
  }
}
