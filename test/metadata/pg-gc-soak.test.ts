/**
 * GC on every replica during pushes: three `airlock serve` processes on one
 * PostgreSQL and one RGW prefix, each collecting with a 5 s grace period
 * (every 2, 3 and 5 s: timers in step would hand leadership to the same
 * replicas), for AIRLOCK_HA_GC_SOAK_SECONDS (default 120), while clients push
 * (blobs through one replica, the manifest through another), tag a manifest
 * again, move tags to other manifests, delete tags and pull, spread over all
 * three. Pass/fail is correctness only:
 * - 0 errors: every push that finished within the grace period succeeded,
 *   every tag, re-tag and delete was accepted, every pull of a live tag
 *   verified byte for byte, and no collection failed;
 * - 0 lost blobs: at the end every tag still live reads back with all its
 *   blobs on every replica, and the stores, read directly, hold nothing
 *   partial;
 * - leadership: the runs in the replicas' shared GC history (the run log in PostgreSQL) never
 *   overlap in time, at least two replicas led in turn, and the collectors
 *   did delete.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { GcRunSummary } from '../../src/registry/gc-history.js';
import { MT, RegistryClient, RegistryOps, descriptor, header, sha256, type Descriptor } from '../conformance/workflows.js';
import { checkSharedStores } from '../helpers/ha-checks.js';
import { pgGate } from '../helpers/pg.js';
import { startReplicas, type ReplicaSet } from '../helpers/replicas.js';
import { s3Gate } from '../helpers/s3.js';

const gates = [pgGate(), s3Gate()];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const SOAK_MS = Number(process.env.AIRLOCK_HA_GC_SOAK_SECONDS ?? 120) * 1000;
const GRACE_S = 5;
const N = 3;
const INTERVALS = [2, 3, 5];
const REPOS = ['hasoak/a', 'hasoak/b'];

interface Live { readonly repo: string; readonly tag: string; manifest: Buffer; keep: boolean; pins: number }
interface Run extends GcRunSummary { readonly replica: number }

function counter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(a: readonly T[]): T | undefined => a[Math.floor(Math.random() * a.length)];

describe(`GC on all ${N} replicas during pushes, on PostgreSQL + Ceph RGW`, { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL and an S3 store', () => assert.fail(failure));
    return;
  }
  let set: ReplicaSet | undefined;
  let clients: RegistryClient[] = [];
  before(async () => {
    set = await startReplicas({ count: N, args: ['--no-auth', '--gc-grace', String(GRACE_S)], argsOf: (i) => ['--gc-interval', String(INTERVALS[i])] });
    clients = set.replicas.map((r) => new RegistryClient(r.url));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await set?.stop();
  });

  it('0 errors, 0 lost blobs, one collector at a time', { timeout: SOAK_MS + 180_000 }, async (t) => {
    const ops = clients.map((c) => new RegistryOps(c));
    const metricsOf = async (i: number) => (await clients[i]!.request('GET', '/metrics')).body.toString();
    const metrics = async () => Promise.all(clients.map((_, i) => metricsOf(i)));
    const before = await metrics();
    // The replicas' shared GC history (the metadata store's run log, gc_runs), gathered every second.
    const runs = new Map<string, Run>();
    const gatherRuns = async () => {
      const c = new pg.Client({ connectionString: set!.dbUrl });
      await c.connect();
      try {
        for (const row of (await c.query('SELECT id, summary FROM gc_runs')).rows as { id: string; summary: string }[]) {
          runs.set(row.id, { ...(JSON.parse(row.summary) as GcRunSummary), replica: -1 });
        }
      } finally {
        await c.end();
      }
    };
    const live: Live[] = [];
    const errors = { push: [] as string[], tag: [] as string[], pull: [] as string[], del: [] as string[] };
    const n = { pushes: 0, slow: 0, tags: 0, retags: 0, pulls: 0, blobs: 0, deletes: 0 };
    let seq = 0;
    const shared = Array.from({ length: 3 }, () => randomBytes(16 * 1024));
    const deadline = Date.now() + SOAK_MS;
    const running = () => Date.now() < deadline;

    const pushOne = async (keep = false) => {
      const k = seq++;
      const repo = REPOS[k % REPOS.length]!;
      const tag = `t${k}`;
      const up = ops[k % N]!;
      const put = ops[(k + 1) % N]!;
      const t0 = Date.now();
      try {
        const layers = [shared[k % shared.length]!, randomBytes(4096 + (k % 5) * 1024)];
        const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', k }));
        for (const b of [...layers, config]) await up.pushBlob(repo, b);
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociConfig, config), layers: layers.map((l) => descriptor(MT.ociLayer, l)),
        }));
        await put.pushManifest(repo, tag, manifest, MT.ociManifest);
        if (k % 4 === 0) await up.pushBlob(repo, randomBytes(2048)); // garbage after the grace period
        live.push({ repo, tag, manifest, keep, pins: 0 });
        n.pushes++;
      } catch (e) {
        // Blobs uploaded longer than the grace period before their manifest are fair game for the collector.
        if (Date.now() - t0 >= GRACE_S * 1000) n.slow++;
        else errors.push.push(`${repo}:${tag}: ${(e as Error).message.split('\n')[0]}`);
      }
    };
    const pullOne = async (l: Live, i: number) => {
      const what = `${l.repo}:${l.tag} on replica ${i + 1}`;
      const res = await ops[i]!.getManifest(l.repo, l.tag);
      if (res.status !== 200) throw new Error(`${what}: manifest ${res.status}`);
      if (header(res, 'docker-content-digest') !== sha256(res.body)) throw new Error(`${what}: manifest does not verify`);
      const m = JSON.parse(res.body.toString()) as { config: Descriptor; layers: Descriptor[] };
      for (const d of [m.config, ...m.layers]) {
        const b = await clients[i]!.request('GET', `/v2/${l.repo}/blobs/${d.digest}`);
        if (b.status !== 200 || sha256(b.body) !== d.digest) throw new Error(`${what}: blob ${d.digest} ${b.status}`);
        n.blobs++;
      }
      n.pulls++;
    };
    const pinned = async (l: Live, f: () => Promise<void>) => {
      l.pins++;
      try {
        await f();
      } finally {
        l.pins--;
      }
    };
    const puller = async () => {
      while (running()) {
        const l = pick(live);
        if (!l) {
          await pause(20);
          continue;
        }
        const i = Math.floor(Math.random() * N);
        await pinned(l, () => pullOne(l, i)).catch((e: Error) => errors.pull.push(e.message));
      }
    };
    // Tags a live manifest again (a new tag, same bytes), or moves a tag to another live manifest of its
    // repository (the one it named loses that tag and, when it has no other, is collected after the grace period).
    const tagger = async () => {
      while (running()) {
        await pause(60);
        const l = pick(live);
        if (!l) continue;
        const i = Math.floor(Math.random() * N);
        const retag = seq % 2 === 0;
        const target = retag ? live.find((o) => o !== l && o.repo === l.repo && !o.keep && o.pins === 0 && !o.manifest.equals(l.manifest)) : undefined;
        await pinned(l, async () => {
          if (target) {
            target.pins++;
            const res = await ops[i]!.putManifest(l.repo, target.tag, l.manifest, MT.ociManifest).finally(() => target.pins--);
            if (res.status !== 201) return void errors.tag.push(`re-tag ${l.repo}:${target.tag}: PUT ${res.status}`);
            target.manifest = l.manifest;
            n.retags++;
          } else {
            const tag = `again${seq++}`;
            const res = await ops[i]!.putManifest(l.repo, tag, l.manifest, MT.ociManifest);
            if (res.status !== 201) return void errors.tag.push(`tag ${l.repo}:${tag}: PUT ${res.status}`);
            live.push({ repo: l.repo, tag, manifest: l.manifest, keep: false, pins: 0 });
            n.tags++;
          }
        });
      }
    };
    const deleteOne = async (i: number) => {
      const [l] = live.splice(i, 1);
      const res = await clients[n.deletes % N]!.request('DELETE', `/v2/${l!.repo}/manifests/${l!.tag}`);
      if (res.status === 202) n.deletes++;
      else errors.del.push(`${l!.repo}:${l!.tag}: DELETE ${res.status}`);
    };
    const deleter = async () => {
      while (running()) {
        await pause(80);
        if (live.length < 8) continue;
        const i = live.findIndex((l, k) => !l.keep && l.pins === 0 && k < live.length / 2);
        if (i >= 0) await deleteOne(i);
      }
    };
    const historian = async () => {
      while (running()) {
        await gatherRuns();
        await pause(1_000);
      }
    };
    for (let k = 0; k < 4; k++) await pushOne(true);
    const pusher = async () => {
      while (running()) await pushOne();
    };
    await Promise.all([pusher(), pusher(), puller(), puller(), tagger(), deleter(), historian()]);
    // However slow the machine was, one more delete gives the collectors something to collect.
    if (!live.some((l) => !l.keep)) await pushOne();
    const last = live.findIndex((l) => !l.keep);
    if (last >= 0) await deleteOne(last);
    // Content deleted at the end is collected a grace period (plus a run) later.
    const settle = Date.now() + (GRACE_S + 20) * 1000;
    const deleted = async () => {
      const now = await metrics();
      return ['airlock_gc_deleted_blobs_total', 'airlock_gc_deleted_manifests_total'].every((m) =>
        now.reduce((a, x) => a + counter(x, m), 0) > before.reduce((a, x) => a + counter(x, m), 0));
    };
    while (Date.now() < settle && !(await deleted())) await pause(500);

    // 0 lost blobs: every live tag reads back with all its blobs on every replica, and the stores hold nothing partial.
    for (const l of live) for (let i = 0; i < N; i++) await pullOne(l, i).catch((e: Error) => errors.pull.push(`final: ${e.message}`));
    const check = await checkSharedStores(set!.dbUrl, set!.storage);

    // A run is counted and recorded in one synchronous step: the history read after the metrics holds every counted run.
    const now = await metrics();
    await gatherRuns();
    const delta = (i: number, name: string) => counter(now[i]!, name) - counter(before[i]!, name);
    const led = Array.from({ length: N }, (_, i) => delta(i, 'airlock_gc_runs_total'));
    const sum = (name: string) => led.reduce((a, _, i) => a + delta(i, name), 0);
    const history = [...runs.values()].sort((a, b) => a.finishedAt - a.durationMs - (b.finishedAt - b.durationMs));
    const busy = history.reduce((a, r) => a + r.durationMs, 0);
    const span = history.length ? history[history.length - 1]!.finishedAt - (history[0]!.finishedAt - history[0]!.durationMs) : 1;
    t.diagnostic(`soak ${SOAK_MS / 1000} s: pushes ${n.pushes} (slow failures ${n.slow}), tags ${n.tags}, re-tags ${n.retags}, deletes ${n.deletes}, pulls ${n.pulls} (${n.blobs} blobs verified), live ${live.length}`);
    t.diagnostic(`gc runs led per replica ${led.join('/')}, collecting ${Math.round((100 * busy) / span)} % of the time; manifests deleted ${sum('airlock_gc_deleted_manifests_total')}, blobs deleted ${sum('airlock_gc_deleted_blobs_total')}`);
    t.diagnostic(`stores: ${check.blobRows} blob rows, ${check.objects} objects, ${check.manifests} manifests`);

    for (const [what, list] of Object.entries(errors)) assert.equal(list.length, 0, `${what}: ${list.slice(0, 5).join('\n')}`);
    assert.deepEqual(check.problems, []);
    assert.ok(n.pushes > 0 && n.pulls > 0 && n.deletes > 0 && n.tags > 0 && n.retags > 0, 'the workload ran');
    assert.ok(sum('airlock_gc_deleted_manifests_total') > 0 && sum('airlock_gc_deleted_blobs_total') > 0, 'the collectors deleted');
    for (const r of set!.replicas) assert.doesNotMatch(r.stderr() + r.stdout(), /garbage collection failed/);
    // Leadership: replicas took turns, the history holds every run the metrics counted, and no two runs overlap.
    assert.ok(led.filter((c) => c > 0).length >= 2, `at least two replicas led collections (${led.join('/')})`);
    const counted = led.reduce((a, c) => a + c, 0);
    assert.ok(history.length >= counted, `${counted} runs counted by the replicas, ${history.length} in the shared history`);
    for (let k = 1; k < history.length; k++) {
      const [a, b] = [history[k - 1]!, history[k]!];
      assert.ok(b.finishedAt - b.durationMs >= a.finishedAt,
        `a collection started at ${b.finishedAt - b.durationMs} while another ran until ${a.finishedAt}`);
    }
  });
});
