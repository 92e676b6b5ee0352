/**
 * `npm run bench:catalog` (issue #10): `airlock catalog mirror` on a
 * synthetic operator catalog, against skopeo `sync --src yaml` given the
 * same image list (the index by tag, every bundle and related image by
 * digest), in one run, on one machine.
 *
 * Source: docker-registry A on loopback holding the catalog of
 * bench/catalog/synthetic.ts (BENCH_CATALOG_BUNDLES bundles, default 500,
 * and BENCH_CATALOG_IMAGES related images, default 2000, tiny images on
 * shared base layers in nested repositories) and the index only of a plan-
 * only catalog with BENCH_CATALOG_PLAN_IMAGES related images (20000; bundles
 * in the same proportion). Per run:
 *   planning        airlock catalog mirror A/INDEX B/olm --manifests-only
 *   end to end      skopeo sync --src yaml --dest docker | airlock catalog mirror,
 *                   each into a fresh B (BENCH_CATALOG_DEST), tool order alternating
 *   plan-only       --manifests-only on the large catalog
 * skopeo gets a fresh HOME (cold blob-info cache) per copy; every
 * destination is checked for every digest afterwards and a mismatch fails
 * the run. Peak RSS is GNU time's max RSS of the airlock process.
 *
 * Env: BENCH_RUNS (3), BENCH_CATALOG_BUNDLES (500), BENCH_CATALOG_IMAGES
 * (2000), BENCH_CATALOG_PLAN_IMAGES (20000), BENCH_CATALOG_DEST
 * (docker-registry | airlock | both; docker-registry), BENCH_KEEP=1,
 * BENCH_OUT (result directory; default a new /tmp/airlock-catalog-bench-result-*).
 */
import { BenchScope } from './lib/bench-scope.js';
import { envChoice, envInt } from './lib/env.js';
import { progressLog } from './lib/log.js';
import { finishPeerBench, preparePeerBench, runBench } from './lib/peer-bench.js';
import { Results, speedup, type PhaseRows, type Target } from './lib/results.js';
import type { ServerKind } from './lib/servers.js';
import { verifyRegistry } from './lib/verify.js';
import { PHASE, skopeoExpected, TOOL, type CatalogCtx } from './catalog/context.js';
import { e2ePhase, planPhase, type Side } from './catalog/phases.js';
import { makeBenchCatalog } from './catalog/synthetic.js';

const opts = {
  runs: envInt('BENCH_RUNS', 3, 1),
  bundles: envInt('BENCH_CATALOG_BUNDLES', 500, 1),
  images: envInt('BENCH_CATALOG_IMAGES', 2000, 1),
  planImages: envInt('BENCH_CATALOG_PLAN_IMAGES', 20000, 1),
  dest: envChoice('BENCH_CATALOG_DEST', ['both', 'docker-registry', 'airlock'] as const, 'docker-registry'),
  keep: process.env.BENCH_KEEP === '1',
};
const kinds: ServerKind[] = opts.dest === 'both' ? ['docker-registry', 'airlock'] : [opts.dest];
const planBundles = Math.max(1, Math.round((opts.planImages * opts.bundles) / opts.images));
const LIMITS = { planS: 5, speedup: 3, rssMb: 300, bigPlanS: 10 };

const log = progressLog();
const scope = new BenchScope(opts.keep, log);
const results = new Results(log);

const tablePhases: PhaseRows[] = [
  { phase: PHASE.plan, peers: [], airlock: TOOL.mirror },
  ...kinds.map((k) => ({ phase: PHASE.e2e(k), peers: [TOOL.sync], airlock: TOOL.mirror })),
  { phase: PHASE.bigPlan, peers: [], airlock: TOOL.mirror },
];

function targets(): Target[] {
  const wall = (phase: string): number => results.medians(phase, TOOL.mirror)?.wallS ?? NaN;
  const rss = Math.max(...tablePhases.slice(0, 1 + kinds.length).map((p) => results.medians(p.phase, TOOL.mirror)?.peakRssBytes ?? NaN)) / 1e6;
  const out: Target[] = [{ name: `planning (${opts.bundles} bundles, ${opts.images} related images) under ${LIMITS.planS} s`, value: `${wall(PHASE.plan).toFixed(2)} s`, met: wall(PHASE.plan) < LIMITS.planS }];
  for (const k of kinds) {
    const x = speedup(results, PHASE.e2e(k), TOOL.sync, TOOL.mirror);
    out.push({ name: `end to end (B: ${k}) >= ${LIMITS.speedup}x faster than skopeo sync`, value: `${x.toFixed(2)}x`, met: x >= LIMITS.speedup });
  }
  out.push({ name: `airlock peak RSS (planning, end to end) under ${LIMITS.rssMb} MB`, value: `${rss.toFixed(0)} MB`, met: rss < LIMITS.rssMb });
  out.push({ name: `plan-only ${opts.planImages} related images under ${LIMITS.bigPlanS} s`, value: `${wall(PHASE.bigPlan).toFixed(2)} s`, met: wall(PHASE.bigPlan) < LIMITS.bigPlanS });
  return out;
}

async function main(): Promise<void> {
  const machine = await preparePeerBench(scope, 'catalog');
  log(`work directory ${scope.work}; ${opts.runs} run(s); ${opts.bundles} bundles, ${opts.images} related images; plan-only ${planBundles} bundles, ${opts.planImages} images; destinations: ${kinds.join(', ')}; load ${machine.loadAtStart}`);

  const srcA = await scope.startServer('docker-registry', { accessLog: true });
  let t0 = Date.now();
  const cat = await makeBenchCatalog({ registry: srcA.hostPort, name: 'bench/catalog', bundles: opts.bundles, images: opts.images, push: true });
  await verifyRegistry(srcA, skopeoExpected(cat, undefined), 'building the catalog in A');
  log(`source registry A ${srcA.url}: ${cat.indexRef} (${cat.indexDigest}) with ${cat.images.length} images in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  const big = await makeBenchCatalog({ registry: srcA.hostPort, name: 'bench/catalog-plan', bundles: planBundles, images: opts.planImages, push: false });
  log(`plan-only catalog ${big.indexRef} (${big.images.length} images named, none pushed) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const ctx: CatalogCtx = { scope, results, srcA, cat, big };

  for (let run = 0; run < opts.runs; run++) {
    log(`run ${run + 1}/${opts.runs}`);
    await planPhase(ctx, PHASE.plan, cat);
    const sides: Side[] = run % 2 === 0 ? ['skopeo', 'airlock'] : ['airlock', 'skopeo'];
    for (const k of kinds) for (const side of sides) await e2ePhase(ctx, k, side);
    await planPhase(ctx, PHASE.bigPlan, big);
  }

  await finishPeerBench(scope, {
    runs: opts.runs,
    results,
    phases: tablePhases,
    targets: targets(),
    machine,
    extra: {
      options: opts,
      catalog: { index: cat.indexRef, digest: cat.indexDigest, bundles: cat.bundles, images: cat.images.length },
      planCatalog: { index: big.indexRef, digest: big.indexDigest, bundles: big.bundles, images: big.images.length },
      commands: {
        [TOOL.sync]: 'setpriv --reuid=65534 skopeo --policy P sync --all --src yaml --dest docker --dest-tls-verify=false sync.yml B/mirror',
        [TOOL.mirror]: 'node dist/src/cli/main.js catalog mirror --insecure --no-progress --to-manifests=M [--manifests-only] A/bench/catalog/index:v1 B/olm',
      },
    },
  });
}

runBench(main, scope, log);
