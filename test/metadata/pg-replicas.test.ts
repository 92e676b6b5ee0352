/**
 * Two `airlock serve` replicas sharing one PostgreSQL (--metadata) and one
 * Ceph RGW prefix (--storage), on loopback: skopeo pushes through replica 1
 * and everything reads back, byte for byte, through replica 2; a chunked
 * upload PATCHed on replica 1 is finished on replica 2; with PostgreSQL cut
 * off (a TCP proxy closed) /readyz answers 503 and comes back when it
 * returns; `airlock gc --dry-run` runs against the shared stores.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtures, type FixtureSet } from '../fixtures/make-fixtures.js';
import { freePort, runAirlockCli, startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { createTestDatabase, dropTestDatabase, pgGate } from '../helpers/pg.js';
import { awsEnv, prepareS3, s3Gate, s3StorageUrl, s3TestDriver, s3TestEnv } from '../helpers/s3.js';
import { skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';

const gates = [pgGate(), s3Gate(), peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)'])];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const env = s3TestEnv();
const MiB = 1 << 20;
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json';

/** Fetches `ref` and everything under it by digest; returns the problems found (empty: all bytes match their digests). */
async function verifyPull(base: string, repo: string, ref: string): Promise<string[]> {
  const problems: string[] = [];
  const visit = async (r: string): Promise<void> => {
    const res = await fetch(`${base}/v2/${repo}/manifests/${r}`, { headers: { accept: ACCEPT } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) return void problems.push(`manifest ${r}: ${res.status}`);
    if (r.startsWith('sha256:') && sha(body) !== r) problems.push(`manifest ${r} hashes to ${sha(body)}`);
    const doc = JSON.parse(body.toString()) as { manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string }[] };
    for (const m of doc.manifests ?? []) await visit(m.digest);
    for (const b of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
      const bytes = Buffer.from(await (await fetch(`${base}/v2/${repo}/blobs/${b.digest}`)).arrayBuffer());
      if (sha(bytes) !== b.digest) problems.push(`blob ${b.digest} hashes to ${sha(bytes)}`);
    }
  };
  await visit(ref);
  return problems;
}

/** A TCP proxy to 127.0.0.1:`target` that can be cut (every connection dropped, no new ones) and reopened. */
async function cuttableProxy(target: number): Promise<{ port: number; open(): Promise<void>; cut(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const open = (): Promise<void> => new Promise((res) => {
    server = createServer((c) => {
      const up = connect(target, '127.0.0.1');
      for (const s of [c, up]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      c.pipe(up).pipe(c);
    }).listen(port, '127.0.0.1', () => res());
  });
  const cut = async (): Promise<void> => {
    const closed = new Promise<void>((res) => server!.close(() => res()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  await open();
  return { port, open, cut };
}

describe('replicas on PostgreSQL + Ceph RGW', { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL, an S3 store and skopeo', () => assert.fail(failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let dbUrl: string;
  let storage: string;
  let r1: AirlockProcess;
  let r2: AirlockProcess;
  const serve = (metadata: string) => startAirlockProcess({ args: ['--no-auth', '--no-gc', '--metadata', metadata, '--storage', storage], env: awsEnv(env!) });
  before(async () => {
    await prepareS3(env!);
    work = await mkdtemp(join(tmpdir(), 'airlock-pg-replicas-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 1 });
    dbUrl = await createTestDatabase();
    storage = s3StorageUrl(env!);
    [r1, r2] = await Promise.all([serve(dbUrl), serve(dbUrl)]);
  });
  after(async () => {
    await Promise.all([r1?.stop(), r2?.stop()]);
    if (storage) {
      const driver = s3TestDriver(storage);
      await driver.delete('');
      driver.close();
    }
    if (dbUrl) await dropTestDatabase(dbUrl);
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
    const r3 = await serve(u.toString());
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
