/**
 * `airlock release new` and `airlock release info` on loopback airlock: the
 * synthetic 183-component release (one repository, by digest, shared base
 * layers), multi-arch manifest lists, and the payload errors oc users know.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { pushFilesImage, tagReferencePayload } from '../fixtures/release-bad.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { manifestRefs } from '../../src/copy/manifest-refs.js';
import { readRelease } from '../../src/release/payload-reader.js';
import { componentsOf } from '../../src/release/image-references.js';

describe('release new + release info', () => {
  let reg: AirlockHandle;
  let rel: SyntheticRelease;
  let multi: SyntheticRelease;

  before(async () => {
    reg = await startAirlock();
    rel = await makeSyntheticRelease({ registry: reg.hostPort });
    multi = await makeSyntheticRelease({ registry: reg.hostPort, multiArch: true, count: 12, releaseRepo: 'multi/release', componentRepo: 'multi/art' });
  });
  after(async () => reg?.close());

  it('builds an OpenShift-shaped payload: 183 components by digest in one repository, labels, release-metadata', async () => {
    const hub = new RegistryHub({ insecure: () => true });
    try {
      const src = hub.source({ registry: reg.hostPort, repository: rel.releaseRepo });
      const r = await readRelease(src, rel.tag);
      assert.equal(r.topDigest, rel.digest);
      assert.equal(r.labels['io.openshift.release'], '4.12.0');
      assert.match(r.labels['io.openshift.release.base-image-digest'] ?? '', /^sha256:[0-9a-f]{64}$/);
      const cvo = rel.components.find((c) => c.name === 'cluster-version-operator')!;
      assert.equal(r.labels['io.openshift.release.base-image-digest'], cvo.digest, 'the base is the CVO image');
      assert.deepEqual(r.metadata?.previous, ['4.11.11', '4.11.12', '4.12.0-rc.8']);
      const comps = componentsOf(r.imageStream);
      assert.equal(comps.length, 183);
      assert.deepEqual(new Set(comps.map((c) => c.repository)), new Set([`${reg.hostPort}/${rel.componentRepo}`]));
      assert.deepEqual(comps.map((c) => [c.name, c.image.digest]), rel.components.map((c) => [c.name, c.digest]));
      for (const n of ['installer', 'installer-artifacts', 'cli', 'cli-artifacts', 'baremetal-installer', 'cloud-credential-operator']) assert.ok(comps.some((c) => c.name === n), n);
      // realistic sharing: far fewer unique layers than layer references
      const art = hub.source({ registry: reg.hostPort, repository: rel.componentRepo });
      const layers: string[] = [];
      for (const c of rel.components.slice(0, 40)) {
        const refs = manifestRefs(await art.getManifest(c.digest));
        if (refs.kind === 'image') layers.push(...refs.layers.map((l) => l.digest));
      }
      assert.ok(new Set(layers).size < layers.length * 0.6, `${new Set(layers).size} unique of ${layers.length}`);
    } finally {
      await hub.close();
    }
  });

  it('info prints version, upgrades, components with digests and the architecture', async () => {
    const r = await runAirlockCli(['release', 'info', '--insecure', rel.ref]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Name: +4\.12\.0\nDigest: +sha256:[0-9a-f]{64}\nCreated: +2023-01-12T18:29:52Z\nOS\/Arch: +linux\/amd64\nArchitectures: +linux\/amd64\n/);
    assert.ok(r.stdout.includes(`\nPull From: ${reg.hostPort}/${rel.releaseRepo}@${rel.digest}\n`));
    assert.match(r.stdout, /\n {2}Version: +4\.12\.0\n {2}Upgrades: 4\.11\.11, 4\.11\.12, 4\.12\.0-rc\.8\n {2}Metadata:\n {4}url: https:\/\/access\.redhat\.com\/errata\/RHSA-2022:7399\n/);
    for (const c of rel.components) assert.match(r.stdout, new RegExp(`\\n  ${c.name} +${c.digest}\\n`), c.name);
    const j = await runAirlockCli(['release', 'info', '--insecure', '-o', 'json', rel.ref]);
    const doc = JSON.parse(j.stdout) as { name: string; components: { name: string; digest: string }[]; architectures: string[] };
    assert.equal(doc.name, '4.12.0');
    assert.deepEqual(doc.components.map((c) => c.digest), rel.components.map((c) => c.digest));
  });

  it('info on a multi-arch release lists the four architectures and the manifest-list digest', async () => {
    assert.deepEqual(multi.platforms, ['linux/amd64', 'linux/arm64', 'linux/ppc64le', 'linux/s390x']);
    const r = await runAirlockCli(['release', 'info', '--insecure', '-o', 'json', multi.ref]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { digest: string; manifestListDigest: string; platform: string; architectures: string[] };
    assert.equal(doc.manifestListDigest, multi.digest);
    assert.match(doc.platform, /^multi \(linux\/[a-z0-9]+\)$/);
    assert.deepEqual(doc.architectures, multi.platforms);
    const arm = await runAirlockCli(['release', 'info', '--insecure', '--filter-by-os', 'linux/arm64', multi.ref]);
    assert.match(arm.stdout, /OS\/Arch: +multi \(linux\/arm64\)/);
  });

  it('errors: a missing payload file is named; a tag reference gets oc\'s text', async () => {
    const etcd = rel.components.find((c) => c.name === 'etcd')!;
    const none = await runAirlockCli(['release', 'info', '--insecure', etcd.pullSpec]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error: .* is not a release image: \/release-manifests\/image-references was not found in its \d layer\(s\)\n$/);
    await pushFilesImage(reg.hostPort, 'bad/release', 'tagref', tagReferencePayload(reg.hostPort), { 'io.openshift.release': '4.12.0' });
    const tagged = await runAirlockCli(['release', 'info', '--insecure', `${reg.hostPort}/bad/release:tagref`]);
    assert.equal(tagged.code, 2);
    assert.equal(tagged.stderr, `error: image-references should only contain pointers to images by digest: ${reg.hostPort}/ocp/art:etcd-latest\n`);
    await pushFilesImage(reg.hostPort, 'bad/release', 'nometa', [tagReferencePayload(reg.hostPort)[0]!].map((f) => ({ ...f, data: (f.data as string).replace(/:etcd-latest/, `@sha256:${'b'.repeat(64)}`) })));
    const nometa = await runAirlockCli(['release', 'info', '--insecure', `${reg.hostPort}/bad/release:nometa`]);
    assert.equal(nometa.code, 0, nometa.stderr);
    assert.match(nometa.stdout, /Warnings:\n\* .*\/release-manifests\/release-metadata was not found/);
    assert.match(nometa.stdout, /\* .*has no io\.openshift\.release label/);
  });

  it('release new from the CLI: NAME=IMAGE pairs by tag are pinned to digests', async () => {
    const hub = new RegistryHub({ insecure: () => true });
    const art = hub.destination({ registry: reg.hostPort, repository: rel.componentRepo });
    const src = hub.source({ registry: reg.hostPort, repository: rel.componentRepo });
    for (const n of ['cluster-version-operator', 'etcd', 'cli']) await art.putManifest(await src.getManifest(rel.components.find((c) => c.name === n)!.digest), { tag: `latest-${n}` });
    await hub.close();
    const repo = `${reg.hostPort}/${rel.componentRepo}`;
    const r = await runAirlockCli([
      'release', 'new', '--insecure', '--name', '4.13.0-custom', '--to-image', `${reg.hostPort}/custom/release:4.13.0-custom`, '--previous', '4.12.0,4.12.1', '--created', '2024-01-01T00:00:00Z',
      `cluster-version-operator=${repo}:latest-cluster-version-operator`, `etcd=${repo}:latest-etcd`, `cli=${repo}:latest-cli`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^sha256:[0-9a-f]{64} ${reg.hostPort}/custom/release:4\\.13\\.0-custom\\n$`));
    const info = await runAirlockCli(['release', 'info', '--insecure', '-o', 'json', `${reg.hostPort}/custom/release:4.13.0-custom`]);
    const doc = JSON.parse(info.stdout) as { name: string; components: { name: string; pullSpec: string }[]; metadata: { previous: string[] } };
    assert.equal(doc.name, '4.13.0-custom');
    assert.deepEqual(doc.metadata.previous, ['4.12.0', '4.12.1']);
    assert.deepEqual(doc.components.map((c) => c.pullSpec), ['cluster-version-operator', 'etcd', 'cli'].map((n) => `${repo}@${rel.components.find((c) => c.name === n)!.digest}`));
    const dup = await runAirlockCli(['release', 'new', '--insecure', '--name', 'x', '--to-image', `${reg.hostPort}/custom/release:x`, `etcd=${repo}:latest-etcd`, `etcd=${repo}:latest-cli`]);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /component etcd is given twice/);
  });
});
