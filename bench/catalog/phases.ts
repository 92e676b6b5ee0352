/**
 * The measured runs of bench:catalog:
 *   planning       airlock catalog mirror A/INDEX B/olm --manifests-only (the plan; mapping.txt checked)
 *   end to end     into a fresh B: skopeo sync --src yaml (index by tag and every image by digest)
 *                  --dest docker | airlock catalog mirror A/INDEX B/olm; B checked for every digest
 *   plan-only      --manifests-only on the large catalog (its images do not exist)
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { measureSeq, type Ends, type Measure } from '../lib/measure.js';
import type { ServerKind } from '../lib/servers.js';
import { newSkopeoHome } from '../lib/skopeo.js';
import { writeSyncYaml } from '../lib/sync-yaml.js';
import { airlockCmd, newAirlockHome, skopeoCmd } from '../lib/tool-cmds.js';
import { verifyRegistry } from '../lib/verify.js';
import { AIRLOCK_PREFIX, airlockExpected, PHASE, readMapping, SKOPEO_PREFIX, skopeoExpected, syncImages, TOOL, type CatalogCtx } from './context.js';
import type { BenchCatalog } from './synthetic.js';

export type Side = 'skopeo' | 'airlock';

/** `catalog mirror` in a fresh HOME; gives the measure and the parsed mapping.txt. */
async function airlockMirror(ctx: CatalogCtx, cat: BenchCatalog, dest: string, extra: string[], ends: Ends): Promise<{ m: Measure; mapping: { source: string; destination: string }[] }> {
  const home = await newAirlockHome(ctx.scope.work);
  try {
    const manifests = join(home, 'manifests');
    const args = ['catalog', 'mirror', '--insecure', '--no-progress', `--to-manifests=${manifests}`, ...extra, cat.indexRef, dest];
    const m = await measureSeq(ctx.scope.work, ends, [airlockCmd(home, args)]);
    return { m, mapping: await readMapping(cat, manifests) };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** The plan of a catalog: --manifests-only against a destination that is never contacted. */
export async function planPhase(ctx: CatalogCtx, phase: string, cat: BenchCatalog): Promise<void> {
  const { m } = await airlockMirror(ctx, cat, `${ctx.srcA.hostPort}/${AIRLOCK_PREFIX}`, ['--manifests-only'], { src: ctx.srcA });
  ctx.results.record(phase, TOOL.mirror, m);
}

/** One end-to-end copy into a fresh B of kind `kind`, verified. */
export async function e2ePhase(ctx: CatalogCtx, kind: ServerKind, side: Side): Promise<void> {
  await ctx.scope.withServer(kind, { accessLog: true }, async (b) => {
    const ends = { src: ctx.srcA, dest: b };
    const phase = PHASE.e2e(kind);
    if (side === 'skopeo') {
      const home = await newSkopeoHome(ctx.scope.work);
      try {
        const yml = await writeSyncYaml(home.dir, ctx.srcA.hostPort, syncImages(ctx.cat));
        const args = ['sync', '--all', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yml, `${b.hostPort}/${SKOPEO_PREFIX}`];
        ctx.results.record(phase, TOOL.sync, await measureSeq(ctx.scope.work, ends, [skopeoCmd(home, args)]));
      } finally {
        await rm(home.dir, { recursive: true, force: true });
      }
      await verifyRegistry(b, skopeoExpected(ctx.cat, SKOPEO_PREFIX), `${phase} (${TOOL.sync})`);
    } else {
      const { m, mapping } = await airlockMirror(ctx, ctx.cat, `${b.hostPort}/${AIRLOCK_PREFIX}`, [], ends);
      ctx.results.record(phase, TOOL.mirror, m);
      await verifyRegistry(b, airlockExpected(ctx.cat, mapping), `${phase} (${TOOL.mirror})`);
    }
  });
}

