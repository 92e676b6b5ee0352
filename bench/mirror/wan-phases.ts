/**
 * Phases (e), (w) and (w0) of bench:mirror (issue #13), all into a fresh
 * **airlock serve**, skopeo sync against airlock image mirror:
 *   (e)  the 53 images from A on loopback
 *   (w)  the same from A behind the latency proxy (test/helpers/latency-proxy.ts,
 *        BENCH_WAN_RTT_MS, default 50 ms round trip; the TCP handshake is modelled too)
 *   (w0) airlock's command of (w) again over the link, into the now full
 *        destination: the no-op re-run (requests per image at both ends and wall)
 * Requests are counted at the servers (lib/traffic.ts): A's access log, the
 * destination's /metrics.
 */
import type { Log } from '../lib/log.js';
import { verifyRegistry } from '../lib/verify.js';
import { expectedOf, PHASE, TOOL, type MirrorCtx } from './context.js';
import { airlockMirror, regToReg, skopeoSyncYaml } from './registry-phases.js';

export type PeerOrAirlock = typeof TOOL.sync | typeof TOOL.airlock;

export async function airlockDestPhase(ctx: MirrorCtx, tool: PeerOrAirlock): Promise<void> {
  await ctx.scope.withServer('airlock', {}, async (b) => {
    const m = tool === TOOL.sync ? await skopeoSyncYaml(ctx, b) : await airlockMirror(ctx, regToReg(ctx, b), [], { src: ctx.srcA, dest: b });
    ctx.results.record(PHASE.e, tool, m);
    await verifyRegistry(b, expectedOf(ctx.images), `${PHASE.e} (${tool})`);
  });
}

export async function wanPhases(ctx: MirrorCtx, tool: PeerOrAirlock, log: Log): Promise<void> {
  const wan = ctx.wan;
  if (wan === undefined) throw new Error('wan phase without a latency proxy');
  await ctx.scope.withServer('airlock', {}, async (b) => {
    const go = (): ReturnType<typeof airlockMirror> =>
      tool === TOOL.sync ? skopeoSyncYaml(ctx, b, wan.hostPort) : airlockMirror(ctx, regToReg(ctx, b, wan.hostPort), [], { src: ctx.srcA, dest: b });
    ctx.results.record(PHASE.w, tool, await go());
    await verifyRegistry(b, expectedOf(ctx.images), `${PHASE.w} (${tool})`);
    if (tool !== TOOL.airlock) return;
    const again = await go();
    ctx.results.record(PHASE.w0, tool, again);
    const n = ctx.images.length;
    log(`  ${PHASE.w0}: ${(again.srcRequests / n).toFixed(2)} requests per image to the source, ${(again.destRequests / n).toFixed(2)} to the destination, ${again.wallS.toFixed(2)} s wall`);
    await verifyRegistry(b, expectedOf(ctx.images), `${PHASE.w0} (${tool})`);
  });
}
