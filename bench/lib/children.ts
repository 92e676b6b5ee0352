/**
 * Every child process the benchmark starts is registered here, so that a
 * failure or SIGINT can stop exactly those processes (by PID) and nothing else.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (!isRunning(child) || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c, 3000).catch(() => undefined)));
}

export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
  wallS: number;
}

/** Runs a command to completion, collecting output (tracked for cleanup). */
export function run(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = track(spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] }));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      resolve({
        code: code ?? (signal !== null ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        wallS: Number(process.hrtime.bigint() - t0) / 1e9,
      });
    });
  });
}
