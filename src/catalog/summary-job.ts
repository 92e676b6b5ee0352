/**
 * Summarizes an extracted catalog in a child process (summary-worker.ts)
 * with a heap limit and a deadline: a catalog too large for the limit, or
 * too slow, ends in a one-line CatalogError instead of a stalled or crashed
 * server. The caller keeps the files until the promise settles.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CatalogError } from './errors.js';
import type { PackageSummary } from './summary.js';
import type { SummaryJobInput, SummaryJobOutput } from './summary-worker.js';

export interface SummaryJobLimits {
  /** Heap of the reading process (V8's old generation), MiB. */
  readonly heapMb: number;
  readonly timeoutMs: number;
}

const WORKER = fileURLToPath(new URL('./summary-worker.js', import.meta.url));

export async function summarizeInWorker(job: SummaryJobInput, limits: SummaryJobLimits): Promise<{ packages: PackageSummary[]; warnings: readonly string[] }> {
  const child = fork(WORKER, [], { execArgv: [`--max-old-space-size=${limits.heapMb}`], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const out = await new Promise<SummaryJobOutput>((resolve, reject) => {
      let result: SummaryJobOutput | undefined;
      timer = setTimeout(() => reject(new CatalogError(`${job.label}: reading the catalog took more than ${limits.timeoutMs / 1000} s`)), limits.timeoutMs);
      child.once('message', (m: SummaryJobOutput) => {
        result = m;
        resolve(m);
      });
      child.once('error', (e) => reject(new CatalogError(`${job.label}: cannot start the catalog reader: ${e.message}`)));
      child.once('exit', (code, signal) => {
        if (result) return;
        if (/heap out of memory|Reached heap limit/.test(stderr)) reject(new CatalogError(`${job.label}: the catalog needs more than the ${limits.heapMb} MiB of memory allowed for reading it`));
        else reject(new CatalogError(`${job.label}: the catalog reader stopped (${signal ?? `exit code ${code}`})`));
      });
      child.send(job);
    });
    if (!out.ok) throw new CatalogError(out.message);
    return { packages: out.packages, warnings: out.warnings };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
