/**
 * Start and end of the benchmarks that run airlock and skopeo side by side
 * (bench:mirror, bench:release): tool checks, the work and result
 * directories, the report (table on stdout, results.json and table.md in
 * the result directory) and the top-level error handling with cleanup.
 */
import { chmodSync, existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchScope } from './bench-scope.js';
import type { Log } from './log.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { loadAverage } from './proc.js';
import { renderTable, renderTargets, type PhaseRows, type Results, type Target } from './results.js';
import { AIRLOCK_MAIN } from './servers.js';
import { skopeoMissing } from './skopeo.js';
import { gnuTimeMissing } from './timed.js';

/** Checks the tools, creates the directories (result: BENCH_OUT or a new /tmp/airlock-NAME-bench-result-*). */
export async function preparePeerBench(scope: BenchScope, name: string): Promise<MachineInfo> {
  for (const m of [skopeoMissing(), gnuTimeMissing()]) if (m !== undefined) throw new Error(m);
  if (!existsSync(AIRLOCK_MAIN)) throw new Error(`${AIRLOCK_MAIN} is missing: run npm run build first`);
  scope.resultDir = process.env.BENCH_OUT !== undefined ? resolve(process.env.BENCH_OUT) : await mkdtemp(join(tmpdir(), `airlock-${name}-bench-result-`));
  scope.workDir = await mkdtemp(join(tmpdir(), `airlock-${name}-bench-`));
  chmodSync(scope.workDir, 0o755); // skopeo runs as uid 65534 and reads its inputs in here
  return machineInfo();
}

export interface PeerReport {
  runs: number;
  results: Results;
  phases: readonly PhaseRows[];
  targets: readonly Target[];
  machine: MachineInfo;
  /** more fields for results.json (options, commands, fixture) */
  extra: Record<string, unknown>;
}

export async function finishPeerBench(scope: BenchScope, r: PeerReport): Promise<void> {
  const table = renderTable(r.results, r.phases);
  await mkdir(scope.resultDir, { recursive: true });
  const json = {
    date: new Date().toISOString(),
    runs: r.runs,
    machine: { ...r.machine, loadAtEnd: loadAverage() },
    ...r.extra,
    table: r.phases,
    medians: r.phases.flatMap((p) => [...p.peers, p.airlock].map((tool) => ({ phase: p.phase, tool, m: r.results.medians(p.phase, tool) }))),
    targets: r.targets,
    raw: r.results.raw(),
  };
  const jsonFile = join(scope.resultDir, 'results.json');
  await writeFile(jsonFile, `${JSON.stringify(json, null, 1)}\n`);
  await writeFile(join(scope.resultDir, 'table.md'), `${table}\n`);
  process.stdout.write(`\n${table}\n\nmedian of ${r.runs} run(s); ratios are skopeo/airlock (> 1: airlock better)\n${renderTargets(r.targets)}\nJSON: ${jsonFile}\n`);
}

/** Runs `main`; a failure is logged and sets exit status 1; cleanup always runs. */
export function runBench(main: () => Promise<void>, scope: BenchScope, log: Log): void {
  main()
    .catch((err: unknown) => {
      log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    })
    .finally(() => scope.cleanup());
}
