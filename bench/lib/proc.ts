/**
 * Readers for /proc: resident memory and CPU time of one process, and the
 * machine-wide busy CPU time (to see how much else ran during a measurement).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck: number | undefined;
/** Clock ticks per second used by /proc/PID/stat (usually 100). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    clkTck = r.status === 0 && Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clkTck;
}

/** A `VmXxx:` field of /proc/PID/status in bytes, or undefined when the process is gone. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
}

/** utime + stime of a process in seconds (undefined when it is gone). */
export function cpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / clockTicks();
}

/** CPU seconds the whole machine spent busy (user+nice+system+irq+softirq+steal). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return 0;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const pick = (i: number): number => f[i] ?? 0;
  return (pick(0) + pick(1) + pick(2) + pick(5) + pick(6) + pick(7)) / clockTicks();
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

/** Samples VmRSS of a process every `intervalMs` until stopped; keeps the maximum. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private max = 0;
  private count = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  private sample(): void {
    const v = statusBytes(this.pid, 'VmRSS');
    if (v === undefined) return;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** Stops sampling (after one last sample) and returns the peak seen. */
  stop(): { peakBytes: number; samples: number } {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return { peakBytes: this.max, samples: this.count };
  }
}

/**
 * CPU time of this process plus its waited-for children (utime, stime,
 * cutime, cstime): the benchmark's own clients (skopeo, curl, wrk, ab run as
 * children; autocannon runs in this process).
 */
export function selfAndChildrenCpuSeconds(): number {
  const rest = readFileSync('/proc/self/stat', 'utf8');
  const f = rest.slice(rest.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / clockTicks();
}

/** CPU and wall clock around a measured section, for one server process. */
export interface CpuSpan {
  serverCpuS: number;
  /** the benchmark's clients (this process and the children it waited for) */
  clientCpuS: number;
  /** everything else on the machine: other tenants, kernel threads (e.g. writeback) */
  foreignCpuS: number;
  wallS: number;
}

export function startSpan(pid: number): () => CpuSpan {
  const c0 = cpuSeconds(pid) ?? 0;
  const b0 = machineBusySeconds();
  const s0 = selfAndChildrenCpuSeconds();
  const t0 = process.hrtime.bigint();
  return () => {
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    const serverCpuS = (cpuSeconds(pid) ?? c0) - c0;
    const clientCpuS = selfAndChildrenCpuSeconds() - s0;
    const foreignCpuS = Math.max(0, machineBusySeconds() - b0 - serverCpuS - clientCpuS);
    return { serverCpuS, clientCpuS, foreignCpuS, wallS };
  };
}

/** CPU seconds of a process's main thread and of its other threads, by thread name (comm). */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const name = tid === String(pid) ? `${comm} [main thread]` : `${comm} [other threads]`;
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const s = (Number(rest[11]) + Number(rest[12])) / clockTicks();
    if (Number.isFinite(s)) out.set(name, (out.get(name) ?? 0) + s);
  }
  return out;
}

/** Per-thread-name CPU used between now and the call of the returned function (largest first). */
export function startThreadSpan(pid: number): () => { thread: string; cpuS: number }[] {
  const before = threadCpuSeconds(pid);
  return () => {
    const after = threadCpuSeconds(pid);
    return [...after.entries()]
      .map(([thread, s]) => ({ thread, cpuS: s - (before.get(thread) ?? 0) }))
      .filter((t) => t.cpuS > 0)
      .sort((a, b) => b.cpuS - a.cpuS);
  };
}

/**
 * `rchar` and `wchar` of /proc/PID/io: bytes the process passed through
 * read()/write()-family syscalls and sendfile(), sockets and files alike
 * (HTTP headers included). undefined when the process is gone.
 */
export function ioBytes(pid: number): { rchar: number; wchar: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/io`, 'utf8');
  } catch {
    return undefined;
  }
  const r = /^rchar:\s+(\d+)/m.exec(text)?.[1];
  const w = /^wchar:\s+(\d+)/m.exec(text)?.[1];
  if (r === undefined || w === undefined) return undefined;
  return { rchar: Number(r), wchar: Number(w) };
}
