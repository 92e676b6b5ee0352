/**
 * skopeo for the push benchmark. As root, containers/image keeps its
 * blob-info cache at the fixed path /var/lib/containers/cache, so skopeo runs
 * as uid/gid 65534 (setpriv) with HOME/XDG_* in a private directory that each
 * measured run creates empty (a cold cache) and deletes afterwards. Only
 * docker:// references on 127.x are accepted.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type RunOutput } from './children.js';

export const NOBODY = 65534;
const isRoot = (): boolean => process.getuid?.() === 0;

export function skopeoMissing(): string | undefined {
  if (spawnSync('skopeo', ['--version'], { stdio: 'ignore' }).status !== 0) return 'skopeo is not installed (apt-get install skopeo)';
  if (isRoot() && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status !== 0) return 'setpriv (util-linux) is missing';
  return undefined;
}

export function skopeoVersion(): string {
  const r = spawnSync('skopeo', ['--version'], { encoding: 'utf8' });
  return r.stdout?.trim() ?? '?';
}

function chownTree(path: string): void {
  chownSync(path, NOBODY, NOBODY);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e));
}

/** Makes a tree readable (and directories traversable) by everyone. */
export function makeWorldReadable(path: string): void {
  const st = statSync(path);
  chmodSync(path, st.mode | (st.isDirectory() ? 0o555 : 0o444));
  if (st.isDirectory()) for (const e of readdirSync(path)) makeWorldReadable(join(path, e));
}

export interface SkopeoHome {
  dir: string;
  env: NodeJS.ProcessEnv;
  policy: string;
}

/** A fresh private HOME (empty blob-info cache) for one measured run. */
export async function newSkopeoHome(parent: string): Promise<SkopeoHome> {
  const dir = await mkdtemp(join(parent, 'skopeo-home-'));
  for (const d of ['run', '.config', '.local/share', '.cache', 'tmp']) await mkdir(join(dir, d), { recursive: true });
  const policy = join(dir, 'policy.json');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  if (isRoot()) chownTree(dir);
  chmodSync(join(dir, 'run'), 0o700);
  return {
    dir,
    policy,
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: dir,
      XDG_DATA_HOME: join(dir, '.local/share'),
      XDG_CONFIG_HOME: join(dir, '.config'),
      XDG_CACHE_HOME: join(dir, '.cache'),
      XDG_RUNTIME_DIR: join(dir, 'run'),
      TMPDIR: join(dir, 'tmp'),
      CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
      NO_PROXY: '*',
    },
  };
}

const LOOPBACK_REF = /^docker:\/\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}\/[a-z0-9]/;

/** `skopeo copy` with the given arguments; every docker:// reference must be loopback. */
export function skopeoCopy(home: SkopeoHome, args: string[]): Promise<RunOutput> {
  for (const a of args) {
    if (a.startsWith('docker://') && !LOOPBACK_REF.test(a)) throw new Error(`refusing non-loopback reference ${a}`);
  }
  const full = ['--policy', home.policy, 'copy', ...args];
  if (isRoot()) {
    return run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'skopeo', ...full], { env: home.env, cwd: home.dir });
  }
  return run('skopeo', full, { env: home.env, cwd: home.dir });
}

/** A new directory under `parent` that skopeo (uid 65534 when we are root) may write into. */
export async function nobodyDir(parent: string, name: string): Promise<string> {
  const d = await mkdtemp(join(parent, `${name}-`));
  if (isRoot()) chownSync(d, NOBODY, NOBODY);
  return d;
}
