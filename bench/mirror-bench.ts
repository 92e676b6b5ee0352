/**
 * `npm run bench:mirror`: airlock `image mirror` and skopeo side by side, in
 * one run, on the 53-image fixture set (big, multi 4-arch, 50 small, tagless).
 *
 * Source: docker-registry A on loopback, filled once with skopeo from the
 * fixture OCI layout. Every measured run gets a fresh, empty destination
 * (a new docker-registry B, or a new directory). Phases:
 *   1. registry→registry  skopeo copy ×53 | skopeo sync --src yaml | airlock image mirror -f
 *   2. registry→disk      skopeo copy ×53 to one oci: layout | airlock to its file:// store (--dir)
 *   3. disk→registry      back from the phase-2 disk copy into a fresh B
 *   4. no-op              phase 1 again into a B that already holds everything
 * Figures: wall seconds, tool CPU (user+sys of the child and its children, GNU
 * time), destination registry CPU (/proc/PID/stat), tool peak RSS; median of
 * BENCH_RUNS (default 3). After every copy all 53 manifest digests at the
 * destination are checked against the fixtures; a mismatch fails the run.
 *
 * Env: BENCH_RUNS, BENCH_KEEP=1 (keep the work directory), BENCH_OUT (result
 * directory; default a new /tmp/airlock-mirror-bench-result-*).
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { makeFixtures, type FixtureImage } from '../test/fixtures/make-fixtures.js';
import { stopAllChildren } from './lib/children.js';
import { cpuSeconds } from './lib/proc.js';
import { AIRLOCK_MAIN, startServer, type ServerHandle } from './lib/servers.js';
import { makeWorldReadable, newSkopeoHome, NOBODY, skopeoCopy, skopeoMissing, skopeoVersion, type SkopeoHome } from './lib/skopeo.js';
import { gnuTimeMissing, timed, type TimedRun } from './lib/timed.js';

// ---------------------------------------------------------------- options

function envInt(name: string, dflt: number, min: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

const opts = {
  runs: envInt('BENCH_RUNS', 3, 1),
  keep: process.env.BENCH_KEEP === '1',
};

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const t0 = Date.now();
function log(msg: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${s}s] ${msg}\n`);
}

const isRoot = (): boolean => process.getuid?.() === 0;

// ---------------------------------------------------------------- cleanup

let workDir: string | undefined;
let resultDir = '';
const liveServers = new Set<ServerHandle>();
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const s of liveServers) await s.stop().catch(() => undefined);
    liveServers.clear();
    await stopAllChildren();
    if (workDir !== undefined && !opts.keep) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    // the result directory is kept unless nothing was written into it
    if (resultDir !== '' && existsSync(resultDir) && readdirSync(resultDir).length === 0) await rm(resultDir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping servers and removing ${workDir ?? 'temp files'}`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function newRegistry(): Promise<ServerHandle> {
  const srv = await startServer('docker-registry', { parent: workDir as string });
  liveServers.add(srv);
  return srv;
}

async function dropRegistry(srv: ServerHandle): Promise<void> {
  liveServers.delete(srv);
  await srv.stop();
}

// ---------------------------------------------------------------- helpers

function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const refOf = (img: FixtureImage): string => (img.tag === null ? `@${img.digest}` : `:${img.tag}`);
/** `image mirror` destinations may not carry a digest: a by-digest source goes to the bare repository */
const dstRefOf = (img: FixtureImage): string => (img.tag === null ? '' : `:${img.tag}`);

/** a world-writable-by-nobody directory for skopeo output */
async function nobodyDir(name: string): Promise<string> {
  const d = await mkdtemp(join(workDir as string, `${name}-`));
  if (isRoot()) chownSync(d, NOBODY, NOBODY);
  return d;
}

async function verifyRegistry(srv: ServerHandle, images: FixtureImage[], what: string): Promise<void> {
  const errors: string[] = [];
  for (const img of images) {
    const url = `${srv.url}/v2/${img.repo}/manifests/${img.tag ?? img.digest}`;
    const res = await fetch(url, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
    const d = res.headers.get('docker-content-digest');
    if (res.status !== 200 || d !== img.digest) errors.push(`HEAD ${url}: ${res.status} digest ${String(d)} (want ${img.digest})`);
  }
  if (errors.length > 0) throw new Error(`verification failed after ${what}: ${errors.length}/${images.length} wrong:\n  ${errors.slice(0, 10).join('\n  ')}`);
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** airlock's file:// store: <dir>/v2/<repo>/manifests/<tag|digest> */
async function verifyFileStore(dir: string, images: FixtureImage[], what: string): Promise<void> {
  const errors: string[] = [];
  for (const img of images) {
    const p = join(dir, 'v2', img.repo, 'manifests', img.tag ?? img.digest);
    try {
      const d = sha256(await readFile(p));
      if (d !== img.digest) errors.push(`${p}: ${d} (want ${img.digest})`);
    } catch (e) {
      errors.push(`${p}: ${(e as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(`verification failed after ${what}: ${errors.length}/${images.length} wrong:\n  ${errors.slice(0, 10).join('\n  ')}`);
}

/** skopeo's OCI layout: index.json entry per ref name, and the blob itself */
async function verifyOciLayout(dir: string, images: FixtureImage[], what: string): Promise<void> {
  const errors: string[] = [];
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const byRef = new Map(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'] ?? '', m.digest]));
  for (const img of images) {
    const d = byRef.get(img.ref);
    if (d !== img.digest) {
      errors.push(`index.json ${img.ref}: ${String(d)} (want ${img.digest})`);
      continue;
    }
    const blob = join(dir, 'blobs', 'sha256', img.digest.slice('sha256:'.length));
    if (!existsSync(blob) || sha256(await readFile(blob)) !== img.digest) errors.push(`${blob} missing or wrong`);
  }
  if (errors.length > 0) throw new Error(`verification failed after ${what}: ${errors.length}/${images.length} wrong:\n  ${errors.slice(0, 10).join('\n  ')}`);
}

// ---------------------------------------------------------------- tools

function skopeoArgv(home: SkopeoHome, args: string[]): { cmd: string; argv: string[] } {
  const full = ['--policy', home.policy, ...args];
  if (isRoot()) return { cmd: 'setpriv', argv: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'skopeo', ...full] };
  return { cmd: 'skopeo', argv: full };
}

interface Measure {
  wallS: number;
  toolCpuS: number;
  destCpuS: number;
  peakRssBytes: number;
}

/** Runs several timed commands back to back: wall and CPU summed, RSS max. */
async function measureSeq(destPid: number | undefined, cmds: { cmd: string; argv: string[]; cwd: string; env: NodeJS.ProcessEnv }[]): Promise<Measure> {
  const scratch = workDir as string;
  const c0 = destPid === undefined ? 0 : (cpuSeconds(destPid) ?? 0);
  const w0 = process.hrtime.bigint();
  let toolCpuS = 0;
  let peak = 0;
  for (const c of cmds) {
    const r: TimedRun = await timed(scratch, c.cmd, c.argv, { cwd: c.cwd, env: c.env });
    if (r.code !== 0) throw new Error(`${c.cmd} ${c.argv.join(' ')}: exit ${r.code}\n${r.stderr.trim().slice(-1500)}\n${r.stdout.trim().slice(-500)}`);
    toolCpuS += r.cpuS;
    peak = Math.max(peak, r.maxRssBytes);
  }
  const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
  const destCpuS = destPid === undefined ? NaN : (cpuSeconds(destPid) ?? c0) - c0;
  return { wallS, toolCpuS, destCpuS, peakRssBytes: peak };
}

type Tool = 'skopeo copy ×53' | 'skopeo sync yaml' | 'airlock image mirror';
type Phase = '1 registry→registry' | '2 registry→disk' | '3 disk→registry' | '4 no-op re-run of 1';

const results = new Map<string, Measure[]>();
function record(phase: Phase, tool: Tool, m: Measure): void {
  const k = `${phase}\t${tool}`;
  const l = results.get(k) ?? [];
  l.push(m);
  results.set(k, l);
  log(`  ${phase} | ${tool}: ${m.wallS.toFixed(2)} s wall, tool CPU ${m.toolCpuS.toFixed(2)} s, dest CPU ${Number.isFinite(m.destCpuS) ? m.destCpuS.toFixed(2) : '-'} s, RSS ${(m.peakRssBytes / 1e6).toFixed(0)} MB`);
}

// ---------------------------------------------------------------- main

interface Ctx {
  images: FixtureImage[];
  srcA: ServerHandle;
}

async function skopeoCopyAll(ctx: Ctx, dest: ServerHandle): Promise<Measure> {
  const home = await newSkopeoHome(workDir as string);
  const cmds = ctx.images.map((img) => ({
    ...skopeoArgv(home, ['copy', '-q', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${ctx.srcA.hostPort}/${img.repo}${refOf(img)}`, `docker://${dest.hostPort}/${img.repo}${refOf(img)}`]),
    cwd: home.dir,
    env: home.env,
  }));
  const m = await measureSeq(dest.pid, cmds);
  await rm(home.dir, { recursive: true, force: true });
  return m;
}

async function skopeoSyncYaml(ctx: Ctx, dest: ServerHandle): Promise<Measure> {
  const home = await newSkopeoHome(workDir as string);
  const lines = [`${ctx.srcA.hostPort}:`, '  tls-verify: false', '  images:'];
  for (const img of ctx.images) lines.push(`    ${img.repo}: [${JSON.stringify(img.tag ?? img.digest)}]`);
  const yml = join(home.dir, 'sync.yml');
  await writeFile(yml, `${lines.join('\n')}\n`);
  chmodSync(yml, 0o644);
  const cmd = { ...skopeoArgv(home, ['sync', '--all', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yml, `${dest.hostPort}/fixtures`]), cwd: home.dir, env: home.env };
  const m = await measureSeq(dest.pid, [cmd]);
  await rm(home.dir, { recursive: true, force: true });
  return m;
}

async function airlockMirror(mappings: string[], extra: string[], destPid: number | undefined): Promise<Measure> {
  const home = await mkdtemp(join(workDir as string, 'airlock-home-'));
  const file = join(home, 'mapping.txt');
  await writeFile(file, `${mappings.join('\n')}\n`);
  const cmd = {
    cmd: process.execPath,
    argv: [AIRLOCK_MAIN, 'image', 'mirror', '--insecure', '-f', file, ...extra],
    cwd: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_PROXY: '*' },
  };
  const m = await measureSeq(destPid, [cmd]);
  await rm(home, { recursive: true, force: true });
  return m;
}

const regToReg = (ctx: Ctx, dest: ServerHandle): string[] => ctx.images.map((i) => `${ctx.srcA.hostPort}/${i.repo}${refOf(i)}=${dest.hostPort}/${i.repo}${dstRefOf(i)}`);

async function phase1and4(ctx: Ctx, tool: Tool): Promise<void> {
  const b = await newRegistry();
  try {
    const go = (): Promise<Measure> =>
      tool === 'skopeo copy ×53' ? skopeoCopyAll(ctx, b) : tool === 'skopeo sync yaml' ? skopeoSyncYaml(ctx, b) : airlockMirror(regToReg(ctx, b), [], b.pid);
    record('1 registry→registry', tool, await go());
    await verifyRegistry(b, ctx.images, `phase 1 (${tool})`);
    record('4 no-op re-run of 1', tool, await go());
    await verifyRegistry(b, ctx.images, `phase 4 (${tool})`);
  } finally {
    await dropRegistry(b);
  }
}

async function diskPhasesSkopeo(ctx: Ctx): Promise<void> {
  const layoutDir = await nobodyDir('skopeo-oci');
  const layout = join(layoutDir, 'layout');
  let home = await newSkopeoHome(workDir as string);
  let cmds = ctx.images.map((img) => ({
    ...skopeoArgv(home, ['copy', '-q', '--all', '--src-tls-verify=false', `docker://${ctx.srcA.hostPort}/${img.repo}${refOf(img)}`, `oci:${layout}:${img.ref}`]),
    cwd: home.dir,
    env: home.env,
  }));
  record('2 registry→disk', 'skopeo copy ×53', await measureSeq(undefined, cmds));
  await rm(home.dir, { recursive: true, force: true });
  await verifyOciLayout(layout, ctx.images, 'phase 2 (skopeo)');
  const b = await newRegistry();
  try {
    home = await newSkopeoHome(workDir as string);
    cmds = ctx.images.map((img) => ({
      ...skopeoArgv(home, ['copy', '-q', '--all', '--dest-tls-verify=false', `oci:${layout}:${img.ref}`, `docker://${b.hostPort}/${img.repo}${refOf(img)}`]),
      cwd: home.dir,
      env: home.env,
    }));
    record('3 disk→registry', 'skopeo copy ×53', await measureSeq(b.pid, cmds));
    await rm(home.dir, { recursive: true, force: true });
    await verifyRegistry(b, ctx.images, 'phase 3 (skopeo)');
  } finally {
    await dropRegistry(b);
    await rm(layoutDir, { recursive: true, force: true });
  }
}

async function diskPhasesAirlock(ctx: Ctx): Promise<void> {
  const dir = await mkdtemp(join(workDir as string, 'airlock-disk-'));
  const toDisk = ctx.images.map((i) => `${ctx.srcA.hostPort}/${i.repo}${refOf(i)}=file://${i.repo}${dstRefOf(i)}`);
  record('2 registry→disk', 'airlock image mirror', await airlockMirror(toDisk, ['--dir', dir], undefined));
  await verifyFileStore(dir, ctx.images, 'phase 2 (airlock)');
  const b = await newRegistry();
  try {
    const fromDisk = ctx.images.map((i) => `file://${i.repo}${refOf(i)}=${b.hostPort}/${i.repo}${dstRefOf(i)}`);
    record('3 disk→registry', 'airlock image mirror', await airlockMirror(fromDisk, ['--from-dir', dir], b.pid));
    await verifyRegistry(b, ctx.images, 'phase 3 (airlock)');
  } finally {
    await dropRegistry(b);
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

interface Row {
  phase: Phase;
  skopeoTool: Tool;
  skopeo: Record<keyof Measure, number>;
  airlock: Record<keyof Measure, number>;
}

const FIELDS: { key: keyof Measure; label: string; digits: number; scale: number }[] = [
  { key: 'wallS', label: 'wall s', digits: 2, scale: 1 },
  { key: 'toolCpuS', label: 'tool CPU s', digits: 2, scale: 1 },
  { key: 'destCpuS', label: 'dest registry CPU s', digits: 2, scale: 1 },
  { key: 'peakRssBytes', label: 'tool peak RSS MB', digits: 0, scale: 1e-6 },
];

function med(phase: Phase, tool: Tool): Record<keyof Measure, number> | undefined {
  const l = results.get(`${phase}\t${tool}`);
  if (l === undefined) return undefined;
  return {
    wallS: median(l.map((m) => m.wallS)),
    toolCpuS: median(l.map((m) => m.toolCpuS)),
    destCpuS: median(l.map((m) => m.destCpuS)),
    peakRssBytes: median(l.map((m) => m.peakRssBytes)),
  };
}

function buildRows(): Row[] {
  const rows: Row[] = [];
  const phases: Phase[] = ['1 registry→registry', '2 registry→disk', '3 disk→registry', '4 no-op re-run of 1'];
  for (const phase of phases) {
    const a = med(phase, 'airlock image mirror');
    if (a === undefined) continue;
    for (const t of ['skopeo copy ×53', 'skopeo sync yaml'] as Tool[]) {
      const s = med(phase, t);
      if (s !== undefined) rows.push({ phase, skopeoTool: t, skopeo: s, airlock: a });
    }
  }
  return rows;
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

function renderTable(rows: Row[]): string {
  const out = ['| phase | skopeo variant | figure | skopeo | airlock | ratio skopeo/airlock (>1 = airlock better) |', '|---|---|---|---:|---:|---:|'];
  for (const r of rows) {
    for (const f of FIELDS) {
      const s = r.skopeo[f.key] * f.scale;
      const a = r.airlock[f.key] * f.scale;
      const ratio = Number.isFinite(s) && Number.isFinite(a) && a > 0 ? (s / a).toFixed(2) : '–';
      out.push(`| ${r.phase} | ${r.skopeoTool} | ${f.label} | ${fmt(s, f.digits)} | ${fmt(a, f.digits)} | ${ratio} |`);
    }
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  for (const m of [skopeoMissing(), gnuTimeMissing()]) if (m !== undefined) throw new Error(m);
  if (!existsSync(AIRLOCK_MAIN)) throw new Error(`${AIRLOCK_MAIN} is missing: run npm run build first`);
  resultDir = process.env.BENCH_OUT !== undefined ? resolve(process.env.BENCH_OUT) : await mkdtemp(join(tmpdir(), 'airlock-mirror-bench-result-'));
  workDir = await mkdtemp(join(tmpdir(), 'airlock-mirror-bench-'));
  chmodSync(workDir, 0o755);
  log(`work directory ${workDir}; ${opts.runs} run(s)`);

  const set = await makeFixtures(join(workDir, 'fixtures'));
  makeWorldReadable(join(workDir, 'fixtures'));
  const images = set.images.filter((i) => i.source.startsWith('oci:') && i.ref !== 'huge-v1');
  if (images.length !== 53) throw new Error(`expected 53 fixture images, got ${images.length}`);

  const srcA = await newRegistry();
  log(`source registry A ${srcA.url}: pushing ${images.length} images with skopeo`);
  const home = await newSkopeoHome(workDir);
  for (const img of images) {
    const r = await skopeoCopy(home, ['-q', '--all', '--dest-tls-verify=false', img.source, `docker://${srcA.hostPort}/${img.repo}${refOf(img)}`]);
    if (r.code !== 0) throw new Error(`push ${img.ref}: ${r.stderr.trim().slice(-800)}`);
  }
  await rm(home.dir, { recursive: true, force: true });
  await verifyRegistry(srcA, images, 'filling source A');
  const ctx: Ctx = { images, srcA };

  for (let run = 0; run < opts.runs; run++) {
    log(`run ${run + 1}/${opts.runs}`);
    const tools: Tool[] = ['skopeo copy ×53', 'skopeo sync yaml', 'airlock image mirror'];
    if (run % 2 === 1) tools.reverse();
    for (const t of tools) await phase1and4(ctx, t);
    if (run % 2 === 0) {
      await diskPhasesSkopeo(ctx);
      await diskPhasesAirlock(ctx);
    } else {
      await diskPhasesAirlock(ctx);
      await diskPhasesSkopeo(ctx);
    }
  }

  const rows = buildRows();
  const table = renderTable(rows);
  await mkdir(resultDir, { recursive: true });
  const json = {
    date: new Date().toISOString(),
    runs: opts.runs,
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? '?',
      memBytes: totalmem(),
      kernel: release(),
      node: process.version,
      skopeo: skopeoVersion(),
    },
    images: images.length,
    disk: { airlock: 'file:// disk store (--dir / --from-dir, oc layout)', skopeo: 'one oci: layout, ref name per image' },
    commands: {
      'skopeo copy ×53': 'setpriv --reuid=65534 skopeo --policy P copy -q --all --src-tls-verify=false --dest-tls-verify=false docker://A/REPO(:TAG|@DIGEST) docker://B/REPO(:TAG|@DIGEST)',
      'skopeo sync yaml': 'setpriv --reuid=65534 skopeo --policy P sync --all --src yaml --dest docker --dest-tls-verify=false sync.yml B/fixtures',
      'airlock image mirror': 'node dist/src/cli/main.js image mirror --insecure -f mapping.txt [--dir D | --from-dir D]',
      m2d: 'skopeo copy … oci:LAYOUT:REF | airlock A/REPO:TAG=file://REPO:TAG --dir D',
      d2m: 'skopeo copy … oci:LAYOUT:REF docker://B/… | airlock file://REPO:TAG=B/REPO:TAG --from-dir D',
    },
    medians: rows,
    raw: Object.fromEntries(results),
  };
  const jsonFile = join(resultDir, 'results.json');
  await writeFile(jsonFile, `${JSON.stringify(json, null, 1)}\n`);
  await writeFile(join(resultDir, 'table.md'), `${table}\n`);
  process.stdout.write(`\n${table}\n\nmedian of ${opts.runs} run(s); JSON: ${jsonFile}\n`);
}

main()
  .catch(async (err: unknown) => {
    log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
  });
