/**
 * Runs airlock's compiled CLI as a child process for the security CLI tests:
 * one-shot commands with optional stdin, and `serve` kept running until
 * stopped. Children get no AIRLOCK_* variables from the parent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { airlockCliArgs, childEnv, repoRoot, runAirlockCli } from '../../helpers/airlock-process.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return runAirlockCli(args, { stdin: opts.stdin ?? '', timeoutMs: opts.timeoutMs });
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `airlock serve ARGS --listen 127.0.0.1:0` and waits until its start-up notes are printed. */
export function startServe(args: string[], timeoutMs = 30_000): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...airlockCliArgs(), 'serve', '--listen', '127.0.0.1:0', ...args], { cwd: repoRoot(), env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = out.match(/^airlock registry listening on (https?:\/\/127\.0\.0\.1:(\d+))$/m);
      if (m && /^ {2}(authentication: on|WARNING: no authentication)/m.test(out)) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          port: Number(m[2]),
          output: () => out,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await closed;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it started:\n${out}`));
    });
  });
}
