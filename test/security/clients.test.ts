/**
 * Real clients against an authenticated airlock over VERIFIED TLS: the
 * generated CA is trusted only through the clients' own certificate
 * directories (`--cert-dir`, `--dest-cert-dir` with a ca.crt), never with
 * --tls-verify=false — and each suite first shows that without that CA the
 * connection is refused.
 *
 *   skopeo: copy with a push robot; a pull-only robot cannot push.
 *   podman: login + pull with a pull-only robot (and the same robot's
 *           pull-secret `auths` entry as an auth file), a push that fails;
 *           login + push with a push account.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureImage } from '../fixtures/make-fixtures.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { createPodman, podmanUnavailableReason, type Podman } from '../helpers/podman.js';
import { skopeo, skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';
import { SecureClient, basic } from './support/secure-client.js';

const X509_RE = /x509|certificate signed by unknown authority|certificate is not trusted/i;

/** A directory holding only ca.crt, readable by skopeo's uid 65534. */
function certDir(caPath: string): string {
  const d = mkdtempSync(join(tmpdir(), 'airlock-certs-'));
  chmodSync(d, 0o755);
  copyFileSync(caPath, join(d, 'ca.crt'));
  chmodSync(join(d, 'ca.crt'), 0o644);
  return d;
}

let work: string;
let reg: AirlockHandle;
let certs: string;
let image: FixtureImage;
let api: SecureClient;
let adminAuth: string;

const gate = peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)', podmanUnavailableReason()]);

describe('real clients over verified TLS with authentication', { skip: gate.skip, timeout: 600_000 }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'airlock-sec-clients-'));
    chmodSync(work, 0o755);
    const fx = await makeFixtures(join(work, 'fx'), { smallCount: 1 });
    image = fx.images.find((i) => i.ref === 'small-00-v1')!;
    assert.ok(image);
    reg = await startAirlock({ auth: 'token' });
    certs = certDir(reg.security!.caCertPath);
    api = new SecureClient(reg.url, reg.security!.caCertPath);
    adminAuth = basic('admin', reg.security!.adminPassword);
  });
  after(async () => {
    await api?.close();
    await reg?.close();
    if (certs) rmSync(certs, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('skopeo', () => {
    it('copy with a push robot over verified TLS; refused without the CA; a pull-only robot cannot push', async () => {
      const pusher = await reg.security!.addRobot('skopeo-mirror', { push: ['mirror/**'] });
      const puller = await reg.security!.addRobot('skopeo-cluster', { pull: ['mirror/**'] });
      const dest = `docker://${reg.hostPort}/mirror/small:v1`;
      const untrusted = await skopeo(['copy', '-q', `--dest-creds=${pusher.username}:${pusher.token}`, image.source, dest]);
      assert.notEqual(untrusted.code, 0, 'without the CA the push must fail');
      assert.match(untrusted.stderr, X509_RE);

      await skopeoOk(['copy', '-q', `--dest-cert-dir=${certs}`, `--dest-creds=${pusher.username}:${pusher.token}`, image.source, dest]);
      const head = await api.request('HEAD', '/v2/mirror/small/manifests/v1', { headers: { authorization: adminAuth, accept: image.mediaType } });
      assert.equal(head.status, 200);
      assert.equal(head.headers['docker-content-digest'], image.digest, 'pushed byte-for-byte');

      const inspect = await skopeoOk(['inspect', '--raw', `--cert-dir=${certs}`, `--creds=${puller.username}:${puller.token}`, dest]);
      assert.match(inspect.stdout, /schemaVersion/);
      const denied = await skopeo(['copy', '-q', `--dest-cert-dir=${certs}`, `--dest-creds=${puller.username}:${puller.token}`, image.source, `docker://${reg.hostPort}/mirror/small:v2`]);
      assert.notEqual(denied.code, 0, 'a pull-only robot cannot push');
      assert.match(denied.stderr, /denied|unauthorized/i);
      const outside = await skopeo(['inspect', '--raw', `--cert-dir=${certs}`, `--creds=${pusher.username}:${pusher.token}`, `docker://${reg.hostPort}/other/small:v1`]);
      assert.notEqual(outside.code, 0, 'outside its glob the robot sees nothing');
    });
  });

  describe('podman', () => {
    let pm: Podman;
    before(async () => {
      pm = await createPodman([reg.hostPort]);
      // Something to pull: the fixture image, pushed by an admin over the API with skopeo.
      await skopeoOk(['copy', '-q', `--dest-cert-dir=${certs}`, `--dest-creds=admin:${reg.security!.adminPassword}`, image.source, `docker://${reg.hostPort}/ocp4/tools:v1`]);
    });
    after(async () => {
      await pm?.close();
    });
    const tls = (): string[] => ['--tls-verify=true', `--cert-dir=${certs}`];
    const authfile = (name: string): string => `--authfile=${join(pm.dir, name)}`;

    it('login + pull with a pull-only robot; its push fails; verification is real', async () => {
      const robot = await reg.security!.addRobot('cluster', { pull: ['ocp4/**'] });
      const ref = `${reg.hostPort}/ocp4/tools:v1`;
      const noCa = await pm.run(['login', authfile('noca.json'), '--tls-verify=true', `--username=${robot.username}`, `--password=${robot.token}`, reg.hostPort]);
      assert.notEqual(noCa.code, 0, 'login without the CA must fail');
      assert.match(noCa.stderr, X509_RE);

      const bad = await pm.run(['login', authfile('bad.json'), ...tls(), `--username=${robot.username}`, '--password=wrong-token', reg.hostPort]);
      assert.notEqual(bad.code, 0, 'a wrong token cannot log in');

      await pm.ok(['login', authfile('robot.json'), ...tls(), `--username=${robot.username}`, `--password=${robot.token}`, reg.hostPort]);
      await pm.ok(['pull', '-q', authfile('robot.json'), ...tls(), ref]);
      const id = (await pm.ok(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
      assert.equal(`sha256:${id}`, image.configDigest);

      const push = await pm.run(['push', authfile('robot.json'), ...tls(), ref, `${reg.hostPort}/ocp4/tools:pushed-by-robot`]);
      assert.notEqual(push.code, 0, 'a pull-only robot cannot push');
      assert.match(push.stderr, /denied|unauthorized/i);
      const tags = await api.request('GET', '/v2/ocp4/tools/tags/list', { headers: { authorization: adminAuth } });
      assert.deepEqual(tags.json<{ tags: string[] }>().tags, ['v1']);
    });

    it("the robot's pull-secret entry works as an auth file (no login)", async () => {
      const robot = await reg.security!.addRobot('pull-secret', { pull: ['ocp4/**'] });
      const file = join(pm.dir, 'pull-secret.json');
      const auth = Buffer.from(`${robot.username}:${robot.token}`).toString('base64');
      writeFileSync(file, JSON.stringify({ auths: { [reg.hostPort]: { auth, email: 'you@example.com' } } }), { mode: 0o600 });
      await pm.ok(['rmi', '-a', '-f']);
      await pm.ok(['pull', '-q', `--authfile=${file}`, ...tls(), `${reg.hostPort}/ocp4/tools:v1`]);
    });

    it('login + push with a push account', async () => {
      await reg.security!.addUser('mirrorer', 'mirrorer-password', { push: ['mirror/**'] });
      await pm.ok(['login', authfile('user.json'), ...tls(), '--username=mirrorer', '--password=mirrorer-password', reg.hostPort]);
      // ocp4/tools:v1 is in local storage from the robot's pull; mirrorer cannot read ocp4/**, so any
      // cross-repository mount podman attempts must fall back to an upload.
      await pm.ok(['push', '-q', authfile('user.json'), ...tls(), `${reg.hostPort}/ocp4/tools:v1`, `${reg.hostPort}/mirror/tools:v1`]);
      const head = await api.request('HEAD', '/v2/mirror/tools/manifests/v1', { headers: { authorization: adminAuth, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
      assert.equal(head.status, 200);
    });
  });
});
