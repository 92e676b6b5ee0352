/**
 * Command lines of the two tools under test, ready for measureSeq():
 *   skopeo  as uid/gid 65534 (setpriv, when running as root) with a private
 *           HOME/XDG tree from newSkopeoHome() (a cold blob-info cache);
 *           every registry it is pointed at must be on 127.x
 *   airlock node dist/src/cli/main.js … with a fresh empty HOME (no
 *           credentials found) and NO_PROXY=*; BENCH_AIRLOCK_NODE_ARGS
 *           (space-separated) goes before the script, for profiling, e.g.
 *           `--cpu-prof --cpu-prof-dir=/tmp/prof`
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { ToolCmd } from './measure.js';
import { AIRLOCK_MAIN } from './servers.js';
import { NOBODY, type SkopeoHome } from './skopeo.js';

const isRoot = (): boolean => process.getuid?.() === 0;
const LOOPBACK_DOCKER = /^docker:\/\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}\/[a-z0-9]/;
const LOOPBACK_REPO = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}\/[a-z0-9]/;

/** `skopeo --policy P ARGS…`; refuses a docker:// reference or a `sync --dest docker` target off loopback. */
export function skopeoCmd(home: SkopeoHome, args: readonly string[]): ToolCmd {
  for (const a of args) if (a.startsWith('docker://') && !LOOPBACK_DOCKER.test(a)) throw new Error(`refusing non-loopback reference ${a}`);
  if (args[0] === 'sync' && args.includes('docker') && args[args.indexOf('--dest') + 1] === 'docker') {
    const target = args[args.length - 1] ?? '';
    if (!LOOPBACK_REPO.test(target)) throw new Error(`refusing non-loopback sync destination ${target}`);
  }
  const full = ['--policy', home.policy, ...args];
  if (isRoot()) return { cmd: 'setpriv', argv: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'skopeo', ...full], cwd: home.dir, env: home.env };
  return { cmd: 'skopeo', argv: full, cwd: home.dir, env: home.env };
}

/** A fresh, empty directory to serve as airlock's HOME and working directory. */
export function newAirlockHome(parent: string): Promise<string> {
  return mkdtemp(join(parent, 'airlock-home-'));
}

const nodeArgs = (): string[] => (process.env.BENCH_AIRLOCK_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/** `node [BENCH_AIRLOCK_NODE_ARGS] dist/src/cli/main.js ARGS…` in `home`. */
export function airlockCmd(home: string, args: readonly string[]): ToolCmd {
  return {
    cmd: process.execPath,
    argv: [...nodeArgs(), AIRLOCK_MAIN, ...args],
    cwd: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_PROXY: '*' },
  };
}
