/**
 * GC soak across replicas: two `airlock serve` processes on one PostgreSQL
 * and one RGW prefix, each collecting every 2 s with a 5 s grace period (one
 * at a time: leadership), while pushers upload blobs through one replica and
 * PUT the manifest through the other, a deleter deletes tags on either, and
 * pullers read through either, for AIRLOCK_HA_GC_SOAK_SECONDS (default 30).
 * Pass/fail is correctness only: every push that finished within the grace
 * period succeeded, every pull of a live tag verified byte for byte (on both
 * replicas at the end), no collection failed, and the collectors did delete.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MT, RegistryClient, RegistryOps, descriptor, header, sha256, type Descriptor } from '../conformance/workflows.js';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { createTestDatabase, dropTestDatabase, pgGate } from '../helpers/pg.js';
import { awsEnv, prepareS3, s3Gate, s3StorageUrl, s3TestDriver, s3TestEnv } from '../helpers/s3.js';

const gates = [pgGate(), s3Gate()];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const env = s3TestEnv();
const SOAK_MS = Number(process.env.AIRLOCK_HA_GC_SOAK_SECONDS ?? 30) * 1000;
const GRACE_S = 5;
const REPOS = ['hasoak/a', 'hasoak/b'];

interface Live { readonly repo: string; readonly tag: string; readonly keep: boolean; pins: number }

function counter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

describe('GC soak across two replicas on PostgreSQL + Ceph RGW', { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL and an S3 store', () => assert.fail(failure));
    return;
  }
  let dbUrl: string;
  let storage: string;
  let reps: AirlockProcess[] = [];
  let clients: RegistryClient[] = [];
  before(async () => {
    await prepareS3(env!);
    dbUrl = await createTestDatabase();
    storage = s3StorageUrl(env!);
    reps = await Promise.all([1, 2].map(() => startAirlockProcess({
      args: ['--no-auth', '--gc-interval', '2', '--gc-grace', String(GRACE_S), '--metadata', dbUrl, '--storage', storage], env: awsEnv(env!),
    })));
    clients = reps.map((r) => new RegistryClient(r.url));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(reps.map((r) => r.stop()));
    const driver = s3TestDriver(storage);
    await driver.delete('');
    driver.close();
    await dropTestDatabase(dbUrl);
  });

  it('loses nothing live while both replicas collect', { timeout: SOAK_MS + 120_000 }, async (t) => {
    const ops = clients.map((c) => new RegistryOps(c));
    const metrics = async () => (await Promise.all(clients.map(async (c) => (await c.request('GET', '/metrics')).body.toString()))).join('\n');
    const before = await metrics();
    const live: Live[] = [];
    const errors = { push: [] as string[], pull: [] as string[], del: [] as string[] };
    let pushes = 0, slow = 0, pulls = 0, blobs = 0, deletes = 0, seq = 0;
    const shared = Array.from({ length: 3 }, () => randomBytes(16 * 1024));
    const deadline = Date.now() + SOAK_MS;

    const pushOne = async (keep = false) => {
      const n = seq++;
      const repo = REPOS[n % REPOS.length]!;
      const tag = `t${n}`;
      const [up, put] = n % 2 ? [ops[0]!, ops[1]!] : [ops[1]!, ops[0]!];
      const t0 = Date.now();
      try {
        const layers = [shared[n % shared.length]!, randomBytes(4096 + (n % 5) * 1024)];
        const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n }));
        for (const b of [...layers, config]) await up.pushBlob(repo, b);
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociConfig, config), layers: layers.map((l) => descriptor(MT.ociLayer, l)),
        }));
        await put.pushManifest(repo, tag, manifest, MT.ociManifest);
        if (n % 4 === 0) await up.pushBlob(repo, randomBytes(2048)); // garbage after the grace period
        live.push({ repo, tag, keep, pins: 0 });
        pushes++;
      } catch (e) {
        if (Date.now() - t0 >= GRACE_S * 1000) slow++;
        else errors.push.push(`${repo}:${tag}: ${(e as Error).message.split('\n')[0]}`);
      }
    };
    const pullOne = async (l: Live, o: RegistryOps, c: RegistryClient) => {
      const what = `${l.repo}:${l.tag}`;
      const res = await o.getManifest(l.repo, l.tag);
      if (res.status !== 200) throw new Error(`${what}: manifest ${res.status}`);
      if (header(res, 'docker-content-digest') !== sha256(res.body)) throw new Error(`${what}: manifest does not verify`);
      const m = JSON.parse(res.body.toString()) as { config: Descriptor; layers: Descriptor[] };
      for (const d of [m.config, ...m.layers]) {
        const b = await c.request('GET', `/v2/${l.repo}/blobs/${d.digest}`);
        if (b.status !== 200 || sha256(b.body) !== d.digest) throw new Error(`${what}: blob ${d.digest} ${b.status}`);
        blobs++;
      }
      pulls++;
    };
    const puller = async () => {
      while (Date.now() < deadline) {
        const l = live[Math.floor(Math.random() * live.length)];
        if (!l) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const i = Math.floor(Math.random() * 2);
        l.pins++;
        await pullOne(l, ops[i]!, clients[i]!).catch((e: Error) => errors.pull.push(e.message)).finally(() => l.pins--);
      }
    };
    const deleter = async () => {
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 80));
        if (live.length < 8) continue;
        const i = live.findIndex((l, k) => !l.keep && l.pins === 0 && k < live.length / 2);
        if (i < 0) continue;
        const [l] = live.splice(i, 1);
        const res = await clients[deletes % 2]!.request('DELETE', `/v2/${l!.repo}/manifests/${l!.tag}`);
        if (res.status === 202) deletes++;
        else errors.del.push(`${l!.repo}:${l!.tag}: DELETE ${res.status}`);
      }
    };
    for (let k = 0; k < 4; k++) await pushOne(true);
    await Promise.all([
      (async () => { while (Date.now() < deadline) await pushOne(); })(),
      (async () => { while (Date.now() < deadline) await pushOne(); })(),
      puller(), puller(), deleter(),
    ]);
    // However slow the machine was, one more delete gives the collectors a manifest to collect.
    if (!live.some((l) => !l.keep)) await pushOne();
    const last = live.findIndex((l) => !l.keep);
    if (last >= 0) {
      const [l] = live.splice(last, 1);
      const res = await clients[1]!.request('DELETE', `/v2/${l!.repo}/manifests/${l!.tag}`);
      if (res.status === 202) deletes++;
      else errors.del.push(`${l!.repo}:${l!.tag}: DELETE ${res.status}`);
    }
    // Content deleted at the end is collected a grace period (plus a run) later.
    const settle = Date.now() + (GRACE_S + 20) * 1000;
    const collected = (m: string, name: string) => counter(m, name) > counter(before, name);
    let now = await metrics();
    while (Date.now() < settle && !(collected(now, 'airlock_gc_deleted_blobs_total') && collected(now, 'airlock_gc_deleted_manifests_total'))) {
      await new Promise((r) => setTimeout(r, 500));
      now = await metrics();
    }
    for (const l of live) for (const i of [0, 1]) await pullOne(l, ops[i]!, clients[i]!).catch((e: Error) => errors.pull.push(`final on replica ${i + 1}: ${e.message}`));
    now = await metrics();
    const runs = counter(now, 'airlock_gc_runs_total') - counter(before, 'airlock_gc_runs_total');
    const gcBlobs = counter(now, 'airlock_gc_deleted_blobs_total') - counter(before, 'airlock_gc_deleted_blobs_total');
    const gcManifests = counter(now, 'airlock_gc_deleted_manifests_total') - counter(before, 'airlock_gc_deleted_manifests_total');
    t.diagnostic(`soak ${SOAK_MS / 1000} s: pushes ${pushes} (slow failures ${slow}), pulls ${pulls} (${blobs} blobs verified), deletes ${deletes}, live ${live.length}`);
    t.diagnostic(`gc runs ${runs} (both replicas), manifests deleted ${gcManifests}, blobs deleted ${gcBlobs}`);
    for (const [what, list] of Object.entries(errors)) assert.equal(list.length, 0, `${what}: ${list.slice(0, 5).join('\n')}`);
    assert.ok(pushes > 0 && pulls > 0 && deletes > 0, 'the workload ran');
    assert.ok(runs >= 2 && gcManifests > 0 && gcBlobs > 0, `the collectors ran and deleted (${runs} runs)`);
    for (const r of reps) assert.doesNotMatch(r.stderr(), /garbage collection failed/);
  });
});
