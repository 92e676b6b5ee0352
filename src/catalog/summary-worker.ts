/**
 * The child process that summary-job.ts forks: takes one job over IPC,
 * reads the extracted catalog (FBC directory or SQLite file) with the one
 * parser and sends back its summary (summary.ts), or the one-line
 * CatalogError, then exits. A separate process, so parsing a large catalog
 * never stalls a server, and running out of the heap its parent allows
 * ends only this process (a worker thread's heap limit can abort the
 * whole process).
 */
import { CatalogError } from './errors.js';
import { readFbcDir } from './fbc-read.js';
import type { Catalog } from './model.js';
import { summarize } from './summary.js';

export interface SummaryJobInput {
  readonly format: 'fbc' | 'sqlite';
  /** The FBC directory, or the database file. */
  readonly file: string;
  /** How messages name the catalog's files (`configs`, `/database/index.db`). */
  readonly label: string;
}

export type SummaryJobOutput =
  | { readonly ok: true; readonly packages: ReturnType<typeof summarize>; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly message: string };

async function run(job: SummaryJobInput): Promise<SummaryJobOutput> {
  try {
    let catalog: Catalog;
    let warnings: readonly string[] = [];
    if (job.format === 'fbc') catalog = await readFbcDir(job.file, { label: job.label });
    else {
      const { readSqliteIndex } = await import('./sqlite-read.js');
      const db = readSqliteIndex(job.file, job.label);
      catalog = db.catalog;
      warnings = [...db.warnings, db.deprecationNotice];
    }
    return { ok: true, packages: summarize(catalog), warnings };
  } catch (e) {
    const line = (e instanceof CatalogError ? e.message : `${job.label}: ${(e as Error).message}`).split('\n')[0]!;
    return { ok: false, message: line };
  }
}

if (process.send) {
  process.once('message', (job: SummaryJobInput) => {
    void run(job).then((out) => process.send!(out, () => process.disconnect()));
  });
}
