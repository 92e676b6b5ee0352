/**
 * `npm run bench:mirror`: airlock `image mirror` and skopeo side by side, in
 * one run, on the 53-image fixture set (big, multi 4-arch, 50 small, tagless)
 * and one image with a single large layer.
 *
 * Source: docker-registry A on loopback, filled once with skopeo from the
 * fixture OCI layout. Every measured run gets a fresh, empty destination
 * (a new registry, or a new directory) and skopeo a fresh HOME (cold
 * blob-info cache). Phases (issue #4):
 *   (a)  registry→registry  53 × skopeo copy | skopeo sync --src yaml | airlock image mirror -f
 *   (b1) registry→disk      skopeo copy to one oci: layout | skopeo sync --dest dir | airlock file:// store (--dir)
 *   (b2) disk→registry      back from that disk copy into a fresh docker-registry B
 *   (c)  one BENCH_HUGE_MIB layer into a fresh airlock registry: skopeo copy | airlock image mirror
 *   (d)  (a) again into a B that already holds everything
 *   (e)  (a) into a fresh airlock serve: skopeo sync | airlock image mirror
 *   (w)  (e) with A behind the latency proxy (BENCH_WAN_RTT_MS round trip)
 *   (w0) airlock's (w) again over the link into the full destination (no-op re-run)
 * BENCH_PHASES picks phases (comma-separated; default all): reg = (a)+(d),
 * disk = (b1)+(b2), huge = (c), airlock = (e), wan = (w)+(w0).
 * Figures (median of BENCH_RUNS, tool order alternating between runs): wall,
 * tool CPU and peak RSS (GNU time), destination CPU, requests and bytes at
 * the source and the destination (lib/traffic.ts). After every copy the
 * destination's manifest digests are checked; a mismatch fails the run.
 *
 * Env: BENCH_RUNS (3), BENCH_PHASES (reg,disk,huge,airlock,wan), BENCH_WAN_RTT_MS (50), BENCH_HUGE_MIB (1024; 0 skips (c)), BENCH_AIRLOCK_ARGS (extra image mirror flags, for tuning), BENCH_KEEP=1 (keep
 * the work directory), BENCH_OUT (result directory; default a new
 * /tmp/airlock-mirror-bench-result-*).
 */
import { readFile, rm } from 'node:fs/promises';
import { latencyProxy } from '../test/helpers/latency-proxy.js';
import { join } from 'node:path';
import { makeFixtures } from '../test/fixtures/make-fixtures.js';
import { BenchScope } from './lib/bench-scope.js';
import { envInt } from './lib/env.js';
import { progressLog } from './lib/log.js';
import { finishPeerBench, preparePeerBench, runBench } from './lib/peer-bench.js';
import { Results, speedup, type Target } from './lib/results.js';
import { makeWorldReadable, newSkopeoHome, skopeoCopy } from './lib/skopeo.js';
import { verifyRegistry } from './lib/verify.js';
import { expectedOf, PHASE, refOf, TOOL, type MirrorCtx } from './mirror/context.js';
import { diskPhasesAirlock, diskPhasesSkopeoCopy, diskPhasesSkopeoSync } from './mirror/disk-phases.js';
import { hugePhase, type HugeTool } from './mirror/huge-phase.js';
import { registryPhases, type RegistryTool } from './mirror/registry-phases.js';
import { airlockDestPhase, wanPhases, type PeerOrAirlock } from './mirror/wan-phases.js';

const PHASE_NAMES = ['reg', 'disk', 'huge', 'airlock', 'wan'] as const;
type PhaseName = (typeof PHASE_NAMES)[number];

function phasesFromEnv(): Set<PhaseName> {
  const v = process.env.BENCH_PHASES ?? '';
  if (v.trim() === '') return new Set(PHASE_NAMES);
  const out = new Set<PhaseName>();
  for (const p of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    if (!(PHASE_NAMES as readonly string[]).includes(p)) throw new Error(`BENCH_PHASES: unknown phase "${p}" (one of ${PHASE_NAMES.join(', ')})`);
    out.add(p as PhaseName);
  }
  return out;
}

const phases = phasesFromEnv();
const opts = {
  runs: envInt('BENCH_RUNS', 3, 1),
  phases: [...phases],
  wanRttMs: envInt('BENCH_WAN_RTT_MS', 50, 1),
  hugeMib: phases.has('huge') ? envInt('BENCH_HUGE_MIB', 1024, 0) : 0,
  keep: process.env.BENCH_KEEP === '1',
};
const RSS_TARGET_BYTES = 200e6;
/** Client RSS target of issue #13 on the 53-image set (phases a, e, w). */
const SET_RSS_TARGET_BYTES = 150e6;
const NOOP_WALL_TARGET_S = 0.6;

const log = progressLog();
const scope = new BenchScope(opts.keep, log);
const results = new Results(log);

const TABLE_PHASES = [
  { phase: PHASE.a, peers: [TOOL.copy, TOOL.sync], airlock: TOOL.airlock },
  { phase: PHASE.b1, peers: [TOOL.copyOci, TOOL.syncDir], airlock: TOOL.airlock },
  { phase: PHASE.b2, peers: [TOOL.copyOci, TOOL.syncDir], airlock: TOOL.airlock },
  { phase: PHASE.c, peers: [TOOL.copyOne], airlock: TOOL.airlock },
  { phase: PHASE.d, peers: [TOOL.copy, TOOL.sync], airlock: TOOL.airlock },
  { phase: PHASE.e, peers: [TOOL.sync], airlock: TOOL.airlock },
  { phase: PHASE.w, peers: [TOOL.sync], airlock: TOOL.airlock },
  { phase: PHASE.w0, peers: [], airlock: TOOL.airlock },
];

function targets(): Target[] {
  const x = (phase: string, peer: string): number => speedup(results, phase, peer, TOOL.airlock);
  const t = (name: string, v: number, goal: number): Target => ({ name, value: `${v.toFixed(2)}x`, met: v >= goal });
  const out: Target[] = [];
  if (phases.has('reg')) out.push(t('(a) registry→docker-registry >= 3x faster than skopeo sync', x(PHASE.a, TOOL.sync), 3));
  if (phases.has('disk')) {
    out.push(t('(b1) registry→disk >= 3x faster than skopeo sync', x(PHASE.b1, TOOL.syncDir), 3));
    out.push(t('(b2) disk→registry >= 3x faster than skopeo sync', x(PHASE.b2, TOOL.syncDir), 3));
  }
  if (phases.has('reg')) out.push(t('(d) no-op re-run at most half of skopeo sync\'s time', x(PHASE.d, TOOL.sync), 2));
  if (phases.has('airlock')) out.push(t('(e) registry→airlock serve >= 3x faster than skopeo sync', x(PHASE.e, TOOL.sync), 3));
  if (phases.has('wan')) {
    out.push(t(`(w) source ${opts.wanRttMs} ms RTT away→airlock serve >= 8x faster than skopeo sync`, x(PHASE.w, TOOL.sync), 8));
    const noop = results.medians(PHASE.w0, TOOL.airlock);
    const n = 53;
    const wall = noop?.wallS ?? NaN;
    out.push({ name: `(w0) no-op re-run over the link <= ${NOOP_WALL_TARGET_S} s`, value: `${wall.toFixed(2)} s`, met: wall <= NOOP_WALL_TARGET_S });
    const perImage = (noop?.destRequests ?? NaN) / n;
    out.push({
      name: '(w0) no-op re-run: at most 1 request per image to the destination',
      value: `${perImage.toFixed(2)} per image (source: ${((noop?.srcRequests ?? NaN) / n).toFixed(2)} per image)`,
      met: perImage <= 1,
    });
  }
  const setPhases = [PHASE.a, PHASE.e, PHASE.w].flatMap((p) => results.raw()[`${p}\t${TOOL.airlock}`] ?? []);
  if (setPhases.length > 0) {
    const rss = Math.max(...setPhases.map((m) => m.peakRssBytes));
    out.push({ name: 'airlock client peak RSS on the 53-image set <= 150 MB (max of (a), (e), (w))', value: `${(rss / 1e6).toFixed(0)} MB`, met: rss <= SET_RSS_TARGET_BYTES });
  }
  if (opts.hugeMib > 0) {
    out.push(t(`(c) ${opts.hugeMib} MiB layer into airlock >= 2x faster than skopeo copy`, x(PHASE.c, TOOL.copyOne), 2));
    const rss = Math.max(...(results.raw()[`${PHASE.c}\t${TOOL.airlock}`] ?? []).map((m) => m.peakRssBytes));
    out.push({ name: `(c) airlock peak RSS <= 200 MB (max of the runs)`, value: `${(rss / 1e6).toFixed(0)} MB`, met: rss <= RSS_TARGET_BYTES });
  }
  return out;
}

async function fillSource(ctx: Omit<MirrorCtx, 'huge'>, all: MirrorCtx['images']): Promise<void> {
  log(`source registry A ${ctx.srcA.url}: pushing ${all.length} images with skopeo`);
  const home = await newSkopeoHome(scope.work);
  for (const img of all) {
    const r = await skopeoCopy(home, ['-q', '--all', '--dest-tls-verify=false', img.source, `docker://${ctx.srcA.hostPort}/${img.repo}${refOf(img)}`]);
    if (r.code !== 0) throw new Error(`push ${img.ref}: ${r.stderr.trim().slice(-800)}`);
  }
  await rm(home.dir, { recursive: true, force: true });
  await verifyRegistry(ctx.srcA, expectedOf(all), 'filling source A');
}

async function main(): Promise<void> {
  const machine = await preparePeerBench(scope, 'mirror');
  log(`work directory ${scope.work}; ${opts.runs} run(s); ${opts.hugeMib} MiB layer for (c); load ${machine.loadAtStart}`);

  const set = await makeFixtures(join(scope.work, 'fixtures'), { hugeMib: opts.hugeMib });
  makeWorldReadable(join(scope.work, 'fixtures'));
  const images = set.images.filter((i) => i.source.startsWith('oci:') && i.ref !== 'huge-v1');
  if (images.length !== 53) throw new Error(`expected 53 fixture images, got ${images.length}`);
  const hugeImage = set.images.find((i) => i.ref === 'huge-v1');
  let huge: MirrorCtx['huge'];
  if (hugeImage !== undefined) {
    const m = JSON.parse(await readFile(join(set.layout, 'blobs', 'sha256', hugeImage.digest.slice(7)), 'utf8')) as { layers: { digest: string; size: number }[] };
    const layer = m.layers[0];
    if (layer === undefined) throw new Error('huge-v1 has no layer');
    huge = { image: hugeImage, layerDigest: layer.digest, layerSize: layer.size };
  }

  const srcA = await scope.startServer('docker-registry', { accessLog: true });
  await fillSource({ scope, results, images, srcA }, hugeImage === undefined ? images : [...images, hugeImage]);
  const proxy = phases.has('wan') ? await latencyProxy(Number(srcA.hostPort.split(':')[1]), { rttMs: opts.wanRttMs }) : undefined;
  if (proxy !== undefined) log(`latency proxy ${proxy.hostPort} -> A, ${opts.wanRttMs} ms RTT`);
  const ctx: MirrorCtx = { scope, results, images, srcA, huge, ...(proxy ? { wan: { hostPort: proxy.hostPort, rttMs: opts.wanRttMs } } : {}) };

  try {
    for (let run = 0; run < opts.runs; run++) {
      log(`run ${run + 1}/${opts.runs}`);
      const flip = <T>(xs: T[]): T[] => (run % 2 === 1 ? xs.reverse() : xs);
      if (phases.has('reg')) for (const t of flip<RegistryTool>([TOOL.copy, TOOL.sync, TOOL.airlock])) await registryPhases(ctx, t);
      if (phases.has('disk')) for (const f of flip([diskPhasesSkopeoCopy, diskPhasesSkopeoSync, diskPhasesAirlock])) await f(ctx);
      if (phases.has('huge')) for (const t of flip<HugeTool>([TOOL.copyOne, TOOL.airlock])) await hugePhase(ctx, t);
      if (phases.has('airlock')) for (const t of flip<PeerOrAirlock>([TOOL.sync, TOOL.airlock])) await airlockDestPhase(ctx, t);
      if (phases.has('wan')) for (const t of flip<PeerOrAirlock>([TOOL.sync, TOOL.airlock])) await wanPhases(ctx, t, log);
    }
  } finally {
    await proxy?.close();
  }

  await finishPeerBench(scope, {
    runs: opts.runs,
    results,
    phases: TABLE_PHASES,
    targets: targets(),
    machine,
    extra: {
      options: opts,
      images: images.length,
      commands: {
        [TOOL.copy]: 'setpriv --reuid=65534 skopeo --policy P copy -q --all --src-tls-verify=false --dest-tls-verify=false docker://A/REPO(:TAG|@DIGEST) docker://B/REPO(:TAG|@DIGEST)',
        [TOOL.sync]: 'setpriv --reuid=65534 skopeo --policy P sync --all --src yaml --dest docker --dest-tls-verify=false sync.yml B/fixtures',
        [TOOL.copyOci]: '… copy -q --all docker://A/… oci:LAYOUT:REF, then oci:LAYOUT:REF docker://B/…',
        [TOOL.syncDir]: '… sync --all --src yaml --dest dir sync.yml D, then sync --all --src dir --dest docker D B/fixtures',
        [TOOL.copyOne]: '… copy -q --all docker://A/fixtures/huge:v1 docker://B/fixtures/huge:v1 (B = airlock serve)',
        [TOOL.airlock]: 'node dist/src/cli/main.js image mirror --insecure -f mapping.txt [--dir D | --from-dir D]',
        wan: 'the same sync / image mirror commands with A replaced by the latency proxy 127.0.0.1:PORT (test/helpers/latency-proxy.ts)',
      },
    },
  });
}

runBench(main, scope, log);
