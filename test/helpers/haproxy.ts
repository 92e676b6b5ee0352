/**
 * Debian's HAProxy (2.6) in front of airlock replicas, for the
 * high-availability tests: one HTTP frontend on 127.0.0.1, round robin per
 * request over the backends, each health-checked on GET /readyz (a replica
 * answering 503 leaves rotation), and a failed request retried on another
 * replica when nothing was sent yet (`retry-on conn-failure empty-response`).
 * Config and socket live in a temporary directory removed by stop().
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './airlock-process.js';

export const HAPROXY = '/usr/sbin/haproxy';

export function haproxyAvailable(): boolean {
  return spawnSync(HAPROXY, ['-v'], { stdio: 'ignore' }).status === 0;
}

export interface Haproxy {
  readonly port: number;
  readonly hostPort: string;
  readonly url: string;
  stderr(): string;
  stop(): Promise<void>;
}

export interface HaproxyOptions {
  /** `option forwardfor`: append the client's address to X-Forwarded-For (airlock's --trusted-proxy reads it). */
  readonly forwardFor?: boolean;
}

/** Starts HAProxy balancing over `backends` (host:port, loopback) and waits until it answers /v2/. */
export async function startHaproxy(backends: readonly string[], opts: HaproxyOptions = {}): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-haproxy-'));
  const port = await freePort();
  const cfg = [
    'global',
    '  maxconn 512',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  retries 2',
    '  option redispatch',
    '  retry-on conn-failure empty-response',
    ...(opts.forwardFor ? ['  option forwardfor'] : []),
    'frontend registry',
    `  bind 127.0.0.1:${port}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    ...backends.map((b, i) => `  server r${i + 1} ${b} check inter 500ms fall 2 rise 1`),
    '',
  ].join('\n');
  await writeFile(join(dir, 'haproxy.cfg'), cfg);
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    // 200, or 401 from a registry with authentication: a replica answered (HAProxy itself answers 503).
    const ok = await fetch(`${url}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false);
    if (ok) return { port, hostPort: `127.0.0.1:${port}`, url, stderr: () => err, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`haproxy did not start on ${url}: ${err.trim().slice(-2000)}`);
}
