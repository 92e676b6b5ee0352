/**
 * Insecure access per side: a plain-http source and an HTTPS destination
 * with logins (airlock's generated CA). --src-insecure (or skopeo's
 * --src-tls-verify=false) opens only the source; the destination is still
 * verified against --certificate-authority, and each side's refusal names
 * the flag that would open it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { writeTinyImages, type TinyImage } from './support/tiny-images.js';

describe('--src-insecure / --dest-insecure', () => {
  let work: string;
  let plain: AirlockHandle;
  let secure: AirlockHandle;
  let img: TinyImage;
  let authFile: string;
  let ca: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-tls-sides-'));
    [img] = await writeTinyImages(join(work, 'layout'), 1, { layerSize: 10_000, seed: 'tls' }) as [TinyImage];
    [plain, secure] = await Promise.all([startAirlock(), startAirlock({ auth: 'token' })]);
    ca = secure.security!.caCertPath;
    authFile = join(work, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [secure.hostPort]: { auth: Buffer.from(`admin:${secure.security!.adminPassword}`).toString('base64') } } }), { mode: 0o600 });
    const hub = new RegistryHub({ insecure: () => true });
    const layout = new OciLayoutSource(await OciLayout.open(join(work, 'layout'), { create: false }));
    await copyImage(createCopyContext(), layout, img.ref, [{ dst: hub.destination({ registry: plain.hostPort, repository: 'src/app' }), tag: 'v1' }]);
    await hub.close();
  });

  after(async () => {
    await Promise.all([plain?.close(), secure?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const mirror = (flags: string[], dst: string) =>
    runAirlockCli(['image', 'mirror', '-a', authFile, '--retry-times', '0', ...flags, `${plain.hostPort}/src/app:v1`, `${secure.hostPort}/${dst}`], { cwd: work, env: { HOME: work } });

  const assertAt = async (repo: string): Promise<void> => {
    const hub = new RegistryHub({ caFile: ca, auth: await AuthStore.load(authFile) });
    try {
      assert.equal(await hub.destination({ registry: secure.hostPort, repository: repo }).resolveManifest('v1'), img.digest, repo);
    } finally {
      await hub.close();
    }
  };

  it('--src-insecure: http source, destination verified with --certificate-authority', async () => {
    const r = await mirror(['--src-insecure', '--certificate-authority', ca], 'sides/a');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${img.digest} ${secure.hostPort}/sides/a:v1`);
    await assertAt('sides/a');
  });

  it("skopeo's --src-tls-verify=false does the same; --dest-tls-verify=false skips the destination's verification", async () => {
    let r = await mirror(['--src-tls-verify=false', '--certificate-authority', ca], 'sides/b');
    assert.equal(r.code, 0, r.stderr);
    await assertAt('sides/b');
    r = await mirror(['--src-tls-verify', 'false', '--dest-tls-verify=false'], 'sides/c');
    assert.equal(r.code, 0, r.stderr);
    await assertAt('sides/c');
  });

  it('each side refuses what only the other side allows, naming its own flag', async () => {
    const untrusted = await mirror(['--src-insecure'], 'sides/refused');
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, new RegExp(`cannot reach registry ${secure.hostPort}: its TLS certificate is not trusted .*--insecure or --dest-insecure`));
    const http = await mirror(['--dest-insecure'], 'sides/refused');
    assert.equal(http.code, 1);
    assert.match(http.stderr, new RegExp(`cannot reach registry ${plain.hostPort}: .*--insecure or --src-insecure`));
  });

  it('bad flag values are usage errors', async () => {
    let r = await mirror(['--insecure', '--dest-tls-verify=true'], 'x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--dest-tls-verify=true contradicts --insecure/);
    r = await mirror(['--src-tls-verify=maybe'], 'x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--src-tls-verify takes true or false, got "maybe"/);
    r = await mirror(['--certificate-authority', join(work, 'nope.pem')], 'x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read --certificate-authority .*nope\.pem: ENOENT/);
    r = await mirror(['--request-timeout', 'soon'], 'x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected a duration like 500ms, 2s or 1m, got "soon"/);
  });
});
