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
 * Figures (median of BENCH_RUNS, tool order alternating between runs): wall,
 * tool CPU and peak RSS (GNU time), destination CPU, requests and bytes at
 * the source and the destination (lib/traffic.ts). After every copy the
 * destination's manifest digests are checked; a mismatch fails the run.
 *
 * Env: BENCH_RUNS (3), BENCH_HUGE_MIB (1024; 0 skips (c)), BENCH_AIRLOCK_ARGS (extra image mirror flags, for tuning), BENCH_KEEP=1 (keep
 * the work directory), BENCH_OUT (result directory; default a new
 * /tmp/airlock-mirror-bench-result-*).
 */
import { readFile, rm } from 'node:fs/promises';
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

const opts = {
  runs: envInt('BENCH_RUNS', 3, 1),
  hugeMib: envInt('BENCH_HUGE_MIB', 1024, 0),
  keep: process.env.BENCH_KEEP === '1',
};
const RSS_TARGET_BYTES = 200e6;

const log = progressLog();
const scope = new BenchScope(opts.keep, log);
const results = new Results(log);

const TABLE_PHASES = [
  { phase: PHASE.a, peers: [TOOL.copy, TOOL.sync], airlock: TOOL.airlock },
  { phase: PHASE.b1, peers: [TOOL.copyOci, TOOL.syncDir], airlock: TOOL.airlock },
  { phase: PHASE.b2, peers: [TOOL.copyOci, TOOL.syncDir], airlock: TOOL.airlock },
  { phase: PHASE.c, peers: [TOOL.copyOne], airlock: TOOL.airlock },
  { phase: PHASE.d, peers: [TOOL.copy, TOOL.sync], airlock: TOOL.airlock },
];

function targets(): Target[] {
  const x = (phase: string, peer: string): number => speedup(results, phase, peer, TOOL.airlock);
  const t = (name: string, v: number, goal: number): Target => ({ name, value: `${v.toFixed(2)}x`, met: v >= goal });
  const out = [
    t('(a) registry→registry >= 3x faster than skopeo sync', x(PHASE.a, TOOL.sync), 3),
    t('(b1) registry→disk >= 3x faster than skopeo sync', x(PHASE.b1, TOOL.syncDir), 3),
    t('(b2) disk→registry >= 3x faster than skopeo sync', x(PHASE.b2, TOOL.syncDir), 3),
    t('(d) no-op re-run at most half of skopeo sync\'s time', x(PHASE.d, TOOL.sync), 2),
  ];
  if (opts.hugeMib > 0) {
    out.splice(3, 0, t(`(c) ${opts.hugeMib} MiB layer into airlock >= 2x faster than skopeo copy`, x(PHASE.c, TOOL.copyOne), 2));
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
  const ctx: MirrorCtx = { scope, results, images, srcA, huge };

  for (let run = 0; run < opts.runs; run++) {
    log(`run ${run + 1}/${opts.runs}`);
    const flip = <T>(xs: T[]): T[] => (run % 2 === 1 ? xs.reverse() : xs);
    for (const t of flip<RegistryTool>([TOOL.copy, TOOL.sync, TOOL.airlock])) await registryPhases(ctx, t);
    for (const f of flip([diskPhasesSkopeoCopy, diskPhasesSkopeoSync, diskPhasesAirlock])) await f(ctx);
    for (const t of flip<HugeTool>([TOOL.copyOne, TOOL.airlock])) await hugePhase(ctx, t);
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
      },
    },
  });
}

runBench(main, scope, log);
