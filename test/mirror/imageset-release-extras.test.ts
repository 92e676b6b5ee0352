/**
 * Release extras of an ImageSetConfiguration, end to end on loopback:
 * - `platform.kubeVirtContainer: true`: the KubeVirt image named by the
 *   payload's 0000_50_installer_coreos-bootimages.yaml is planned and mirrored;
 * - `platform.platforms`: a multi-arch release is mirrored sparse: the
 *   release list and every component list keep their digests, and only the
 *   chosen platform's children are in the mirror (airlock serve --sparse-repo);
 * - `operators[].platforms`: the catalog's multi-arch related images are
 *   copied sparse the same way.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { airlock, resolveTags } from '../release/support.js';
import { pushCatalogFixture } from '../catalog/catalog-mirror-setup.js';
import type { CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';

const bootImages = (ref: string): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: coreos-bootimages
  namespace: openshift-machine-config-operator
data:
  releaseVersion: 0.0.1-snapshot
  stream: |
    ${JSON.stringify({ stream: 'rhcos-4.18', architectures: { x86_64: { images: { kubevirt: { release: '418.94.202501010000-0', image: ref.split('@')[0], 'digest-ref': ref } } }, aarch64: { images: {} } } })}
`;

describe('airlock mirror: kubeVirtContainer and sparse release platforms', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let single: SyntheticRelease;
  let multi: SyntheticRelease;
  let kubevirt: BuiltImageSet;
  let fx: CatalogFixture;
  const common = ['--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-release-extras-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock({ config: { sparseRepos: ['sparse/**'] } })]);
    kubevirt = await buildImageSet('rhcos kubevirt disk', false);
    const hub = new RegistryHub({ insecure: () => true });
    try {
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'openshift-release-dev/ocp-v4.0-art-dev' }), kubevirt);
      fx = await pushCatalogFixture(hub, up.hostPort, work);
    } finally {
      await hub.close();
    }
    const ref = `${up.hostPort}/openshift-release-dev/ocp-v4.0-art-dev@${kubevirt.top.digest}`;
    single = await makeSyntheticRelease({ registry: up.hostPort, version: '4.18.3', count: 3, manifests: new Map([['0000_50_installer_coreos-bootimages.yaml', Buffer.from(bootImages(ref))]]) });
    multi = await makeSyntheticRelease({ registry: up.hostPort, version: '4.18.4', count: 3, arches: ['amd64', 'arm64'], releaseRepo: 'openshift-release-dev/ocp-release-multi', componentRepo: 'openshift-release-dev/ocp-multi-art-dev' });
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('kubeVirtContainer: true mirrors the image named in 0000_50_installer_coreos-bootimages.yaml', async () => {
    const isc = join(work, 'kubevirt.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  platform:\n    release: ${single.ref}\n    kubeVirtContainer: true\n`);
    const ws = join(work, 'ws-kubevirt');
    const dry = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/ocp`, '--dry-run', ...common], work);
    assert.equal(dry.code, 0, dry.stderr);
    const target = `docker://${mirror.hostPort}/ocp/openshift-release-dev/ocp-v4.0-art-dev:sha256-${kubevirt.top.digest.slice(7)}`;
    const mapping = await readFile(join(ws, 'working-dir/dry-run/mapping.txt'), 'utf8');
    assert.ok(mapping.includes(`docker://${up.hostPort}/openshift-release-dev/ocp-v4.0-art-dev@${kubevirt.top.digest}=${target}\n`), mapping);
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/ocp`, ...common], work);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp/openshift-release-dev/ocp-v4.0-art-dev', [`sha256-${kubevirt.top.digest.slice(7)}`]), [kubevirt.top.digest]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp/openshift/release-images', ['4.18.3-x86_64']), [single.digest]);
    // without the flag it is not planned
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  platform:\n    release: ${single.ref}\n`);
    const ws2 = join(work, 'ws-kubevirt-off');
    assert.equal((await airlock(['mirror', '-c', isc, '--workspace', `file://${ws2}`, `docker://${mirror.hostPort}/ocp2`, '--dry-run', ...common], work)).code, 0);
    assert.ok(!(await readFile(join(ws2, 'working-dir/dry-run/mapping.txt'), 'utf8')).includes(kubevirt.top.digest));
  });

  it('platform.platforms keeps every release list digest and copies only the chosen platform', async () => {
    const isc = join(work, 'sparse.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  platform:\n    release: ${multi.ref}\n    platforms:\n    - os: linux\n      architecture: arm64\n`);
    const ws = join(work, 'ws-sparse');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/sparse`, ...common], work);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'sparse/openshift/release-images', ['4.18.4-multi']), [multi.digest], 'the release list, digest unchanged');
    const hub = new RegistryHub({ insecure: () => true });
    try {
      const src = hub.source({ registry: up.hostPort, repository: multi.releaseRepo });
      const list = JSON.parse((await src.getManifest(multi.digest)).bytes.toString('utf8')) as { manifests: { digest: string; platform: { architecture: string } }[] };
      const byArch = (a: string): string => list.manifests.find((m) => m.platform.architecture === a)!.digest;
      assert.deepEqual(await resolveTags(mirror.hostPort, 'sparse/openshift/release-images', [byArch('arm64'), byArch('amd64')]), [byArch('arm64'), undefined]);
    } finally {
      await hub.close();
    }
    for (const c of multi.components) {
      const [amd64, arm64] = c.children;
      assert.deepEqual(await resolveTags(mirror.hostPort, 'sparse/openshift/release', [`4.18.4-multi-${c.name}`, arm64!, amd64!]), [c.digest, arm64, undefined], c.name);
    }
  });

  it('operators[].platforms copies the multi-arch related images sparse (list digest kept, one child)', async () => {
    const isc = join(work, 'operators.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  operators:\n  - catalog: ${up.hostPort}/olm/fbc-index:v1\n    packages:\n    - name: etcd\n      channels:\n      - name: stable\n    platforms:\n    - os: linux\n      architecture: arm64\n`);
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${join(work, 'ws-operators')}`, `docker://${mirror.hostPort}/sparse/ops`, ...common], work);
    assert.equal(r.code, 0, r.stderr);
    const operator = fx.images.find((i) => i.repository === 'ops/team/etcd/operator' && i.set.manifests.length === 3 && fx.catalog.bundles.some((b) => b.package === 'etcd' && b.version === '1.3.0' && b.relatedImages.some((x) => x.image === i.ref)))!;
    assert.ok(operator, 'the etcd 1.3.0 operator image is a manifest list');
    const [amd64, arm64] = operator.set.manifests;
    const repo = `sparse/ops/${operator.repository}`;
    assert.deepEqual(await resolveTags(mirror.hostPort, repo, [`sha256-${operator.set.top.digest.slice(7)}`, arm64!.digest, amd64!.digest]), [operator.set.top.digest, arm64!.digest, undefined]);
  });
});
