/**
 * The seed's last step (§4.3.5) on loopback: after `release mirror`, the
 * upstream registry goes away and `airlock release extract --idms-file
 * --command=openshift-install` reads everything from the mirror; the binary
 * holds the mirror's pullspec by digest. Also: --icsp-file, cross-OS tools,
 * `--command-os '*'` archives with sha256sum.txt, a missing placeholder
 * warning, unknown commands, links and unsafe tar entries refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { fakeBinary } from '../fixtures/release-fixture-images.js';
import { pushFilesImage } from '../fixtures/release-bad.js';
import { patchBuffer, RELEASE_ARCHITECTURE_MARKER, RELEASE_IMAGE_MARKER, RELEASE_VERSION_MARKER } from '../../src/release/binary-patch.js';
import { airlock, pullSecret } from './support.js';

const INSTALL = { image: true, version: true, arch: true };

function patched(label: string, markers: { image?: boolean; version?: boolean; arch?: boolean }, image: string): Buffer {
  const r = [
    ...(markers.image ? [{ name: 'release image', marker: RELEASE_IMAGE_MARKER, value: image }] : []),
    ...(markers.version ? [{ name: 'release version', marker: RELEASE_VERSION_MARKER, value: '4.12.0' }] : []),
    ...(markers.arch ? [{ name: 'release architecture', marker: RELEASE_ARCHITECTURE_MARKER, value: 'linux/amd64' }] : []),
  ];
  return patchBuffer(fakeBinary(label, markers), r).data;
}

describe('release extract (seed mode 3)', () => {
  let work: string;
  let up: AirlockHandle | undefined;
  let mirror: AirlockHandle;
  let rel: SyntheticRelease;
  let secret: string;
  let repo: string;
  let out: string;
  let pin: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-release-extract-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    rel = await makeSyntheticRelease({ registry: up.hostPort, count: 30 });
    secret = await pullSecret(work, [up.hostPort, mirror.hostPort]);
    repo = `${mirror.hostPort}/ocp4/openshift4`;
    out = join(work, 'out');
    const r = await airlock(['release', 'mirror', '-a', secret, '--insecure', `--from=${rel.ref}`, `--to=${repo}`, `--to-release-image=${repo}:4.12.0-x86_64`, '--output-dir', out], work);
    assert.equal(r.code, 0, r.stderr);
    pin = `${repo}@${rel.digest}`;
    await up.close(); // the mirror host is disconnected from here on
    up = undefined;
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the seed\'s tag without the arch suffix fails in one line naming the tags that exist', async () => {
    const dir = join(work, 'no-such-tag');
    const r = await airlock(['release', 'extract', '-a', secret, '--insecure', '--command=openshift-install', '--to', dir, `${repo}:4.12.0`], work);
    assert.equal(r.code === 0, false, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`${repo.replace(/\./g, '\\.')}:4\\.12\\.0 not found .*; existing tags like it: 4\\.12\\.0-x86_64(, |$)`));
    assert.ok(lines[0]!.split('existing tags like it: ')[1]!.split(', ').length <= 5, 'at most five');
  });

  it('--idms-file --command=openshift-install from the mirror: the binary holds the mirror pullspec by digest', async () => {
    const dir = join(work, 'bin');
    const r = await airlock(['release', 'extract', '-a', secret, '--insecure', `--idms-file=${join(out, 'idms.yaml')}`, '--command=openshift-install', '--to', dir, `${repo}:4.12.0-x86_64`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /only applies to images referenced by digest and will be ignored for tags/);
    const bin = await readFile(join(dir, 'openshift-install'));
    assert.deepEqual(bin, patched('openshift-install (installer) amd64', INSTALL, pin), 'top layer wins over the stale copy; placeholders patched');
    assert.ok(bin.includes(Buffer.from(`\0${pin}\0`)) || bin.includes(Buffer.from(`${pin}\0`)));
    assert.equal((await stat(join(dir, 'openshift-install'))).mode & 0o777, 0o755);
    assert.doesNotMatch(r.stderr, /Unable to make all expected replacements/);
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.')), [], 'no temporary files left');
  });

  it('the release by digest goes through the mirrors too, and --icsp-file works (deprecated)', async () => {
    const dir = join(work, 'bin-icsp');
    const upstreamPin = `${rel.ref.split(':').slice(0, -1).join(':')}@${rel.digest}`;
    const r = await airlock(['release', 'extract', '--insecure', `--icsp-file=${join(out, 'icsp.yaml')}`, '--command=openshift-install', '--to', dir, upstreamPin], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /--icsp-file is deprecated/);
    assert.deepEqual(await readFile(join(dir, 'openshift-install')), patched('openshift-install (installer) amd64', INSTALL, upstreamPin));
  });

  it('without mirror files the unreachable source is named', async () => {
    const r = await airlock(['release', 'extract', '--insecure', '--command=ccoctl', '--to', join(work, 'x'), `${repo}:4.12.0-x86_64`], work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`unable to read ${rel.components[0]!.pullSpec.split('/')[0]}/${rel.componentRepo}@sha256:[0-9a-f]{64} from any location`));
  });

  it('cross-OS tools come from the artifacts images: oc for mac/arm64, ccoctl without placeholders', async () => {
    const dir = join(work, 'tools');
    const idms = `--idms-file=${join(out, 'idms.yaml')}`;
    const oc = await airlock(['release', 'extract', '--insecure', idms, '--command=oc', '--command-os=mac/arm64', '--to', dir, `${repo}:4.12.0-x86_64`], work);
    assert.equal(oc.code, 0, oc.stderr);
    assert.deepEqual(await readFile(join(dir, 'oc')), patched('oc mac_arm64 amd64', { version: true }, pin));
    const cco = await airlock(['release', 'extract', '--insecure', idms, '--command=ccoctl', '--command-os=linux/amd64', '--to', dir, `${repo}:4.12.0-x86_64`], work);
    assert.equal(cco.code, 0, cco.stderr);
    assert.deepEqual(await readFile(join(dir, 'ccoctl')), fakeBinary('ccoctl amd64'));
  });

  it("--command-os '*' writes one archive per OS and sha256sum.txt", async () => {
    const dir = join(work, 'all');
    const r = await airlock(['release', 'extract', '--insecure', `--idms-file=${join(out, 'idms.yaml')}`, '--command=openshift-install', "--command-os=*", '--to', dir, `${repo}:4.12.0-x86_64`], work);
    assert.equal(r.code, 0, r.stderr);
    const names = (await readdir(dir)).sort();
    assert.deepEqual(names, ['openshift-install-linux-4.12.0.tar.gz', 'openshift-install-linux-arm64-4.12.0.tar.gz', 'openshift-install-mac-4.12.0.tar.gz', 'openshift-install-mac-arm64-4.12.0.tar.gz', 'release.txt', 'sha256sum.txt']);
    const sums = await readFile(join(dir, 'sha256sum.txt'), 'utf8');
    for (const n of names.filter((x) => x !== 'sha256sum.txt')) {
      const h = createHash('sha256').update(await readFile(join(dir, n))).digest('hex');
      assert.ok(sums.includes(`${h}  ${n}\n`), n);
    }
    const tar = gunzipSync(await readFile(join(dir, 'openshift-install-mac-arm64-4.12.0.tar.gz')));
    assert.equal(tar.subarray(0, 17).toString('latin1'), 'openshift-install');
    assert.ok(tar.includes(patched('openshift-install mac_arm64 amd64', INSTALL, pin)), 'the archive holds the patched binary');
  });

  it('errors: unknown command lists the valid ones; a binary without placeholders warns; links and ".." entries are refused', async () => {
    const unknown = await airlock(['release', 'extract', '--insecure', '--command=kubectl', `${repo}:4.12.0-x86_64`], work);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "kubectl": the supported commands are 'oc', .*'openshift-install', .*'ccoctl'/);
    const cvo = rel.components.find((c) => c.name === 'cluster-version-operator')!;
    const cvoRef = `${repo}@${cvo.digest}`;
    const cases: [string, Parameters<typeof pushFilesImage>[3], RegExp | undefined][] = [
      ['plain', [{ path: 'usr/bin/openshift-install', data: 'no placeholders here\n', mode: 0o755 }], undefined],
      ['link', [{ path: 'usr/bin/openshift-install', type: 'symlink', linkname: '/etc/passwd' }], /usr\/bin\/openshift-install in layer sha256:[0-9a-f]+ is a symlink to \/etc\/passwd; refusing to follow it/],
      ['dotdot', [{ path: '../../etc/openshift-install', data: 'x' }], /refusing tar entry that climbs out with "\.\.": \.\.\//],
    ];
    for (const [name, files, error] of cases) {
      await pushFilesImage(mirror.hostPort, 'bad/installer', name, files);
      const to = `${mirror.hostPort}/bad/release:${name}`;
      const made = await airlock(['release', 'new', '--insecure', '--name', '4.12.0', '--to-image', to, `cluster-version-operator=${cvoRef}`, `installer=${mirror.hostPort}/bad/installer:${name}`], work);
      assert.equal(made.code, 0, made.stderr);
      const dir = join(work, `bad-${name}`);
      const r = await airlock(['release', 'extract', '--insecure', '--command=openshift-install', '--command-os=linux/amd64', '--to', dir, to], work);
      if (error === undefined) {
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /warning: Unable to make all expected replacements in openshift-install\. {2}Remaining: release architecture, release image, release version\n/);
      } else {
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, error);
        assert.deepEqual(await readdir(dir), [], 'nothing written');
      }
    }
  });
});
