/**
 * `npm run bench:registry`: airlock against Debian's docker-registry 2.8.2,
 * side by side on loopback, same work against each:
 *
 *   1. push of the 53-image fixture set with skopeo (53 × `skopeo copy --all
 *      oci:LAYOUT:REF docker://127.0.0.1:PORT/fixtures/…`, tagless by digest),
 *      empty registry and empty skopeo cache per run: wall seconds
 *   2. one large random blob (BENCH_HUGE_MIB, default 1024): POST, then PUT
 *      ?digest= with the body streamed from a file (curl -T): MiB/s, server
 *      CPU, peak RSS sampled every 50 ms; then GET to /dev/null: MiB/s; the
 *      same GET after evicting the stored blob from the page cache (dd
 *      iflag=nocache: a pull long after the push); then the same bytes again as PATCH chunks of 100,000,000
 *      bytes (Content-Range, one curl -T per chunk) and a closing PUT
 *   3. request rates (8 keep-alive connections, 1 s warm-up + 5 s): GET and
 *      HEAD manifest by tag, HEAD blob
 *   4. peak RSS (VmHWM) of every server process
 *
 * Runs are interleaved (airlock, docker-registry, then the other order) and
 * every measured run gets a fresh server with an empty data directory.
 * Progress goes to stderr, the table to stdout, all samples to a JSON file.
 *
 * Env: BENCH_RUNS (3), BENCH_HUGE_MIB (1024), BENCH_SKIP_SKOPEO=1,
 *      BENCH_RATE_SECONDS (5), BENCH_CONNECTIONS (8),
 *      BENCH_LOAD_TOOL (native: wrk for GET | autocannon: autocannon for GET;
 *      HEAD always uses ab),
 *      BENCH_CPU_PROF=1 (airlock runs with --cpu-prof; top functions are
 *      printed; slows airlock down, so use it for diagnosis only),
 *      BENCH_KEEP=1 (keep the work directory), BENCH_QUIET_WAIT (30: seconds to
 *      wait before each measurement for the shared machine to go idle).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../test/fixtures/make-fixtures.js';
import { BenchScope } from './lib/bench-scope.js';
import { run } from './lib/children.js';
import { summarizeProfile, type ProfileSummary } from './lib/cpuprofile.js';
import { envInt } from './lib/env.js';
import { loadToolMissing, runLoad, type LoadResult, type LoadTool } from './lib/load.js';
import { progressLog } from './lib/log.js';
import { loadAverage, machineBusySeconds, RssSampler, startSpan, startThreadSpan, statusBytes } from './lib/proc.js';
import { getStatus, head, putManifest, putUrl, startUpload, uploadBlob } from './lib/registry-client.js';
import { AIRLOCK_MAIN, DOCKER_REGISTRY_BIN, KINDS, type ServerHandle, type ServerKind } from './lib/servers.js';
import { makeWorldReadable, newSkopeoHome, skopeoCopy, skopeoMissing, skopeoVersion } from './lib/skopeo.js';
import { median } from './lib/stats.js';

// ---------------------------------------------------------------- options

const opts = {
  runs: envInt('BENCH_RUNS', 3, 1),
  hugeMib: envInt('BENCH_HUGE_MIB', 1024, 1),
  skipSkopeo: process.env.BENCH_SKIP_SKOPEO === '1',
  rateSeconds: envInt('BENCH_RATE_SECONDS', 5, 1),
  warmupSeconds: 1,
  connections: envInt('BENCH_CONNECTIONS', 8, 1),
  loadTool: (process.env.BENCH_LOAD_TOOL ?? 'native') as LoadTool,
  cpuProf: process.env.BENCH_CPU_PROF === '1',
  /** before each measured section, wait up to this many seconds for the machine to be idle */
  quietWaitSeconds: envInt('BENCH_QUIET_WAIT', 30, 0),
  keep: process.env.BENCH_KEEP === '1',
};
if (opts.loadTool !== 'native' && opts.loadTool !== 'autocannon') throw new Error('BENCH_LOAD_TOOL must be native or autocannon');

const MiB = 1024 * 1024;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const RSS_TARGET_BYTES = 100e6;
/** CPU use (in cores) of everything else below which the machine counts as idle */
const QUIET_CORES = 0.15;

const t0 = Date.now();
const log = progressLog(t0);

// ---------------------------------------------------------------- results

/** CPU (seconds) of the load client(s) and of everything else on the machine during a measurement */
interface Contention {
  clientCpuS: number;
  foreignCpuS: number;
  /** wall seconds of the measured section */
  wallS: number;
}

interface PushRun extends Contention {
  serverCpuS: number;
  images: number;
  failed: number;
  verified: number;
  hwmBytes: number;
  errors: string[];
}

interface BlobRun {
  ingest: Contention & {
    mibps: number;
    curlS: number;
    serverCpuS: number;
    peakRssBytes: number;
    rssSamples: number;
    /** server CPU by thread name (e.g. node main thread vs libuv-worker) */
    threads: { thread: string; cpuS: number }[];
  };
  pull: Contention & { mibps: number; curlS: number; serverCpuS: number };
  /** The same GET after evicting the stored blob from the page cache (undefined when its file was not found). */
  coldPull: (Contention & { mibps: number; curlS: number; serverCpuS: number }) | undefined;
  /** The same file again as PATCH chunks of PATCH_CHUNK bytes (Content-Range), then PUT ?digest= with no body. */
  patch: Contention & { mibps: number; wallS: number; serverCpuS: number; chunks: number };
  hwmBytes: number;
  startRssBytes: number;
}

interface RateRun extends Contention {
  endpoint: string;
  result: LoadResult;
  serverCpuS: number;
}

interface RatesRun {
  rates: RateRun[];
  hwmBytes: number;
}

type PerKind<T> = Record<ServerKind, T[]>;
const perKind = <T>(): PerKind<T> => ({ airlock: [], 'docker-registry': [] });

const results = {
  push: perKind<PushRun>(),
  blob: perKind<BlobRun>(),
  rates: perKind<RatesRun>(),
  startup: perKind<{ startupS: number; startRssBytes: number }>(),
  profiles: [] as { phase: string; run: number; summary: ProfileSummary }[],
};

// ---------------------------------------------------------------- state for cleanup

const scope = new BenchScope(opts.keep, log);

// ---------------------------------------------------------------- helpers

/**
 * Flushes dirty pages left by earlier runs (so that writeback does not land in
 * a measurement), then waits until the machine is idle: other tenants' work
 * on the 2 shared cores skews every figure. Returns the busy cores seen last.
 */
async function settle(): Promise<number> {
  spawnSync('sync', { stdio: 'ignore' });
  const deadline = Date.now() + opts.quietWaitSeconds * 1000;
  let busy = 0;
  let warned = false;
  for (;;) {
    const b0 = machineBusySeconds();
    await sleep(500);
    busy = (machineBusySeconds() - b0) / 0.5;
    if (busy < QUIET_CORES || Date.now() >= deadline) break;
    if (!warned) log(`  waiting for the machine to be idle (others use ${busy.toFixed(2)} cores; load ${loadAverage()})`);
    warned = true;
  }
  if (busy >= QUIET_CORES && opts.quietWaitSeconds > 0) log(`  machine still busy (${busy.toFixed(2)} cores) after ${opts.quietWaitSeconds} s: measuring anyway`);
  return busy;
}

function orderFor(run: number): ServerKind[] {
  return run % 2 === 0 ? [...KINDS] : [...KINDS].reverse();
}

async function withServer<T>(kind: ServerKind, phase: string, runNo: number, fn: (s: ServerHandle) => Promise<T>): Promise<T> {
  const cpuProfDir = opts.cpuProf && kind === 'airlock' ? join(scope.resultDir, 'cpuprof', `${phase}-run${runNo}`) : undefined;
  const srv = await scope.startServer(kind, cpuProfDir !== undefined ? { cpuProfDir } : {});
  results.startup[kind].push({ startupS: srv.startupS, startRssBytes: srv.startRssBytes });
  try {
    return await fn(srv);
  } finally {
    await scope.stopServer(srv);
    if (cpuProfDir !== undefined && existsSync(cpuProfDir)) {
      for (const f of readdirSync(cpuProfDir).filter((x) => x.endsWith('.cpuprofile'))) {
        const summary = summarizeProfile(join(cpuProfDir, f), 20);
        results.profiles.push({ phase, run: runNo, summary });
        log(`  cpu profile ${phase} run ${runNo}: ${summary.totalMs.toFixed(0)} ms sampled; top self time:`);
        for (const h of summary.functions.slice(0, 12)) log(`    ${h.pct.toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(6)} ms  ${h.name}  ${h.where}`);
      }
    }
  }
}

// ---------------------------------------------------------------- phase 1: skopeo push

function pushTargets(set: FixtureSet): FixtureImage[] {
  // the 53 images that skopeo reads from the OCI layout (the Docker-format ones need dir:)
  return set.images.filter((i) => i.source.startsWith('oci:') && i.ref !== 'huge-v1');
}

async function verifyManifests(srv: ServerHandle, images: FixtureImage[]): Promise<{ ok: number; errors: string[] }> {
  let ok = 0;
  const errors: string[] = [];
  for (const img of images) {
    const url = `${srv.url}/v2/${img.repo}/manifests/${img.tag ?? img.digest}`;
    const h = await head(url, img.mediaType);
    if (h.status === 200 && h.digest === img.digest) ok++;
    else errors.push(`HEAD ${url}: ${h.status} digest ${String(h.digest)} (want ${img.digest})`);
  }
  return { ok, errors };
}

async function pushRun(srv: ServerHandle, images: FixtureImage[]): Promise<PushRun> {
  const home = await newSkopeoHome(scope.work);
  const errors: string[] = [];
  let failed = 0;
  await settle();
  const span = startSpan(srv.pid);
  for (const img of images) {
    const dest = `docker://${srv.hostPort}/${img.repo}${img.tag === null ? `@${img.digest}` : `:${img.tag}`}`;
    const r = await skopeoCopy(home, ['-q', '--all', '--dest-tls-verify=false', img.source, dest]);
    if (r.code !== 0) {
      failed++;
      errors.push(`skopeo copy ${img.source} ${dest}: exit ${r.code}: ${r.stderr.trim().slice(-500)}`);
    }
  }
  const s = span();
  const v = await verifyManifests(srv, images);
  await rm(home.dir, { recursive: true, force: true });
  return {
    wallS: s.wallS,
    serverCpuS: s.serverCpuS,
    clientCpuS: s.clientCpuS,
    foreignCpuS: s.foreignCpuS,
    images: images.length,
    failed,
    verified: v.ok,
    hwmBytes: statusBytes(srv.pid, 'VmHWM') ?? 0,
    errors: [...errors, ...v.errors].slice(0, 20),
  };
}

// ---------------------------------------------------------------- phase 2: one large blob

/** Chunk size of the PATCH run: 100,000,000 bytes, deliberately not a multiple of the page size. */
const PATCH_CHUNK = 100_000_000;

interface HugeFile {
  path: string;
  size: number;
  digest: string;
  /** The same bytes cut into PATCH_CHUNK pieces (split(1)), in order. */
  parts: { path: string; size: number }[];
}

async function makeHugeFile(dir: string, mib: number): Promise<HugeFile> {
  const path = join(dir, `random-${mib}MiB.bin`);
  const fh = await open(path, 'w');
  const hash = createHash('sha256');
  const chunk = 4 * MiB;
  let left = mib * MiB;
  try {
    while (left > 0) {
      const buf = randomBytes(Math.min(chunk, left));
      hash.update(buf);
      await fh.write(buf);
      left -= buf.length;
    }
  } finally {
    await fh.close();
  }
  const split = spawnSync('split', ['-b', String(PATCH_CHUNK), '-d', '-a', '3', path, `${path}.part-`]);
  if (split.status !== 0) throw new Error(`split of ${path} failed: ${String(split.stderr)}`);
  const parts = readdirSync(dir)
    .filter((n) => n.startsWith(`random-${mib}MiB.bin.part-`))
    .sort()
    .map((n) => ({ path: join(dir, n), size: statSync(join(dir, n)).size }));
  return { path, size: mib * MiB, digest: `sha256:${hash.digest('hex')}`, parts };
}

function parseCurl(out: string): { code: number; bytes: number; timeS: number } {
  const [code, bytes, timeS] = out.trim().split(/\s+/).map(Number);
  return { code: code ?? 0, bytes: bytes ?? 0, timeS: timeS ?? NaN };
}

async function blobRun(srv: ServerHandle, f: HugeFile): Promise<BlobRun> {
  const repo = 'bench/huge';
  const loc = await startUpload(srv.url, repo);
  const url = putUrl(srv.url, loc, f.digest);
  await settle();
  const sampler = new RssSampler(srv.pid, 50).start();
  const span = startSpan(srv.pid);
  const threads = startThreadSpan(srv.pid);
  // like `curl -T`: PUT of the whole file, streamed; no Expect: 100-continue round trip
  const up = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_upload} %{time_total}', '-T', f.path,
    '-H', 'Content-Type: application/octet-stream', '-H', 'Expect:', url]);
  const s = span();
  const byThread = threads();
  const rss = sampler.stop();
  const u = parseCurl(up.stdout);
  if (up.code !== 0 || u.code !== 201 || u.bytes !== f.size) throw new Error(`${srv.kind}: blob PUT failed: curl exit ${up.code}, HTTP ${u.code}, ${u.bytes} bytes sent: ${up.stderr}`);
  const blobUrl = `${srv.url}/v2/${repo}/blobs/${f.digest}`;
  const h = await head(blobUrl);
  if (h.status !== 200 || h.length !== f.size) throw new Error(`${srv.kind}: HEAD ${blobUrl} after upload: ${h.status}, length ${String(h.length)}`);
  const ingest = {
    mibps: f.size / MiB / u.timeS,
    curlS: u.timeS,
    serverCpuS: s.serverCpuS,
    clientCpuS: s.clientCpuS,
    foreignCpuS: s.foreignCpuS,
    wallS: s.wallS,
    peakRssBytes: rss.peakBytes,
    rssSamples: rss.samples,
    threads: byThread,
  };
  log(`  ${srv.kind}: PUT ${(f.size / MiB).toFixed(0)} MiB in ${u.timeS.toFixed(2)} s = ${ingest.mibps.toFixed(0)} MiB/s, CPU: server ${s.serverCpuS.toFixed(2)} s, curl ${s.clientCpuS.toFixed(2)} s, others ${s.foreignCpuS.toFixed(2)} s; peak RSS ${mb(rss.peakBytes)} MB (${rss.samples} samples)`);
  log(`    CPU by thread: ${byThread.slice(0, 5).map((t) => `${t.thread} ${t.cpuS.toFixed(2)} s`).join(', ')}`);

  const pull = await pullOnce(srv, blobUrl, f, 'GET');
  const coldPull = evictBlob(srv.dir, f) ? await pullOnce(srv, blobUrl, f, 'cold GET') : undefined;
  const patch = await patchRun(srv, f);
  return { ingest, pull, coldPull, patch, hwmBytes: statusBytes(srv.pid, 'VmHWM') ?? 0, startRssBytes: srv.startRssBytes };
}

/**
 * Evicts the stored blob (the file under the server's directory whose path
 * names the digest and whose size is the blob's) from the page cache, so the
 * next GET reads from the disk, as a pull long after the push would. Only
 * that file: the rest of the cache (the bench's own upload file) stays warm.
 */
function evictBlob(dir: string, f: HugeFile): boolean {
  const hex = f.digest.slice('sha256:'.length);
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && p.includes(hex) && statSync(p).size === f.size) found.push(p);
    }
  };
  walk(dir);
  for (const p of found) spawnSync('dd', [`if=${p}`, 'iflag=nocache', 'count=0', 'status=none']);
  return found.length > 0;
}

async function pullOnce(srv: ServerHandle, blobUrl: string, f: HugeFile, what: string): Promise<BlobRun['pull']> {
  const span = startSpan(srv.pid);
  const down = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', blobUrl]);
  const s = span();
  const d = parseCurl(down.stdout);
  if (down.code !== 0 || d.code !== 200 || d.bytes !== f.size) throw new Error(`${srv.kind}: blob ${what} failed: curl exit ${down.code}, HTTP ${d.code}, ${d.bytes} bytes: ${down.stderr}`);
  const r = { mibps: f.size / MiB / d.timeS, curlS: d.timeS, serverCpuS: s.serverCpuS, clientCpuS: s.clientCpuS, foreignCpuS: s.foreignCpuS, wallS: s.wallS };
  log(`  ${srv.kind}: ${what} ${(f.size / MiB).toFixed(0)} MiB in ${d.timeS.toFixed(2)} s = ${r.mibps.toFixed(0)} MiB/s, CPU: server ${s.serverCpuS.toFixed(2)} s`);
  return r;
}

/** The huge file as PATCH chunks (one curl per chunk, from split files), then the closing PUT ?digest=. */
async function patchRun(srv: ServerHandle, f: HugeFile): Promise<BlobRun['patch']> {
  const repo = 'bench/huge-patch';
  let loc = await startUpload(srv.url, repo);
  await settle();
  const span = startSpan(srv.pid);
  let off = 0;
  for (const part of f.parts) {
    const r = await run('curl', ['-sS', '-o', '/dev/null', '-D', '-', '-w', '%{http_code}', '-X', 'PATCH', '-T', part.path,
      '-H', 'Content-Type: application/octet-stream', '-H', `Content-Range: ${off}-${off + part.size - 1}`, '-H', 'Expect:', loc]);
    const code = Number(r.stdout.trim().split(/\s+/).pop());
    const next = /^location:\s*(\S+)/im.exec(r.stdout)?.[1];
    if (r.code !== 0 || code !== 202 || next === undefined) throw new Error(`${srv.kind}: PATCH at ${off} failed: curl exit ${r.code}, HTTP ${code}: ${r.stderr}`);
    loc = new URL(next, srv.url).toString();
    off += part.size;
  }
  const put = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-H', 'Content-Length: 0', putUrl(srv.url, loc, f.digest)]);
  const s = span();
  if (put.code !== 0 || put.stdout.trim() !== '201') throw new Error(`${srv.kind}: closing PUT after PATCH failed: curl exit ${put.code}, HTTP ${put.stdout.trim()}: ${put.stderr}`);
  const h = await head(`${srv.url}/v2/${repo}/blobs/${f.digest}`);
  if (h.status !== 200 || h.length !== f.size) throw new Error(`${srv.kind}: HEAD after chunked upload: ${h.status}, length ${String(h.length)}`);
  const r = { mibps: f.size / MiB / s.wallS, wallS: s.wallS, serverCpuS: s.serverCpuS, clientCpuS: s.clientCpuS, foreignCpuS: s.foreignCpuS, chunks: f.parts.length };
  log(`  ${srv.kind}: ${f.parts.length} PATCH + PUT of ${(f.size / MiB).toFixed(0)} MiB in ${s.wallS.toFixed(2)} s = ${r.mibps.toFixed(0)} MiB/s, CPU: server ${s.serverCpuS.toFixed(2)} s`);
  return r;
}

// ---------------------------------------------------------------- phase 3: request rates

interface RateTarget {
  repo: string;
  tag: string;
  manifestDigest: string;
  blobDigest: string;
}

/** Uploads small-00-v1 (config + 3 layers + manifest) with plain API calls. */
async function seedSmallImage(srv: ServerHandle, set: FixtureSet): Promise<RateTarget> {
  const img = set.images.find((i) => i.ref === 'small-00-v1');
  if (img === undefined) throw new Error('fixture small-00-v1 missing');
  const blob = (d: string): Promise<Buffer> => readFile(join(set.layout, 'blobs', 'sha256', d.slice('sha256:'.length)));
  const manifestBytes = await blob(img.digest);
  const m = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) await uploadBlob(srv.url, img.repo, await blob(d), d);
  const tag = img.tag ?? 'v1';
  await putManifest(srv.url, img.repo, tag, img.mediaType, manifestBytes);
  const small = m.layers[m.layers.length - 1];
  if (small === undefined) throw new Error('small-00-v1 has no layers');
  return { repo: img.repo, tag, manifestDigest: img.digest, blobDigest: small.digest };
}

async function ratesRun(srv: ServerHandle, set: FixtureSet): Promise<RatesRun> {
  const t = await seedSmallImage(srv, set);
  const manifestUrl = `${srv.url}/v2/${t.repo}/manifests/${t.tag}`;
  const blobUrl = `${srv.url}/v2/${t.repo}/blobs/${t.blobDigest}`;
  const accept: Record<string, string> = { Accept: OCI_MANIFEST };
  const endpoints: { endpoint: string; url: string; method: 'GET' | 'HEAD'; headers: Record<string, string>; want: string }[] = [
    { endpoint: 'GET manifest by tag', url: manifestUrl, method: 'GET', headers: accept, want: t.manifestDigest },
    { endpoint: 'HEAD manifest by tag', url: manifestUrl, method: 'HEAD', headers: accept, want: t.manifestDigest },
    { endpoint: 'HEAD blob (8 KiB)', url: blobUrl, method: 'HEAD', headers: {}, want: t.blobDigest },
  ];
  const rates: RateRun[] = [];
  for (const e of endpoints) {
    await settle();
    const check = e.method === 'GET' ? await getStatus(e.url, e.headers.Accept) : await head(e.url, e.headers.Accept);
    if (check.status !== 200 || check.digest !== e.want) throw new Error(`${srv.kind}: ${e.method} ${e.url}: ${check.status}, digest ${String(check.digest)}`);
    const spec = { url: e.url, method: e.method, headers: e.headers, connections: opts.connections };
    await runLoad(opts.loadTool, { ...spec, durationS: opts.warmupSeconds });
    const span = startSpan(srv.pid);
    const result = await runLoad(opts.loadTool, { ...spec, durationS: opts.rateSeconds });
    const s = span();
    rates.push({ endpoint: e.endpoint, result, serverCpuS: s.serverCpuS, clientCpuS: s.clientCpuS, foreignCpuS: s.foreignCpuS, wallS: s.wallS });
    log(`  ${srv.kind}: ${e.endpoint}: ${result.rps.toFixed(0)} req/s (${result.tool}), avg ${result.latAvgMs.toFixed(2)} ms, p99 ${result.latP99Ms.toFixed(1)} ms, CPU: server ${(s.serverCpuS / s.wallS).toFixed(2)}, client ${(s.clientCpuS / s.wallS).toFixed(2)}, others ${(s.foreignCpuS / s.wallS).toFixed(2)} cores${result.bad > 0 ? `, ${result.bad} BAD responses` : ''}`);
  }
  return { rates, hwmBytes: statusBytes(srv.pid, 'VmHWM') ?? 0 };
}

// ---------------------------------------------------------------- environment

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}

function machine(): Record<string, string | number> {
  let os = '?';
  try {
    os = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '?';
  } catch {
    // not Linux
  }
  const repoRoot = resolve(dirname(AIRLOCK_MAIN), '..', '..', '..');
  return {
    os,
    kernel: release(),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? '?',
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    dockerRegistry: sh('dpkg-query', ['-W', '-f=${Version}', 'docker-registry']),
    skopeo: opts.skipSkopeo ? 'skipped' : skopeoVersion(),
    curl: sh('curl', ['--version']).split('\n')[0] ?? '?',
    airlockCommit: `${sh('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'])}${sh('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'src']) === '' ? '' : ' (+ uncommitted src changes)'}`,
    loadAtStart: loadAverage(),
  };
}

// ---------------------------------------------------------------- table

const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);

interface Row {
  figure: string;
  unit: string;
  /** median (or the stated aggregate) */
  airlock: number;
  dockerRegistry: number;
  /** true when larger is better */
  higherBetter: boolean;
  /** airlock / docker-registry for higher-is-better figures, the inverse otherwise: > 1 means airlock is better */
  ratio: number;
  /** best run of each side (NaN when not meaningful) and their ratio */
  airlockBest: number;
  dockerRegistryBest: number;
  ratioBest: number;
  digits: number;
}

type Agg = (v: number[]) => number;
const maxOf: Agg = (v) => (v.length === 0 ? NaN : Math.max(...v));
const minOf: Agg = (v) => (v.length === 0 ? NaN : Math.min(...v));

function row(figure: string, unit: string, a: number[], d: number[], higherBetter: boolean, digits = 2, agg: Agg = median, withBest = true): Row {
  const betterRatio = (x: number, y: number): number => (higherBetter ? x / y : y / x);
  const best = higherBetter ? maxOf : minOf;
  const aBest = withBest ? best(a) : NaN;
  const dBest = withBest ? best(d) : NaN;
  return {
    figure,
    unit,
    airlock: agg(a),
    dockerRegistry: agg(d),
    higherBetter,
    ratio: betterRatio(agg(a), agg(d)),
    airlockBest: aBest,
    dockerRegistryBest: dBest,
    ratioBest: betterRatio(aBest, dBest),
    digits,
  };
}

function buildRows(): Row[] {
  const rows: Row[] = [];
  const vals = <T>(xs: PerKind<T>, f: (x: T) => number): [number[], number[]] => [xs.airlock.map(f), xs['docker-registry'].map(f)];
  if (!opts.skipSkopeo) {
    const ok = perKind<PushRun>();
    for (const k of KINDS) ok[k] = results.push[k].filter((r) => r.failed === 0 && r.verified === r.images);
    const n = results.push.airlock[0]?.images ?? 53;
    rows.push(row(`skopeo push of ${n} images (wall)`, 's', ...vals(ok, (r) => r.wallS), false));
    rows.push(row('  server CPU during that push', 's', ...vals(ok, (r) => r.serverCpuS), false));
  }
  const hm = `${opts.hugeMib} MiB`;
  rows.push(row(`blob push ${hm} (POST, then PUT like curl -T)`, 'MiB/s', ...vals(results.blob, (r) => r.ingest.mibps), true, 0));
  rows.push(row('  server CPU for that ingest', 's', ...vals(results.blob, (r) => r.ingest.serverCpuS), false));
  rows.push(row(`blob pull ${hm} (GET to /dev/null)`, 'MiB/s', ...vals(results.blob, (r) => r.pull.mibps), true, 0));
  rows.push(row('  server CPU for that pull', 's', ...vals(results.blob, (r) => r.pull.serverCpuS), false));
  rows.push(row(`blob pull ${hm}, blob evicted from the page cache first`, 'MiB/s', ...vals(results.blob, (r) => r.coldPull?.mibps ?? NaN), true, 0));
  rows.push(row('  server CPU for that pull', 's', ...vals(results.blob, (r) => r.coldPull?.serverCpuS ?? NaN), false));
  rows.push(row(`blob push ${hm} as PATCH chunks of ${PATCH_CHUNK} B, then PUT`, 'MiB/s', ...vals(results.blob, (r) => r.patch.mibps), true, 0));
  rows.push(row('  server CPU for that ingest', 's', ...vals(results.blob, (r) => r.patch.serverCpuS), false));
  for (const ep of ['GET manifest by tag', 'HEAD manifest by tag', 'HEAD blob (8 KiB)']) {
    const get = (r: RatesRun): number => r.rates.find((x) => x.endpoint === ep)?.result.rps ?? NaN;
    rows.push(row(`${ep}, ${opts.connections} connections`, 'req/s', ...vals(results.rates, get), true, 0));
  }
  rows.push(row(`peak RSS while ingesting ${hm} (max of VmRSS every 50 ms)`, 'MB', ...vals(results.blob, (r) => r.ingest.peakRssBytes / 1e6), false, 0, maxOf, false));
  const hwm = perKind<number>();
  for (const k of KINDS) hwm[k] = [...results.push[k].map((r) => r.hwmBytes), ...results.blob[k].map((r) => r.hwmBytes), ...results.rates[k].map((r) => r.hwmBytes)];
  rows.push(row('peak RSS of any server process (VmHWM, max)', 'MB', ...vals(hwm, (b) => b / 1e6), false, 0, maxOf, false));
  rows.push(row('RSS right after start', 'MB', ...vals(results.startup, (x) => x.startRssBytes / 1e6), false, 0));
  rows.push(row('start-up until /v2/ answers', 's', ...vals(results.startup, (x) => x.startupS), false, 2));
  return rows;
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

function renderTable(rows: Row[]): string {
  const head = ['figure', 'unit', 'airlock', 'docker-registry', 'ratio', 'airlock best', 'docker-registry best', 'ratio best'];
  const body = rows.map((r) => [
    r.figure,
    r.unit,
    fmt(r.airlock, r.digits),
    fmt(r.dockerRegistry, r.digits),
    `${fmt(r.ratio, 2)}x`,
    fmt(r.airlockBest, r.digits),
    fmt(r.dockerRegistryBest, r.digits),
    Number.isFinite(r.ratioBest) ? `${fmt(r.ratioBest, 2)}x` : '-',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(w[i] as number) : c.padEnd(w[i] as number))).join(' | ')} |`;
  return [line(head), `|${w.map((n, i) => (i >= 2 ? `${'-'.repeat(n + 1)}:` : '-'.repeat(n + 2))).join('|')}|`, ...body.map(line)].join('\n');
}

/** Median CPU (in cores) that other tenants / kernel threads used during each phase's measurements. */
function contentionLines(): string[] {
  const cores = (xs: Contention[]): string => {
    const v = xs.map((x) => x.foreignCpuS / x.wallS).filter(Number.isFinite);
    return v.length === 0 ? '-' : `${median(v).toFixed(2)} (max ${maxOf(v).toFixed(2)})`;
  };
  const lines: string[] = [];
  for (const k of KINDS) {
    const parts = [
      ...(opts.skipSkopeo ? [] : [`push ${cores(results.push[k])}`]),
      `ingest ${cores(results.blob[k].map((r) => r.ingest))}`,
      `pull ${cores(results.blob[k].map((r) => r.pull))}`,
      `rates ${cores(results.rates[k].flatMap((r) => r.rates))}`,
    ];
    lines.push(`  during ${k} runs: ${parts.join(', ')}`);
  }
  return lines;
}

interface Target {
  name: string;
  value: string;
  met: boolean;
}

function targets(rows: Row[]): Target[] {
  const find = (prefix: string): Row | undefined => rows.find((r) => r.figure.startsWith(prefix));
  const push = find('skopeo push');
  const ingest = find('blob push');
  const patch = find(`blob push ${opts.hugeMib} MiB as PATCH`);
  const get = find('GET manifest by tag');
  const rss = find('peak RSS while ingesting');
  const out: Target[] = [];
  const ratio = (r: Row): string => `${fmt(r.ratio, 2)}x (best runs: ${fmt(r.ratioBest, 2)}x)`;
  if (push) out.push({ name: 'skopeo push of the fixtures into airlock <= 1/2 the time into docker-registry', value: ratio(push), met: push.ratio >= 2 });
  if (ingest) out.push({ name: 'blob ingest >= 4x docker-registry', value: ratio(ingest), met: ingest.ratio >= 4 });
  if (ingest) out.push({ name: 'blob ingest >= 1 GiB/s', value: `${fmt(ingest.airlock, 0)} MiB/s`, met: ingest.airlock >= 1024 });
  if (patch && ingest) out.push({ name: 'chunked PATCH ingest = monolithic PUT (>= 90 %)', value: `${fmt(patch.airlock, 0)} vs ${fmt(ingest.airlock, 0)} MiB/s`, met: patch.airlock >= 0.9 * ingest.airlock });
  if (get) out.push({ name: 'manifest GET >= 5x docker-registry req/s', value: ratio(get), met: get.ratio >= 5 });
  if (rss) out.push({ name: `airlock peak RSS <= 100 MB while ingesting ${opts.hugeMib} MiB`, value: `${fmt(rss.airlock, 0)} MB`, met: rss.airlock <= RSS_TARGET_BYTES / 1e6 });
  return out;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const missing = [
    existsSync(DOCKER_REGISTRY_BIN) ? undefined : `${DOCKER_REGISTRY_BIN} is not installed (apt-get install docker-registry)`,
    existsSync(AIRLOCK_MAIN) ? undefined : `${AIRLOCK_MAIN} is missing (npm run build)`,
    spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : 'curl is not installed',
    opts.skipSkopeo ? undefined : skopeoMissing(),
    loadToolMissing(opts.loadTool),
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) throw new Error(`cannot run the benchmark:\n  ${missing.join('\n  ')}\n(BENCH_SKIP_SKOPEO=1 skips the skopeo figure)`);

  const workDir = await mkdtemp(join(tmpdir(), 'airlock-bench-'));
  scope.workDir = workDir;
  chmodSync(workDir, 0o755); // skopeo runs as uid 65534 and reads the fixture layout in here
  const resultDir = await mkdtemp(join(tmpdir(), 'airlock-bench-result-'));
  scope.resultDir = resultDir;
  const env = machine();
  log(`airlock registry benchmark: ${JSON.stringify(opts)}`);
  log(`machine: ${env.os}, ${env.cpus} cores (${env.cpuModel}), ${env.memGiB} GiB, node ${env.node}, docker-registry ${env.dockerRegistry}, load ${env.loadAtStart}`);
  log(`work directory ${workDir}`);

  const tf = Date.now();
  const set = await makeFixtures(join(workDir, 'fixtures'), opts.skipSkopeo ? { smallCount: 1 } : {});
  makeWorldReadable(join(workDir, 'fixtures'));
  const images = pushTargets(set);
  log(`fixtures: ${set.images.length} images in ${((Date.now() - tf) / 1000).toFixed(1)} s; ${images.length} to push from ${set.layout}`);

  const th = Date.now();
  const huge = await makeHugeFile(workDir, opts.hugeMib);
  log(`random blob: ${opts.hugeMib} MiB ${huge.digest} in ${((Date.now() - th) / 1000).toFixed(1)} s`);

  if (!opts.skipSkopeo) {
    log(`== skopeo push of ${images.length} images, ${opts.runs} run(s) per registry`);
    for (let i = 0; i < opts.runs; i++) {
      for (const kind of orderFor(i)) {
        const r = await withServer(kind, 'push', i + 1, (srv) => pushRun(srv, images));
        results.push[kind].push(r);
        log(`  ${kind} run ${i + 1}: ${r.wallS.toFixed(2)} s wall, CPU: server ${r.serverCpuS.toFixed(2)} s, skopeo ${r.clientCpuS.toFixed(2)} s, others ${r.foreignCpuS.toFixed(2)} s, ${r.images - r.failed}/${r.images} copied, ${r.verified}/${r.images} verified, VmHWM ${mb(r.hwmBytes)} MB`);
        for (const e of r.errors.slice(0, 5)) log(`    ERROR ${e}`);
      }
    }
  }

  log(`== ${opts.hugeMib} MiB blob push + pull, ${opts.runs} run(s) per registry`);
  for (let i = 0; i < opts.runs; i++) {
    for (const kind of orderFor(i)) results.blob[kind].push(await withServer(kind, 'blob', i + 1, (srv) => blobRun(srv, huge)));
  }

  log(`== request rates: ${opts.connections} connections, ${opts.warmupSeconds} s warm-up + ${opts.rateSeconds} s, ${opts.loadTool === 'native' ? 'wrk (GET) / ab (HEAD)' : 'autocannon (GET) / ab (HEAD)'}, ${opts.runs} run(s)`);
  for (let i = 0; i < opts.runs; i++) {
    for (const kind of orderFor(i)) results.rates[kind].push(await withServer(kind, 'rates', i + 1, (srv) => ratesRun(srv, set)));
  }

  const rows = buildRows();
  const tg = targets(rows);
  const loadAtEnd = loadAverage();
  const table = renderTable(rows);
  const pushFailures = KINDS.map((k) => `${k}: ${results.push[k].filter((r) => r.failed > 0 || r.verified !== r.images).length}/${results.push[k].length} push runs incomplete`);

  const out: string[] = [];
  out.push(`airlock vs docker-registry ${env.dockerRegistry} — ${new Date().toISOString()}`);
  out.push(`${env.os}, ${env.cpus} cores, ${env.memGiB} GiB, node ${env.node}; load average ${env.loadAtStart} at start, ${loadAtEnd} at end`);
  out.push(`median of ${opts.runs} run(s) unless noted ("best": best single run of each side); ratio > 1 means airlock is better;`);
  out.push(`the load clients (skopeo, curl, wrk, ab) share the ${env.cpus} cores with the server`);
  out.push('');
  out.push(table);
  out.push('');
  out.push('CPU cores used by other processes on the machine during the measurements (median, max):');
  out.push(...contentionLines());
  if (!opts.skipSkopeo) out.push(`push runs: ${pushFailures.join('; ')} (incomplete runs are left out of the median)`);
  out.push('targets (not assertions):');
  for (const t of tg) out.push(`  ${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.value}`);

  const json = {
    date: new Date().toISOString(),
    machine: { ...env, loadAtEnd },
    options: opts,
    commands: {
      airlock: `node ${AIRLOCK_MAIN} serve --insecure-http --listen 127.0.0.1:0 --data-dir DIR --log-level warn`,
      dockerRegistry: `${DOCKER_REGISTRY_BIN} serve config.yml (filesystem, delete enabled, log warn, access log off, no auth)`,
      push: 'setpriv --reuid=65534 --regid=65534 --clear-groups skopeo --policy P copy -q --all --dest-tls-verify=false oci:LAYOUT:REF docker://127.0.0.1:PORT/REPO(:TAG|@DIGEST)',
      blobPush: "curl -sS -o /dev/null -T FILE -H 'Content-Type: application/octet-stream' -H 'Expect:' 'LOCATION&digest=DIGEST'",
      blobPull: 'curl -sS -o /dev/null http://127.0.0.1:PORT/v2/bench/huge/blobs/DIGEST',
      rates: opts.loadTool === 'native' ? `wrk -t2 -c${opts.connections} -d${opts.rateSeconds}s --latency (GET); ab -q -i -k -c${opts.connections} -t${opts.rateSeconds} (HEAD)` : `autocannon connections=${opts.connections} duration=${opts.rateSeconds} (GET); ab -q -i -k -c${opts.connections} -t${opts.rateSeconds} (HEAD)`,
    },
    rows,
    targets: tg,
    raw: results,
  };
  const jsonPath = join(resultDir, 'result.json');
  await mkdir(resultDir, { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(json, null, 1)}\n`);
  process.stdout.write(`${out.join('\n')}\nresult file: ${jsonPath}\n`);
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s; result file ${jsonPath}`);
}

main()
  .catch(async (e: unknown) => {
    log(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => scope.cleanup());
