/**
 * RunLog on its own small SQLite file (<data-dir>/runs.db), separate from
 * metadata.db so the metadata store can be replaced (PostgreSQL) without
 * touching it. Reports are stored as the JSON the API validated.
 */
import Database from 'better-sqlite3';
import type { GcRunSummary } from '../../registry/gc-history.js';
import type { MirrorRun, MirrorRunReport, RunLog } from '../run-log.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mirror_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, sent_by TEXT NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gc_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, finished_at INTEGER NOT NULL, summary TEXT NOT NULL);
`;

interface MirrorRow {
  id: number;
  received_at: number;
  sent_by: string;
  report: string;
}

export class SqliteRunLog implements RunLog {
  private readonly db: Database.Database;

  constructor(path: string, private readonly keep = 1000) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  addMirrorRun(report: MirrorRunReport, sentBy: string, receivedAt = Date.now()): MirrorRun {
    const id = this.db.transaction(() => {
      const r = this.db.prepare('INSERT INTO mirror_runs (received_at, sent_by, report) VALUES (?, ?, ?)').run(receivedAt, sentBy, JSON.stringify(report));
      this.db.prepare('DELETE FROM mirror_runs WHERE id <= ?').run(Number(r.lastInsertRowid) - this.keep);
      return Number(r.lastInsertRowid);
    })();
    return { ...report, id, receivedAt, sentBy };
  }

  mirrorRuns(limit: number, before?: number): MirrorRun[] {
    const rows = this.db.prepare('SELECT id, received_at, sent_by, report FROM mirror_runs WHERE id < ? ORDER BY id DESC LIMIT ?').all(before ?? Number.MAX_SAFE_INTEGER, limit) as MirrorRow[];
    return rows.map((r) => ({ ...(JSON.parse(r.report) as MirrorRunReport), id: r.id, receivedAt: r.received_at, sentBy: r.sent_by }));
  }

  addGcRun(run: GcRunSummary): void {
    this.db.transaction(() => {
      const r = this.db.prepare('INSERT INTO gc_runs (finished_at, summary) VALUES (?, ?)').run(run.finishedAt, JSON.stringify(run));
      this.db.prepare('DELETE FROM gc_runs WHERE id <= ?').run(Number(r.lastInsertRowid) - this.keep);
    })();
  }

  gcRuns(limit: number): GcRunSummary[] {
    const rows = this.db.prepare('SELECT summary FROM gc_runs ORDER BY id DESC LIMIT ?').all(limit) as { summary: string }[];
    return rows.map((r) => JSON.parse(r.summary) as GcRunSummary);
  }

  close(): void {
    this.db.close();
  }
}
