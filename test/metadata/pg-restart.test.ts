/**
 * PostgreSQL restarted mid-run under 3 `airlock serve --metadata` replicas
 * (sharing one Ceph RGW prefix; GC on), while clients keep pushing through
 * all three. The PostgreSQL is the test's own (scripts/services/pg-up.sh on
 * a free port and a temporary directory), stopped and started again on the
 * same data. While it is down every replica's /readyz answers 503 and a push
 * gets 503 UNAVAILABLE with one line, no stack trace, never a 500; once it is
 * back every replica is ready again without restarting, every push that got
 * 201, before or after, reads back byte for byte on every replica, and the
 * stores, read directly, hold nothing partial.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { freePort, repoRoot } from '../helpers/airlock-process.js';
import { checkSharedStores, sha, verifyPull } from '../helpers/ha-checks.js';
import { startReplicas, type ReplicaSet } from '../helpers/replicas.js';
import { s3Gate } from '../helpers/s3.js';
import { peerGate } from '../interop/support/peers.js';

const run = promisify(execFile);
const gates = [s3Gate(), peerGate([existsSync('/usr/lib/postgresql/15/bin/initdb') && process.getuid?.() === 0 ? undefined : 'PostgreSQL 15 binaries, as root (apt-get install postgresql)'])];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const MT = 'application/vnd.oci.image.manifest.v1+json';
const N = 3;

interface Push { readonly repo: string; readonly tag: string; readonly phase: Phase; status: number; body: string; digest: string }
type Phase = 'before' | 'down' | 'after';

/** A config blob, a 64 KiB layer and a manifest, each in one request; the first answer that is not 201 ends it. */
async function push(base: string, repo: string, tag: string): Promise<{ status: number; body: string; digest: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag, nonce: randomBytes(4).toString('hex') }));
  const layer = randomBytes(64 * 1024);
  for (const blob of [config, layer]) {
    const b = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha(blob)}`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    if (b.status !== 201) return { status: b.status, body: await b.text(), digest: '' };
    await b.arrayBuffer();
  }
  const m = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
  }));
  const r = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: m, headers: { 'content-type': MT } });
  return { status: r.status, body: await r.text(), digest: sha(m) };
}

describe(`PostgreSQL restarted under ${N} replicas`, { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL 15 and an S3 store', () => assert.fail(failure));
    return;
  }
  let dir: string;
  let env: Record<string, string>;
  let set: ReplicaSet | undefined;
  const script = (name: string, extra: Record<string, string> = {}) =>
    run(join(repoRoot(), 'scripts/services', name), [], { env: { ...process.env, ...env, ...extra } });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-pg-restart-'));
    await chmod(dir, 0o711); // the postgres user must reach its data directory below
    env = { AIRLOCK_PG_DIR: join(dir, 'pg'), AIRLOCK_PG_PORT: String(await freePort()) };
  });
  after(async () => {
    await set?.stop();
    await script('pg-down.sh').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('every replica is not ready while PostgreSQL is down, recovers by itself, and nothing is lost or partial', { timeout: 180_000 }, async (t) => {
    const url = /AIRLOCK_TEST_PG_URL=(\S+)/.exec((await script('pg-up.sh')).stdout)![1]!;
    set = await startReplicas({ count: N, metadata: url, args: ['--no-auth', '--gc-interval', '2'] });
    const reps = set.replicas;
    const pids = reps.map((r) => r.pid);
    const readyz = () => Promise.all(reps.map(async (r) => fetch(`${r.url}/readyz`).then((res) => res.status, () => 0)));
    const waitReady = async (want: number) => {
      let st: number[] = [];
      for (let i = 0; i < 150; i++) {
        st = await readyz();
        if (st.every((s) => s === want)) return st;
        await new Promise((r) => setTimeout(r, 100));
      }
      return st;
    };
    assert.deepEqual(await readyz(), Array(N).fill(200));

    // Clients push through all replicas, round robin, for the whole run.
    let phase: Phase = 'before';
    let stop = false;
    const pushes: Push[] = [];
    let seq = 0;
    const client = async (c: number) => {
      while (!stop) {
        const k = seq++;
        const repo = `restart/c${c}`;
        const tag = `t${k}`;
        const p: Push = { repo, tag, phase, status: 0, body: '', digest: '' };
        pushes.push(p);
        Object.assign(p, await push(reps[k % N]!.url, repo, tag).catch((e: Error) => ({ status: -1, body: e.message, digest: '' })));
        if (p.status !== 201) await new Promise((r) => setTimeout(r, 100));
      }
    };
    const clients = [0, 1, 2].map(client);
    const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await settle(3_000);

      await script('pg-down.sh', { AIRLOCK_PG_KEEP: '1' });
      phase = 'down';
      assert.deepEqual(await waitReady(503), Array(N).fill(503), `every replica reports not ready${reps.filter((r) => !r.running).map((r) => `; ${r.hostPort} died: ${r.stderr().slice(-1500)}`).join('')}`);
      for (const r of reps) {
        const down = await fetch(`${r.url}/readyz`);
        assert.deepEqual(await down.json(), { status: 'metadata store unavailable' });
      }
      await settle(3_000);

      await script('pg-up.sh');
      assert.deepEqual(await waitReady(200), Array(N).fill(200), '/readyz is 200 again on every replica');
      phase = 'after';
      await settle(3_000);
    } finally {
      stop = true; // the clients end whatever failed above
      await Promise.all(clients);
    }
    assert.deepEqual(reps.map((r) => r.running && r.pid), pids, 'no replica restarted');

    const by = (ph: Phase, ok: boolean) => pushes.filter((p) => p.phase === ph && (p.status === 201) === ok);
    t.diagnostic(`pushes: before ${by('before', true).length} ok; during the outage ${by('down', false).length} refused, ${by('down', true).length} ok; after ${by('after', true).length} ok, ${by('after', false).length} refused`);
    assert.ok(by('before', true).length > 0 && by('after', true).length > 0, 'pushes succeeded before and after the outage');
    assert.ok(by('down', false).length > 0, 'pushes were refused during the outage');
    // A push that was not accepted got a clear 503: one line, no stack trace, never a 500 or a dropped connection.
    for (const p of pushes.filter((x) => x.status !== 201)) {
      const req = /request ([0-9a-f-]{36})/.exec(p.body)?.[1];
      const logged = req ? reps.flatMap((r) => (r.stdout() + r.stderr()).split('\n').filter((l) => l.includes(req))).join('\n') : '';
      assert.equal(p.status, 503, `${p.repo}:${p.tag} (${p.phase}): ${p.status} ${p.body}\n${logged}`);
      const err = JSON.parse(p.body) as { errors: { code: string; message: string }[] };
      assert.equal(err.errors[0]!.code, 'UNAVAILABLE', p.body);
      assert.match(err.errors[0]!.message, /^the metadata store is unavailable: PostgreSQL: [^\n]*retry later/, p.body);
      assert.doesNotMatch(p.body, /\n\s+at /, 'no stack trace in the answer');
    }
    // Everything that got 201 reads back, tag and digest, on every replica.
    for (const p of pushes.filter((x) => x.status === 201)) {
      for (const r of reps) {
        assert.deepEqual(await verifyPull(r.url, p.repo, p.tag), [], `${p.repo}:${p.tag} (${p.phase}) on ${r.hostPort}`);
        const m = await fetch(`${r.url}/v2/${p.repo}/manifests/${p.tag}`, { headers: { accept: MT } });
        assert.equal(sha(Buffer.from(await m.arrayBuffer())), p.digest);
      }
    }
    for (let c = 0; c < 3; c++) {
      const listed = ((await (await fetch(`${reps[c]!.url}/v2/restart/c${c}/tags/list`)).json()) as { tags: string[] }).tags;
      for (const p of pushes.filter((x) => x.status === 201 && x.repo === `restart/c${c}`)) assert.ok(listed.includes(p.tag), `${p.repo}:${p.tag} is listed`);
    }
    // The metadata invariants: no blob row without its object, no reference to a missing blob, no partial manifest.
    const check = await checkSharedStores(url, set.storage);
    assert.deepEqual(check.problems, []);
    assert.ok(check.manifests >= by('before', true).length + by('after', true).length);
  });
});
