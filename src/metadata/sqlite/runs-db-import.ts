/**
 * The run log used to be a file of its own per data directory
 * (`<data-dir>/runs.db`, tables mirror_runs and gc_runs). On the first start
 * that finds one, its rows are appended to the metadata store's run log
 * (SQLite or PostgreSQL) and the file is renamed `runs.db.imported`. The
 * import is keyed by the SHA-256 of the rows it carries (RunLogQueries
 * `importRuns`), so a start interrupted between the import and the rename
 * does not import twice; replicas that each had a runs.db each add theirs.
 */
import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { GcRunSummary } from '../../registry/gc-history.js';
import type { MirrorRunReport, RunLogImport, RunLogQueries } from '../run-log.js';

export interface RunsDbImport {
  readonly mirrorRuns: number;
  readonly gcRuns: number;
  /** false: this content had been imported before (nothing added). */
  readonly added: boolean;
}

function readRunsDb(path: string): RunLogImport {
  const db = new Database(path, { fileMustExist: true });
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    const mirror = tables.has('mirror_runs')
      ? (db.prepare('SELECT received_at, sent_by, report FROM mirror_runs ORDER BY id').all() as { received_at: number; sent_by: string; report: string }[])
      : [];
    const gc = tables.has('gc_runs') ? (db.prepare('SELECT summary FROM gc_runs ORDER BY id').all() as { summary: string }[]) : [];
    const key = createHash('sha256').update(JSON.stringify([mirror, gc])).digest('hex');
    return {
      key: `runs.db:${key}`,
      mirrorRuns: mirror.map((r) => ({ report: JSON.parse(r.report) as MirrorRunReport, sentBy: r.sent_by, receivedAt: r.received_at })),
      gcRuns: gc.map((r) => JSON.parse(r.summary) as GcRunSummary),
    };
  } finally {
    db.close();
  }
}

/** Imports `path` (an old runs.db) into `log` when it exists, then renames it; undefined when there is none. */
export async function importRunsDb(path: string, log: RunLogQueries): Promise<RunsDbImport | undefined> {
  if (!existsSync(path)) return undefined;
  let content: RunLogImport;
  try {
    content = readRunsDb(path);
  } catch (e) {
    throw new Error(`cannot read the old run log ${path}: ${(e as Error).message}; move it away to start without its history`, { cause: e });
  }
  const added = await log.importRuns(content);
  // Closed cleanly above, so its WAL was checkpointed into the file; leftovers are empty.
  for (const ext of ['-wal', '-shm']) rmSync(`${path}${ext}`, { force: true });
  renameSync(path, `${path}.imported`);
  return { mirrorRuns: content.mirrorRuns.length, gcRuns: content.gcRuns.length, added };
}
