/**
 * Runs airlock as a real child process (`node dist/src/cli/main.js …`), for
 * tests that need signals: SIGKILL mid-request, SIGTERM draining, a second
 * `serve` on the same data directory, CLI exit codes and messages.
 *
 * The repository root is found by walking up from this file to the
 * package.json named "airlock", so the helper works both compiled
 * (dist/test/helpers/) and under tsx (test/helpers/). The CLI is always the
 * compiled one (dist/src/cli/main.js; run `npm run build` first) unless
 * AIRLOCK_TEST_CLI=source, which runs src/cli/main.ts through tsx instead.
 *
 * Children get the parent's environment minus every AIRLOCK_* variable and
 * node:test's own variables, so ambient configuration cannot leak in. Every
 * child still alive when the test process exits is SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface AirlockProcess {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** e.g. 127.0.0.1:41234 */
  readonly hostPort: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Sends a signal (default SIGTERM); a no-op once the process has exited. */
  kill(signal?: NodeJS.Signals): void;
  /** Everything the process wrote so far (for assertion messages). */
  stdout(): string;
  stderr(): string;
  /**
   * SIGTERM, wait up to `graceMs` (default 40 s, beyond the registry's 30 s
   * drain limit), then SIGKILL. Removes the data directory when the helper
   * created it, unless `keepDataDir`.
   */
  stop(opts?: { graceMs?: number; keepDataDir?: boolean }): Promise<ExitStatus>;
}

export interface StartAirlockProcessOptions {
  /** Existing data directory (kept on stop); default a fresh temporary one (removed on stop). */
  dataDir?: string;
  /** Default warn. */
  logLevel?: string;
  /** Extra `serve` arguments (e.g. --no-gc, --config FILE). */
  args?: readonly string[];
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** How long to wait for the "listening" line (default 30 s). */
  startTimeoutMs?: number;
  /** Listen on this port (e.g. a replica restarted behind a balancer); default a free one, retried when taken. */
  port?: number;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const LISTENING_RE = /^airlock registry listening on (http:\/\/127\.0\.0\.1:(\d+))\s*$/m;
const OUTPUT_LIMIT = 1 << 20;

let cachedRoot: string | undefined;

/** The airlock repository root (the directory holding its package.json). */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'airlock') return (cachedRoot = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find airlock's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let warnedStale = false;

/** The node arguments that run airlock's CLI (before the subcommand). */
export function airlockCliArgs(): string[] {
  const root = repoRoot();
  if (process.env.AIRLOCK_TEST_CLI === 'source') return ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts')];
  const main = join(root, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build\` first (or set AIRLOCK_TEST_CLI=source)`);
  if (!warnedStale && fileURLToPath(import.meta.url).endsWith('.ts')) {
    warnedStale = true;
    if (newestMtime(join(root, 'src')) > statSync(main).mtimeMs) {
      process.emitWarning(`${main} is older than src/: the child process runs stale code (npm run build, or AIRLOCK_TEST_CLI=source)`);
    }
  }
  return [main];
}

/** The parent's environment without AIRLOCK_* and node:test variables, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AIRLOCK_') || k.startsWith('NODE_TEST')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** A port that was free a moment ago on 127.0.0.1 (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no port assigned'))));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) {
        try {
          c.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
}

interface Spawned {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<ExitStatus>;
}

function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string, stdin?: string): Spawned {
  const child = spawn(process.execPath, [...airlockCliArgs(), ...args], {
    cwd: cwd ?? repoRoot(),
    env,
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (stdin !== undefined) {
    child.stdin?.on('error', () => undefined); // the command may exit before reading it
    child.stdin?.end(stdin);
  }
  track(child);
  const out = { stdout: '', stderr: '' };
  const append = (key: 'stdout' | 'stderr') => (chunk: string) => {
    if (out[key].length < OUTPUT_LIMIT) out[key] += chunk;
  };
  // Decoded as a stream, so a character split across chunks stays whole.
  child.stdout?.setEncoding('utf8').on('data', append('stdout'));
  child.stderr?.setEncoding('utf8').on('data', append('stderr'));
  const exited = new Promise<ExitStatus>((resolveExit) => {
    // 'close' fires after the exit AND after stdout/stderr are drained.
    child.once('close', (code, signal) => resolveExit({ code, signal }));
    child.once('error', () => resolveExit({ code: null, signal: null }));
  });
  return { child, out, exited };
}

/** Runs `airlock <args>` to completion (killed after `timeoutMs`, default 30 s); `stdin` is piped in, else stdin is empty. */
export async function runAirlockCli(
  args: readonly string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; stdin?: string } = {},
): Promise<CliResult> {
  const s = spawnCli(args, childEnv(opts.env), opts.cwd, opts.stdin);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const st = await s.exited;
  clearTimeout(timer);
  return { ...st, stdout: s.out.stdout, stderr: s.out.stderr };
}

/**
 * Starts `airlock serve --insecure-http --listen 127.0.0.1:<free port>` and
 * waits for its "listening" line. Retries on another port when the chosen
 * one was taken in between (EADDRINUSE).
 */
export async function startAirlockProcess(opts: StartAirlockProcessOptions = {}): Promise<AirlockProcess> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'airlock-proc-')));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce(dataDir, ownDir, opts);
      } catch (e) {
        if (attempt < 4 && e instanceof PortTakenError && opts.port === undefined) continue;
        throw e;
      }
    }
  } catch (e) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

class PortTakenError extends Error {}

async function startOnce(dataDir: string, ownDir: boolean, opts: StartAirlockProcessOptions): Promise<AirlockProcess> {
  const port = opts.port ?? (await freePort());
  const args = [
    'serve',
    '--insecure-http',
    '--listen',
    `127.0.0.1:${port}`,
    '--data-dir',
    dataDir,
    '--log-level',
    opts.logLevel ?? 'warn',
    ...(opts.args ?? []),
  ];
  const s = spawnCli(args, childEnv(opts.env));
  const pid = s.child.pid;
  if (pid === undefined) {
    await s.exited;
    throw new Error(`could not spawn airlock serve: ${s.out.stderr}`);
  }
  let exitedFlag = false;
  void s.exited.then(() => {
    exitedFlag = true;
  });

  const url = await new Promise<string>((resolveUrl, reject) => {
    const onData = () => {
      const m = LISTENING_RE.exec(s.out.stdout);
      if (m) {
        cleanup();
        if (Number(m[2]) !== port) reject(new Error(`airlock listens on ${m[1]}, asked for port ${port}`));
        else resolveUrl(m[1]!);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      s.child.kill('SIGKILL');
      reject(new Error(`airlock serve did not print its listening line within ${opts.startTimeoutMs ?? 30_000} ms\nstdout: ${s.out.stdout}\nstderr: ${s.out.stderr}`));
    }, opts.startTimeoutMs ?? 30_000);
    const cleanup = () => {
      clearTimeout(timer);
      s.child.stdout?.off('data', onData);
    };
    s.child.stdout?.on('data', onData);
    void s.exited.then((st) => {
      cleanup();
      const msg = `airlock serve exited (code ${st.code}, signal ${st.signal}) before listening\nstdout: ${s.out.stdout}\nstderr: ${s.out.stderr}`;
      reject(/EADDRINUSE/.test(s.out.stderr) ? new PortTakenError(msg) : new Error(msg));
    });
    onData();
  });

  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (exitedFlag) return;
    try {
      process.kill(pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  };

  return {
    url,
    hostPort: `127.0.0.1:${port}`,
    port,
    pid,
    dataDir,
    exited: s.exited,
    get running() {
      return !exitedFlag;
    },
    kill,
    stdout: () => s.out.stdout,
    stderr: () => s.out.stderr,
    async stop(o = {}) {
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), o.graceMs ?? 40_000);
      const st = await s.exited;
      clearTimeout(timer);
      if (ownDir && !o.keepDataDir) await rm(dataDir, { recursive: true, force: true });
      return st;
    },
  };
}

// ---------------------------------------------------------------------------
// Slow request bodies, so a signal can land while a request is mid-body.
// ---------------------------------------------------------------------------

export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export interface PacedBodyOptions {
  /** Bytes per piece (default 64 KiB). */
  pieceBytes?: number;
  /** Pause after each piece (default 5 ms). */
  pauseMs?: number;
  /**
   * Offset (0 ≤ holdAt < length) where the body stops: `onHold` is called
   * once every byte before it has been handed to the HTTP client, then the
   * body waits for `gate`.
   */
  holdAt?: number;
  gate?: Promise<unknown>;
  onHold?: () => void;
  /** After the gate opens: send the rest (default) or fail the body (the request then errors). */
  afterGate?: 'continue' | 'fail';
}

/** A byte stream of `data` sent in small pieces with pauses, optionally held at an offset. */
export function pacedBody(data: Buffer, opts: PacedBodyOptions = {}): Readable {
  const piece = opts.pieceBytes ?? 64 * 1024;
  const pause = opts.pauseMs ?? 5;
  const holdAt = opts.holdAt;
  if (holdAt !== undefined && (holdAt < 0 || holdAt >= data.length)) throw new RangeError(`holdAt ${holdAt} outside 0..${data.length - 1}`);
  async function* pieces(): AsyncGenerator<Buffer> {
    let off = 0;
    let held = false;
    while (off < data.length) {
      if (holdAt !== undefined && !held && off >= holdAt) {
        held = true;
        opts.onHold?.();
        await opts.gate;
        if (opts.afterGate === 'fail') throw new Error('request body abandoned at the gate');
      }
      let end = Math.min(data.length, off + piece);
      if (holdAt !== undefined && !held && off < holdAt) end = Math.min(end, holdAt);
      yield data.subarray(off, end);
      off = end;
      if (pause > 0) await sleep(pause);
    }
  }
  return Readable.from(pieces(), { objectMode: false });
}
