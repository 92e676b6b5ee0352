/**
 * Runs a command under GNU time (`/usr/bin/time -f '%U %S %M' -o FILE`): the
 * rusage of the child and every descendant it waited for gives the tool's
 * user+sys CPU and its peak RSS (largest of the processes, in KiB).
 */
import { spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './children.js';

export const GNU_TIME = '/usr/bin/time';

export function gnuTimeMissing(): string | undefined {
  if (!existsSync(GNU_TIME)) return `${GNU_TIME} is missing (apt-get install time)`;
  if (spawnSync(GNU_TIME, ['-f', '%U', 'true'], { stdio: 'ignore' }).status !== 0) return `${GNU_TIME} is not GNU time`;
  return undefined;
}

export interface TimedRun {
  code: number;
  stdout: string;
  stderr: string;
  wallS: number;
  cpuS: number;
  maxRssBytes: number;
}

let seq = 0;

/** `cmd args` under GNU time; `scratch` is a directory for the time report. */
export async function timed(scratch: string, cmd: string, args: string[], opts: SpawnOptions = {}): Promise<TimedRun> {
  const out = join(scratch, `time-${process.pid}-${seq++}.txt`);
  const r = await run(GNU_TIME, ['-f', '%U %S %M', '-o', out, cmd, ...args], opts);
  let cpuS = NaN;
  let maxRssBytes = NaN;
  try {
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    const last = lines[lines.length - 1] ?? '';
    const [u, s, m] = last.trim().split(/\s+/).map(Number);
    if (u !== undefined && s !== undefined && m !== undefined) {
      cpuS = u + s;
      maxRssBytes = m * 1024;
    }
  } catch {
    // the command could not be started
  }
  await rm(out, { force: true });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, wallS: r.wallS, cpuS, maxRssBytes };
}
