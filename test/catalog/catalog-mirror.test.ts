/**
 * `airlock catalog mirror` straight to a mirror registry (seed §4.3.7.2.1),
 * as a real process against two loopback airlock registries, for the FBC
 * and the SQLite index: every present related image resolves in the mirror
 * by digest, the generated files parse and name real mirror repositories,
 * --max-components holds, missing images are reported all at once before
 * copying, and bad input is refused in one line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestRefs } from '../../src/copy/manifest-refs.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { stringify } from 'yaml';
import { fixtureFbcFiles, type CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { pushIndexImage } from '../fixtures/catalog/index-image.js';
import { FORMATS, holds, pushCatalogFixture, readMapping, readMirrorSets, readYaml } from './catalog-mirror-setup.js';

interface CatalogSourceDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { image: string; sourceType: string };
}

describe('catalog mirror to a registry (loopback)', () => {
  let src: AirlockHandle;
  let mir: AirlockHandle;
  let hub: RegistryHub;
  let fx: CatalogFixture;
  let dir: string;
  const cli = (args: string[], cwd?: string) => runAirlockCli(['catalog', 'mirror', '--insecure', '--no-progress', ...args], { env: { HOME: dir }, cwd: cwd ?? dir, timeoutMs: 120_000 });
  const repoOf = (ref: string): string => ref.slice(ref.indexOf('/') + 1).replace(/[@:].*$/, '');

  before(async () => {
    [src, mir] = await Promise.all([startAirlock(), startAirlock()]);
    dir = await mkdtemp(join(tmpdir(), 'airlock-catmirror-'));
    hub = new RegistryHub({ insecure: () => true });
    fx = await pushCatalogFixture(hub, src.hostPort, dir);
    await pushIndexImage(hub.destination({ registry: src.hostPort, repository: 'olm/no-catalog' }), { kind: 'none' }, { tag: 'v1' });
    await pushIndexImage(hub.destination({ registry: src.hostPort, repository: 'olm/my_index.v2' }), { kind: 'fbc', files: fixtureFbcFiles(fx, stringify) }, { tag: 'v1' });
    await pushIndexImage(hub.destination({ registry: src.hostPort, repository: 'olm/multi-index' }), { kind: 'fbc', files: fixtureFbcFiles(fx, stringify) }, { tag: 'v1', platforms: ['linux/amd64', 'linux/arm64'] });
  });
  after(async () => {
    await hub?.close();
    await Promise.all([src?.close(), mir?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  for (const { format, repo, name } of FORMATS) {
    it(`${format}: mirrors the index and every present related image by digest; the manifests directory matches`, async () => {
      const out = join(dir, `m-${format}`);
      const r = await cli([`${src.hostPort}/${repo}:v1`, `${mir.hostPort}/${format}`, '--skip-missing', '--to-manifests', out]);
      assert.equal(r.code, 0, r.stderr);
      // both missing images, each with the bundle and package needing it, reported before copying
      assert.match(r.stderr, new RegExp(`^warning: ${fx.missing[0]!.replace(/[.]/g, '\\.')} does not exist \\(needed by bundle redis\\.v1\\.3\\.0 of package redis\\)$`, 'm'));
      assert.match(r.stderr, new RegExp(`^warning: ${fx.missing[1]!.replace(/[.]/g, '\\.')} does not exist \\(needed by bundle kafka\\.v1\\.0\\.0 of package kafka\\)$`, 'm'));
      assert.match(r.stderr, /^info: 2 missing images listed in .*missing\.txt$/m);
      assert.match(r.stdout, new RegExp(`^wrote mirroring manifests to ${out.replace(/[.]/g, '\\.')}$`, 'm'));
      assert.deepEqual((await readdir(out)).sort(), ['catalogSource.yaml', 'clusterCatalog.yaml', 'imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml', 'mapping.txt', 'missing.txt']);
      assert.equal(await readFile(join(out, 'missing.txt'), 'utf8'), [`${fx.missing[1]} needed by kafka.v1.0.0 (kafka)\n`, `${fx.missing[0]} needed by redis.v1.3.0 (redis)\n`].sort().join(''));

      const mapping = new Map(readMapping(await readFile(join(out, 'mapping.txt'), 'utf8')));
      assert.equal(mapping.size, fx.images.length + 1, 'every present related image and the index');
      assert.equal(mapping.get(`${src.hostPort}/${repo}:v1`), `${mir.hostPort}/${format}/olm-${name}:v1`);
      for (const dst of mapping.values()) assert.ok(dst.slice(dst.indexOf('/') + 1).split('/').length <= 2, `--max-components=2: ${dst}`);
      for (const img of fx.images) {
        const dst = mapping.get(img.ref);
        assert.ok(dst, `${img.ref} is mapped`);
        assert.ok(await holds(hub, mir.hostPort, repoOf(dst), img.set.top.digest), `${dst} holds ${img.set.top.digest}`);
        assert.ok(await holds(hub, mir.hostPort, repoOf(dst), dst.slice(dst.lastIndexOf(':') + 1)), `${dst} is tagged`);
      }
      const indexDigest = (await hub.source({ registry: src.hostPort, repository: repo }).getManifest('v1')).digest;
      assert.ok(await holds(hub, mir.hostPort, `${format}/olm-${name}`, indexDigest), 'the index is mirrored with its digest');

      // ICSP and IDMS: one document, the catalog label, one mirror per source, every mirror a real repository holding the images
      const sources = [...new Set(fx.images.map((i) => `${src.hostPort}/${i.repository}`))].sort();
      for (const [file, kind, key] of [['imageContentSourcePolicy.yaml', 'ImageContentSourcePolicy', 'repositoryDigestMirrors'], ['imageDigestMirrorSet.yaml', 'ImageDigestMirrorSet', 'imageDigestMirrors']] as const) {
        const docs = readMirrorSets(await readFile(join(out, file), 'utf8'));
        assert.equal(docs.length, 1);
        assert.equal(docs[0]!.kind, kind);
        assert.deepEqual(docs[0]!.metadata, { labels: { 'operators.openshift.org/catalog': 'true' }, name: `${name}-0` });
        const entries = docs[0]!.spec[key]!;
        assert.deepEqual(entries.map((e) => e.source), sources);
        for (const e of entries) {
          assert.equal(e.mirrors.length, 1, e.source);
          for (const img of fx.images.filter((i) => `${src.hostPort}/${i.repository}` === e.source)) {
            assert.ok(await holds(hub, mir.hostPort, repoOf(e.mirrors[0]!), img.set.top.digest), `${e.mirrors[0]} holds ${img.ref}`);
          }
        }
      }
      const cs = readYaml<CatalogSourceDoc>(await readFile(join(out, 'catalogSource.yaml'), 'utf8'));
      assert.deepEqual(cs, { apiVersion: 'operators.coreos.com/v1alpha1', kind: 'CatalogSource', metadata: { name, namespace: 'openshift-marketplace' }, spec: { image: `${mir.hostPort}/${format}/olm-${name}:v1`, sourceType: 'grpc' } });
      const cc = readYaml<{ kind: string; metadata: { name: string }; spec: { source: { type: string; image: { ref: string } } } }>(await readFile(join(out, 'clusterCatalog.yaml'), 'utf8'));
      assert.deepEqual([cc.kind, cc.metadata.name, cc.spec.source.type, cc.spec.source.image.ref], ['ClusterCatalog', name, 'Image', cs.spec.image]);
    });
  }

  it('an OCI index over two platforms: mirrored whole with its digest, the catalog read from the platform --index-filter-by-os picks', async () => {
    const out = join(dir, 'm-multi');
    const r = await cli([`${src.hostPort}/olm/multi-index:v1`, `${mir.hostPort}/multi`, '--skip-missing', '--to-manifests', out, '--index-filter-by-os', 'linux/arm64']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^info: file-based catalog ${src.hostPort}/olm/multi-index:v1 \\(linux/arm64\\): ${fx.catalog.packages.length} packages, `, 'm'));
    const top = await hub.source({ registry: src.hostPort, repository: 'olm/multi-index' }).getManifest('v1');
    const refs = manifestRefs(top);
    assert.equal(refs.kind, 'index');
    if (refs.kind !== 'index') return;
    assert.deepEqual(refs.children.map((c) => `${c.platform?.os}/${c.platform?.architecture}`), ['linux/amd64', 'linux/arm64']);
    const mirrored = await hub.source({ registry: mir.hostPort, repository: 'multi/olm-multi-index' }).getManifest('v1');
    assert.equal(mirrored.digest, top.digest, 'the index keeps its digest');
    for (const c of refs.children) assert.ok(await holds(hub, mir.hostPort, 'multi/olm-multi-index', c.digest), `platform image ${c.digest} is mirrored`);
    const mapping = new Map(readMapping(await readFile(join(out, 'mapping.txt'), 'utf8')));
    assert.equal(mapping.size, fx.images.length + 1, 'every present related image and the index');
    for (const img of fx.images) assert.ok(await holds(hub, mir.hostPort, repoOf(mapping.get(img.ref)!), img.set.top.digest), `${img.ref} is mirrored`);
    const cs = readYaml<CatalogSourceDoc>(await readFile(join(out, 'catalogSource.yaml'), 'utf8'));
    assert.equal(cs.spec.image, `${mir.hostPort}/multi/olm-multi-index:v1`);
  });

  it('without --skip-missing: every missing image at once, the error names the flag, nothing is copied', async () => {
    const out = join(dir, 'm-strict');
    const r = await cli([`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/strict`, '--to-manifests', out]);
    assert.equal(r.code, 2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    assert.deepEqual(lines.slice(0, 2).map((l) => l.replace(/ does not exist.*/, '')).sort(), fx.missing.map((m) => `error: ${m}`).sort());
    assert.match(lines[0]!, /needed by bundle \S+ of package (redis|kafka)\)$/);
    assert.match(lines[2]!, /^error: 2 related image\(s\) of the catalog do not exist \(listed above and in .*missing\.txt\); nothing was copied\. Rerun with --skip-missing to mirror the others$/);
    assert.equal(lines.length, 3);
    assert.deepEqual(await readdir(out), ['missing.txt']);
    assert.equal(await holds(hub, mir.hostPort, 'strict/olm-fbc-index', 'v1'), false, 'the index was not copied');
    const first = fx.images[0]!;
    assert.equal(await holds(hub, mir.hostPort, `strict/${first.repository.replace(/\//g, '-')}`, first.set.top.digest), false);
  });

  it('--dry-run -o json: one JSON document with the missing images and who needs them; nothing copied, the --to-manifests files written', async () => {
    const out = join(dir, 'm-dry');
    const r = await cli([`${src.hostPort}/olm/sqlite-index:v1`, `${mir.hostPort}/dry`, '--dry-run', '--skip-missing', '-o', 'json', '--to-manifests', out]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { dryRun: boolean; manifests: string | null; format: string; missing: { image: string; neededBy: { package: string; bundle: string }[] }[]; errors: unknown[] };
    assert.deepEqual([doc.dryRun, doc.manifests, doc.format, doc.errors.length], [true, out, 'sqlite', 0]);
    assert.deepEqual(doc.missing.map((m) => [m.image, m.neededBy.map((n) => `${n.package}/${n.bundle}`)]).sort(), [[fx.missing[0], ['redis/redis.v1.3.0']], [fx.missing[1], ['kafka/kafka.v1.0.0']]].sort());
    // as oc does: a dry run with --to-manifests writes the files the mirror would (mapping, ICSP, CatalogSource, missing.txt)
    const files = await readdir(out);
    for (const f of ['mapping.txt', 'imageContentSourcePolicy.yaml', 'missing.txt']) assert.ok(files.includes(f), `${f} in ${files.join(' ')}`);
    assert.match(await readFile(join(out, 'mapping.txt'), 'utf8'), new RegExp(`=${mir.hostPort.replace(/\./g, '\\.')}/dry/`));
    assert.equal(await holds(hub, mir.hostPort, 'dry/olm-sqlite-index', 'v1'), false);
  });

  it('--manifests-only with a small --max-icsp-size splits into -0, -1, … documents with the same entries', async () => {
    const whole = join(dir, 'm-whole');
    const split = join(dir, 'm-split');
    const [a, b] = await Promise.all([
      cli([`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/plan`, '--manifests-only', '--to-manifests', whole]),
      cli([`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/plan`, '--manifests-only', '--to-manifests', split, '--max-icsp-size', '1200']),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(await holds(hub, mir.hostPort, 'plan/olm-fbc-index', 'v1'), false, '--manifests-only copies nothing');
    for (const file of ['imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml']) {
      const text = await readFile(join(split, file), 'utf8');
      const docs = readMirrorSets(text);
      assert.ok(docs.length > 2, `${file}: ${docs.length} documents`);
      assert.deepEqual(docs.map((d) => d.metadata.name), docs.map((_, i) => `fbc-index-${i}`));
      for (const part of text.split('---\n').slice(1)) assert.ok(Buffer.byteLength(part) <= 1200, `${Buffer.byteLength(part)} bytes`);
      const entries = (t: string) => readMirrorSets(t).flatMap((d) => Object.values(d.spec)[0]!);
      assert.deepEqual(entries(text), entries(await readFile(join(whole, file), 'utf8')));
    }
    assert.equal(await readFile(join(split, 'mapping.txt'), 'utf8'), await readFile(join(whole, 'mapping.txt'), 'utf8'));
  });

  it('--package --manifests-only: only the filtered related images and the original index, with a note about the rebuilt catalog', async () => {
    const out = join(dir, 'm-etcd');
    const r = await cli([`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/etcd`, '--manifests-only', '--to-manifests', out, '--package', 'etcd']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^info: the rebuilt \(filtered\) catalog image is built only when images are copied \(not with --dry-run or --manifests-only\): these manifests name the original index$/m);
    const sources = readMapping(await readFile(join(out, 'mapping.txt'), 'utf8')).map(([s]) => s);
    const etcd = fx.catalog.bundles.filter((b) => b.package === 'etcd' && ['etcd.v1.3.0', 'etcd.v2.0.0', 'etcd.v2.1.0-rc.1'].includes(b.name));
    const want = new Set([`${src.hostPort}/olm/fbc-index:v1`, ...etcd.flatMap((b) => [b.image, ...b.relatedImages.map((x) => x.image)])]);
    assert.deepEqual(sources, [...want].sort());
    const filterFile = join(dir, 'filter.yaml');
    await writeFile(filterFile, 'apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n  operators:\n  - catalog: x\n    packages:\n    - name: etcd\n');
    const byFile = await cli([`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/etcd`, '--manifests-only', '--to-manifests', `${out}-file`, '--filter-file', filterFile]);
    assert.equal(byFile.code, 0, byFile.stderr);
    assert.equal(await readFile(join(`${out}-file`, 'mapping.txt'), 'utf8'), await readFile(join(out, 'mapping.txt'), 'utf8'));
    const bad = await cli([`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/etcd`, '--manifests-only', '--package', 'nope']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'error: package nope is not in the catalog\n');
  });

  for (const index of ['fbc-index', 'sqlite-index']) {
    it(`${index}: --package with copying: the rebuilt catalog replaces the original index, and the CatalogSource names it`, async () => {
      const out = join(dir, `m-rebuilt-${index}`);
      const tmp = join(dir, `tmp-rebuilt-${index}`);
      await mkdir(tmp);
      const r = await runAirlockCli(['catalog', 'mirror', '--insecure', '--no-progress', `${src.hostPort}/olm/${index}:v1`, `${mir.hostPort}/rebuilt`, '--to-manifests', out, '--package', 'etcd', '--skip-missing'], { env: { HOME: dir, TMPDIR: tmp }, cwd: dir, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      const m = r.stderr.match(/^info: rebuilt the filtered catalog as (\S+):([0-9a-f]{32}) \((sha256:[0-9a-f]{64}), 1 platform\(s\)\)$/m);
      assert.ok(m, r.stderr);
      const [, repo, tag, digest] = m;
      assert.equal(repo, `${mir.hostPort}/rebuilt/olm-${index}`);
      const cs = readYaml<CatalogSourceDoc>(await readFile(join(out, 'catalogSource.yaml'), 'utf8'));
      assert.equal(cs.spec.image, `${repo}:${tag}`);
      const dst = hub.destination({ registry: mir.hostPort, repository: `rebuilt/olm-${index}` });
      assert.equal(await dst.resolveManifest(tag!), digest, 'the rebuilt catalog is in the mirror under its tag');
      assert.equal(await dst.resolveManifest('v1'), undefined, 'the original index was not copied');
      const mapping = await readFile(join(out, 'mapping.txt'), 'utf8');
      assert.ok(!mapping.includes(index), 'mapping.txt lists no index line: nothing was copied from the original index');
      // The rebuilt catalog, read back from the mirror, holds only what the filter kept.
      const listed = await runAirlockCli(['catalog', 'list', '--insecure', `${repo}:${tag}`, '-o', 'json'], { env: { HOME: dir }, cwd: dir, timeoutMs: 60_000 });
      assert.equal(listed.code, 0, listed.stderr);
      const names = (JSON.parse(listed.stdout) as { packages: { name: string }[] }).packages.map((p) => p.name);
      assert.ok(names.includes('etcd'), listed.stdout);
      assert.ok(names.length < fx.catalog.packages.length, `filtered: ${names.join(',')}`);
      assert.deepEqual(await readdir(tmp), [], 'the private rebuild directory is removed');
    });
  }

  it('catalog names with illegal characters give valid resource names and the default manifests directory', async () => {
    const work = await mkdtemp(join(dir, 'names-'));
    const r = await cli([`${src.hostPort}/olm/my_index.v2:v1`, `${mir.hostPort}/names`, '--manifests-only'], work);
    assert.equal(r.code, 0, r.stderr);
    const [out, ...more] = await readdir(work);
    assert.equal(more.length, 0);
    assert.match(out!, /^manifests-my-index-v2-\d{10}$/);
    const cs = readYaml<CatalogSourceDoc>(await readFile(join(work, out!, 'catalogSource.yaml'), 'utf8'));
    assert.equal(cs.metadata.name, 'my-index-v2');
    assert.equal(cs.spec.image, `${mir.hostPort}/names/olm-my_index.v2:v1`);
    assert.equal(readMirrorSets(await readFile(join(work, out!, 'imageContentSourcePolicy.yaml'), 'utf8'))[0]!.metadata.name, 'my-index-v2-0');
  });

  it('an index by digest: mapped with its FNV tag, and the CatalogSource keeps the digest', async () => {
    const digest = (await hub.source({ registry: src.hostPort, repository: 'olm/fbc-index' }).getManifest('v1')).digest;
    const out = join(dir, 'm-digest');
    const r = await cli([`${src.hostPort}/olm/fbc-index@${digest}`, `${mir.hostPort}/dig`, '--manifests-only', '--to-manifests', out]);
    assert.equal(r.code, 0, r.stderr);
    const line = readMapping(await readFile(join(out, 'mapping.txt'), 'utf8')).find(([s]) => s.includes('/olm/fbc-index@'));
    assert.match(line![1], new RegExp(`^${mir.hostPort}/dig/olm-fbc-index:[0-9a-f]{1,8}$`));
    assert.equal(readYaml<CatalogSourceDoc>(await readFile(join(out, 'catalogSource.yaml'), 'utf8')).spec.image, `${mir.hostPort}/dig/olm-fbc-index@${digest}`);
    const icsp = readMirrorSets(await readFile(join(out, 'imageContentSourcePolicy.yaml'), 'utf8'))[0]!;
    assert.ok(icsp.spec.repositoryDigestMirrors!.some((e) => e.source === `${src.hostPort}/olm/fbc-index` && e.mirrors[0] === `${mir.hostPort}/dig/olm-fbc-index`), 'a digest-referenced index gets a mirror-set entry');
  });

  const bad: [string, () => string[], RegExp][] = [
    ['an index image with no catalog label', () => [`${src.hostPort}/olm/no-catalog:v1`, `${mir.hostPort}/x`], /^error: index image \S+\/olm\/no-catalog:v1 has no operator catalog: no operators\.operatorframework\.io\.index\.configs\.v1 or operators\.operatorframework\.io\.index\.database\.v1 label\n$/],
    ['an unknown index image', () => [`${src.hostPort}/olm/nope:v1`, `${mir.hostPort}/x`], /^error: .*olm\/nope.*\n$/],
    ['an index without tag or digest', () => [`${src.hostPort}/olm/fbc-index`, `${mir.hostPort}/x`], /^error: \S+olm\/fbc-index: the index image needs a tag or a digest\n$/],
    ['a DEST with a tag', () => [`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/x:v2`], /^error: \S+: DEST may not contain a tag or digest \(DEST is REGISTRY\[:PORT\]\[\/NAMESPACE…\] or file:\/\/DIR\)\n$/],
    ['a DEST without a registry host', () => [`${src.hostPort}/olm/fbc-index:v1`, 'olm-mirror'], /^error: olm-mirror: "olm-mirror" is not a registry host/],
    ['--max-components=1', () => [`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/x`, '--max-components=1'], /^error: --max-components must be 0 \(unlimited\) or at least 2, got 1\n$/],
    ['a bad --idms-scope', () => [`${src.hostPort}/olm/fbc-index:v1`, `${mir.hostPort}/x`, '--idms-scope', 'cluster'], /^error: --idms-scope must be repository or registry, got "cluster"\n$/],
  ];
  for (const [what, args, re] of bad) {
    it(`refuses ${what} in one line`, async () => {
      const r = await cli(['--manifests-only', '--to-manifests', join(dir, 'never'), ...args()]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    });
  }
});
