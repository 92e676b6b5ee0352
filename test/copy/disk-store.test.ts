/**
 * The seed's two-hop flow with oc's file:// disk store: a registry →
 * `file://` under --dir (oc's v2/<repo>/{blobs,manifests} layout: hard links,
 * tag symlinks) → a fresh airlock serving HTTPS with logins, using the seed's
 * `oc image mirror -a … --from-dir=… "file://openshift/release:VER*" REG/REPO`
 * command line verbatim. Digests are preserved at every hop.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli, type CliResult } from '../helpers/airlock-process.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { resolveImageTree } from '../../src/copy/image-tree.js';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';

/** `airlock ARGS` in `cwd`, with HOME=cwd plus `env`. */
function airlock(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runAirlockCli(args, { cwd, env: { HOME: cwd, ...env }, timeoutMs: 120_000 });
}

/** release tag → fixture image, as a release payload's components would be tagged. */
const RELEASE: Record<string, string> = {
  '4.12.0-x86_64': 'multi-v1',
  '4.12.0-x86_64-etcd': 'small-00-v1',
  '4.12.0-x86_64-docker': 'docker-v1',
  '4.12.1-x86_64': 'small-01-v1',
  '4.13.0-x86_64': 'tagless-v1',
};

describe('file:// disk store and the seed two-hop flow', () => {
  let work: string;
  let media: string;
  let fx: FixtureSet;
  let upstream: AirlockHandle;
  let mirror: AirlockHandle;
  let secret: string;
  const img = (ref: string): FixtureImage => fx.images.find((i) => i.ref === ref)!;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-disk-'));
    media = join(work, 'media');
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 2 });
    [upstream, mirror] = await Promise.all([startAirlock(), startAirlock({ auth: 'token' })]);
    const hub = new RegistryHub({ insecure: () => true });
    const layout = new OciLayoutSource(await OciLayout.open(fx.layout, { create: false }));
    const dst = hub.destination({ registry: upstream.hostPort, repository: 'openshift/release' });
    for (const [tag, ref] of Object.entries(RELEASE)) await copyImage(createCopyContext(), layout, ref, [{ dst, tag }]);
    await hub.close();
    secret = join(work, 'pull-secret.json');
    const auth = Buffer.from(`admin:${mirror.security!.adminPassword}`).toString('base64');
    await writeFile(secret, JSON.stringify({ auths: { 'cloud.openshift.com': { auth: Buffer.from('x:y').toString('base64') }, [mirror.hostPort]: { auth, email: 'me@example.com' } } }));
  });

  after(async () => {
    await Promise.all([upstream?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('mirrors registry → file:// in oc\'s layout (blobs, hard-linked manifests, tag symlinks)', async () => {
    const r = await airlock(['image', 'mirror', '--insecure', `--dir=${join(media, 'mirror')}`, `${upstream.hostPort}/openshift/release:4.12*`, 'file://openshift/release'], work);
    assert.equal(r.code, 0, r.stderr);
    const want = Object.entries(RELEASE).filter(([t]) => t.startsWith('4.12'));
    assert.deepEqual(r.stdout.trim().split('\n').sort(), want.map(([t, ref]) => `${img(ref).digest} file://openshift/release:${t}`).sort());
    const repo = join(media, 'mirror', 'v2', 'openshift', 'release');
    for (const [tag, ref] of want) {
      const link = join(repo, 'manifests', tag);
      assert.ok((await lstat(link)).isSymbolicLink(), `${tag} is a symlink`);
      assert.equal(await readlink(link), img(ref).digest, `${tag} -> digest (relative)`);
      const [m, b] = await Promise.all([stat(join(repo, 'manifests', img(ref).digest)), stat(join(repo, 'blobs', img(ref).digest))]);
      assert.equal(m.ino, b.ino, 'manifests/<digest> is a hard link of blobs/<digest>');
    }
    const blobs = await readdir(join(repo, 'blobs'));
    assert.deepEqual(blobs.filter((n) => !/^sha256:[0-9a-f]{64}$/.test(n)), [], 'only digest-named files, no temp files left');
    // every blob of every image is there
    const layout = new OciLayoutSource(await OciLayout.open(fx.layout, { create: false }));
    for (const [, ref] of want) {
      const tree = await resolveImageTree(layout, await layout.getManifest(ref), { fetch: (s, x) => s.getManifest(x) });
      for (const b of tree.blobs) assert.equal((await stat(join(repo, 'blobs', b.digest))).size, b.size);
      for (const c of tree.children) assert.ok(blobs.includes(c.digest), `child manifest ${c.digest}`);
    }
  });

  it('runs the seed command verbatim: -a pull secret, --from-dir, file:// tag glob, into HTTPS airlock with logins', async () => {
    const args = ['image', 'mirror', '-a', secret, `--from-dir=${join(media, 'mirror')}`, 'file://openshift/release:4.12.0*', `${mirror.hostPort}/ocp4/openshift4`];
    const env = { NODE_EXTRA_CA_CERTS: mirror.security!.caCertPath };
    const r = await airlock(args, work, env);
    assert.equal(r.code, 0, r.stderr);
    const want = Object.entries(RELEASE).filter(([t]) => t.startsWith('4.12.0'));
    assert.deepEqual(r.stdout.trim().split('\n').sort(), want.map(([t, ref]) => `${img(ref).digest} ${mirror.hostPort}/ocp4/openshift4:${t}`).sort());
    const hub = new RegistryHub({ caFile: mirror.security!.caCertPath, auth: await AuthStore.load(secret) });
    try {
      const dst = hub.destination({ registry: mirror.hostPort, repository: 'ocp4/openshift4' });
      const src = hub.source({ registry: mirror.hostPort, repository: 'ocp4/openshift4' });
      for (const [tag, ref] of want) {
        assert.equal(await dst.resolveManifest(tag), img(ref).digest, tag);
        const tree = await resolveImageTree(src, await src.getManifest(tag), { fetch: (s, x) => s.getManifest(x) });
        for (const b of tree.blobs) assert.equal(await dst.hasBlob(b), 'present', `${tag}: blob ${b.digest}`);
      }
      assert.equal(await dst.resolveManifest('4.12.1-x86_64'), undefined, 'the glob left 4.12.1 out');
    } finally {
      await hub.close();
    }
    const again = await airlock([...args, '-o', 'json'], work, env);
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout) as { images: { skipped: boolean }[]; stats: { blobs: { uploaded: number } } };
    assert.ok(doc.images.length === want.length && doc.images.every((i) => i.skipped), 're-run skips everything');
    assert.equal(doc.stats.blobs.uploaded, 0);
  });

  it('verifies TLS: untrusted certificates are refused with a hint; --certificate-authority or --insecure get through', async () => {
    const src = `file://openshift/release:4.12.1-x86_64`;
    const base = ['image', 'mirror', '-a', secret, `--from-dir=${join(media, 'mirror')}`, '--retry-times', '0', src];
    const refused = await airlock([...base, `${mirror.hostPort}/tls/refused`], work);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /TLS certificate is not trusted .*--certificate-authority/);
    const withCa = await airlock([...base, '--certificate-authority', mirror.security!.caCertPath, `${mirror.hostPort}/tls/ca`], work);
    assert.equal(withCa.code, 0, withCa.stderr);
    assert.equal(withCa.stdout.trim(), `${img('small-01-v1').digest} ${mirror.hostPort}/tls/ca:4.12.1-x86_64`);
    const insecure = await airlock([...base, '--insecure', `${mirror.hostPort}/tls/insecure`], work);
    assert.equal(insecure.code, 0, insecure.stderr);
  });

  it('reads its own disk store back out by digest and into an OCI layout', async () => {
    const etcd = img('small-00-v1');
    const out = join(work, 'oci-out');
    const r = await airlock(['image', 'mirror', `--from-dir=${join(media, 'mirror')}`, `file://openshift/release@${etcd.digest}`, `oci:${out}:etcd`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${etcd.digest} oci:${out}:etcd`);
  });
});
