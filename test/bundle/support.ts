/**
 * Shared by the bundle tests: builds both artifacts of `npm run bundle` once
 * per test file into a temporary directory, runs commands (optionally inside
 * a network namespace that has only loopback), and decides whether a
 * namespace can be made here (root and `ip netns`), skipping with the reason
 * or, under AIRLOCK_REQUIRE_PEERS=1 (CI), failing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, repoRoot, type CliResult } from '../helpers/airlock-process.js';

export interface Bundle {
  readonly dir: string;
  readonly version: string;
  readonly name: string;
  readonly tarball: string;
  readonly cli: string;
}

/** Runs scripts/bundle.mjs into a fresh temporary directory. */
export async function buildBundle(): Promise<Bundle> {
  const root = repoRoot();
  const dir = await mkdtemp(join(tmpdir(), 'airlock-bundle-'));
  const r = spawnSync(process.execPath, [join(root, 'scripts/bundle.mjs'), '--out', dir], { cwd: root, encoding: 'utf8', env: childEnv(), timeout: 180_000 });
  if (r.status !== 0) throw new Error(`npm run bundle failed (${r.status}): ${r.stderr}${r.stdout}`);
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const name = `airlock-${version}-linux-${process.arch}`;
  return { dir, version, name, tarball: join(dir, `${name}.tar.gz`), cli: join(dir, 'airlock-cli.mjs') };
}

/** Runs `cmd args` to completion (SIGKILL after timeoutMs). */
export function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${e.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface Namespace {
  readonly name: string;
  /** The argv prefix that runs a command inside it. */
  exec(...argv: string[]): string[];
  remove(): void;
}

/** Why no namespace can be made here, or undefined when one can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'ip netns needs root';
  const probe = `airlock-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error) return `ip not found (${add.error.message}); install iproute2`;
  if (add.status !== 0) return `ip netns add is not permitted here: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** skip reason for node:test, or throws under AIRLOCK_REQUIRE_PEERS=1. */
export function netnsSkip(): string | false {
  const why = netnsUnavailable();
  if (why === undefined) return false;
  if (process.env.AIRLOCK_REQUIRE_PEERS === '1') throw new Error(`AIRLOCK_REQUIRE_PEERS=1 but no network namespace: ${why}`);
  return `${why}; set AIRLOCK_REQUIRE_PEERS=1 to make this a failure`;
}

/** A new namespace with loopback up and nothing else. */
export function createNamespace(): Namespace {
  const name = `airlock-bundle-${process.pid}`;
  spawnSync('ip', ['netns', 'del', name]);
  for (const argv of [['netns', 'add', name], ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']]) {
    const r = spawnSync('ip', argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${argv.join(' ')}: ${r.stderr.trim()}`);
  }
  return {
    name,
    exec: (...argv) => ['netns', 'exec', name, ...argv],
    remove: () => void spawnSync('ip', ['netns', 'del', name]),
  };
}
