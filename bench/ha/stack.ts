/**
 * The three registry set-ups of `npm run bench:ha`, each started fresh for
 * one measured run and torn down afterwards:
 *   embedded  one `airlock serve` on its defaults (SQLite + filesystem);
 *   single    one replica on PostgreSQL + S3 (Ceph RGW);
 *   three     3 replicas on the same PostgreSQL database and S3 prefix,
 *             behind Debian's HAProxy (round robin, /readyz checks).
 * PostgreSQL and RGW are the shared services of the machine
 * (AIRLOCK_TEST_PG_URL, AIRLOCK_TEST_S3_*); each set-up gets its own
 * database (BENCH_DB_PREFIX_<hex>, dropped at the end) and its own key prefix
 * in BENCH_S3_BUCKET (created when missing, emptied at the end).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { parseS3Location } from '../../src/storage/s3/s3-location.js';
import { startAirlockProcess, type AirlockProcess } from '../../test/helpers/airlock-process.js';
import { startHaproxy, type Haproxy } from '../../test/helpers/haproxy.js';
import { awsEnv, prepareS3, s3TestEnv, type S3TestEnv } from '../../test/helpers/s3.js';

export type SetupName = 'embedded' | 'single' | 'three';
export const SETUPS: readonly SetupName[] = ['embedded', 'single', 'three'];
export const SETUP_LABEL: Record<SetupName, string> = {
  embedded: 'embedded (SQLite + fs)',
  single: '1 replica (PostgreSQL + S3)',
  three: '3 replicas + HAProxy',
};

export interface Services {
  readonly pgUrl: string;
  readonly s3: S3TestEnv;
  readonly bucket: string;
  readonly dbPrefix: string;
}

/** The shared services from the environment, or a one-line reason why they are missing. */
export function servicesFromEnv(): Services {
  const pgUrl = process.env.AIRLOCK_TEST_PG_URL;
  const s3 = s3TestEnv();
  if (!pgUrl || !s3) throw new Error('bench:ha needs PostgreSQL and Ceph RGW: set AIRLOCK_TEST_PG_URL and AIRLOCK_TEST_S3_* (eval "$(scripts/services/pg-up.sh)"; eval "$(scripts/services/rgw-up.sh)")');
  for (const u of [pgUrl, s3.endpoint]) {
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(u).hostname)) throw new Error(`refusing a non-loopback service: ${new URL(u).host}`);
  }
  const bucket = process.env.BENCH_S3_BUCKET || 'airlock-bench-ha';
  const dbPrefix = process.env.BENCH_DB_PREFIX || 'airlock_bench_ha';
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(dbPrefix)) throw new Error(`BENCH_DB_PREFIX must be a lower-case SQL identifier, got "${dbPrefix}"`);
  return { pgUrl, s3, bucket, dbPrefix };
}

export interface Setup {
  readonly name: SetupName;
  /** Where clients go: the replica, or the balancer. */
  readonly url: string;
  readonly hostPort: string;
  readonly replicas: readonly AirlockProcess[];
  stop(): Promise<void>;
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function startSetup(name: SetupName, svc: Services): Promise<Setup> {
  const serveArgs = ['--no-auth', '--no-gc'];
  if (name === 'embedded') {
    const r = await startAirlockProcess({ args: serveArgs });
    return { name, url: r.url, hostPort: r.hostPort, replicas: [r], stop: async () => void (await r.stop()) };
  }
  await prepareS3(svc.s3, svc.bucket);
  const db = `${svc.dbPrefix}_${randomBytes(5).toString('hex')}`;
  await withPg(svc.pgUrl, (c) => c.query(`CREATE DATABASE ${db}`));
  const dbUrl = new URL(svc.pgUrl);
  dbUrl.pathname = `/${db}`;
  const storage = `s3://${svc.bucket}/${db}?endpoint=${encodeURIComponent(svc.s3.endpoint)}&region=${svc.s3.region}&forcePathStyle=true`;
  const replicas: AirlockProcess[] = [];
  let lb: Haproxy | undefined;
  const stop = async (): Promise<void> => {
    await lb?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    const d = new S3Driver(parseS3Location(storage));
    await d.delete('').catch(() => undefined);
    d.close();
    await withPg(svc.pgUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch(() => undefined);
  };
  try {
    const args = [...serveArgs, '--metadata', dbUrl.toString(), '--storage', storage];
    // The first replica migrates the database; the others start on it.
    replicas.push(await startAirlockProcess({ args, env: awsEnv(svc.s3) }));
    if (name === 'three') {
      replicas.push(...(await Promise.all([1, 2].map(() => startAirlockProcess({ args, env: awsEnv(svc.s3) })))));
      lb = await startHaproxy(replicas.map((r) => r.hostPort));
      return { name, url: lb.url, hostPort: lb.hostPort, replicas, stop };
    }
    return { name, url: replicas[0]!.url, hostPort: replicas[0]!.hostPort, replicas, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
