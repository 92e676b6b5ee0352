/** The machine a benchmark ran on, for its result JSON and report. */
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { loadAverage } from './proc.js';
import { skopeoVersion } from './skopeo.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memBytes: number;
  kernel: string;
  node: string;
  skopeo: string;
  loadAtStart: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? '?',
    memBytes: totalmem(),
    kernel: release(),
    node: process.version,
    skopeo: skopeoVersion(),
    loadAtStart: loadAverage(),
  };
}
