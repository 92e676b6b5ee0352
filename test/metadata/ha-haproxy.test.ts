/**
 * HA end to end on loopback: HAProxy in front of 3 `airlock serve` replicas
 * sharing one PostgreSQL and one Ceph RGW prefix. skopeo pushes through the
 * balancer and podman pulls through it; the digests are identical, every
 * replica served requests, and each replica reads back what the others
 * wrote. Then one replica is killed (SIGKILL) while 8 pushes run through
 * the balancer: each succeeds, a push cut by the kill when re-run by the client
 * and every manifest and blob reads back and verifies on the survivors.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtures, type FixtureSet } from '../fixtures/make-fixtures.js';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { haproxyAvailable, startHaproxy, type Haproxy } from '../helpers/haproxy.js';
import { createTestDatabase, dropTestDatabase, pgGate } from '../helpers/pg.js';
import { createPodman, podmanUnavailableReason, type Podman } from '../helpers/podman.js';
import { awsEnv, prepareS3, s3Gate, s3StorageUrl, s3TestDriver, s3TestEnv } from '../helpers/s3.js';
import { skopeo, skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';

const gates = [pgGate(), s3Gate(), peerGate([
  skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)',
  podmanUnavailableReason(),
  haproxyAvailable() ? undefined : 'haproxy (apt-get install haproxy)',
])];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const env = s3TestEnv();
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

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
  let dbUrl: string;
  let storage: string;
  let replicas: AirlockProcess[] = [];
  let lb: Haproxy | undefined;
  let podman: Podman | undefined;
  before(async () => {
    await prepareS3(env!);
    work = await mkdtemp(join(tmpdir(), 'airlock-ha-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 2 });
    dbUrl = await createTestDatabase();
    storage = s3StorageUrl(env!);
    replicas = await Promise.all([1, 2, 3].map(() =>
      startAirlockProcess({ args: ['--no-auth', '--gc-interval', '5', '--metadata', dbUrl, '--storage', storage], env: awsEnv(env!) })));
    lb = await startHaproxy(replicas.map((r) => r.hostPort));
    podman = await createPodman([lb.hostPort]);
  });
  after(async () => {
    await podman?.close();
    await lb?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    if (storage) {
      const driver = s3TestDriver(storage);
      await driver.delete('');
      driver.close();
    }
    if (dbUrl) await dropTestDatabase(dbUrl);
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

  it('a replica killed with SIGKILL mid-push: every push succeeds through the others (client retries) and reads back', async (t) => {
    const smalls = fx.images.filter((i) => i.ref.startsWith('small-'));
    const jobs = Array.from({ length: 8 }, (_, k) => ({ img: smalls[k % smalls.length]!, repo: `mid-kill/r${k}` }));
    // A request streaming into the killed replica fails (HAProxy answers 502: the body was already sent, so
    // it cannot retry it); the client retries the push, which lands on the surviving replicas.
    let retried = 0;
    const pushes = jobs.map(async ({ img, repo }) => {
      const args = ['copy', '-q', '--retry-times=3', '--dest-tls-verify=false', img.source, `docker://${lb!.hostPort}/${repo}:${img.tag}`];
      for (let attempt = 1; ; attempt++) {
        const r = await skopeo(args);
        if (r.code === 0) return;
        assert.ok(attempt < 3, `${repo}: push failed ${attempt} times: ${r.stderr.trim()}`);
        assert.match(r.stderr, /502|503|EOF|connection reset|broken pipe/i, `${repo}: a push fails only from the kill`);
        retried++;
      }
    });
    await new Promise((r) => setTimeout(r, 400));
    replicas[0]!.kill('SIGKILL');
    await replicas[0]!.exited;
    await Promise.all(pushes);
    for (const { img, repo } of jobs) {
      const raw = await skopeoOk(['inspect', '--raw', '--retry-times=3', '--tls-verify=false', `docker://${lb!.hostPort}/${repo}:${img.tag}`]);
      assert.equal(sha(raw.stdoutBytes), img.digest, `${repo}: the manifest reads back`);
      for (const r of replicas.slice(1)) {
        const m = JSON.parse(raw.stdoutBytes.toString()) as { config: { digest: string }; layers: { digest: string }[] };
        for (const dsc of [m.config, ...m.layers]) {
          const bytes = Buffer.from(await (await fetch(`${r.url}/v2/${repo}/blobs/${dsc.digest}`)).arrayBuffer());
          assert.equal(sha(bytes), dsc.digest, `${repo}: blob ${dsc.digest} verifies on ${r.hostPort}`);
        }
      }
    }
    const img = smalls[0]!;
    await podman!.ok(['pull', '-q', `${lb!.hostPort}/mid-kill/r0:${img.tag}`]);
    t.diagnostic(`pushes interrupted by the kill and retried: ${retried} of ${jobs.length}`);
  });
});
