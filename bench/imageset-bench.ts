/**
 * `npm run bench:imageset` (issue #11): oc-mirror v2's air-gapped hops with
 * `airlock mirror -c isc.yaml`, against skopeo `sync` of the same image list,
 * in one run, on one machine.
 *
 * Source: docker-registry A on loopback holding a synthetic release of
 * BENCH_IMAGESET_COMPONENTS components (180) in a loopback Cincinnati graph,
 * the bench catalog of BENCH_IMAGESET_BUNDLES bundles (200, `full: true`) and
 * BENCH_IMAGESET_ADDITIONAL additional images (20). The list skopeo gets is
 * the docker:// sources of airlock's own m2d dry-run mapping.txt. Per run:
 *   m2d   airlock mirror -c isc file://DIR           | skopeo sync --src yaml --dest dir
 *   d2m   airlock mirror -c isc --from file://DIR B  | skopeo sync --src dir --dest docker (fresh B each)
 * Then once: a new release version at the channel head and an incremental
 * m2d into the last DIR (its history): archive bytes against the new blobs.
 * Sizes: archive bytes (every mirror_*.tar) against the unique bytes of the
 * members it carries (blobs and manifests), and what the tar format costs
 * per member (header and padding). Peak RSS is GNU time's max RSS.
 *
 * Layer sizes (random bytes, so gzip does not shrink them; KiB, env):
 * release: 4 shared bases of BENCH_IMAGESET_BASE_KIB (2048) and one own
 * layer per component of BENCH_IMAGESET_LAYER_KIB (1536); catalog: 4 shared
 * bases of BENCH_IMAGESET_CATALOG_BASE_KIB (1024), an own layer of
 * BENCH_IMAGESET_OPERAND_KIB (256) per related image and
 * BENCH_IMAGESET_BUNDLE_KIB (16) per bundle image; each additional image one
 * layer of BENCH_IMAGESET_ADDITIONAL_KIB (1024). Set them all to 0 for the
 * tiny layers of the first version of this bench.
 *
 * Env: BENCH_RUNS (3), BENCH_IMAGESET_COMPONENTS (180), BENCH_IMAGESET_BUNDLES
 * (200), BENCH_IMAGESET_ADDITIONAL (20), BENCH_KEEP=1, BENCH_OUT.
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchScope } from './lib/bench-scope.js';
import { envInt } from './lib/env.js';
import { progressLog } from './lib/log.js';
import { measureSeq } from './lib/measure.js';
import { finishPeerBench, preparePeerBench, runBench } from './lib/peer-bench.js';
import { Results, speedup, type PhaseRows, type Target } from './lib/results.js';
import { newSkopeoHome, nobodyDir } from './lib/skopeo.js';
import { writeSyncYaml } from './lib/sync-yaml.js';
import { airlockCmd, newAirlockHome, skopeoCmd } from './lib/tool-cmds.js';
import { makeBenchCatalog } from './catalog/synthetic.js';
import { graphOf, startGraphServer } from '../test/helpers/graph-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../test/fixtures/release-fixture.js';
import { buildImageSet, pushImageSet } from '../test/fixtures/catalog/related-images.js';
import { RegistryHub } from '../src/transports/registry/registry-hub.js';
import { ArchiveSet, readChecksums } from '../src/transports/archive/archive-reader.js';
import { buildLayer, withParents, type BuiltLayer } from '../src/release/tar-build.js';
import { putManifest } from '../src/release/push.js';
import { pushImage, seeded } from '../test/fixtures/release-fixture-images.js';
import { blobMember } from '../src/transports/archive/format.js';
import type { Digest } from '../src/oci/digest.js';

const opts = {
  runs: envInt('BENCH_RUNS', 3, 1),
  components: envInt('BENCH_IMAGESET_COMPONENTS', 180, 1),
  bundles: envInt('BENCH_IMAGESET_BUNDLES', 200, 1),
  additional: envInt('BENCH_IMAGESET_ADDITIONAL', 20, 0),
  kib: {
    base: envInt('BENCH_IMAGESET_BASE_KIB', 2048, 0),
    layer: envInt('BENCH_IMAGESET_LAYER_KIB', 1536, 0),
    catalogBase: envInt('BENCH_IMAGESET_CATALOG_BASE_KIB', 1024, 0),
    operand: envInt('BENCH_IMAGESET_OPERAND_KIB', 256, 0),
    bundle: envInt('BENCH_IMAGESET_BUNDLE_KIB', 16, 0),
    additional: envInt('BENCH_IMAGESET_ADDITIONAL_KIB', 1024, 0),
  },
  keep: process.env.BENCH_KEEP === '1',
};
const LIMITS = { overheadPct: 1, incrementalMiB: 1, speedup: 3, rssMb: 300 };
const PHASE = { m2d: 'mirror to disk', d2m: 'disk to mirror (B: docker-registry)', inc: 'incremental mirror to disk' };
const TOOL = { sync: 'skopeo sync', mirror: 'airlock mirror' };

const log = progressLog();
const scope = new BenchScope(opts.keep, log);
const results = new Results(log);
const phases: PhaseRows[] = [
  { phase: PHASE.m2d, peers: [TOOL.sync], airlock: TOOL.mirror },
  { phase: PHASE.d2m, peers: [TOOL.sync], airlock: TOOL.mirror },
  { phase: PHASE.inc, peers: [], airlock: TOOL.mirror },
];

interface SetSizes {
  archiveBytes: number;
  /** Unique bytes of the blobs and manifests carried. */
  memberBytes: number;
  packedBlobBytes: number;
  packed: string[];
  /** Every tar member (checksum manifests included) and their data bytes. */
  members: number;
  allMemberBytes: number;
  /** Bytes of the members that are not blobs or manifests (config, plan, repositories, checksum manifests). */
  metadataBytes: number;
  /** Tar headers, padding and end markers: archive bytes less every member's data. */
  tarBytes: number;
}

/** Bytes of the tars, of the members carried (blobs and manifests), and of the non-manifest blobs. */
async function setSizes(dir: string): Promise<SetSizes> {
  const set = await ArchiveSet.open(dir);
  let members = 0;
  let allMemberBytes = 0;
  for (const a of set.index.archives) {
    const list = await readChecksums(set.dir, set.index, a);
    members += list.length + 1;
    allMemberBytes += list.reduce((n, m) => n + m.size, 0) + a.checksums.size;
  }
  let memberBytes = 0;
  let packedBlobBytes = 0;
  const packed: string[] = [];
  for (const d of Object.keys(set.index.blobs)) {
    const size = set.member(blobMember(d as Digest))!.entry.size;
    memberBytes += size;
    if (set.index.manifests[d] === undefined) {
      packedBlobBytes += size;
      packed.push(d);
    }
  }
  let archiveBytes = 0;
  for (const a of set.index.archives) archiveBytes += (await stat(join(dir, a.file))).size;
  return { archiveBytes, memberBytes, packedBlobBytes, packed, members, allMemberBytes, metadataBytes: allMemberBytes - memberBytes, tarBytes: archiveBytes - allMemberBytes };
}

/** An additional image: one random layer of `size` bytes (a line of text when 0). */
async function pushAdditional(hub: RegistryHub, registry: string, repo: string, k: number, size: number): Promise<void> {
  const seed = `bench extra ${k}`;
  const layer = await buildLayer(withParents([{ path: `opt/extra/${k}/payload`, data: size > 0 ? seeded(seed, size) : `${seed}\n` }]));
  const dst = hub.destination({ registry, repository: repo });
  await putManifest(dst, await pushImage(dst, [layer], { architecture: 'amd64', os: 'linux', config: { Labels: { bench: seed } } }), 'v1');
}

async function main(): Promise<void> {
  const machine = await preparePeerBench(scope, 'imageset');
  log(`work directory ${scope.work}; ${opts.runs} run(s); ${opts.components} components, ${opts.bundles} bundles, ${opts.additional} additional images; layer KiB ${JSON.stringify(opts.kib)}; load ${machine.loadAtStart}`);
  const A = await scope.startServer('docker-registry', { accessLog: true });
  const graph = await startGraphServer();
  try {
    const releases: SyntheticRelease[] = [];
    // 4.18.3 has the same components as 4.18.2 (same digests): build their layers once
    const layerCache = new Map<string, Promise<BuiltLayer>>();
    const addRelease = async (version: string): Promise<void> => {
      releases.push(await makeSyntheticRelease({ registry: A.hostPort, version, count: opts.components, layerCache, ...(opts.kib.layer > 0 ? { componentSize: opts.kib.layer * 1024 } : {}), ...(opts.kib.base > 0 ? { baseSize: opts.kib.base * 1024 } : {}) }));
      const vs = releases.map((r) => r.version);
      graph.set('stable-4.18', 'amd64', graphOf(vs, vs.slice(1).map((v, k) => [vs[k]!, v] as [string, string]), (v) => `${A.hostPort}/${releases.find((r) => r.version === v)!.releaseRepo}@${releases.find((r) => r.version === v)!.digest}`));
    };
    let t0 = Date.now();
    await addRelease('4.18.2');
    const k = opts.kib;
    const sized = k.catalogBase > 0 || k.operand > 0 || k.bundle > 0;
    const cat = await makeBenchCatalog({ registry: A.hostPort, name: 'bench/catalog', bundles: opts.bundles, images: opts.bundles * 2, push: true, ...(sized ? { sizes: { base: (k.catalogBase || 16) * 1024, operand: k.operand * 1024, bundle: k.bundle * 1024 } } : {}) });
    const hub = new RegistryHub({ insecure: () => true });
    const additional: string[] = [];
    try {
      for (let k = 0; k < opts.additional; k++) {
        const repo = `extra/tools/app-${k}`;
        if (opts.kib.additional > 0) await pushAdditional(hub, A.hostPort, repo, k, opts.kib.additional * 1024);
        else await pushImageSet(hub.destination({ registry: A.hostPort, repository: repo }), await buildImageSet(`bench extra ${k}`, false), 'v1');
        additional.push(`${A.hostPort}/${repo}:v1`);
      }
    } finally {
      await hub.close();
    }
    log(`source A ${A.url}: release 4.18.2, catalog ${cat.indexRef} (${cat.images.length} images), ${additional.length} additional, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const isc = join(scope.work, 'isc.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  platform:\n    channels:\n    - name: stable-4.18\n  operators:\n  - catalog: ${cat.indexRef}\n    full: true\n  additionalImages:\n${additional.map((a) => `  - name: ${a}\n`).join('')}`, { mode: 0o644 });
    const srcFlags = ['--src-tls-verify=false', '--graph-url', graph.url, '--no-progress'];

    // The list skopeo gets: the docker:// sources of airlock's own plan.
    const dry = await newAirlockHome(scope.work);
    await measureSeq(scope.work, {}, [airlockCmd(dry, ['mirror', '-c', isc, `file://${join(dry, 'out')}`, '--dry-run', ...srcFlags])]);
    const list = new Map<string, string[]>();
    for (const line of (await readFile(join(dry, 'out/working-dir/dry-run/mapping.txt'), 'utf8')).trim().split('\n')) {
      const src = line.slice(0, line.indexOf('=')).replace(/^docker:\/\//, '');
      if (!src.startsWith(`${A.hostPort}/`)) continue;
      const rest = src.slice(A.hostPort.length + 1);
      const at = rest.includes('@') ? rest.indexOf('@') : rest.lastIndexOf(':');
      const [repo, ref] = [rest.slice(0, at), rest.slice(at + 1)];
      list.set(repo, [...(list.get(repo) ?? []), ref]);
    }
    log(`${[...list.values()].reduce((n, r) => n + r.length, 0)} images in ${list.size} repositories`);

    let lastDir = '';
    let sizes: SetSizes | undefined;
    for (let run = 0; run < opts.runs; run++) {
      log(`run ${run + 1}/${opts.runs}`);
      // skopeo: A → dir → fresh B
      const home = await newSkopeoHome(scope.work);
      const disk = await nobodyDir(home.dir, 'disk');
      const yml = await writeSyncYaml(home.dir, A.hostPort, list);
      results.record(PHASE.m2d, TOOL.sync, await measureSeq(scope.work, { src: A }, [skopeoCmd(home, ['sync', '--all', '--src', 'yaml', '--dest', 'dir', yml, disk])]));
      await scope.withServer('docker-registry', { accessLog: true }, async (B) => {
        results.record(PHASE.d2m, TOOL.sync, await measureSeq(scope.work, { dest: B }, [skopeoCmd(home, ['sync', '--all', '--src', 'dir', '--dest', 'docker', '--dest-tls-verify=false', disk, `${B.hostPort}/s`])]));
      });
      await rm(home.dir, { recursive: true, force: true });
      // airlock: A → archive → fresh B
      const ah = await newAirlockHome(scope.work);
      const dir = join(ah, 'media');
      results.record(PHASE.m2d, TOOL.mirror, await measureSeq(scope.work, { src: A }, [airlockCmd(ah, ['mirror', '-c', isc, `file://${dir}`, ...srcFlags])]));
      sizes = await setSizes(dir);
      await scope.withServer('docker-registry', { accessLog: true }, async (B) => {
        results.record(PHASE.d2m, TOOL.mirror, await measureSeq(scope.work, { dest: B }, [airlockCmd(ah, ['mirror', '-c', isc, '--from', `file://${dir}`, `docker://${B.hostPort}/ocp`, '--dest-tls-verify=false', '--no-progress'])]));
      });
      if (lastDir !== '') await rm(join(lastDir, '..'), { recursive: true, force: true });
      lastDir = dir;
    }
    // incremental: one new release version at the head; m2d into the last DIR (its history)
    const first = new Set((await setSizes(lastDir)).packed);
    t0 = Date.now();
    await addRelease('4.18.3');
    log(`release 4.18.3 pushed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    results.record(PHASE.inc, TOOL.mirror, await measureSeq(scope.work, { src: A }, [airlockCmd(join(lastDir, '..'), ['mirror', '-c', isc, `file://${lastDir}`, ...srcFlags])]));
    const inc = await setSizes(lastDir);
    const repacked = inc.packed.filter((d) => first.has(d)).length;
    if (repacked > 0) throw new Error(`the incremental archive carries ${repacked} blob(s) of the first set again`);
    const s = sizes!;
    const overheadPct = ((s.archiveBytes - s.memberBytes) / s.memberBytes) * 100;
    const incExtra = (inc.archiveBytes - inc.packedBlobBytes) / 2 ** 20;
    const rss = Math.max(...phases.map((p) => results.medians(p.phase, TOOL.mirror)?.peakRssBytes ?? NaN)) / 1e6;
    const targets: Target[] = [
      {
        name: `archive overhead over the unique bytes it carries <= ${LIMITS.overheadPct} %`,
        value: `${overheadPct.toFixed(2)} % (${s.archiveBytes} archive bytes, ${s.memberBytes} unique (${s.packed.length} blobs), ${s.members} tar members; tar headers and padding ${s.tarBytes} bytes = ${(s.tarBytes / s.members).toFixed(0)} per member; metadata members ${s.metadataBytes} bytes)`,
        met: overheadPct <= LIMITS.overheadPct,
      },
      { name: `incremental archive <= new blobs + ${LIMITS.incrementalMiB} MiB`, value: `${inc.archiveBytes} bytes = ${inc.packedBlobBytes} new blob bytes + ${incExtra.toFixed(3)} MiB`, met: incExtra <= LIMITS.incrementalMiB },
      ...[PHASE.m2d, PHASE.d2m].map((p) => {
        const x = speedup(results, p, TOOL.sync, TOOL.mirror);
        return { name: `${p} >= ${LIMITS.speedup}x faster than skopeo sync`, value: `${x.toFixed(2)}x`, met: x >= LIMITS.speedup };
      }),
      { name: `airlock peak RSS under ${LIMITS.rssMb} MB`, value: `${rss.toFixed(0)} MB`, met: rss < LIMITS.rssMb },
    ];
    await finishPeerBench(scope, {
      runs: opts.runs, results, phases, targets, machine,
      extra: {
        options: opts,
        sizes: { full: s, incremental: { archiveBytes: inc.archiveBytes, memberBytes: inc.memberBytes, packedBlobBytes: inc.packedBlobBytes, blobs: inc.packed.length } },
        archives: (await readdir(lastDir)).filter((f) => f.startsWith('mirror_')),
        commands: {
          [TOOL.sync]: 'skopeo sync --all --src yaml --dest dir sync.yml DIR; skopeo sync --all --src dir --dest docker DIR B/s',
          [TOOL.mirror]: 'airlock mirror -c isc.yaml file://DIR; airlock mirror -c isc.yaml --from file://DIR docker://B/ocp',
        },
      },
    });
  } finally {
    await graph.close();
  }
}

runBench(main, scope, log);
