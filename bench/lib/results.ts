/**
 * Samples of measured copies by (phase, tool), their medians, and the
 * markdown table the mirror and release benchmarks print: one row per tool
 * with the median of every figure, then one row per peer tool with the
 * ratio peer/airlock for each figure (every figure is lower-is-better, so a
 * ratio > 1 means airlock is better).
 */
import type { Log } from './log.js';
import { MEASURE_KEYS, type Measure } from './measure.js';
import { median } from './stats.js';

export class Results {
  private readonly samples = new Map<string, Measure[]>();
  constructor(private readonly log: Log) {}

  record(phase: string, tool: string, m: Measure): void {
    const k = `${phase}\t${tool}`;
    this.samples.set(k, [...(this.samples.get(k) ?? []), m]);
    this.log(`  ${phase} | ${tool}: ${summary(m)}`);
  }

  medians(phase: string, tool: string): Measure | undefined {
    const l = this.samples.get(`${phase}\t${tool}`);
    if (l === undefined) return undefined;
    return Object.fromEntries(MEASURE_KEYS.map((k) => [k, median(l.map((m) => m[k]))])) as unknown as Measure;
  }

  /** every sample, keyed "phase<TAB>tool" */
  raw(): Record<string, Measure[]> {
    return Object.fromEntries(this.samples);
  }
}

const mb = (b: number): string => (Number.isFinite(b) ? (b / 1e6).toFixed(1) : '-');
const n2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

function summary(m: Measure): string {
  return (
    `${m.wallS.toFixed(2)} s wall, tool CPU ${n2(m.toolCpuS)} s, RSS ${(m.peakRssBytes / 1e6).toFixed(0)} MB, dest CPU ${n2(m.destCpuS)} s, ` +
    `requests src ${Number.isFinite(m.srcRequests) ? m.srcRequests : '-'} / dest ${Number.isFinite(m.destRequests) ? m.destRequests : '-'}, ` +
    `MB sent by src ${mb(m.srcSentBytes)} / read by dest ${mb(m.destReadBytes)}`
  );
}

interface Column {
  key: keyof Measure;
  label: string;
  digits: number;
  scale: number;
}

export const COLUMNS: readonly Column[] = [
  { key: 'wallS', label: 'wall s', digits: 2, scale: 1 },
  { key: 'toolCpuS', label: 'tool CPU s', digits: 2, scale: 1 },
  { key: 'peakRssBytes', label: 'tool peak RSS MB', digits: 0, scale: 1e-6 },
  { key: 'destCpuS', label: 'dest CPU s', digits: 2, scale: 1 },
  { key: 'srcRequests', label: 'requests to src', digits: 0, scale: 1 },
  { key: 'destRequests', label: 'requests to dest', digits: 0, scale: 1 },
  { key: 'srcSentBytes', label: 'MB sent by src', digits: 1, scale: 1e-6 },
  { key: 'destReadBytes', label: 'MB read by dest', digits: 1, scale: 1e-6 },
];

const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');

export interface PhaseRows {
  phase: string;
  /** peer tool names, in row order */
  peers: readonly string[];
  airlock: string;
}

/** The wide markdown table of every phase that has airlock samples. */
export function renderTable(results: Results, phases: readonly PhaseRows[]): string {
  const out = [`| phase | tool | ${COLUMNS.map((c) => c.label).join(' | ')} |`, `|---|---|${COLUMNS.map(() => '--:').join('|')}|`];
  for (const p of phases) {
    const a = results.medians(p.phase, p.airlock);
    if (a === undefined) continue;
    const peers = p.peers.map((t) => ({ t, m: results.medians(p.phase, t) })).filter((x): x is { t: string; m: Measure } => x.m !== undefined);
    const row = (tool: string, cells: string[]): string => `| ${p.phase} | ${tool} | ${cells.join(' | ')} |`;
    for (const { t, m } of peers) out.push(row(t, COLUMNS.map((c) => fmt(m[c.key] * c.scale, c.digits))));
    out.push(row(p.airlock, COLUMNS.map((c) => fmt(a[c.key] * c.scale, c.digits))));
    for (const { t, m } of peers) {
      out.push(row(`ratio ${t} / airlock`, COLUMNS.map((c) => (Number.isFinite(m[c.key]) && Number.isFinite(a[c.key]) && a[c.key] > 0 ? `${(m[c.key] / a[c.key]).toFixed(2)}x` : '–'))));
    }
  }
  return out.join('\n');
}

export interface Target {
  name: string;
  value: string;
  met: boolean;
}

/** `peer wall / airlock wall` of a phase (NaN when either is missing). */
export function speedup(results: Results, phase: string, peer: string, airlock: string): number {
  const p = results.medians(phase, peer);
  const a = results.medians(phase, airlock);
  return p !== undefined && a !== undefined ? p.wallS / a.wallS : NaN;
}

export function renderTargets(targets: readonly Target[]): string {
  return ['targets (goals, not assertions):', ...targets.map((t) => `  ${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.value}`)].join('\n');
}
