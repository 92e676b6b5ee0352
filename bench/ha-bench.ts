/**
 * `npm run bench:ha`: the same work against an embedded airlock (SQLite +
 * filesystem), one replica on PostgreSQL + S3 (Ceph RGW) and 3 replicas
 * behind HAProxy, in one run, with RGW's own PUT throughput measured in the
 * same run as the baseline (issue #14, Benchmark). Work and set-ups:
 * bench/ha/work.ts and bench/ha/stack.ts. Every set-up starts fresh for each
 * run (new data directory, database and key prefix); the set-up order flips
 * between runs. One table of medians of BENCH_RUNS, then the targets:
 *   - 3 replicas reach >= 1.5x the manifest GET rate of one (on 2 cores this
 *     is bounded, so each replica's CPU seconds during the load are shown);
 *   - S3 ingest (1 replica) >= 70 % of RGW's own PUT throughput.
 *
 * Env: BENCH_RUNS (3), BENCH_BLOB_MIB (1024), BENCH_LOAD_S (10),
 * BENCH_WARMUP_S (4: unmeasured GET load first), BENCH_CONNECTIONS (32), BENCH_SMALL (50: small fixture images, 53 images
 * in all), BENCH_LOAD_TOOL (native = wrk when installed, else autocannon),
 * BENCH_S3_BUCKET (airlock-bench-ha), BENCH_DB_PREFIX (airlock_bench_ha),
 * BENCH_KEEP=1, BENCH_OUT (result directory). Needs AIRLOCK_TEST_PG_URL and
 * AIRLOCK_TEST_S3_* (scripts/services/pg-up.sh, rgw-up.sh).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { makeFixtures } from '../test/fixtures/make-fixtures.js';
import { prepareS3 } from '../test/helpers/s3.js';
import { BenchScope } from './lib/bench-scope.js';
import { envChoice, envInt } from './lib/env.js';
import { progressLog } from './lib/log.js';
import type { LoadTool } from './lib/load.js';
import { preparePeerBench, runBench } from './lib/peer-bench.js';
import { loadAverage } from './lib/proc.js';
import { renderTargets, type Target } from './lib/results.js';
import { makeWorldReadable } from './lib/skopeo.js';
import { median } from './lib/stats.js';
import { SETUPS, SETUP_LABEL, servicesFromEnv, startSetup, type SetupName } from './ha/stack.js';
import { ingestBlob, makeBlob, manifestLoad, pushFixtures, rgwPut } from './ha/work.js';

const wrk = spawnSync('which', ['wrk'], { stdio: 'ignore' }).status === 0;
const opts = {
  runs: envInt('BENCH_RUNS', 3, 1),
  blobMib: envInt('BENCH_BLOB_MIB', 1024, 1),
  loadS: envInt('BENCH_LOAD_S', 10, 1),
  warmupS: envInt('BENCH_WARMUP_S', 4, 0),
  connections: envInt('BENCH_CONNECTIONS', 32, 1),
  small: envInt('BENCH_SMALL', 50, 0),
  loadTool: envChoice<LoadTool>('BENCH_LOAD_TOOL', ['native', 'autocannon'], wrk ? 'native' : 'autocannon'),
  keep: process.env.BENCH_KEEP === '1',
};

const log = progressLog();
// autocannon runs in this process and takes a core's share the replicas then lack.
if (opts.loadTool === 'autocannon') process.stderr.write('warning: wrk is not installed (apt-get install wrk): the GET load runs on autocannon in this process\n');
const scope = new BenchScope(opts.keep, log);

interface Sample {
  pushS: number;
  ingestS: number;
  ingestMBps: number;
  rps: number;
  bad: number;
  cpuS: number[];
  machineS: number;
}

const samples = new Map<SetupName, Sample[]>();
let imageCount = 0;
const rgw: { putObject: number; multipart: number }[] = [];

const cores = (): number => availableParallelism();
const med = (xs: number[]): number => median(xs);
const f = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

function table(): string {
  const rows = [
    `| set-up | push ${imageCount} images s | ingest s | ingest MB/s | manifest GET req/s | CPU s per replica during GETs | machine CPU s busy during GETs (of ${cores()} cores × ${opts.loadS} s) | bad responses |`,
    '|---|--:|--:|--:|--:|---|--:|--:|',
  ];
  for (const s of SETUPS) {
    const l = samples.get(s) ?? [];
    if (l.length === 0) continue;
    const cpu = l[0]!.cpuS.map((_, i) => f(med(l.map((x) => x.cpuS[i]!)), 1)).join(' / ');
    rows.push(`| ${SETUP_LABEL[s]} | ${f(med(l.map((x) => x.pushS)), 2)} | ${f(med(l.map((x) => x.ingestS)), 2)} | ${f(med(l.map((x) => x.ingestMBps)), 1)} | ${f(med(l.map((x) => x.rps)), 0)} | ${cpu} | ${f(med(l.map((x) => x.machineS)), 1)} | ${Math.max(...l.map((x) => x.bad))} |`);
  }
  const put = med(rgw.map((r) => r.putObject));
  const mp = med(rgw.map((r) => r.multipart));
  rows.push(`| RGW PUT, SDK PutObject (streamed) | – | ${f(opts.blobMib * 1.048576 / put, 2)} | ${f(put, 1)} | – | – | – | – |`);
  rows.push(`| RGW PUT, SDK multipart 8 MiB × 4 | – | ${f(opts.blobMib * 1.048576 / mp, 2)} | ${f(mp, 1)} | – | – | – | – |`);
  return rows.join('\n');
}

function targets(): Target[] {
  const rate = (s: SetupName): number => med((samples.get(s) ?? []).map((x) => x.rps));
  const ingest = med((samples.get('single') ?? []).map((x) => x.ingestMBps));
  const baseline = Math.max(med(rgw.map((r) => r.putObject)), med(rgw.map((r) => r.multipart)));
  const scale = rate('three') / rate('single');
  const share = ingest / baseline;
  return [
    { name: '3 replicas >= 1.5x the manifest GET rate of 1 replica', value: `${f(scale, 2)}x`, met: scale >= 1.5 },
    { name: 'S3 ingest (1 replica) >= 70 % of RGW PUT (the faster SDK way)', value: `${f(share * 100, 0)} % (${f(ingest, 1)} of ${f(baseline, 1)} MB/s)`, met: share >= 0.7 },
  ];
}

async function main(): Promise<void> {
  const svc = servicesFromEnv();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await prepareS3(svc.s3, svc.bucket);
  const machine = await preparePeerBench(scope, 'ha');
  log(`work directory ${scope.work}; ${opts.runs} run(s); ${opts.blobMib} MiB blob; GET load ${opts.connections} connections × ${opts.loadS} s (${opts.loadTool}); load ${machine.loadAtStart}`);
  const set = await makeFixtures(join(scope.work, 'fixtures'), { smallCount: opts.small });
  makeWorldReadable(join(scope.work, 'fixtures'));
  const images = set.images.filter((i) => i.ref !== 'huge-v1');
  imageCount = images.length;
  const target = images.find((i) => i.tag !== null && i.children === undefined);
  if (!target) throw new Error('no tagged single-manifest fixture image for the GET load');
  log(`${images.length} fixture images; GET load on ${target.repo}:${target.tag}; hashing the ${opts.blobMib} MiB blob`);
  const blob = makeBlob(opts.blobMib);

  for (let run = 0; run < opts.runs; run++) {
    log(`run ${run + 1}/${opts.runs}`);
    const r = await rgwPut(svc, blob, `${svc.dbPrefix}-rgw-${randomBytes(4).toString('hex')}`);
    rgw.push(r);
    log(`  RGW PUT: PutObject ${f(r.putObject, 1)} MB/s, multipart ${f(r.multipart, 1)} MB/s`);
    const order = run % 2 === 1 ? [...SETUPS].reverse() : [...SETUPS];
    for (const name of order) {
      const s = await startSetup(name, svc);
      try {
        const pushS = await pushFixtures(s, images, scope.work);
        const ingestS = await ingestBlob(s, blob, 'bench/ingest');
        const load = await manifestLoad(s, target, opts.loadTool, opts.connections, opts.loadS, opts.warmupS);
        const sample = { pushS, ingestS, ingestMBps: blob.size / 1e6 / ingestS, rps: load.rps, bad: load.bad, cpuS: load.cpuS, machineS: load.machineS };
        samples.set(name, [...(samples.get(name) ?? []), sample]);
        log(`  ${SETUP_LABEL[name]}: push ${f(pushS, 2)} s, ingest ${f(ingestS, 2)} s (${f(sample.ingestMBps, 1)} MB/s), GET ${f(load.rps, 0)} req/s, CPU ${load.cpuS.map((c) => f(c, 1)).join('/')} s (machine ${f(load.machineS, 1)} s)`);
      } finally {
        await s.stop();
      }
    }
  }

  const md = table();
  const t = targets();
  await mkdir(scope.resultDir, { recursive: true });
  const jsonFile = join(scope.resultDir, 'results.json');
  const json = { date: new Date().toISOString(), options: opts, machine: { ...machine, loadAtEnd: loadAverage() }, images: images.length, samples: Object.fromEntries(samples), rgw, targets: t };
  await writeFile(jsonFile, `${JSON.stringify(json, null, 1)}\n`);
  await writeFile(join(scope.resultDir, 'table.md'), `${md}\n`);
  process.stdout.write(`\n${md}\n\nmedian of ${opts.runs} run(s); MB = 10^6 bytes; load at start ${machine.loadAtStart}\n${renderTargets(t)}\nJSON: ${jsonFile}\n`);
}

runBench(main, scope, log);
