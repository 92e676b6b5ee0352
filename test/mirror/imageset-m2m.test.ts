/**
 * `airlock mirror -c isc.yaml --workspace file://DIR docker://REG/prefix`
 * end to end on loopback: a release chosen by channel from a loopback
 * graph, a filtered (rebuilt) catalog, additional images and a blocked one,
 * between two airlock registries; every digest checked in the mirror,
 * cluster resources compared with the expected files; dry run; the
 * workflow-shape errors; the pre-check against a registry refusing deep paths.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { startDepthLimitedRegistry, type DepthLimitedRegistry } from '../helpers/depth-limit-registry.js';
import { graphOf, startGraphServer, type GraphServer } from '../helpers/graph-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { buildImageSet, pushImageSet } from '../fixtures/catalog/related-images.js';
import { pushCatalogFixture } from '../catalog/catalog-mirror-setup.js';
import type { CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { airlock, resolveTags } from '../release/support.js';

describe('airlock mirror: mirror to mirror from an ImageSetConfiguration', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let deep: AirlockHandle;
  let limited: DepthLimitedRegistry;
  let graph: GraphServer;
  let rel: SyntheticRelease;
  let fx: CatalogFixture;
  let isc: string;
  let appDigest: string;
  const prefix = 'ocp';
  const common = (): string[] => ['--src-tls-verify=false', '--dest-tls-verify=false', '--graph-url', graph.url, '--no-progress'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-imageset-'));
    [up, mirror, deep] = await Promise.all([startAirlock(), startAirlock(), startAirlock()]);
    limited = await startDepthLimitedRegistry(deep.hostPort, 3);
    graph = await startGraphServer();
    rel = await makeSyntheticRelease({ registry: up.hostPort, version: '4.18.2', count: 12 });
    // 4.18.1 is in the graph but never pushed: heads-only selection must not touch it.
    graph.set('stable-4.18', 'amd64', graphOf(['4.18.1', '4.18.2'], [['4.18.1', '4.18.2']], (v) => (v === '4.18.2' ? `${up.hostPort}/${rel.releaseRepo}@${rel.digest}` : `${up.hostPort}/${rel.releaseRepo}@sha256:${'1'.repeat(64)}`)));
    const hub = new RegistryHub({ insecure: () => true });
    try {
      fx = await pushCatalogFixture(hub, up.hostPort, work);
      const app = await buildImageSet('extra app', false);
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/tools/app' }), app, 'v1');
      appDigest = app.top.digest;
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/tools/debug' }), await buildImageSet('extra debug', false), 'v1');
    } finally {
      await hub.close();
    }
    isc = join(work, 'isc.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  platform:
    channels:
    - name: stable-4.18
  operators:
  - catalog: ${up.hostPort}/olm/fbc-index:v1
    targetCatalog: my-ns/my-index
    targetTag: v1-filtered
    packages:
    - name: etcd
      channels:
      - name: stable
  additionalImages:
  - name: ${up.hostPort}/extra/tools/app:v1
  - name: ${up.hostPort}/extra/tools/debug:v1
  blockedImages:
  - name: "/extra/tools/debug"
`);
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), deep?.close(), limited?.close(), graph?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses conflicting workflow shapes in one line each, and a --from directory without an archive set', async () => {
    const cases: [string[], RegExp][] = [
      [['--from', `file://${work}/a`, `file://${work}/b`], /^error: --from cannot be used with a file:\/\/ destination/],
      [['--from', `file://${work}/a`, '--workspace', `file://${work}/w`, `docker://${mirror.hostPort}`], /^error: --from and --workspace cannot be used together/],
      [[`docker://${mirror.hostPort}`], /^error: mirror to mirror needs --workspace file:\/\/DIR/],
      [[`${mirror.hostPort}/x`], /^error: destination 127\.0\.0\.1:\d+\/x: must start with docker:\/\/ or file:\/\//],
      [['--from', `file://${work}/m2d`, `docker://${mirror.hostPort}`], /^error: mirror_index\.json: missing from .*m2d \(an archive set written by m2d/],
    ];
    for (const [args, want] of cases) {
      const r = await airlock(['mirror', '-c', isc, '--v2', ...args], work);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    await writeFile(join(work, 'bad.yaml'), 'kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  operators:\n  - catalog: x.example.com/a:v1\n    pakages: []\n');
    const bad = await airlock(['mirror', '-c', join(work, 'bad.yaml'), '--workspace', `file://${work}/w`, `docker://${mirror.hostPort}`], work);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, `error: ${join(work, 'bad.yaml')}:6: mirror.operators[0].pakages: unknown field (allowed: catalog, targetCatalog, targetTag, full, skipDependencies, packages, platforms)\n`);
  });

  it('--dry-run writes mapping.txt, prints bytes per origin and pushes nothing', async () => {
    const ws = join(work, 'dry');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/${prefix}`, '--dry-run', ...common()], work);
    assert.equal(r.code, 0, r.stderr);
    const mapping = await readFile(join(ws, 'working-dir/dry-run/mapping.txt'), 'utf8');
    assert.ok(mapping.includes(`docker://${up.hostPort}/${rel.releaseRepo}@${rel.digest}=docker://${mirror.hostPort}/${prefix}/openshift/release-images:4.18.2-x86_64\n`), mapping);
    assert.ok(mapping.includes(`docker://${up.hostPort}/extra/tools/app:v1=docker://${mirror.hostPort}/${prefix}/extra/tools/app:v1\n`));
    assert.ok(!mapping.includes('extra/tools/debug'), 'blocked image not planned');
    assert.match(r.stderr, /info: would transfer .* \((\d+) bytes\) after deduplication: release [1-9]\d*, operator [1-9]\d*, additional [1-9]\d*, helm 0 bytes/);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release-images`, ['4.18.2-x86_64']), [undefined]);
  });

  it('mirrors release, filtered catalog and additional images; every digest is in the mirror; cluster resources are exact', async () => {
    const ws = join(work, 'ws');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/${prefix}`, ...common()], work);
    assert.equal(r.code, 0, r.stderr);
    const M = `${mirror.hostPort}/${prefix}`;
    const U = up.hostPort;
    // release by tag and by digest
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release-images`, ['4.18.2-x86_64', rel.digest]), [rel.digest, rel.digest]);
    const compTags = rel.components.map((c) => `4.18.2-x86_64-${c.name}`);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release`, compTags), rel.components.map((c) => c.digest));
    // filtered catalog: etcd stable head only (1.3.0): bundle, operator, kube-rbac-proxy v0.13
    const etcd = fx.catalog.bundles.find((b) => b.package === 'etcd' && b.version === '1.3.0')!;
    const related = [etcd.image!, ...etcd.relatedImages.map((x) => x.image)];
    for (const ref of new Set(related)) {
      const [repo, digest] = ref.slice(U.length + 1).split('@') as [string, string];
      assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/${repo}`, [`sha256-${digest.slice(7)}`, digest]), [digest, digest], ref);
    }
    const notSelected = fx.catalog.bundles.find((b) => b.package === 'etcd' && b.version === '1.1.0')!;
    const [nsRepo, nsDigest] = notSelected.image!.slice(U.length + 1).split('@') as [string, string];
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/${nsRepo}`, [nsDigest]), [undefined], 'a bundle the filter leaves out is not mirrored');
    const [catalogDigest] = await resolveTags(mirror.hostPort, `${prefix}/my-ns/my-index`, ['v1-filtered']);
    assert.ok(catalogDigest, 'the rebuilt catalog is at targetCatalog:targetTag');
    // additional and blocked
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/extra/tools/app`, ['v1']), [appDigest]);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/extra/tools/debug`, ['v1']), [undefined]);

    // cluster resources, byte for byte
    const dir = join(ws, 'working-dir/cluster-resources');
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['cc-my-index-v1-filtered.yaml', 'cs-my-index-v1-filtered.yaml', 'idms-oc-mirror.yaml', 'itms-oc-mirror.yaml']);
    const idms = await readFile(join(dir, 'idms-oc-mirror.yaml'), 'utf8');
    const createdAt = /createdAt: "([^"]+)"/.exec(idms)![1]!;
    const ann = `  annotations:\n    airlock_version: 0.1.0\n    createdAt: "${createdAt}"\n    createdBy: airlock\n`;
    const doc = (kind: string, key: string, name: string, sets: [string, string][]): string =>
      `---\napiVersion: config.openshift.io/v1\nkind: ${kind}\nmetadata:\n${ann}  name: ${name}\nspec:\n  ${key}:\n${sets.map(([s, m]) => `  - mirrors:\n    - ${m}\n    source: ${s}\n`).join('')}`;
    assert.equal(idms,
      doc('ImageDigestMirrorSet', 'imageDigestMirrors', 'idms-release-0', [[`${U}/${rel.releaseRepo}`, `${M}/openshift/release-images`], [`${U}/${rel.componentRepo}`, `${M}/openshift/release`]]) +
      doc('ImageDigestMirrorSet', 'imageDigestMirrors', 'idms-operator-0', [[`${U}/ops/bundles/etcd`, `${M}/ops/bundles/etcd`], [`${U}/ops/shared/base`, `${M}/ops/shared/base`], [`${U}/ops/team/etcd`, `${M}/ops/team/etcd`]]));
    assert.equal(await readFile(join(dir, 'itms-oc-mirror.yaml'), 'utf8'), doc('ImageTagMirrorSet', 'imageTagMirrors', 'itms-generic-0', [[`${U}/extra/tools`, `${M}/extra/tools`]]));
    assert.equal(await readFile(join(dir, 'cs-my-index-v1-filtered.yaml'), 'utf8'),
      `apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\nmetadata:\n${ann}  name: cs-my-index-v1-filtered\n  namespace: openshift-marketplace\nspec:\n  image: ${M}/my-ns/my-index:v1-filtered\n  sourceType: grpc\n`);
    assert.equal(await readFile(join(dir, 'cc-my-index-v1-filtered.yaml'), 'utf8'),
      `apiVersion: olm.operatorframework.io/v1\nkind: ClusterCatalog\nmetadata:\n${ann}  name: cc-my-index-v1-filtered\nspec:\n  source:\n    type: Image\n    image:\n      ref: ${M}/my-ns/my-index:v1-filtered\n`);

    // report and pinned config
    const report = JSON.parse(await readFile(join(ws, 'working-dir/report.json'), 'utf8')) as { exitCode: number; releases: { version: string; digest: string }[]; blocked: { image: string; why: string }[]; mirrored: Record<string, { images: unknown[]; transferred: number }>; failed: unknown[] };
    assert.equal(report.exitCode, 0);
    assert.deepEqual(report.releases.map((x) => [x.version, x.digest]), [['4.18.2', rel.digest]]);
    assert.deepEqual(report.blocked.map((b) => b.image), [`${U}/extra/tools/debug:v1`]);
    assert.match(report.blocked[0]!.why, /^matches blockedImages "\/extra\/tools\/debug"/);
    assert.equal(report.mirrored.additional!.images.length, 1);
    assert.ok(report.mirrored.release!.transferred > 0);
    assert.deepEqual(report.failed, []);
    const pinned = (await readdir(join(ws, 'working-dir'))).filter((f) => /^isc_pinned_.*\.yaml$/.test(f));
    assert.equal(pinned.length, 1);
    const pin = parseYaml(await readFile(join(ws, 'working-dir', pinned[0]!), 'utf8')) as { mirror: { operators: { catalog: string }[]; platform: { channels: { minVersion: string; maxVersion: string }[] } } };
    assert.match(pin.mirror.operators[0]!.catalog, new RegExp(`^${U.replace(/\./g, '\\.')}/olm/fbc-index@sha256:[0-9a-f]{64}$`));
    assert.deepEqual([pin.mirror.platform.channels[0]!.minVersion, pin.mirror.platform.channels[0]!.maxVersion], ['4.18.2', '4.18.2']);
  });

  it('a registry refusing deep paths fails before any copy, with the exact --max-nested-paths', async () => {
    const ws = join(work, 'deep');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${limited.hostPort}/${prefix}`, ...common()], work);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`error: docker://${limited.hostPort.replace(/\./g, '\\.')}/ocp: the registry refuses repository paths 5 components deep \\(ocp/ops/[a-z/-]+: HTTP 400 NAME_INVALID\\) but accepts 3; rerun with --max-nested-paths 3\\. Nothing was copied`));
    assert.ok(limited.refused.length > 0);
    assert.deepEqual(await resolveTags(deep.hostPort, `${prefix}/openshift/release-images`, ['4.18.2-x86_64']), [undefined], 'nothing was pushed');
  });
});
