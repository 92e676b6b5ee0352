/**
 * Phases (a) and (d) of bench:mirror: the 53 images from A into a fresh
 * docker-registry B, then the same command again into the now full B (the
 * no-op re-run). Tools: 53 × skopeo copy, one skopeo sync --src yaml, one
 * airlock image mirror -f with 53 mappings.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { measureSeq, type Measure } from '../lib/measure.js';
import { newSkopeoHome } from '../lib/skopeo.js';
import { writeSyncYaml } from '../lib/sync-yaml.js';
import { airlockCmd, newAirlockHome, skopeoCmd } from '../lib/tool-cmds.js';
import { verifyRegistry } from '../lib/verify.js';
import type { ServerHandle } from '../lib/servers.js';
import { dstRefOf, expectedOf, PHASE, refOf, TOOL, type MirrorCtx } from './context.js';

export type RegistryTool = typeof TOOL.copy | typeof TOOL.sync | typeof TOOL.airlock;

async function skopeoCopyAll(ctx: MirrorCtx, dest: ServerHandle): Promise<Measure> {
  const home = await newSkopeoHome(ctx.scope.work);
  const cmds = ctx.images.map((img) =>
    skopeoCmd(home, ['copy', '-q', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${ctx.srcA.hostPort}/${img.repo}${refOf(img)}`, `docker://${dest.hostPort}/${img.repo}${refOf(img)}`]),
  );
  const m = await measureSeq(ctx.scope.work, { src: ctx.srcA, dest }, cmds);
  await rm(home.dir, { recursive: true, force: true });
  return m;
}

/** repo → [tag | digest] of the 53 images, for sync.yml */
export function syncImages(ctx: MirrorCtx): Map<string, string[]> {
  return new Map(ctx.images.map((i) => [i.repo, [i.tag ?? i.digest]]));
}

/** One `skopeo sync --src yaml` of the 53 images from `srcHostPort` (A, or the latency proxy in front of it) into `dest`. */
export async function skopeoSyncYaml(ctx: MirrorCtx, dest: ServerHandle, srcHostPort = ctx.srcA.hostPort): Promise<Measure> {
  const home = await newSkopeoHome(ctx.scope.work);
  const yml = await writeSyncYaml(home.dir, srcHostPort, syncImages(ctx));
  const cmd = skopeoCmd(home, ['sync', '--all', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yml, `${dest.hostPort}/fixtures`]);
  const m = await measureSeq(ctx.scope.work, { src: ctx.srcA, dest }, [cmd]);
  await rm(home.dir, { recursive: true, force: true });
  return m;
}

/** `airlock image mirror --insecure -f mapping.txt EXTRA… $BENCH_AIRLOCK_ARGS` with one SRC=DST line per mapping. */
export async function airlockMirror(ctx: MirrorCtx, mappings: readonly string[], extra: readonly string[], ends: { src?: ServerHandle; dest?: ServerHandle }): Promise<Measure> {
  const home = await newAirlockHome(ctx.scope.work);
  const file = join(home, 'mapping.txt');
  await writeFile(file, `${mappings.join('\n')}\n`);
  const tuning = (process.env.BENCH_AIRLOCK_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const m = await measureSeq(ctx.scope.work, ends, [airlockCmd(home, ['image', 'mirror', '--insecure', '-f', file, ...extra, ...tuning])]);
  await rm(home, { recursive: true, force: true });
  return m;
}

/** The 53 `SRC=DST` mapping lines from `srcHostPort` (A, or the latency proxy in front of it) into `dest`. */
export const regToReg = (ctx: MirrorCtx, dest: ServerHandle, srcHostPort = ctx.srcA.hostPort): string[] =>
  ctx.images.map((i) => `${srcHostPort}/${i.repo}${refOf(i)}=${dest.hostPort}/${i.repo}${dstRefOf(i)}`);

export async function registryPhases(ctx: MirrorCtx, tool: RegistryTool): Promise<void> {
  await ctx.scope.withServer('docker-registry', { accessLog: true }, async (b) => {
    const go = (): Promise<Measure> =>
      tool === TOOL.copy ? skopeoCopyAll(ctx, b) : tool === TOOL.sync ? skopeoSyncYaml(ctx, b) : airlockMirror(ctx, regToReg(ctx, b), [], { src: ctx.srcA, dest: b });
    ctx.results.record(PHASE.a, tool, await go());
    await verifyRegistry(b, expectedOf(ctx.images), `${PHASE.a} (${tool})`);
    ctx.results.record(PHASE.d, tool, await go());
    await verifyRegistry(b, expectedOf(ctx.images), `${PHASE.d} (${tool})`);
  });
}
