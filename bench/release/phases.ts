/**
 * The copies of bench:release, each into a fresh destination B of kind
 * `kind` (or a fresh directory), verified afterwards:
 *   registry→registry, then the same command again into the full B (no-op);
 *   registry→disk, then disk→registry (and their sum).
 * skopeo: sync --src yaml (the release and all components by digest) --dest
 * docker | dir, and sync --src dir --dest docker. airlock: release mirror
 * --to | --to-dir, and the image mirror --from-dir command that release
 * mirror --to-dir prints.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { addMeasures, measureSeq, type Measure } from '../lib/measure.js';
import type { ServerHandle, ServerKind } from '../lib/servers.js';
import { newSkopeoHome, nobodyDir } from '../lib/skopeo.js';
import { writeSyncYaml } from '../lib/sync-yaml.js';
import { airlockCmd, newAirlockHome, skopeoCmd } from '../lib/tool-cmds.js';
import { fileStorePaths, verifyFiles, verifyRegistry } from '../lib/verify.js';
import { AIRLOCK_REPO, airlockExpected, DISK_REPO, PHASE, SKOPEO_PREFIX, skopeoDirFiles, skopeoExpected, syncImages, TOOL, type ReleaseCtx } from './context.js';

export type Side = 'skopeo' | 'airlock';

async function skopeoRun(ctx: ReleaseCtx, args: (yml: string) => string[], ends: { src?: ServerHandle; dest?: ServerHandle }): Promise<Measure> {
  const home = await newSkopeoHome(ctx.scope.work);
  const yml = await writeSyncYaml(home.dir, ctx.srcA.hostPort, syncImages(ctx.rel));
  const m = await measureSeq(ctx.scope.work, ends, [skopeoCmd(home, args(yml))]);
  await rm(home.dir, { recursive: true, force: true });
  return m;
}

async function airlockRun(ctx: ReleaseCtx, args: string[], ends: { src?: ServerHandle; dest?: ServerHandle }): Promise<Measure> {
  const home = await newAirlockHome(ctx.scope.work);
  const m = await measureSeq(ctx.scope.work, ends, [airlockCmd(home, args)]);
  await rm(home, { recursive: true, force: true });
  return m;
}

/** registry→registry into a fresh B, then the no-op re-run. */
export async function registryPhase(ctx: ReleaseCtx, kind: ServerKind, side: Side): Promise<void> {
  await ctx.scope.withServer(kind, { accessLog: true }, async (b) => {
    const ends = { src: ctx.srcA, dest: b };
    const tool = side === 'skopeo' ? TOOL.sync : TOOL.release;
    const go = (): Promise<Measure> =>
      side === 'skopeo'
        ? skopeoRun(ctx, (yml) => ['sync', '--all', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yml, `${b.hostPort}/${SKOPEO_PREFIX}`], ends)
        : airlockRun(ctx, ['release', 'mirror', '--insecure', `--from=${ctx.rel.ref}`, `--to=${b.hostPort}/${AIRLOCK_REPO}`], ends);
    const expected = side === 'skopeo' ? skopeoExpected(ctx.rel, SKOPEO_PREFIX) : airlockExpected(ctx.rel, AIRLOCK_REPO);
    ctx.results.record(PHASE.r2r(kind), tool, await go());
    await verifyRegistry(b, expected, `${PHASE.r2r(kind)} (${tool})`);
    ctx.results.record(PHASE.noop(kind), tool, await go());
    await verifyRegistry(b, expected, `${PHASE.noop(kind)} (${tool})`);
  });
}

/** registry→disk into a fresh directory, then disk→registry into a fresh B. */
export async function diskPhase(ctx: ReleaseCtx, kind: ServerKind, side: Side): Promise<void> {
  const work = ctx.scope.work;
  const dir = side === 'skopeo' ? await nobodyDir(work, 'skopeo-dir') : await mkdtemp(join(work, 'airlock-disk-'));
  try {
    let toDisk: Measure;
    if (side === 'skopeo') {
      toDisk = await skopeoRun(ctx, (yml) => ['sync', '--all', '--src', 'yaml', '--dest', 'dir', yml, dir], { src: ctx.srcA });
      ctx.results.record(PHASE.r2d, TOOL.syncDir, toDisk);
      await verifyFiles(skopeoDirFiles(ctx.rel, dir), `${PHASE.r2d} (${TOOL.syncDir})`);
    } else {
      toDisk = await airlockRun(ctx, ['release', 'mirror', '--insecure', `--from=${ctx.rel.ref}`, `--to-dir=${dir}`], { src: ctx.srcA });
      ctx.results.record(PHASE.r2d, TOOL.release, toDisk);
      await verifyFiles(fileStorePaths(dir, airlockExpected(ctx.rel, DISK_REPO)), `${PHASE.r2d} (${TOOL.release})`);
    }
    await ctx.scope.withServer(kind, { accessLog: true }, async (b) => {
      let fromDisk: Measure;
      if (side === 'skopeo') {
        fromDisk = await skopeoRun(ctx, () => ['sync', '--all', '--src', 'dir', '--dest', 'docker', '--dest-tls-verify=false', dir, `${b.hostPort}/${SKOPEO_PREFIX}`], { dest: b });
        ctx.results.record(PHASE.d2r(kind), TOOL.syncDir, fromDisk);
        await verifyRegistry(b, skopeoExpected(ctx.rel, SKOPEO_PREFIX), `${PHASE.d2r(kind)} (${TOOL.syncDir})`);
      } else {
        // the command `release mirror --to-dir` prints for the second hop
        const glob = `file://${DISK_REPO}:${ctx.rel.tag}*`;
        fromDisk = await airlockRun(ctx, ['image', 'mirror', '--insecure', `--from-dir=${dir}`, glob, `${b.hostPort}/${AIRLOCK_REPO}`], { dest: b });
        ctx.results.record(PHASE.d2r(kind), TOOL.fromDir, fromDisk);
        await verifyRegistry(b, airlockExpected(ctx.rel, AIRLOCK_REPO), `${PHASE.d2r(kind)} (${TOOL.fromDir})`);
      }
      ctx.results.record(PHASE.r2d2r(kind), side === 'skopeo' ? TOOL.syncDir : TOOL.both, addMeasures(toDisk, fromDisk));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
