/**
 * One measured copy: one or more tool commands run back to back under GNU
 * time, with the source and destination registries observed around them.
 *
 * Figures (NaN where an end is not a registry, e.g. a directory):
 *   wallS            wall clock of the whole sequence
 *   toolCpuS         user+sys of the commands and their waited-for children (summed)
 *   peakRssBytes     largest max RSS of any single tool process (GNU time %M)
 *   destCpuS         CPU of the destination registry process (/proc/PID/stat)
 *   srcRequests      HTTP requests the source registry handled   } see traffic.ts for how
 *   destRequests     HTTP requests the destination handled       } each is counted
 *   srcSentBytes     bytes the source sent
 *   destReadBytes    bytes the destination read (received, plus its own file reads)
 * A command that exits non-zero fails the measurement with its output.
 */
import { cpuSeconds } from './proc.js';
import type { ServerHandle } from './servers.js';
import { settleTraffic, trafficBetween, trafficSnapshot, type TrafficSnapshot } from './traffic.js';
import { timed } from './timed.js';

export interface ToolCmd {
  cmd: string;
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Measure {
  wallS: number;
  toolCpuS: number;
  peakRssBytes: number;
  destCpuS: number;
  srcRequests: number;
  destRequests: number;
  srcSentBytes: number;
  destReadBytes: number;
}

export const MEASURE_KEYS: readonly (keyof Measure)[] = ['wallS', 'toolCpuS', 'peakRssBytes', 'destCpuS', 'srcRequests', 'destRequests', 'srcSentBytes', 'destReadBytes'];

export interface Ends {
  src?: ServerHandle | undefined;
  dest?: ServerHandle | undefined;
}

/** Runs `cmds` one after another; `scratch` holds GNU time's report files. */
export async function measureSeq(scratch: string, ends: Ends, cmds: readonly ToolCmd[]): Promise<Measure> {
  const snap = (s: ServerHandle | undefined): Promise<TrafficSnapshot | undefined> => (s === undefined ? Promise.resolve(undefined) : trafficSnapshot(s));
  const [s0, d0] = [await snap(ends.src), await snap(ends.dest)];
  const c0 = ends.dest === undefined ? 0 : (cpuSeconds(ends.dest.pid) ?? 0);
  const w0 = process.hrtime.bigint();
  let toolCpuS = 0;
  let peak = 0;
  for (const c of cmds) {
    const r = await timed(scratch, c.cmd, c.argv, { cwd: c.cwd, env: c.env });
    if (r.code !== 0) throw new Error(`${c.cmd} ${c.argv.join(' ')}: exit ${r.code}\n${r.stderr.trim().slice(-1500)}\n${r.stdout.trim().slice(-500)}`);
    toolCpuS += r.cpuS;
    peak = Math.max(peak, r.maxRssBytes);
  }
  const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
  const destCpuS = ends.dest === undefined ? NaN : (cpuSeconds(ends.dest.pid) ?? c0) - c0;
  await settleTraffic();
  const src = ends.src !== undefined && s0 !== undefined ? trafficBetween(ends.src, s0, await trafficSnapshot(ends.src)) : undefined;
  const dest = ends.dest !== undefined && d0 !== undefined ? trafficBetween(ends.dest, d0, await trafficSnapshot(ends.dest)) : undefined;
  return {
    wallS,
    toolCpuS,
    peakRssBytes: peak,
    destCpuS,
    srcRequests: src?.requests ?? NaN,
    destRequests: dest?.requests ?? NaN,
    srcSentBytes: src?.sentBytes ?? NaN,
    destReadBytes: dest?.readBytes ?? NaN,
  };
}

/** Two measurements one after the other (e.g. registry→disk, then disk→registry) as one: sums, peak RSS the larger. */
export function addMeasures(a: Measure, b: Measure): Measure {
  const sum = (x: number, y: number): number => (Number.isFinite(x) ? x : 0) + (Number.isFinite(y) ? y : 0);
  const both = (x: number, y: number): number => (Number.isFinite(x) || Number.isFinite(y) ? sum(x, y) : NaN);
  return {
    wallS: a.wallS + b.wallS,
    toolCpuS: a.toolCpuS + b.toolCpuS,
    peakRssBytes: Math.max(a.peakRssBytes, b.peakRssBytes),
    destCpuS: both(a.destCpuS, b.destCpuS),
    srcRequests: both(a.srcRequests, b.srcRequests),
    destRequests: both(a.destRequests, b.destRequests),
    srcSentBytes: both(a.srcSentBytes, b.srcSentBytes),
    destReadBytes: both(a.destReadBytes, b.destReadBytes),
  };
}
