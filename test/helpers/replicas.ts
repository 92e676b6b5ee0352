/**
 * N `airlock serve` replicas on one shared PostgreSQL database (--metadata)
 * and one Ceph RGW prefix (--storage), optionally behind Debian's HAProxy,
 * for the high-availability tests. By default the database is a fresh one
 * on the test PostgreSQL and the prefix a fresh one in the test bucket; both
 * are removed by stop(), with the replicas' data directories. A replica can
 * be killed and restarted on its port and data directory (the balancer's
 * backend list stays valid).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlockProcess, type AirlockProcess, type ExitStatus } from './airlock-process.js';
import { startHaproxy, type Haproxy } from './haproxy.js';
import { createSharedStores } from './shared-stores.js';

export interface ReplicaSetOptions {
  /** How many replicas (default 3). */
  count?: number;
  /** --metadata URL; default a fresh database on the test PostgreSQL (dropped by stop()). */
  metadata?: string;
  /** --storage URL; default a fresh prefix in the test bucket (deleted by stop()). */
  storage?: string;
  /** Extra `serve` arguments for every replica, e.g. ['--no-auth', '--no-gc']. */
  args?: readonly string[];
  /** More arguments for replica `i` (0-based) only, e.g. its own --gc-interval. */
  argsOf?: (i: number) => readonly string[];
  /** Start HAProxy in front of the replicas (default false). */
  haproxy?: boolean;
  /** Default warn. */
  logLevel?: string;
}

export interface ReplicaSet {
  /** The replicas, in start order; restart() replaces its entry. */
  readonly replicas: readonly AirlockProcess[];
  /** The balancer, when asked for. */
  readonly lb: Haproxy | undefined;
  readonly dbUrl: string;
  readonly storage: string;
  /** Where each replica's data directory lives (the set's own temporary directory). */
  readonly work: string;
  /**
   * Starts one more replica on the same storage (stopped by stop(), not
   * behind the balancer); `metadata` reaches the same database another way
   * (e.g. through a proxy).
   */
  add(o?: { metadata?: string; args?: readonly string[] }): Promise<AirlockProcess>;
  /** Sends `signal` (default SIGKILL) to replica `i` and waits for it to exit. */
  kill(i: number, signal?: NodeJS.Signals): Promise<ExitStatus>;
  /** Starts replica `i` again (after kill) on its port and data directory. */
  restart(i: number): Promise<AirlockProcess>;
  /** Stops the balancer and every replica, then removes what the set created. */
  stop(): Promise<void>;
}

/** Starts the replicas together (they migrate and bootstrap the shared stores concurrently). */
export async function startReplicas(opts: ReplicaSetOptions = {}): Promise<ReplicaSet> {
  const stores = await createSharedStores({ ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}), ...(opts.storage !== undefined ? { storage: opts.storage } : {}) });
  const { dbUrl, storage, env: childEnv } = stores;
  const work = await mkdtemp(join(tmpdir(), 'airlock-replicas-'));
  const replicas: AirlockProcess[] = [];
  const extra: AirlockProcess[] = [];
  let lb: Haproxy | undefined;
  let n = 0;
  const serve = async (dataDir: string, port?: number, o: { metadata?: string; args?: readonly string[] } = {}): Promise<AirlockProcess> => {
    await mkdir(dataDir, { recursive: true });
    return startAirlockProcess({
      dataDir,
      ...(port !== undefined ? { port } : {}),
      ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
      args: [...(opts.args ?? []), ...(o.args ?? []), '--metadata', o.metadata ?? dbUrl, '--storage', storage],
      env: childEnv,
    });
  };
  const stop = async (): Promise<void> => {
    await lb?.stop();
    await Promise.all([...replicas, ...extra].map((r) => r.stop()));
    await stores.remove();
    await rm(work, { recursive: true, force: true });
  };
  try {
    replicas.push(...(await Promise.all(Array.from({ length: opts.count ?? 3 }, (_, i) => serve(join(work, `r${++n}`), undefined, { args: opts.argsOf?.(i) ?? [] })))));
    if (opts.haproxy) lb = await startHaproxy(replicas.map((r) => r.hostPort));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    replicas,
    get lb() {
      return lb;
    },
    dbUrl,
    storage,
    work,
    async add(o = {}) {
      const r = await serve(join(work, `r${++n}`), undefined, o);
      extra.push(r);
      return r;
    },
    async kill(i, signal = 'SIGKILL') {
      replicas[i]!.kill(signal);
      return replicas[i]!.exited;
    },
    async restart(i) {
      const old = replicas[i]!;
      if (old.running) throw new Error(`replica ${i + 1} is still running`);
      replicas[i] = await serve(old.dataDir, old.port, { args: opts.argsOf?.(i) ?? [] });
      return replicas[i]!;
    },
    stop,
  };
}
