/**
 * Runs skopeo for interop tests without touching state outside a temporary
 * directory, and only against loopback registries.
 *
 * As root, containers/image keeps its blob-info cache at the fixed path
 * /var/lib/containers/cache (no flag or variable moves it), so as root skopeo
 * runs as uid/gid 65534 (setpriv) with HOME/XDG_* in a private temp dir. The
 * oci:/dir: paths named in the arguments are made accessible to that user
 * (readable for sources, owned by it for destinations). docker:// references
 * (and `sync` registry arguments) must name 127.x, localhost or [::1]
 * explicitly; anything else is refused before skopeo runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';

export const UNPRIV_UID = 65534;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (for hashing `inspect --raw` output exactly) */
  stdoutBytes: Buffer;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

let available: boolean | undefined;
export function skopeoAvailable(): boolean {
  if (available === undefined) {
    const v = spawnSync('skopeo', ['--version'], { stdio: 'ignore' });
    const sp = isRoot() ? spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0 : true;
    available = v.status === 0 && sp;
  }
  return available;
}

/** True for 127.x.x.x[:port], localhost[:port], [::1][:port]. */
export function isLoopbackHost(hostPort: string): boolean {
  return /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d{1,5})?$/.test(hostPort);
}

/** `HOST/path…` with a loopback HOST and a non-empty repository path. */
function isLoopbackRepo(s: string): boolean {
  const slash = s.indexOf('/');
  return slash > 0 && slash < s.length - 1 && isLoopbackHost(s.slice(0, slash));
}

const VALUE_FLAGS = new Set(['--src', '--dest', '-s', '-d', '--format', '-f', '--retry-times', '--override-arch', '--override-os', '--override-variant', '--authfile', '--src-authfile', '--dest-authfile', '--src-creds', '--dest-creds', '--creds', '--multi-arch', '--dest-compress-format', '--dest-compress-level']);
const TRANSPORTS = ['docker', 'dir', 'oci', 'yaml', 'docker-archive', 'oci-archive', 'containers-storage', 'docker-daemon'];

interface Parsed {
  sub: string;
  positionals: string[];
  src: string | undefined;
  dest: string | undefined;
}

function parse(args: string[]): Parsed {
  const positionals: string[] = [];
  let sub = '';
  let src: string | undefined;
  let dest: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith('-')) {
      const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (VALUE_FLAGS.has(flag)) {
        const v = inline ?? args[++i];
        if (flag === '--src' || flag === '-s') src = v;
        if (flag === '--dest' || flag === '-d') dest = v;
      }
      continue;
    }
    if (sub === '') sub = a;
    else positionals.push(a);
  }
  return { sub, positionals, src, dest };
}

/** Throws unless every registry the arguments can reach is loopback. */
export function assertLoopbackOnly(args: string[]): void {
  for (const a of args) {
    if (a.startsWith('docker://') && !isLoopbackRepo(a.slice('docker://'.length))) {
      throw new Error(`skopeo helper: refusing non-loopback reference ${a}`);
    }
    if (/^(docker-daemon|containers-storage|docker-archive|oci-archive):/.test(a)) {
      throw new Error(`skopeo helper: transport not allowed in tests: ${a}`);
    }
  }
  const p = parse(args);
  if (p.sub === 'sync') {
    if (p.src === undefined || p.dest === undefined || !TRANSPORTS.includes(p.src) || !TRANSPORTS.includes(p.dest)) {
      throw new Error('skopeo helper: sync needs explicit --src and --dest transports');
    }
    const [source, destination] = p.positionals;
    if (p.src === 'yaml') throw new Error('skopeo helper: sync --src yaml is not supported by this helper');
    if (p.src === 'docker' && (source === undefined || !isLoopbackRepo(source))) {
      throw new Error(`skopeo helper: refusing sync source ${String(source)} (needs 127.x/localhost/[::1] HOST/repo)`);
    }
    if (p.dest === 'docker' && (destination === undefined || !isLoopbackRepo(destination))) {
      throw new Error(`skopeo helper: refusing sync destination ${String(destination)} (needs HOST/path)`);
    }
  }
}

let home: string | undefined;
function privateHome(): string {
  if (home !== undefined) return home;
  const h = mkdtempSync(join(tmpdir(), 'airlock-skopeo-home-'));
  for (const d of ['run', '.config', '.local/share', '.cache']) mkdirSync(join(h, d), { recursive: true });
  writeFileSync(join(h, 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  writeFileSync(join(h, 'registries.conf'), 'unqualified-search-registries = []\n');
  if (isRoot()) chownTree(h);
  chmodSync(join(h, 'run'), 0o700);
  process.once('exit', () => rmSync(h, { recursive: true, force: true }));
  home = h;
  return h;
}

function chownTree(path: string): void {
  chownSync(path, UNPRIV_UID, UNPRIV_UID);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e));
}

function allowRead(path: string): void {
  const st = statSync(path);
  const want = st.isDirectory() ? 0o005 : 0o004;
  if ((st.mode & want) !== want) chmodSync(path, st.mode | want);
  if (st.isDirectory()) for (const e of readdirSync(path)) allowRead(join(path, e));
}

/** Lets the unprivileged user traverse every ancestor (only below tmpdir). */
function allowTraverse(path: string): void {
  const tmp = resolve(tmpdir());
  for (let d = dirname(path); d !== dirname(d); d = dirname(d)) {
    if (!existsSync(d)) continue;
    const st = statSync(d);
    if ((st.mode & 0o001) !== 0) continue;
    if (!(d + sep).startsWith(tmp + sep) || d === tmp) {
      throw new Error(`skopeo helper: ${d} is not traversable by uid ${UNPRIV_UID}; use paths under ${tmp}`);
    }
    chmodSync(d, st.mode | 0o001);
  }
}

/** Path part of oci:PATH[:ref] or dir:PATH. */
function localPath(arg: string): string | undefined {
  if (arg.startsWith('dir:')) return resolve(arg.slice(4));
  if (arg.startsWith('oci:')) {
    const rest = arg.slice(4);
    const m = /^(.*?)(?::[^/:]*)?$/.exec(rest);
    return resolve(m?.[1] ?? rest);
  }
  return undefined;
}

/** Makes the local paths in `args` usable by uid 65534. */
function preparePaths(args: string[]): void {
  const p = parse(args);
  const write = new Set<string>();
  const read = new Set<string>();
  const add = (set: Set<string>, a: string | undefined, transport?: string): void => {
    if (a === undefined) return;
    const lp = localPath(a) ?? (transport === 'dir' || transport === 'oci' ? resolve(a) : undefined);
    if (lp !== undefined) set.add(lp);
  };
  if (p.sub === 'copy') {
    add(read, p.positionals[0]);
    add(write, p.positionals[1]);
  } else if (p.sub === 'sync') {
    add(read, p.positionals[0], p.src);
    add(write, p.positionals[1], p.dest);
  } else {
    for (const a of p.positionals) add(read, a);
  }
  for (const r of read) {
    allowTraverse(r);
    if (existsSync(r)) allowRead(r);
  }
  for (const w of write) {
    allowTraverse(w);
    mkdirSync(w, { recursive: true });
    allowTraverse(join(w, 'x'));
    chownTree(w);
  }
}

export function skopeo(args: string[]): Promise<RunResult> {
  assertLoopbackOnly(args);
  const h = privateHome();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: h,
    XDG_DATA_HOME: join(h, '.local/share'),
    XDG_CONFIG_HOME: join(h, '.config'),
    XDG_CACHE_HOME: join(h, '.cache'),
    XDG_RUNTIME_DIR: join(h, 'run'),
    TMPDIR: h,
    CONTAINERS_REGISTRIES_CONF: join(h, 'registries.conf'),
    NO_PROXY: '*',
  };
  const full = ['--policy', join(h, 'policy.json'), ...args];
  let cmd = 'skopeo';
  let argv = full;
  if (isRoot()) {
    preparePaths(args);
    cmd = 'setpriv';
    argv = [`--reuid=${UNPRIV_UID}`, `--regid=${UNPRIV_UID}`, '--clear-groups', 'skopeo', ...full];
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { env, cwd: h, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdoutBytes: bytes,
        stdout: bytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Like skopeo() but throws (with stderr) on a non-zero exit. */
export async function skopeoOk(args: string[]): Promise<RunResult> {
  const r = await skopeo(args);
  if (r.code !== 0) throw new Error(`skopeo ${args.join(' ')} -> exit ${r.code}\n${r.stderr.trim()}`);
  return r;
}
