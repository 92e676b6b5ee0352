/**
 * Phase (b) of bench:mirror: the 53 images from A to disk (b1) and from
 * that disk copy into a fresh docker-registry B (b2). skopeo: 53 × copy into
 * one oci: layout (ref name per image) and back; or sync --src yaml --dest dir
 * (one dir: per image) and sync --src dir --dest docker. airlock: its
 * oc-compatible file:// store (--dir D, then --from-dir D).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { measureSeq } from '../lib/measure.js';
import { newSkopeoHome, nobodyDir } from '../lib/skopeo.js';
import { syncedName, writeSyncYaml } from '../lib/sync-yaml.js';
import { skopeoCmd } from '../lib/tool-cmds.js';
import { fileStorePaths, verifyFiles, verifyOciLayout, verifyRegistry } from '../lib/verify.js';
import { dstRefOf, expectedOf, PHASE, refOf, TOOL, type MirrorCtx } from './context.js';
import { airlockMirror, syncImages } from './registry-phases.js';

export async function diskPhasesSkopeoCopy(ctx: MirrorCtx): Promise<void> {
  const work = ctx.scope.work;
  const layoutDir = await nobodyDir(work, 'skopeo-oci');
  const layout = join(layoutDir, 'layout');
  let home = await newSkopeoHome(work);
  let cmds = ctx.images.map((img) => skopeoCmd(home, ['copy', '-q', '--all', '--src-tls-verify=false', `docker://${ctx.srcA.hostPort}/${img.repo}${refOf(img)}`, `oci:${layout}:${img.ref}`]));
  ctx.results.record(PHASE.b1, TOOL.copyOci, await measureSeq(work, { src: ctx.srcA }, cmds));
  await rm(home.dir, { recursive: true, force: true });
  await verifyOciLayout(layout, ctx.images.map((i) => ({ name: i.ref, digest: i.digest })), `${PHASE.b1} (${TOOL.copyOci})`);
  await ctx.scope.withServer('docker-registry', { accessLog: true }, async (b) => {
    home = await newSkopeoHome(work);
    cmds = ctx.images.map((img) => skopeoCmd(home, ['copy', '-q', '--all', '--dest-tls-verify=false', `oci:${layout}:${img.ref}`, `docker://${b.hostPort}/${img.repo}${refOf(img)}`]));
    ctx.results.record(PHASE.b2, TOOL.copyOci, await measureSeq(work, { dest: b }, cmds));
    await rm(home.dir, { recursive: true, force: true });
    await verifyRegistry(b, expectedOf(ctx.images), `${PHASE.b2} (${TOOL.copyOci})`);
  });
  await rm(layoutDir, { recursive: true, force: true });
}

export async function diskPhasesSkopeoSync(ctx: MirrorCtx): Promise<void> {
  const work = ctx.scope.work;
  const dir = await nobodyDir(work, 'skopeo-dir');
  let home = await newSkopeoHome(work);
  const yml = await writeSyncYaml(home.dir, ctx.srcA.hostPort, syncImages(ctx));
  ctx.results.record(PHASE.b1, TOOL.syncDir, await measureSeq(work, { src: ctx.srcA }, [skopeoCmd(home, ['sync', '--all', '--src', 'yaml', '--dest', 'dir', yml, dir])]));
  await rm(home.dir, { recursive: true, force: true });
  await verifyFiles(ctx.images.map((i) => ({ path: join(dir, syncedName(i.repo, i.tag ?? i.digest), 'manifest.json'), digest: i.digest })), `${PHASE.b1} (${TOOL.syncDir})`);
  await ctx.scope.withServer('docker-registry', { accessLog: true }, async (b) => {
    home = await newSkopeoHome(work);
    const cmd = skopeoCmd(home, ['sync', '--all', '--src', 'dir', '--dest', 'docker', '--dest-tls-verify=false', dir, `${b.hostPort}/fixtures`]);
    ctx.results.record(PHASE.b2, TOOL.syncDir, await measureSeq(work, { dest: b }, [cmd]));
    await rm(home.dir, { recursive: true, force: true });
    await verifyRegistry(b, expectedOf(ctx.images), `${PHASE.b2} (${TOOL.syncDir})`);
  });
  await rm(dir, { recursive: true, force: true });
}

export async function diskPhasesAirlock(ctx: MirrorCtx): Promise<void> {
  const dir = await mkdtemp(join(ctx.scope.work, 'airlock-disk-'));
  const toDisk = ctx.images.map((i) => `${ctx.srcA.hostPort}/${i.repo}${refOf(i)}=file://${i.repo}${dstRefOf(i)}`);
  ctx.results.record(PHASE.b1, TOOL.airlock, await airlockMirror(ctx, toDisk, ['--dir', dir], { src: ctx.srcA }));
  await verifyFiles(fileStorePaths(dir, expectedOf(ctx.images)), `${PHASE.b1} (airlock)`);
  await ctx.scope.withServer('docker-registry', { accessLog: true }, async (b) => {
    const fromDisk = ctx.images.map((i) => `file://${i.repo}${refOf(i)}=${b.hostPort}/${i.repo}${dstRefOf(i)}`);
    ctx.results.record(PHASE.b2, TOOL.airlock, await airlockMirror(ctx, fromDisk, ['--from-dir', dir], { dest: b }));
    await verifyRegistry(b, expectedOf(ctx.images), `${PHASE.b2} (airlock)`);
  });
  await rm(dir, { recursive: true, force: true });
}
