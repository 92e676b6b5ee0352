/**
 * Phase (c) of bench:mirror: one image with a single large random layer
 * (BENCH_HUGE_MIB, default 1024) from A into a fresh **airlock** registry,
 * the same destination kind for both tools: `skopeo copy` against
 * `airlock image mirror`. airlock's peak RSS here has a target (≤ 200 MB).
 */
import { rm } from 'node:fs/promises';
import { measureSeq } from '../lib/measure.js';
import { newSkopeoHome } from '../lib/skopeo.js';
import { skopeoCmd } from '../lib/tool-cmds.js';
import { verifyBlob, verifyRegistry } from '../lib/verify.js';
import { PHASE, TOOL, type MirrorCtx } from './context.js';
import { airlockMirror } from './registry-phases.js';

export type HugeTool = typeof TOOL.copyOne | typeof TOOL.airlock;

export async function hugePhase(ctx: MirrorCtx, tool: HugeTool): Promise<void> {
  const huge = ctx.huge;
  if (huge === undefined) return;
  const img = huge.image;
  const ref = `${img.repo}:${img.tag ?? 'v1'}`;
  await ctx.scope.withServer('airlock', {}, async (b) => {
    if (tool === TOOL.copyOne) {
      const home = await newSkopeoHome(ctx.scope.work);
      const cmd = skopeoCmd(home, ['copy', '-q', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${ctx.srcA.hostPort}/${ref}`, `docker://${b.hostPort}/${ref}`]);
      ctx.results.record(PHASE.c, tool, await measureSeq(ctx.scope.work, { src: ctx.srcA, dest: b }, [cmd]));
      await rm(home.dir, { recursive: true, force: true });
    } else {
      ctx.results.record(PHASE.c, tool, await airlockMirror(ctx, [`${ctx.srcA.hostPort}/${ref}=${b.hostPort}/${ref}`], [], { src: ctx.srcA, dest: b }));
    }
    await verifyRegistry(b, [{ repo: img.repo, ref: img.tag ?? img.digest, digest: img.digest }], `${PHASE.c} (${tool})`);
    await verifyBlob(b, img.repo, huge.layerDigest, huge.layerSize, `${PHASE.c} (${tool})`);
  });
}
