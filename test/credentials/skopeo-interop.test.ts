/**
 * The auth files airlock writes and the ones skopeo writes are the same
 * format, both ways, against airlock's token-auth registry on loopback:
 * skopeo reads an image with the file `airlock login` wrote, and airlock
 * reads (`--get-login`) and edits (`logout`) a file `skopeo login` wrote,
 * keeping its owner.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { skopeo, skopeoAvailable, UNPRIV_UID } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';
import { writeTinyImages } from '../copy/support/tiny-images.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { b64, runCli } from './support/run-cli.js';

const gate = peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)']);
const isRoot = process.getuid?.() === 0;
/** skopeo runs as UNPRIV_UID when the tests run as root: files it reads or writes must be its own. */
const giveToSkopeo = (p: string): void => {
  if (isRoot) chownSync(p, UNPRIV_UID, UNPRIV_UID);
};

describe('auth files: airlock ⇄ skopeo', { skip: gate.skip, timeout: 120_000 }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let dir: string;
  let reg: AirlockHandle;
  let certDir: string;
  let digest: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-cred-skopeo-'));
    chmodSync(dir, 0o711);
    reg = await startAirlock({ auth: 'token' });
    await reg.security!.addUser('mirror', 'mirror-password-1', { push: ['cred/**'] });
    const layout = join(dir, 'layout');
    const [img] = await writeTinyImages(layout, 1, { layerSize: 2000 });
    digest = img!.digest;
    const admin = AuthStore.parse('admin.json', JSON.stringify({ auths: { [reg.hostPort]: { auth: b64('admin', reg.security!.adminPassword) } } }));
    const hub = new RegistryHub({ auth: admin, caFile: reg.security!.caCertPath });
    await copyImage(createCopyContext(), new OciLayoutSource(await OciLayout.open(layout, { create: false })), 'img-0', [{ dst: hub.destination({ registry: reg.hostPort, repository: 'cred/app' }), tag: 'v1' }]);
    await hub.close();
    certDir = join(dir, 'certs');
    mkdirSync(certDir, { mode: 0o755 });
    copyFileSync(reg.security!.caCertPath, join(certDir, 'ca.crt'));
    chmodSync(join(certDir, 'ca.crt'), 0o644);
  });

  after(async () => {
    await reg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('skopeo inspect reads an image with the auth file airlock login wrote', async () => {
    const file = join(dir, 'airlock-auth.json');
    const r = await runCli(['login', reg.hostPort, '-u', 'mirror', '--password-stdin', '-a', file, '--cert-dir', certDir], { home: dir, stdin: 'mirror-password-1' });
    assert.equal(r.code, 0, r.stderr);
    giveToSkopeo(file);
    const ins = await skopeo(['inspect', '--raw', '--authfile', file, '--cert-dir', certDir, `docker://${reg.hostPort}/cred/app:v1`]);
    assert.equal(ins.code, 0, ins.stderr);
    assert.equal(`sha256:${createHash('sha256').update(ins.stdoutBytes).digest('hex')}`, digest);
  });

  it('airlock reads and edits the auth file skopeo login wrote, keeping its owner and 0600', async () => {
    const home = join(dir, 'skopeo-home');
    mkdirSync(home, { mode: 0o700 });
    giveToSkopeo(home);
    const file = join(home, 'auth.json');
    const login = await skopeo(['login', '--authfile', file, '--cert-dir', certDir, '-u', 'mirror', '-p', 'mirror-password-1', reg.hostPort]);
    assert.equal(login.code, 0, login.stderr);
    const get = await runCli(['login', '--get-login', reg.hostPort, '-a', file], { home: dir });
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, 'mirror\n');
    const uid = statSync(file).uid;
    const out = await runCli(['logout', reg.hostPort, '-a', file], { home: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as { auths: object }).auths, {});
    assert.equal(statSync(file).uid, uid, 'the owner is kept');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const after = await skopeo(['login', '--authfile', file, '--get-login', reg.hostPort]);
    assert.notEqual(after.code, 0, 'skopeo sees the logout');
  });
});
