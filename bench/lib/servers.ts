/**
 * Starts the two registries under test as separate processes on loopback,
 * each with a fresh data directory:
 *   - airlock: `node dist/src/cli/main.js serve --insecure-http --listen 127.0.0.1:0 …`
 *   - docker-registry 2.8.2 (Debian): `docker-registry serve config.yml` with a
 *     generated config (filesystem storage, delete enabled, log level warn,
 *     access log off unless `accessLog`, no auth) on a free port.
 * stdout and stderr of docker-registry (and stderr of airlock) go to the
 * handle's `logFile`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, stopChild, track } from './children.js';
import { statusBytes } from './proc.js';

export type ServerKind = 'airlock' | 'docker-registry';
export const KINDS: readonly ServerKind[] = ['airlock', 'docker-registry'];

export const DOCKER_REGISTRY_BIN = '/usr/bin/docker-registry';
/** dist/bench/lib/servers.js -> dist/src/cli/main.js */
export const AIRLOCK_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface ServerHandle {
  kind: ServerKind;
  pid: number;
  /** 127.0.0.1:PORT */
  hostPort: string;
  /** http://127.0.0.1:PORT */
  url: string;
  dir: string;
  /** where the server's output goes (docker-registry: also its access log, when enabled) */
  logFile: string;
  /** VmRSS right after the server answered /v2/ */
  startRssBytes: number;
  startupS: number;
  /** Stops the process (SIGTERM, then SIGKILL) and deletes its directory. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** parent directory for the instance directory */
  parent: string;
  /** airlock only: write a V8 CPU profile into this directory at exit */
  cpuProfDir?: string;
  /** docker-registry only: write one access-log line per request to the log file */
  accessLog?: boolean;
}

const LOOPBACK_URL = /^http:\/\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}$/;

export function assertLoopbackUrl(url: string): void {
  if (!LOOPBACK_URL.test(url)) throw new Error(`refusing non-loopback registry address ${url}`);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}

function dockerRegistryConfig(port: number, root: string, accessLog: boolean): string {
  // Paths are JSON-quoted, which YAML accepts as double-quoted scalars.
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    `    disabled: ${String(!accessLog)}`,
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(root)}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    '',
  ].join('\n');
}

async function waitForV2(url: string, alive: () => boolean, logFile: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`registry exited during start-up; log ${logFile}:\n${tail(logFile)}`);
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`registry at ${url} did not answer /v2/ within ${timeoutMs} ms; log ${logFile}:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

export async function startServer(kind: ServerKind, opts: StartOptions): Promise<ServerHandle> {
  return kind === 'airlock' ? startAirlock(opts) : startDockerRegistry(opts);
}

/** The handle of a server that answered /v2/; stop() ends it and deletes its directory. */
function handleOf(kind: ServerKind, child: ChildProcess, url: string, dir: string, logFile: string, t0: bigint): ServerHandle {
  const pid = child.pid as number;
  return {
    kind,
    pid,
    hostPort: url.slice('http://'.length),
    url,
    dir,
    logFile,
    startRssBytes: statusBytes(pid, 'VmRSS') ?? 0,
    startupS: Number(process.hrtime.bigint() - t0) / 1e9,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startAirlock(opts: StartOptions): Promise<ServerHandle> {
  if (!existsSync(AIRLOCK_MAIN)) throw new Error(`${AIRLOCK_MAIN} is missing: run npm run build first`);
  const dir = await mkdtemp(join(opts.parent, 'airlock-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const t0 = process.hrtime.bigint();
  const nodeArgs: string[] = [];
  if (opts.cpuProfDir !== undefined) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  }
  const logFd = openSync(logFile, 'a');
  const child = track(
    spawn(
      process.execPath,
      [...nodeArgs, AIRLOCK_MAIN, 'serve', '--insecure-http', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', logFd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NODE_ENV: 'production' } },
    ),
  );
  closeSync(logFd);
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`airlock did not report its address within 20 s; log ${logFile}:\n${tail(logFile)}`)), 20_000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      buf += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`airlock exited during start-up (code ${code}, signal ${signal}); log ${logFile}:\n${tail(logFile)}`));
    });
  });
  // keep draining stdout so the child never blocks on a full pipe
  child.stdout?.resume();
  try {
    assertLoopbackUrl(url);
    await waitForV2(url, () => isRunning(child), logFile);
  } catch (e) {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return handleOf('airlock', child, url, dir, logFile, t0);
}

async function startDockerRegistry(opts: StartOptions): Promise<ServerHandle> {
  if (!existsSync(DOCKER_REGISTRY_BIN)) throw new Error(`${DOCKER_REGISTRY_BIN} is not installed (apt-get install docker-registry)`);
  const dir = await mkdtemp(join(opts.parent, 'docker-registry-'));
  const logFile = join(dir, 'server.log');
  let lastError: unknown;
  // the free-port probe can race with other processes: retry on a new port
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeLoopbackPort();
    const url = `http://127.0.0.1:${port}`;
    assertLoopbackUrl(url);
    const config = join(dir, 'config.yml');
    await writeFile(config, dockerRegistryConfig(port, join(dir, 'storage'), opts.accessLog === true));
    const t0 = process.hrtime.bigint();
    const logFd = openSync(logFile, 'a');
    const child = track(
      spawn(DOCKER_REGISTRY_BIN, ['serve', config], {
        stdio: ['ignore', logFd, logFd],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
      }),
    );
    closeSync(logFd);
    try {
      await waitForV2(url, () => isRunning(child), logFile);
    } catch (e) {
      lastError = e;
      await stopChild(child);
      continue;
    }
    return handleOf('docker-registry', child, url, dir, logFile, t0);
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
