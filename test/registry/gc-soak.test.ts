/**
 * GC soak: an `airlock serve` process collects every 2 s with a 5 s grace
 * period while pushers, a tag deleter and pullers run against it for about a
 * minute (AIRLOCK_GC_SOAK_SECONDS overrides, for local runs).
 *
 * Pass/fail is about correctness only, never speed:
 * - every push that finished within the grace period succeeded (a slower
 *   push may legitimately lose its unreferenced blobs; those are counted, not
 *   failed);
 * - every pull of a tag that was live when the pull started got its manifest
 *   and every blob, each verifying against its digest (the deleter never
 *   picks a tag while a pull holds it, so "live" stays true for the pull);
 *   half the pulls go to a few images that are never deleted and so live
 *   through every collection, their shared layers' other users coming and going;
 * - the collector ran and deleted manifests and blobs, so the test can fail.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { MT, RegistryClient, RegistryOps, descriptor, header, sha256, type Descriptor } from '../conformance/workflows.js';

const SOAK_MS = Number(process.env.AIRLOCK_GC_SOAK_SECONDS ?? 60) * 1000;
const GRACE_S = 5;
const REPOS = ['soak/a', 'soak/b', 'soak/c'];
const PUSHERS = 3;
const PULLERS = 3;
const KEEPERS = 6;

interface Live {
  readonly repo: string;
  readonly tag: string;
  /** Never deleted: these must outlive many collections past the grace period. */
  readonly keep: boolean;
  pins: number;
}

interface Counts {
  pushes: number;
  slowPushes: number;
  pushErrors: string[];
  slowPushErrors: number;
  looseBlobs: number;
  pulls: number;
  pulledBlobs: number;
  pullErrors: string[];
  deletes: number;
  deleteErrors: string[];
}

/** Sum of a Prometheus counter's samples in a /metrics text. */
function counter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('GC soak (online collector under concurrent push, delete and pull)', () => {
  let srv: AirlockProcess;
  let http: RegistryClient;
  let ops: RegistryOps;

  before(async () => {
    srv = await startAirlockProcess({ args: ['--gc-interval', '2', '--gc-grace', String(GRACE_S)] });
    http = new RegistryClient(srv.url);
    ops = new RegistryOps(http);
  });
  after(async () => {
    await http.close();
    await srv.stop();
  });

  it('loses nothing live while collecting what was deleted', { timeout: SOAK_MS + 120_000 }, async (t) => {
    const metrics = async () => (await http.request('GET', '/metrics')).body.toString('utf8');
    const before = await metrics();
    const c: Counts = {
      pushes: 0, slowPushes: 0, pushErrors: [], slowPushErrors: 0, looseBlobs: 0,
      pulls: 0, pulledBlobs: 0, pullErrors: [], deletes: 0, deleteErrors: [],
    };
    const live: Live[] = [];
    // Layers shared by many images, so the collector deletes and pushes re-create the same digests.
    const shared = Array.from({ length: 4 }, () => randomBytes(16 * 1024));
    const deadline = Date.now() + SOAK_MS;
    let seq = 0;

    const pushOne = async (w: number, keep = false): Promise<void> => {
      const n = seq++;
      const repo = REPOS[n % REPOS.length]!;
      const tag = `t${n}`;
      const t0 = Date.now();
      try {
        const layers = [shared[n % shared.length]!, randomBytes(8 * 1024 + (n % 7) * 1024)];
        const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n, w }));
        const layerDescs: Descriptor[] = [];
        for (const l of layers) {
          await ops.pushBlob(repo, l);
          layerDescs.push(descriptor(MT.ociLayer, l));
        }
        await ops.pushBlob(repo, config);
        const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociConfig, config), layers: layerDescs }));
        await ops.pushManifest(repo, tag, manifest, MT.ociManifest);
        if (n % 5 === 0) {
          await ops.pushBlob(repo, randomBytes(4096)); // never referenced: garbage after the grace period
          c.looseBlobs++;
        }
        live.push({ repo, tag, keep, pins: 0 });
        c.pushes++;
        if (Date.now() - t0 >= GRACE_S * 1000) c.slowPushes++;
      } catch (e) {
        if (Date.now() - t0 >= GRACE_S * 1000) c.slowPushErrors++;
        else c.pushErrors.push(`${repo}:${tag}: ${(e as Error).message.split('\n')[0]}`);
      }
    };

    const pullOne = async (l: Live): Promise<void> => {
      const what = `${l.repo}:${l.tag}`;
      const res = await ops.getManifest(l.repo, l.tag);
      if (res.status !== 200) throw new Error(`${what}: manifest ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
      if (header(res, 'docker-content-digest') !== sha256(res.body)) throw new Error(`${what}: manifest bytes do not match their digest`);
      const m = JSON.parse(res.body.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
      for (const d of [m.config, ...m.layers]) {
        const b = await http.request('GET', `/v2/${l.repo}/blobs/${d.digest}`);
        if (b.status !== 200) throw new Error(`${what}: blob ${d.digest} ${b.status} ${b.body.toString('utf8').slice(0, 200)}`);
        if (sha256(b.body) !== d.digest || b.body.length !== d.size) throw new Error(`${what}: blob ${d.digest} does not verify`);
        c.pulledBlobs++;
      }
      c.pulls++;
    };

    const pusher = async (w: number) => {
      while (Date.now() < deadline) await pushOne(w);
    };
    const keepers = () => live.filter((l) => l.keep);
    const puller = async () => {
      while (Date.now() < deadline) {
        const pool = Math.random() < 0.5 ? keepers() : live;
        const l = pool[Math.floor(Math.random() * pool.length)];
        if (!l) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        l.pins++; // live now, and the deleter leaves pinned tags alone
        try {
          await pullOne(l);
        } catch (e) {
          c.pullErrors.push((e as Error).message);
        } finally {
          l.pins--;
        }
      }
    };
    const deleter = async () => {
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 60));
        // Keep a population alive for the pullers (so images live across
        // several collections); delete an unpinned one of the older half.
        if (live.length < KEEPERS + 20) continue;
        const i = live.findIndex((l, k) => !l.keep && l.pins === 0 && k < live.length / 2 && Math.random() < 0.5);
        if (i < 0) continue;
        const [l] = live.splice(i, 1);
        const res = await http.request('DELETE', `/v2/${l!.repo}/manifests/${l!.tag}`);
        if (res.status === 202) c.deletes++;
        else c.deleteErrors.push(`${l!.repo}:${l!.tag}: DELETE ${res.status}`);
      }
    };

    for (let k = 0; k < KEEPERS; k++) await pushOne(0, true);
    assert.equal(keepers().length, KEEPERS, `the ${KEEPERS} long-lived images were pushed: ${c.pushErrors.join('; ')}`);
    await Promise.all([
      ...Array.from({ length: PUSHERS }, (_, w) => pusher(w)),
      ...Array.from({ length: PULLERS }, () => puller()),
      deleter(),
    ]);

    // Content deleted at the end is collected a grace period (plus a run) later.
    const settle = Date.now() + (GRACE_S + 10) * 1000;
    let now = await metrics();
    while (Date.now() < settle && counter(now, 'airlock_gc_deleted_blobs_total') - counter(before, 'airlock_gc_deleted_blobs_total') === 0) {
      await new Promise((r) => setTimeout(r, 500));
      now = await metrics();
    }
    // Whatever is still tagged pulls completely after all that collecting.
    for (const l of live) {
      try {
        await pullOne(l);
      } catch (e) {
        c.pullErrors.push(`final: ${(e as Error).message}`);
      }
    }
    now = await metrics();
    const gcRuns = counter(now, 'airlock_gc_runs_total') - counter(before, 'airlock_gc_runs_total');
    const gcBlobs = counter(now, 'airlock_gc_deleted_blobs_total') - counter(before, 'airlock_gc_deleted_blobs_total');
    const gcManifests = counter(now, 'airlock_gc_deleted_manifests_total') - counter(before, 'airlock_gc_deleted_manifests_total');

    t.diagnostic(`soak ${SOAK_MS / 1000} s: pushes ${c.pushes} (slower than the grace period: ${c.slowPushes}, their errors: ${c.slowPushErrors}), loose blobs ${c.looseBlobs}`);
    t.diagnostic(`pulls ${c.pulls} (${c.pulledBlobs} blobs verified), tag deletes ${c.deletes}, still tagged ${live.length}`);
    t.diagnostic(`gc runs ${gcRuns}, manifests deleted ${gcManifests}, blobs deleted ${gcBlobs}`);

    const none = (errors: string[], what: string) =>
      assert.equal(errors.length, 0, `${what}: ${errors.length} failed, first ones:\n${errors.slice(0, 5).join('\n')}`);
    none(c.pushErrors, 'pushes that finished within the grace period all succeed');
    none(c.pullErrors, 'pulls of live tags find every manifest and blob, and every blob verifies');
    none(c.deleteErrors, 'tag deletes succeed');
    assert.ok(c.pushes > 0 && c.pulls > 0 && c.deletes > 0, 'the workload ran');
    assert.ok(gcRuns >= 2, `the collector ran (${gcRuns} runs)`);
    assert.ok(gcManifests > 0, 'the collector deleted orphaned manifests');
    assert.ok(gcBlobs > 0, 'the collector deleted blobs');
    assert.doesNotMatch(srv.stderr(), /garbage collection failed/, 'no collection failed');
  });
});
