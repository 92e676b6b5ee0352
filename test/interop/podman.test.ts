/**
 * podman 4.3 (root, vfs, all state in a temp dir) against the registry under
 * test (airlock by default; AIRLOCK_INTEROP_TARGET=docker-registry checks the
 * test itself). Pulls by tag, by digest and by platform from an OCI index and
 * a Docker manifest list, then pushes and reads the result back over the API.
 * podman push re-creates the manifest from local storage, so the pushed image
 * is checked by content (config, diff_ids), not by the source digest.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { createPodman, podmanUnavailableReason, type Podman } from '../helpers/podman.js';
import { checkImageTree, getBlob, getManifest, headManifest, sha256, type ManifestDoc } from './support/registry-api.js';
import { pushFromLayout } from './support/push.js';
import { peerGate, startTarget, type TargetRegistry } from './support/peers.js';

const gate = peerGate([podmanUnavailableReason()]);

interface InspectInfo {
  Id: string;
  Digest: string;
  RepoDigests: string[];
  Architecture: string;
  Os: string;
  ManifestType: string;
  RootFS: { Layers: string[] };
}

const hexOf = (d: string): string => d.replace(/^sha256:/, '');

describe('podman interop', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let target: TargetRegistry;
  let pm: Podman;
  let T: string;
  const img = (ref: string): FixtureImage => {
    const i = fx.images.find((x) => x.ref === ref);
    assert.ok(i, `fixture ${ref}`);
    return i;
  };
  /** diff_ids of a fixture image, read from its config in the layout */
  const diffIdsOf = async (configDigest: string): Promise<string[]> => {
    const cfg = JSON.parse(await readFile(join(fx.layout, 'blobs', 'sha256', hexOf(configDigest)), 'utf8')) as { rootfs: { diff_ids: string[] } };
    return cfg.rootfs.diff_ids;
  };
  const inspect = async (ref: string): Promise<InspectInfo> => {
    const r = await pm.ok(['image', 'inspect', ref]);
    const list = JSON.parse(r.stdout) as InspectInfo[];
    assert.equal(list.length, 1);
    return list[0] as InspectInfo;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-podman-it-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 2 });
    target = await startTarget();
    T = target.hostPort;
    for (const ref of ['small-00-v1', 'small-01-v1', 'tagless-v1', 'multi-v1', 'docker-v1', 'dockerlist-v1']) {
      const i = img(ref);
      await pushFromLayout(target.url, fx.layout, i.digest, i.repo, i.tag);
    }
    pm = await createPodman([T]);
  });

  after(async () => {
    await pm?.close();
    await target?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pulls an OCI image by tag: image ID is the config digest, the manifest digest is recorded', async () => {
    const small = img('small-00-v1');
    await pm.ok(['pull', '-q', `${T}/fixtures/small-00:v1`]);
    const info = await inspect(`${T}/fixtures/small-00:v1`);
    assert.equal(info.Id, hexOf(String(small.configDigest)));
    assert.equal(info.Digest, small.digest);
    assert.ok(info.RepoDigests.includes(`${T}/fixtures/small-00@${small.digest}`), JSON.stringify(info.RepoDigests));
    assert.deepEqual(info.RootFS.Layers, await diffIdsOf(String(small.configDigest)));
  });

  it('pulls a Docker schema2 image by tag', async () => {
    const d = img('docker-v1');
    await pm.ok(['pull', '-q', `${T}/fixtures/docker:v1`]);
    const info = await inspect(`${T}/fixtures/docker:v1`);
    assert.equal(info.Id, hexOf(String(d.configDigest)));
    assert.equal(info.Digest, d.digest);
    assert.equal(info.ManifestType, 'application/vnd.docker.distribution.manifest.v2+json');
  });

  it('pulls an untagged image by digest', async () => {
    const t = img('tagless-v1');
    await pm.ok(['pull', '-q', `${T}/fixtures/tagless@${t.digest}`]);
    const info = await inspect(`${T}/fixtures/tagless@${t.digest}`);
    assert.equal(info.Id, hexOf(String(t.configDigest)));
    assert.equal(info.Digest, t.digest);
  });

  for (const [ref, repo] of [
    ['multi-v1', 'fixtures/multi'],
    ['dockerlist-v1', 'fixtures/dockerlist'],
  ] as const) {
    it(`pulls --arch arm64 from ${ref} and gets the arm64 instance`, async () => {
      const index = img(ref);
      const arm = index.children?.find((c) => c.platform.architecture === 'arm64');
      assert.ok(arm, 'fixture has an arm64 child');
      await pm.ok(['pull', '-q', '--arch', 'arm64', `${T}/${repo}:v1`]);
      const info = await inspect(`${T}/${repo}:v1`);
      assert.equal(info.Architecture, 'arm64');
      assert.equal(info.Id, hexOf(arm.configDigest));
      assert.ok(info.RepoDigests.includes(`${T}/${repo}@${arm.digest}`), JSON.stringify(info.RepoDigests));
    });
  }

  it('pushes by tag; the registry serves back the same image content', async () => {
    const src = img('small-01-v1');
    await pm.ok(['pull', '-q', `${T}/fixtures/small-01:v1`]);
    const digestFile = join(work, 'pushed.digest');
    await pm.ok(['push', '-q', '--digestfile', digestFile, `${T}/fixtures/small-01:v1`, `${T}/podman/small:v1`]);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    assert.match(pushed, /^sha256:[0-9a-f]{64}$/);

    const head = await headManifest(target.url, 'podman/small', 'v1');
    assert.equal(head.status, 200);
    assert.equal(head.digest, pushed);
    const m = await getManifest(target.url, 'podman/small', 'v1');
    assert.equal(m.status, 200);
    assert.equal(sha256(m.body), pushed);
    assert.deepEqual(await checkImageTree(target.url, 'podman/small', pushed), []);

    // Same image: the config is carried over byte for byte, and every layer
    // decompresses to the fixture's diff_id (podman may re-compress).
    const doc = JSON.parse(m.body.toString('utf8')) as ManifestDoc;
    assert.equal(doc.config?.digest, src.configDigest);
    const cfg = await getBlob(target.url, 'podman/small', String(doc.config?.digest));
    assert.equal(cfg.status, 200);
    assert.equal(sha256(cfg.body), src.configDigest);
    const want = await diffIdsOf(String(src.configDigest));
    const layers = doc.layers ?? [];
    assert.equal(layers.length, want.length);
    for (const [i, l] of layers.entries()) {
      const b = await getBlob(target.url, 'podman/small', l.digest);
      assert.equal(b.status, 200);
      assert.equal(sha256(b.body), l.digest);
      assert.equal(sha256(gunzipSync(b.body)), want[i], `layer ${i} diff_id`);
    }

    // and podman can pull it back by digest
    await pm.ok(['rmi', '-f', `${T}/fixtures/small-01:v1`, `${T}/podman/small:v1`]);
    await pm.ok(['pull', '-q', `${T}/podman/small@${pushed}`]);
    const info = await inspect(`${T}/podman/small@${pushed}`);
    assert.equal(info.Id, hexOf(String(src.configDigest)));
  });
});
