/**
 * Runs airlock's compiled CLI for the credentials tests with a controlled
 * environment: HOME is the test's directory and the auth-file variables
 * (REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, DOCKER_CONFIG) are
 * removed unless given, so no real credentials file is read or written.
 * stdin is a pipe (never a terminal) fed with `stdin`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { airlockCliArgs, childEnv, repoRoot } from '../../helpers/airlock-process.js';

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const AUTH_VARS = ['REGISTRY_AUTH_FILE', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'DOCKER_CONFIG', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE'];

export function runCli(args: readonly string[], opts: { home: string; stdin?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Run> {
  const env = childEnv();
  for (const k of AUTH_VARS) delete env[k];
  Object.assign(env, { HOME: opts.home }, opts.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...airlockCliArgs(), ...args], { cwd: repoRoot(), env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {
      // the command may exit before reading stdin
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** base64 of "user:password", as auth files store it. */
export const b64 = (user: string, password: string): string => Buffer.from(`${user}:${password}`, 'utf8').toString('base64');

/** Asserts nothing of `secret` (nor its base64 forms) appears in a run's output. */
export function leaks(r: Run, secret: string, user = ''): string | undefined {
  const out = r.stdout + r.stderr;
  for (const s of [secret, Buffer.from(secret).toString('base64'), user ? b64(user, secret) : '']) if (s !== '' && out.includes(s)) return s;
  return undefined;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** True when util-linux `script` can give the CLI a terminal. */
export function ptyAvailable(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing each
 * answer once its prompt has appeared in the output. `output` is everything
 * the terminal showed (echoed input included).
 */
export function runInPty(args: readonly string[], opts: { home: string; answers: readonly [RegExp, string][]; timeoutMs?: number }): Promise<{ code: number | null; output: string }> {
  const env = childEnv();
  for (const k of AUTH_VARS) delete env[k];
  env.HOME = opts.home;
  const cmd = [process.execPath, ...airlockCliArgs(), ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: repoRoot(), env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let next = 0;
    const onData = (d: string): void => {
      output += d;
      const a = opts.answers[next];
      if (a !== undefined && a[0].test(output)) {
        next++;
        child.stdin.write(a[1]);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
