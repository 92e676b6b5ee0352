/**
 * Two `airlock serve` replicas with authentication ON, sharing one
 * PostgreSQL (--metadata: metadata and auth state) and one Ceph RGW prefix
 * (--storage), on loopback:
 * - started together, exactly one creates `admin` and prints its password;
 * - a user added with the CLI (--metadata) logs in on either replica;
 * - a bearer token issued by replica 1 is accepted by replica 2, and a
 *   console session opened on one is live on the other;
 * - a pull-only robot created through replica 2's API pulls via replica 1
 *   and cannot push;
 * - failed logins spread over both replicas hit one shared limit;
 * - skopeo pushes through replica 1 with credentials, podman pulls through
 *   replica 2 with credentials: identical digests.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFixtures, type FixtureSet } from '../fixtures/make-fixtures.js';
import { runAirlockCli, type AirlockProcess } from '../helpers/airlock-process.js';
import { pgGate } from '../helpers/pg.js';
import { createPodman, podmanUnavailableReason, type Podman } from '../helpers/podman.js';
import { startReplicas, type ReplicaSet } from '../helpers/replicas.js';
import { s3Gate } from '../helpers/s3.js';
import { skopeo, skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';

const gates = [pgGate(), s3Gate(), peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)', podmanUnavailableReason()])];
const failure = gates.map((g) => g.failure).find((f) => f !== undefined);
const skip = gates.map((g) => g.skip).find((s) => s !== false) ?? false;
const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const ALICE_PW = 'alice-replica-password-1';
const LIMIT = 4;

describe('auth on replicas sharing PostgreSQL + Ceph RGW', { skip }, () => {
  if (failure !== undefined) {
    it('has PostgreSQL, an S3 store, skopeo and podman', () => assert.fail(failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let set: ReplicaSet | undefined;
  let dbUrl: string;
  let r1: AirlockProcess;
  let r2: AirlockProcess;
  let adminPw: string;
  let podman: Podman | undefined;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-auth-replicas-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 1 });
    const config = join(work, 'airlock.yaml');
    await writeFile(config, `auth:\n  loginFailureLimit: ${LIMIT}\n  loginFailureWindowSeconds: 600\n`);
    set = await startReplicas({ count: 2, args: ['--auth', '--no-gc', '--config', config] });
    dbUrl = set.dbUrl;
    [r1, r2] = set.replicas as [AirlockProcess, AirlockProcess];
    podman = await createPodman([r2.hostPort]);
  });
  after(async () => {
    await podman?.close();
    await set?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('started together, exactly one replica creates admin and prints its password; neither prints a secret of the store', () => {
    const created = [r1, r2].filter((r) => r.stdout().includes('Created account "admin"'));
    assert.equal(created.length, 1, 'one replica created admin');
    const m = created[0]!.stdout().match(/store it now:\n\s+(\S+)\n/);
    assert.ok(m, created[0]!.stdout());
    adminPw = m[1]!;
    const dbPassword = new URL(dbUrl).password;
    for (const r of [r1, r2]) {
      const out = r.stdout() + r.stderr();
      assert.ok(!out.includes(dbPassword), 'no database password');
      assert.ok(!out.includes('PRIVATE KEY'), 'no key material');
    }
  });

  it('admin logs in on both replicas; a user added with the CLI (--metadata) logs in on replica 2', async () => {
    for (const r of [r1, r2]) assert.equal((await fetch(`${r.url}/token?service=airlock`, { headers: { authorization: basic('admin', adminPw) } })).status, 200);
    const add = await runAirlockCli(['user', 'add', 'alice', '--push', 'team/**', '--metadata', dbUrl], { stdin: `${ALICE_PW}\n` });
    assert.equal(add.code, 0, add.stderr);
    assert.ok(!(add.stdout + add.stderr).includes(new URL(dbUrl).password));
    const list = await runAirlockCli(['user', 'list', '-o', 'json', '--metadata', dbUrl]);
    assert.match(list.stdout, /"alice"/);
    const res = await fetch(`${r2.url}/token?service=airlock&scope=repository:team/app:pull,push`, { headers: { authorization: basic('alice', ALICE_PW) } });
    assert.equal(res.status, 200);
  });

  it('a bearer token issued by replica 1 is accepted by replica 2; a console session opened on 1 is live on 2', async () => {
    const res = await fetch(`${r1.url}/token?service=airlock&scope=repository:team/app:pull,push`, { headers: { authorization: basic('alice', ALICE_PW) } });
    const { token } = (await res.json()) as { token: string };
    const on2 = await fetch(`${r2.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(on2.status, 202, 'replica 2 verifies replica 1\'s signature (one shared key)');
    assert.equal((await fetch(`${r2.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: 'Bearer x.y.z' } })).status, 401);
    const login = await fetch(`${r1.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: ALICE_PW }) });
    assert.equal(login.status, 201);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const me = await fetch(`${r2.url}/api/v1/session`, { headers: { cookie } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { name: string }).name, 'alice');
  });

  it('skopeo pushes through replica 1 with credentials; podman pulls through replica 2 with credentials: same digest', async () => {
    const img = fx.images.find((i) => i.ref.startsWith('small-'))!;
    const dest = `docker://${r1.hostPort}/team/app:${img.tag ?? 'v1'}`;
    const anon = await skopeo(['copy', '-q', '--dest-tls-verify=false', img.source, dest]);
    assert.notEqual(anon.code, 0, 'no push without credentials');
    await skopeoOk(['copy', '-q', '--dest-tls-verify=false', '--dest-creds', `alice:${ALICE_PW}`, img.source, dest]);
    await podman!.ok(['pull', '-q', '--creds', `alice:${ALICE_PW}`, `${r2.hostPort}/team/app:${img.tag ?? 'v1'}`]);
    const pulled = await podman!.ok(['image', 'inspect', '--format', '{{.Digest}}', `${r2.hostPort}/team/app:${img.tag ?? 'v1'}`]);
    assert.equal(pulled.stdout.trim(), img.digest);
  });

  it('a pull-only robot created through replica 2 pulls via replica 1 and cannot push', async () => {
    const res = await fetch(`${r2.url}/api/v1/robots`, {
      method: 'POST',
      headers: { authorization: basic('admin', adminPw), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader', pull: ['team/**'] }),
    });
    assert.equal(res.status, 201);
    const { token } = (await res.json()) as { token: string };
    const img = fx.images.find((i) => i.ref.startsWith('small-'))!;
    const ref = `docker://${r1.hostPort}/team/app:${img.tag ?? 'v1'}`;
    const raw = await skopeoOk(['inspect', '--raw', '--tls-verify=false', '--creds', `robot+reader:${token}`, ref]);
    assert.ok(raw.stdout.includes('"layers"'));
    const push = await skopeo(['copy', '-q', '--dest-tls-verify=false', '--dest-creds', `robot+reader:${token}`, img.source, `docker://${r1.hostPort}/team/robot-push:v1`]);
    assert.notEqual(push.code, 0, 'a pull-only robot cannot push');
    assert.match(push.stderr, /denied|unauthorized|forbidden|401|403/i);
  });

  it(`failed logins spread over both replicas hit one limit of ${LIMIT}, and then even the right password is refused`, async () => {
    const add = await runAirlockCli(['user', 'add', 'victim', '--pull', 'team/**', '--metadata', dbUrl], { stdin: 'victim-password-1\n' });
    assert.equal(add.code, 0, add.stderr);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const r = i % 2 ? r2 : r1;
      statuses.push((await fetch(`${r.url}/token?service=airlock`, { headers: { authorization: basic('victim', `wrong-${i}`) } })).status);
    }
    assert.deepEqual(statuses, Array(LIMIT).fill(401));
    for (const r of [r1, r2]) {
      const res = await fetch(`${r.url}/token?service=airlock`, { headers: { authorization: basic('victim', 'victim-password-1') } });
      assert.equal(res.status, 429, `${r.hostPort} refuses after ${LIMIT} failures counted on both`);
      assert.ok(Number(res.headers.get('retry-after')) > 0);
    }
  });
});
