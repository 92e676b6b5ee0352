/**
 * airlock's registry clients trust the CAs of the containers certs.d layout
 * (`<root>/HOST:PORT/*.crt`), as podman and skopeo do: an HTTPS airlock with
 * its generated CA is refused until its ca.crt is placed there. The certs.d
 * roots are a temporary directory ($AIRLOCK_CERTS_D), never the real /etc.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { writeTinyImages, type TinyImage } from '../copy/support/tiny-images.js';

describe('certs.d', () => {
  let work: string;
  let reg: AirlockHandle;
  let img: TinyImage;
  let authFile: string;
  let roots: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-certsd-'));
    [img] = (await writeTinyImages(join(work, 'layout'), 1)) as [TinyImage];
    reg = await startAirlock({ auth: 'token' });
    authFile = join(work, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [reg.hostPort]: { auth: Buffer.from(`admin:${reg.security!.adminPassword}`).toString('base64') } } }), { mode: 0o600 });
    roots = join(work, 'certs.d');
    await mkdir(roots);
  });
  after(async () => {
    await reg?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const mirror = (dst: string) =>
    runAirlockCli(['image', 'mirror', '-a', authFile, '--retry-times', '0', `oci:${join(work, 'layout')}:${img.ref}`, `${reg.hostPort}/${dst}:v1`], {
      cwd: work,
      env: { HOME: work, AIRLOCK_CERTS_D: `${join(work, 'empty-root')}:${roots}`, NODE_EXTRA_CA_CERTS: '', SSL_CERT_FILE: '' },
    });

  it('refuses the unknown CA, then trusts <certs.d>/HOST:PORT/ca.crt', async () => {
    const before = await mirror('cd/before');
    assert.equal(before.code === 0, false, before.stderr);
    assert.match(before.stderr, /not trusted/);
    await mkdir(join(roots, reg.hostPort));
    await copyFile(reg.security!.caCertPath, join(roots, reg.hostPort, 'ca.crt'));
    const after = await mirror('cd/after');
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout.trim(), `${img.digest} ${reg.hostPort}/cd/after:v1`);
  });
});
