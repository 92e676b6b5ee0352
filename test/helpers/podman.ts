/**
 * podman (4.3, as root) for interop tests, with all of its state in a
 * temporary directory: --root/--runroot/--tmpdir, the vfs storage driver,
 * and CONTAINERS_CONF / CONTAINERS_REGISTRIES_CONF / CONTAINERS_STORAGE_CONF
 * pointing at files written there. registries.conf lists only the given
 * loopback registries (insecure = true) and no unqualified-search registries,
 * so a short name can never resolve to a public registry.
 *
 * podman 4.3 as root still creates /var/lib/containers (blob-info cache) and
 * /run/containers (network config) whatever --root/--runroot say; close()
 * removes those two paths again when they did not exist before.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLoopbackHost, type RunResult } from './skopeo.js';

const GLOBAL_LEAKS = ['/var/lib/containers', '/run/containers'];

let available: boolean | undefined;
export function podmanAvailable(): boolean {
  if (available === undefined) available = spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0;
  return available;
}

/** Why podman tests cannot run here, or undefined. */
export function podmanUnavailableReason(): string | undefined {
  if (!podmanAvailable()) return 'podman (apt-get install podman)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'podman tests run as root only (vfs storage in a temp dir)';
  return undefined;
}

export interface Podman {
  /** temp dir holding all podman state */
  readonly dir: string;
  run(args: string[]): Promise<RunResult>;
  /** run() that throws with stderr on a non-zero exit */
  ok(args: string[]): Promise<RunResult>;
  close(): Promise<void>;
}

const tomlString = (s: string): string => JSON.stringify(s);

const VALUE_FLAGS = new Set(['--arch', '--os', '--variant', '--platform', '--digestfile', '--format', '-f', '--authfile', '--creds', '--compression-format']);

/** The registry host of a reference, or undefined when it has none (short name / local name / ID). */
function registryOf(ref: string): string | undefined {
  const r = ref.replace(/^docker:\/\//, '');
  const slash = r.indexOf('/');
  if (slash <= 0) return undefined;
  const first = r.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

/**
 * Rejects any reference to a registry other than the allowed loopback ones,
 * and, for pull (every image) and push (the destination), any reference that
 * is not fully qualified with an allowed registry.
 */
function assertAllowed(args: string[], registries: string[]): void {
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith('-')) {
      if (VALUE_FLAGS.has(a)) i++;
      continue;
    }
    pos.push(a);
  }
  const [sub, ...rest] = pos;
  const check = (ref: string, mustBeQualified: boolean): void => {
    const reg = registryOf(ref);
    if (reg === undefined ? mustBeQualified || ref.startsWith('docker://') : !registries.includes(reg)) {
      throw new Error(`podman helper: refusing reference ${ref} (allowed registries: ${registries.join(', ')})`);
    }
  };
  for (const [i, ref] of rest.entries()) {
    const qualified = sub === 'pull' || (sub === 'push' && i === rest.length - 1);
    if (sub === 'image' && i === 0) continue; // "image inspect" etc.
    check(ref, qualified);
  }
}

export async function createPodman(registries: string[]): Promise<Podman> {
  for (const r of registries) if (!isLoopbackHost(r)) throw new Error(`podman helper: ${r} is not a loopback registry`);
  const preexisting = new Map(GLOBAL_LEAKS.map((p) => [p, existsSync(p)]));
  const dir = await mkdtemp(join(tmpdir(), 'airlock-podman-'));
  const p = (s: string): string => join(dir, s);
  for (const d of ['root', 'run', 'tmp', 'networks', 'home/.config/containers']) await mkdir(p(d), { recursive: true });
  await writeFile(
    p('containers.conf'),
    [
      '[network]',
      `network_config_dir = ${tomlString(p('networks'))}`,
      '[engine]',
      'events_logger = "none"',
      'cgroup_manager = "cgroupfs"',
      '',
    ].join('\n'),
  );
  await writeFile(
    p('registries.conf'),
    ['unqualified-search-registries = []', ...registries.flatMap((r) => ['', '[[registry]]', `location = ${tomlString(r)}`, 'insecure = true']), ''].join('\n'),
  );
  await writeFile(
    p('storage.conf'),
    ['[storage]', 'driver = "vfs"', `graphroot = ${tomlString(p('root'))}`, `runroot = ${tomlString(p('run'))}`, ''].join('\n'),
  );
  await writeFile(p('home/.config/containers/policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: p('home'),
    TMPDIR: p('tmp'),
    CONTAINERS_CONF: p('containers.conf'),
    CONTAINERS_REGISTRIES_CONF: p('registries.conf'),
    CONTAINERS_STORAGE_CONF: p('storage.conf'),
    NO_PROXY: '*',
  };
  const base = ['--root', p('root'), '--runroot', p('run'), '--tmpdir', p('tmp'), '--storage-driver', 'vfs'];

  const run = (args: string[]): Promise<RunResult> => {
    assertAllowed(args, registries);
    return new Promise((resolve, reject) => {
      const child = spawn('podman', [...base, ...args], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const bytes = Buffer.concat(out);
        resolve({ code: code ?? (signal ? 128 : 1), stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  };
  let closed = false;
  return {
    dir,
    run,
    async ok(args) {
      const r = await run(args);
      if (r.code !== 0) throw new Error(`podman ${args.join(' ')} -> exit ${r.code}\n${r.stderr.trim()}`);
      return r;
    },
    async close() {
      if (closed) return;
      closed = true;
      await rm(dir, { recursive: true, force: true });
      for (const [path, existed] of preexisting) if (!existed) await rm(path, { recursive: true, force: true });
    },
  };
}
