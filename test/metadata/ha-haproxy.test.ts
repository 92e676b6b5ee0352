/**
 * HA end to end on loopback: HAProxy in front of 3 `airlock serve` replicas
 * sharing one PostgreSQL and one Ceph RGW prefix. skopeo pushes through the
 * balancer and podman pulls through it; the digests are identical, every
 * replica served requests, and each replica reads back what the others
 * wrote. Then one replica is killed (SIGKILL) while 20 multi-layer images
 * (4.3 MiB each, 3 MiB of it their own) are pushed concurrently through the
 * balancer: a push cut by the kill fails only from it and succeeds when the
 * client re-runs it; every manifest and blob then reads back through the
 * balancer and verifies byte for byte, and the shared stores, read directly,
 * hold nothing partial. The killed replica restarts on its data and serves.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtures, type FixtureSet } from '../fixtures/make-fixtures.js';
import type { AirlockProcess } from '../helpers/airlock-process.js';
import { haproxyAvailable, type Haproxy } from '../helpers/haproxy.js';
import { checkSharedStores, sha, verifyPull } from '../helpers/ha-checks.js';
import { pgGate } from '../helpers/pg.js';
import { createPodman, podmanUnavailableReason, type Podman } from '../helpers/podman.js';
import { startReplicas, type ReplicaSet } from '../helpers/replicas.js';
import { s3Gate } from '../helpers/s3.js';
import { skopeo, skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';

const gates = [pgGate(), s3Gate(), peerGate([
  skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)',
  podmanUnavailableReason(),
  haproxyAvailable() ? undefined : 'haproxy (apt-get install haproxy)',
])];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const PUSHES = 20;

/** Requests a replica answered so far (its airlock_http_requests_total, summed). */
async function requestsServed(r: AirlockProcess): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('airlock_http_requests_total')).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
}

describe('HAProxy in front of 3 replicas on PostgreSQL + Ceph RGW', { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL, an S3 store, skopeo, podman and haproxy', () => assert.fail(failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let set: ReplicaSet | undefined;
  let replicas: readonly AirlockProcess[] = [];
  let lb: Haproxy | undefined;
  let podman: Podman | undefined;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-ha-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: PUSHES, smallOwnMib: 3 });
    set = await startReplicas({ count: 3, haproxy: true, args: ['--no-auth', '--gc-interval', '5'] });
    ({ replicas, lb } = set);
    podman = await createPodman([lb!.hostPort]);
  });
  after(async () => {
    await podman?.close();
    await set?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('skopeo pushes through the balancer, podman pulls through it: identical digests, every replica served', async () => {
    const before = await Promise.all(replicas.map(requestsServed));
    for (const ref of ['multi-v1', 'big-v1']) {
      const img = fx.images.find((i) => i.ref === ref)!;
      await skopeoOk(['copy', '--all', '-q', '--dest-tls-verify=false', img.source, `docker://${lb!.hostPort}/${img.repo}:${img.tag}`]);
      const raw = await skopeoOk(['inspect', '--raw', '--tls-verify=false', `docker://${lb!.hostPort}/${img.repo}:${img.tag}`]);
      assert.equal(sha(raw.stdoutBytes), img.digest, `${ref}: the balancer serves the pushed manifest`);
      // Every replica answers the same manifest by digest.
      for (const r of replicas) {
        const res = await fetch(`${r.url}/v2/${img.repo}/manifests/${img.digest}`, { headers: { accept: '*/*' } });
        assert.equal(res.status, 200);
        assert.equal(sha(Buffer.from(await res.arrayBuffer())), img.digest);
      }
    }
    const big = fx.images.find((i) => i.ref === 'big-v1')!;
    await podman!.ok(['pull', '-q', `${lb!.hostPort}/${big.repo}:${big.tag}`]);
    const pulled = await podman!.ok(['image', 'inspect', '--format', '{{.Digest}}', `${lb!.hostPort}/${big.repo}:${big.tag}`]);
    assert.equal(pulled.stdout.trim(), big.digest, 'podman pulled the digest skopeo pushed');
    const after = await Promise.all(replicas.map(requestsServed));
    after.forEach((n, i) => assert.ok(n - before[i]! > 3, `replica ${i + 1} served requests (${n - before[i]!})`));
  });

  it(`a replica killed with SIGKILL during ${PUSHES} concurrent pushes: every push succeeds (client retries), reads back, nothing partial`, async (t) => {
    const smalls = fx.images.filter((i) => i.ref.startsWith('small-'));
    assert.equal(smalls.length, PUSHES);
    const jobs = smalls.map((img, k) => ({ img, repo: `mid-kill/r${k}` }));
    // A request streaming into the killed replica fails (HAProxy answers 502: the body was already sent, so
    // it cannot retry it); the client retries the push, which lands on the surviving replicas.
    let retried = 0;
    let done = 0;
    const failures: string[] = [];
    const pushes = jobs.map(async ({ img, repo }) => {
      const args = ['copy', '-q', '--retry-times=3', '--dest-tls-verify=false', img.source, `docker://${lb!.hostPort}/${repo}:${img.tag}`];
      for (let attempt = 1; ; attempt++) {
        const r = await skopeo(args);
        if (r.code === 0) return void done++;
        failures.push(`${repo} attempt ${attempt}: ${r.stderr.trim().split('\n').pop()}`);
        assert.ok(attempt < 3, `${repo}: push failed ${attempt} times: ${r.stderr.trim()}`);
        assert.match(r.stderr, /502|503|EOF|connection reset|broken pipe/i, `${repo}: a push fails only from the kill`);
        retried++;
      }
    });
    // Kill replica 1 once it is busy with the uploads (it has answered 20 more requests), not before.
    const victim = replicas[0]!;
    const start = await requestsServed(victim);
    while ((await requestsServed(victim)) < start + 20 && done < PUSHES) await new Promise((r) => setTimeout(r, 50));
    const doneAtKill = done;
    await set!.kill(0);
    await Promise.all(pushes);
    t.diagnostic(`pushes finished before the kill: ${doneAtKill} of ${PUSHES}; interrupted and retried: ${retried}`);
    for (const f of failures) t.diagnostic(f);
    assert.ok(doneAtKill < PUSHES, 'the kill landed while pushes were running');

    // Every push reads back through the balancer, tag and digest, every byte verified.
    for (const { img, repo } of jobs) {
      const raw = await skopeoOk(['inspect', '--raw', '--retry-times=3', '--tls-verify=false', `docker://${lb!.hostPort}/${repo}:${img.tag}`]);
      assert.equal(sha(raw.stdoutBytes), img.digest, `${repo}: the manifest reads back`);
      assert.deepEqual(await verifyPull(lb!.url, repo, img.tag!), []);
      assert.deepEqual(await verifyPull(lb!.url, repo, img.digest), []);
    }
    // Nothing partial in the stores themselves: every blob row has its whole object, every object hashes to its
    // path, every manifest's bytes hash to its digest and all it references is there.
    const check = await checkSharedStores(set!.dbUrl, set!.storage);
    t.diagnostic(`stores: ${check.blobRows} blob rows, ${check.objects} objects, ${check.manifests} manifests`);
    assert.deepEqual(check.problems, []);
    assert.ok(check.blobRows >= PUSHES + 2 && check.objects >= check.blobRows, 'the stores hold the pushes');

    // The killed replica starts again on its data directory and port, rejoins the balancer, and serves.
    const back = await set!.restart(0);
    assert.deepEqual(await verifyPull(back.url, jobs[0]!.repo, jobs[0]!.img.tag!), []);
    await podman!.ok(['pull', '-q', `${lb!.hostPort}/${jobs[0]!.repo}:${jobs[0]!.img.tag}`]);
  });
});
