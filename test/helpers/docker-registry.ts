/**
 * Starts Debian's docker-registry (github.com/docker/distribution 2.8.2) as a
 * peer registry for black-box tests: loopback only, a free port, filesystem
 * storage in a fresh temporary directory, deletes enabled, no auth (or Basic
 * auth from an htpasswd file with `{ htpasswd: { user, password } }`).
 * `close()` kills the child and removes the temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { setTimeout as sleep } from 'node:timers/promises';

export const DOCKER_REGISTRY_BIN = '/usr/bin/docker-registry';

export interface DockerRegistryHandle {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** e.g. 127.0.0.1:41234 */
  readonly hostPort: string;
  /** Temporary directory holding config.yml and the storage root. */
  readonly dataDir: string;
  close(): Promise<void>;
}

/** True when the docker-registry binary is installed. */
export function dockerRegistryAvailable(): boolean {
  return existsSync(DOCKER_REGISTRY_BIN);
}

/**
 * Why the peer tests cannot run, or undefined when they can. Callers skip with
 * this reason, or fail when AIRLOCK_REQUIRE_PEERS=1.
 */
export function dockerRegistryUnavailableReason(): string | undefined {
  return dockerRegistryAvailable() ? undefined : `${DOCKER_REGISTRY_BIN} is not installed (apt-get install docker-registry)`;
}

async function freeLoopbackPort(): Promise<number> {
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
      const port = addr.port;
      srv.close(() => resolve(port));
    });
  });
}

export interface DockerRegistryOptions {
  /** Basic auth: one account in an htpasswd file (bcrypt, as distribution requires). */
  /** false: manifest DELETEs answer 405 UNSUPPORTED (distribution's default). Default true. */
  readonly deleteEnabled?: boolean;
  readonly htpasswd?: { readonly user: string; readonly password: string };
}

function configYaml(port: number, rootDir: string, deleteEnabled: boolean, htpasswdPath?: string): string {
  // JSON is valid YAML; it avoids any quoting questions for the paths.
  return JSON.stringify(
    {
      version: 0.1,
      log: { level: 'error', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: rootDir },
        delete: { enabled: deleteEnabled },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: { addr: `127.0.0.1:${port}` },
      ...(htpasswdPath === undefined ? {} : { auth: { htpasswd: { realm: 'airlock-test', path: htpasswdPath } } }),
    },
    null,
    2,
  );
}

async function waitForPing(url: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited early (code ${child.exitCode}, signal ${child.signalCode}): ${stderr()}`);
    }
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`docker-registry did not answer ${url}/v2/ within ${timeoutMs} ms: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function startDockerRegistry(opts: DockerRegistryOptions = {}): Promise<DockerRegistryHandle> {
  const reason = dockerRegistryUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  const dataDir = await mkdtemp(join(tmpdir(), 'airlock-docker-registry-'));
  let htpasswdPath: string | undefined;
  if (opts.htpasswd !== undefined) {
    htpasswdPath = join(dataDir, 'htpasswd');
    await writeFile(htpasswdPath, `${opts.htpasswd.user}:${bcrypt.hashSync(opts.htpasswd.password, 5)}\n`, { mode: 0o600 });
  }
  let lastError: unknown;
  // The free-port probe can race with another process; retry a few times.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeLoopbackPort();
    const configPath = join(dataDir, 'config.yml');
    await writeFile(configPath, configYaml(port, join(dataDir, 'storage'), opts.deleteEnabled ?? true, htpasswdPath));
    const child = spawn(DOCKER_REGISTRY_BIN, ['serve', configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir },
    });
    let errText = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      errText = (errText + d).slice(-4000);
    });
    const hostPort = `127.0.0.1:${port}`;
    const url = `http://${hostPort}`;
    try {
      await waitForPing(url, child, () => errText, 15_000);
    } catch (e) {
      lastError = e;
      await stopChild(child);
      continue;
    }
    let closed = false;
    return {
      url,
      hostPort,
      dataDir,
      async close() {
        if (closed) return;
        closed = true;
        await stopChild(child);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  await rm(dataDir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
