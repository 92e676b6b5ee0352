/**
 * Two `airlock serve` replicas sharing one PostgreSQL (--metadata) and one
 * Ceph RGW prefix (--storage), on loopback: skopeo pushes through replica 1
 * and everything reads back, byte for byte, through replica 2; a chunked
 * upload PATCHed on replica 1 is finished on replica 2; with PostgreSQL cut
 * off (a TCP proxy closed) /readyz answers 503 and comes back when it
 * returns; `airlock gc --dry-run` runs against the shared stores.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtures, type FixtureSet } from '../fixtures/make-fixtures.js';
import { runAirlockCli, type AirlockProcess } from '../helpers/airlock-process.js';
import { sha, verifyPull } from '../helpers/ha-checks.js';
import { pgGate } from '../helpers/pg.js';
import { startReplicas, type ReplicaSet } from '../helpers/replicas.js';
import { awsEnv, s3Gate, s3TestEnv } from '../helpers/s3.js';
import { skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { cuttableProxy } from '../helpers/tcp-proxy.js';
import { peerGate } from '../interop/support/peers.js';

const gates = [pgGate(), s3Gate(), peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)'])];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const env = s3TestEnv();
const MiB = 1 << 20;

describe('replicas on PostgreSQL + Ceph RGW', { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL, an S3 store and skopeo', () => assert.fail(failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let set: ReplicaSet | undefined;
  let dbUrl: string;
  let storage: string;
  let r1: AirlockProcess;
  let r2: AirlockProcess;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-pg-replicas-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 1 });
    set = await startReplicas({ count: 2, args: ['--no-auth', '--no-gc'] });
    ({ dbUrl, storage } = set);
    [r1, r2] = set.replicas as [AirlockProcess, AirlockProcess];
  });
  after(async () => {
    await set?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('never prints the database password', () => {
    const password = new URL(dbUrl).password;
    assert.ok(password.length > 0);
    for (const r of [r1, r2]) {
      assert.match(r.stdout(), /metadata: postgres:\/\/airlock:\*\*\*@127\.0\.0\.1:\d+\/airlock_t_/);
      assert.ok(!(r.stdout() + r.stderr()).includes(password), 'the password is not in the output');
    }
  });

  it('push through replica 1, pull through replica 2: same digests, every byte verified', async () => {
    for (const ref of ['big-v1', 'multi-v1']) {
      const img = fx.images.find((i) => i.ref === ref)!;
      await skopeoOk(['copy', '--all', '-q', '--dest-tls-verify=false', img.source, `docker://${r1.hostPort}/${img.repo}:${img.tag}`]);
      const inspected = await skopeoOk(['inspect', '--raw', '--tls-verify=false', `docker://${r2.hostPort}/${img.repo}:${img.tag}`]);
      assert.equal(sha(inspected.stdoutBytes), img.digest, `${ref} through replica 2`);
      assert.deepEqual(await verifyPull(r2.url, img.repo, img.tag!), []);
      const tags = (await (await fetch(`${r2.url}/v2/${img.repo}/tags/list`)).json()) as { tags: string[] };
      assert.ok(tags.tags.includes(img.tag!));
    }
    const catalog = (await (await fetch(`${r2.url}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.ok(catalog.repositories.length >= 2);
  });

  it('a chunked upload PATCHed on replica 1 is finished on replica 2', async () => {
    const data = randomBytes(11 * MiB + 5);
    const repo = 'split/blob';
    const post = await fetch(`${r1.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    assert.equal(post.status, 202);
    const path = new URL(post.headers.get('location')!, r1.url);
    let off = 0;
    const patch = async (base: string, n: number) => {
      const r = await fetch(new URL(path.pathname + path.search, base), {
        method: 'PATCH', body: data.subarray(off, off + n),
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${off}-${off + n - 1}` },
      });
      assert.equal(r.status, 202, await r.text());
      off += n;
      assert.equal(r.headers.get('range'), `0-${off - 1}`);
    };
    await patch(r1.url, 3 * MiB);
    await patch(r1.url, 3 * MiB + 1);
    // Replica 2 knows the session (its row is in PostgreSQL, its bytes in the bucket).
    const status = await fetch(new URL(path.pathname, r2.url));
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${off - 1}`);
    await patch(r2.url, 2 * MiB);
    const put = await fetch(new URL(`${path.pathname}?${new URLSearchParams({ ...Object.fromEntries(path.searchParams), digest: sha(data) })}`, r2.url), {
      method: 'PUT', body: data.subarray(off), headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 201, await put.text());
    const back = Buffer.from(await (await fetch(`${r1.url}/v2/${repo}/blobs/${sha(data)}`)).arrayBuffer());
    assert.equal(sha(back), sha(data), 'replica 1 serves the blob replica 2 committed');
  });

  it('airlock gc --dry-run reads the shared stores and changes nothing', async () => {
    const res = await runAirlockCli(['gc', '--dry-run', '-o', 'json', '--data-dir', join(work, 'gc-dir'), '--metadata', dbUrl, '--storage', storage], { env: awsEnv(env!) });
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout) as { dryRun: boolean; manifests: unknown[] };
    assert.equal(report.dryRun, true);
    assert.ok(Array.isArray(report.manifests));
    const img = fx.images.find((i) => i.ref === 'multi-v1')!;
    assert.deepEqual(await verifyPull(r1.url, img.repo, img.tag!), []);
  });

  it('with PostgreSQL cut off, /readyz answers 503; it recovers when PostgreSQL answers again', async () => {
    const u = new URL(dbUrl);
    const proxy = await cuttableProxy(Number(u.port));
    u.port = String(proxy.port);
    const r3 = await set!.add({ metadata: u.toString() });
    try {
      assert.equal((await fetch(`${r3.url}/readyz`)).status, 200);
      await proxy.cut();
      const down = await fetch(`${r3.url}/readyz`);
      assert.equal(down.status, 503);
      assert.deepEqual(await down.json(), { status: 'metadata store unavailable' });
      await proxy.open();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${r3.url}/readyz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200, '/readyz is 200 again once PostgreSQL answers');
      const small = fx.images.find((i) => i.ref.startsWith('small-'))!;
      await skopeoOk(['copy', '-q', '--dest-tls-verify=false', small.source, `docker://${r3.hostPort}/after/pg-cut:v1`]);
      assert.deepEqual(await verifyPull(r1.url, 'after/pg-cut', 'v1'), []);
    } finally {
      await r3.stop();
      await proxy.cut().catch(() => undefined);
    }
  });
});
