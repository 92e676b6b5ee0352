/**
 * `npm run bench:release` (issue #5): `airlock release mirror` against skopeo
 * `sync --src yaml` given the same image list, in one run, on one machine.
 *
 * Source: docker-registry A on loopback holding a synthetic OpenShift release
 * (test/fixtures/release-fixture.ts: BENCH_RELEASE_COMPONENTS components,
 * default 183 as 4.12.0, each by digest in one repository, on shared base
 * layers, plus the release image built by `release new`). Per destination
 * kind B (BENCH_RELEASE_DEST: docker-registry, airlock or both) and run:
 *   registry→registry       skopeo sync --src yaml --dest docker | airlock release mirror --to
 *   no-op re-run            the same again into the full B
 *   registry→disk→registry  skopeo sync --dest dir, sync --src dir --dest docker |
 *                           airlock release mirror --to-dir, image mirror --from-dir (the printed command)
 * Every copy gets a fresh B or directory and skopeo a fresh HOME (cold
 * blob-info cache); tool order alternates between runs; every destination is
 * checked for every digest afterwards and a mismatch fails the run.
 *
 * Env: BENCH_RUNS (3), BENCH_RELEASE_DEST (both), BENCH_RELEASE_COMPONENTS
 * (183), BENCH_RELEASE_DISK (1; 0 skips the registry→disk→registry phases), BENCH_KEEP=1, BENCH_OUT (result directory; default a new
 * /tmp/airlock-release-bench-result-*).
 */
import { makeSyntheticRelease } from '../test/fixtures/release-fixture.js';
import { BenchScope } from './lib/bench-scope.js';
import { envChoice, envInt } from './lib/env.js';
import { progressLog } from './lib/log.js';
import { finishPeerBench, preparePeerBench, runBench } from './lib/peer-bench.js';
import { Results, speedup, type PhaseRows, type Target } from './lib/results.js';
import type { ServerKind } from './lib/servers.js';
import { verifyRegistry } from './lib/verify.js';
import { PHASE, skopeoExpected, TOOL, type ReleaseCtx } from './release/context.js';
import { diskPhase, registryPhase, type Side } from './release/phases.js';

const opts = {
  runs: envInt('BENCH_RUNS', 3, 1),
  dest: envChoice('BENCH_RELEASE_DEST', ['both', 'docker-registry', 'airlock'] as const, 'both'),
  components: envInt('BENCH_RELEASE_COMPONENTS', 183, 8),
  disk: envInt('BENCH_RELEASE_DISK', 1, 0) !== 0,
  keep: process.env.BENCH_KEEP === '1',
};
const kinds: ServerKind[] = opts.dest === 'both' ? ['docker-registry', 'airlock'] : [opts.dest];
const NOOP_TARGET_S = 2;

const log = progressLog();
const scope = new BenchScope(opts.keep, log);
const results = new Results(log);

const tablePhases: PhaseRows[] = [
  ...kinds.flatMap((k) => [
    { phase: PHASE.r2r(k), peers: [TOOL.sync], airlock: TOOL.release },
    { phase: PHASE.noop(k), peers: [TOOL.sync], airlock: TOOL.release },
  ]),
  ...(opts.disk
    ? [
        { phase: PHASE.r2d, peers: [TOOL.syncDir], airlock: TOOL.release },
        ...kinds.flatMap((k) => [
          { phase: PHASE.d2r(k), peers: [TOOL.syncDir], airlock: TOOL.fromDir },
          { phase: PHASE.r2d2r(k), peers: [TOOL.syncDir], airlock: TOOL.both },
        ]),
      ]
    : []),
];

function targets(): Target[] {
  const out: Target[] = [];
  for (const k of kinds) {
    const r2r = speedup(results, PHASE.r2r(k), TOOL.sync, TOOL.release);
    const r2d2r = speedup(results, PHASE.r2d2r(k), TOOL.syncDir, TOOL.both);
    out.push({ name: `registry→registry (B: ${k}) >= 3x faster than skopeo sync`, value: `${r2r.toFixed(2)}x`, met: r2r >= 3 });
    if (opts.disk) out.push({ name: `registry→disk→registry (B: ${k}) >= 3x faster than skopeo sync`, value: `${r2d2r.toFixed(2)}x`, met: r2d2r >= 3 });
    const noop = results.medians(PHASE.noop(k), TOOL.release)?.wallS ?? NaN;
    out.push({ name: `no-op re-run (B: ${k}) under ${NOOP_TARGET_S} s`, value: `${noop.toFixed(2)} s`, met: noop < NOOP_TARGET_S });
  }
  return out;
}

async function main(): Promise<void> {
  const machine = await preparePeerBench(scope, 'release');
  log(`work directory ${scope.work}; ${opts.runs} run(s); ${opts.components} components; destinations: ${kinds.join(', ')}; load ${machine.loadAtStart}`);

  const srcA = await scope.startServer('docker-registry', { accessLog: true });
  const t0 = Date.now();
  const rel = await makeSyntheticRelease({ registry: srcA.hostPort, count: opts.components });
  await verifyRegistry(srcA, skopeoExpected(rel, undefined), 'building the release in A');
  log(`source registry A ${srcA.url}: release ${rel.ref} (${rel.digest}) with ${rel.components.length} components in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const ctx: ReleaseCtx = { scope, results, srcA, rel };

  for (let run = 0; run < opts.runs; run++) {
    log(`run ${run + 1}/${opts.runs}`);
    const sides: Side[] = run % 2 === 0 ? ['skopeo', 'airlock'] : ['airlock', 'skopeo'];
    for (const k of kinds) {
      for (const side of sides) await registryPhase(ctx, k, side);
      if (opts.disk) for (const side of sides) await diskPhase(ctx, k, side);
    }
  }

  await finishPeerBench(scope, {
    runs: opts.runs,
    results,
    phases: tablePhases,
    targets: targets(),
    machine,
    extra: {
      options: opts,
      release: { ref: rel.ref, digest: rel.digest, components: rel.components.length },
      commands: {
        [TOOL.sync]: 'setpriv --reuid=65534 skopeo --policy P sync --all --src yaml --dest docker --dest-tls-verify=false sync.yml B/ocp4',
        [TOOL.syncDir]: '… sync --all --src yaml --dest dir sync.yml D, then … sync --all --src dir --dest docker --dest-tls-verify=false D B/ocp4',
        [TOOL.release]: 'node dist/src/cli/main.js release mirror --insecure --from=A/openshift-release-dev/ocp-release:VER-x86_64 (--to=B/ocp4/openshift4 | --to-dir=D)',
        [TOOL.fromDir]: "node dist/src/cli/main.js image mirror --insecure --from-dir=D 'file://openshift/release:VER-x86_64*' B/ocp4/openshift4",
      },
    },
  });
}

runBench(main, scope, log);
