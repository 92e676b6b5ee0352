/**
 * The rebuilt (filtered) catalog image against airlock's registry on
 * loopback and an OCI layout: the catalog seen through the rebuilt image is
 * the filtered one, /tmp/cache and the original configs are gone once the
 * layers are applied, labels and base layers are the original's, a
 * two-platform index stays an index over both platforms, the result is
 * deterministic (two runs, two destinations: one digest, one tag), and
 * skopeo copies the result. SQLite indexes: rebuild-sqlite.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { manifestRefs } from '../../src/copy/manifest-refs.js';
import { walkLayer, readEntry } from '../../src/extract/layer-tar.js';
import { fbcFiles } from '../../src/catalog/fbc-write.js';
import { parseCatalogFilter } from '../../src/catalog/filter-spec.js';
import { filterCatalog } from '../../src/catalog/filter.js';
import { extractImagePath } from '../../src/catalog/image-files.js';
import { openIndexCatalog } from '../../src/catalog/index-image.js';
import type { Catalog } from '../../src/catalog/model.js';
import { rebuildCatalogImage, type RebuildResult } from '../../src/catalog/rebuild.js';
import { MediaType } from '../../src/oci/media-types.js';
import { newManifest } from '../../src/release/push.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutDestination, OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import type { ImageDestination, ImageSource, RawManifest } from '../../src/transports/types.js';
import { verified } from '../../src/transports/verify-stream.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { skopeo, skopeoAvailable } from '../helpers/skopeo.js';
import { peerGate } from '../interop/support/peers.js';
import { fixtureFbcFiles, makeCatalogFixture, type CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { CONFIGS_LABEL, pushIndexImage } from '../fixtures/catalog/index-image.js';

type Json = Record<string, unknown>;
const doc = (m: RawManifest): Json => JSON.parse(m.bytes.toString('utf8')) as Json;

async function configOf(src: ImageSource, image: RawManifest): Promise<Json> {
  const refs = manifestRefs(image);
  assert.equal(refs.kind, 'image');
  if (refs.kind !== 'image') throw new Error('not an image');
  return JSON.parse((await readEntry(verified(await src.getBlob(refs.config), refs.config), 1 << 20, 'config')).toString('utf8')) as Json;
}

/** What a catalog holds, as names. */
const shape = (c: Catalog) => ({
  packages: c.packages.map((p) => `${p.name}:${p.defaultChannel}`).sort(),
  channels: c.channels.map((ch) => `${ch.package}/${ch.name}:${ch.entries.map((e) => e.name).join(',')}`).sort(),
  bundles: c.bundles.map((b) => `${b.package}/${b.name}`).sort(),
});

describe('rebuilt catalog image (loopback registry, OCI layout)', { timeout: 180_000 }, () => {
  let reg: AirlockHandle;
  let fx: CatalogFixture;
  let dir: string;
  let hub: RegistryHub;
  let filtered: Catalog;
  // written out by hand: the md5 of this exact text is the tag (keys sorted at every depth, no spaces)
  const filterJson = '{"packages":[{"channels":[{"name":"stable"}],"name":"etcd"},{"name":"prometheus"}]}';
  const filterInput = { packages: [{ name: 'etcd', channels: [{ name: 'stable' }] }, { name: 'prometheus' }] };
  const expectedTag = createHash('md5').update(filterJson).digest('hex');
  const src = (repo: string) => hub.source({ registry: reg.hostPort, repository: repo });
  const dst = (repo: string) => hub.destination({ registry: reg.hostPort, repository: repo });
  const rebuild = async (repo: string, destination: ImageDestination = dst(`mirror/${repo}`), filter: unknown = filterInput) => {
    const source = src(repo);
    return rebuildCatalogImage({ source, manifest: await source.getManifest('v1'), catalog: filtered, filter, destination });
  };

  before(async () => {
    reg = await startAirlock();
    dir = await mkdtemp(join(tmpdir(), 'airlock-catalog-rebuild-'));
    hub = new RegistryHub({ insecure: () => true });
    fx = await makeCatalogFixture(reg.hostPort);
    const files = fixtureFbcFiles(fx, stringify);
    await pushIndexImage(dst('olm/fbc-index'), { kind: 'fbc', files }, { tag: 'v1' });
    await pushIndexImage(dst('olm/multi-index'), { kind: 'fbc', files }, { tag: 'v1', platforms: ['linux/amd64', 'linux/arm64'] });
    filtered = filterCatalog(fx.catalog, parseCatalogFilter(filterInput)).catalog;
  });
  after(async () => {
    await hub?.close();
    await reg?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the filter really filters (the check below could fail)', () => {
    // widget-provider comes in as a dependency; _other/catalog.json holds documents of no package
    assert.deepEqual(shape(filtered).packages, ['etcd:stable', 'prometheus:stable', 'widget-provider:stable']);
    assert.ok(fx.catalog.packages.length > 20);
  });

  let single: RebuildResult;
  it('single platform: the catalog seen through the rebuilt image is the filtered one', async () => {
    single = await rebuild('olm/fbc-index');
    assert.equal(single.tag, expectedTag);
    assert.match(single.tag, /^[0-9a-f]{32}$/);
    assert.equal(single.mediaType, MediaType.OciManifest);
    assert.deepEqual(single.platforms, ['linux/amd64']);
    const back = await openIndexCatalog(src('mirror/olm/fbc-index'), single.tag, 'rebuilt');
    assert.equal(back.format, 'fbc');
    assert.equal(back.digest, single.digest);
    assert.deepEqual(shape(back.catalog), shape(filtered));
    assert.deepEqual(fbcFiles(back.catalog), fbcFiles(filtered), 'the same documents, byte for byte once written');
    const orig = await openIndexCatalog(src('olm/fbc-index'), 'v1', 'original');
    assert.notDeepEqual(shape(orig.catalog), shape(filtered));
  });

  it('single platform: /tmp/cache and the original configs are gone, only the new FBC is under /configs', async () => {
    const rebuilt = src('mirror/olm/fbc-index');
    const image = await rebuilt.getManifest(single.tag);
    const original = await src('olm/fbc-index').getManifest('v1');
    const look = async (s: ImageSource, m: RawManifest, path: string) => {
      const into = await mkdtemp(join(dir, 'x-'));
      const tree = await extractImagePath(s, m, path, into);
      const names = tree.found ? await readdir(into, { recursive: true }) : [];
      return { found: tree.found, names: names.map(String).sort() };
    };
    assert.equal((await look(src('olm/fbc-index'), original, '/tmp/cache')).found, true, 'the original has the stale cache');
    assert.equal((await look(rebuilt, image, '/tmp/cache')).found, false);
    assert.equal((await look(rebuilt, image, '/etc/os-release')).found, true, 'base content is still there');
    const configs = await look(rebuilt, image, '/configs');
    const want = [...fbcFiles(filtered).keys()].flatMap((f) => [f.split('/')[0]!, f]);
    assert.deepEqual(configs.names, want.sort());
    assert.ok(want.includes('etcd/catalog.json') && !want.includes('kafka/catalog.json'));
    assert.ok((await look(src('olm/fbc-index'), original, '/configs')).names.includes('README.md'));
  });

  it('single platform: labels kept, base layers identical, one new layer with the whiteouts, cache flags dropped', async () => {
    const rebuilt = src('mirror/olm/fbc-index');
    const original = src('olm/fbc-index');
    const [m, o] = [await rebuilt.getManifest(single.tag), await original.getManifest('v1')];
    const [md, od] = [doc(m), doc(o)];
    const [ml, ol] = [md.layers as Json[], od.layers as Json[]];
    assert.equal(ml.length, ol.length + 1);
    assert.deepEqual(ml.slice(0, ol.length), ol, 'base layer descriptors are the original ones');
    assert.equal(ml.at(-1)!.mediaType, MediaType.OciLayerGzip);
    const [mc, oc] = [await configOf(rebuilt, m), await configOf(original, o)];
    const [mcc, occ] = [mc.config as Json, oc.config as Json];
    assert.deepEqual(mcc.Labels, occ.Labels);
    assert.equal((mcc.Labels as Json)[CONFIGS_LABEL], '/configs');
    assert.deepEqual(occ.Cmd, ['serve', '/configs', '--cache-dir=/tmp/cache']);
    assert.deepEqual(mcc.Cmd, ['serve', '/configs'], 'opm would refuse to start with --cache-dir and no cache');
    assert.deepEqual(mcc.Entrypoint, occ.Entrypoint);
    assert.equal(mc.created, oc.created);
    const ids = (c: Json) => (c.rootfs as { diff_ids: string[] }).diff_ids;
    assert.deepEqual(ids(mc).slice(0, -1), ids(oc));
    assert.equal(ids(mc).at(-1), single.layers[0]!.diffId);
    assert.equal((mc.history as unknown[]).length, ((oc.history as unknown[] | undefined) ?? []).length + 1);
    const names: string[] = [];
    const last = manifestRefs(m);
    if (last.kind !== 'image') throw new Error('not an image');
    await walkLayer(rebuilt, last.layers.at(-1)!, (e) => void names.push(`${e.type}:${e.path}`));
    assert.deepEqual(names, [
      'directory:configs',
      'file:configs/.wh..wh..opq',
      ...[...fbcFiles(filtered).keys()].flatMap((f) => [`directory:configs/${f.split('/')[0]!}`, `file:configs/${f}`]),
      'file:tmp/.wh.cache',
    ]);
    assert.ok(names.includes('file:configs/prometheus/catalog.json'));
  });

  it('two platforms: a new index of the same media type over both platforms, each serving the filtered catalog', async () => {
    const r = await rebuild('olm/multi-index');
    const orig = await src('olm/multi-index').getManifest('v1');
    assert.equal(r.mediaType, orig.mediaType);
    assert.equal(r.mediaType, MediaType.OciIndex);
    assert.deepEqual(r.platforms, ['linux/amd64', 'linux/arm64']);
    assert.equal(r.images.length, 2);
    const top = await src('mirror/olm/multi-index').getManifest(r.tag);
    assert.equal(top.digest, r.digest);
    const kids = (doc(top).manifests as Json[]).map((c) => [c.digest, c.platform]);
    assert.deepEqual(kids, r.images.map((i, n) => [i.digest, (doc(orig).manifests as Json[])[n]!.platform]));
    assert.deepEqual(r.images.map((i) => i.base), (doc(orig).manifests as Json[]).map((c) => c.digest));
    for (const p of ['linux/amd64', 'linux/arm64']) {
      const back = await openIndexCatalog(src('mirror/olm/multi-index'), r.tag, 'rebuilt', { platform: p });
      assert.equal(back.platform, p);
      assert.deepEqual(shape(back.catalog), shape(filtered));
    }
    assert.equal(r.layers.length, 1, 'both platforms share the one catalog layer');
  });

  it('is deterministic: a second run and an OCI layout destination give the same digest and tag', async () => {
    const again = await rebuild('olm/fbc-index', dst('mirror/again/fbc-index'));
    assert.equal(again.digest, single.digest);
    assert.equal(again.tag, single.tag);
    const layoutDir = join(dir, 'layout');
    const ld = new OciLayoutDestination(await OciLayout.open(layoutDir, { create: true }));
    const layout = await rebuild('olm/multi-index', ld);
    await ld.commit();
    const reg2 = await rebuild('olm/multi-index', dst('mirror/again/multi-index'));
    assert.equal(layout.digest, reg2.digest);
    assert.equal(layout.tag, expectedTag);
    const ls = new OciLayoutSource(await OciLayout.open(layoutDir, { create: false }));
    const back = await openIndexCatalog(ls, layout.tag, 'layout', { platform: 'linux/arm64' });
    assert.deepEqual(shape(back.catalog), shape(filtered));
    assert.equal((await ls.getManifest(layout.tag)).digest, layout.digest);
    const other = await rebuild('olm/fbc-index', dst('mirror/other/fbc-index'), { packages: [{ name: 'prometheus' }, { name: 'etcd', channels: [{ name: 'stable' }] }] });
    assert.notEqual(other.tag, single.tag, 'package order is part of the filter');
    assert.equal(other.digest, single.digest, 'the tag is not in the image (the filtered catalog is the same)');
  });

  it('Docker schema 2: a manifest list stays a manifest list, the new layer and config use Docker media types', async () => {
    const from = src('olm/fbc-index');
    const oci = await from.getManifest('v1');
    const refs = manifestRefs(oci);
    if (refs.kind !== 'image') throw new Error('not an image');
    const to = dst('olm/docker-index');
    for (const b of [refs.config, ...refs.layers]) assert.ok(await to.mountBlob(b, 'olm/fbc-index'));
    const od = doc(oci);
    const child = newManifest({ schemaVersion: 2, mediaType: MediaType.DockerManifest, config: { ...(od.config as Json), mediaType: MediaType.DockerConfig }, layers: (od.layers as Json[]).map((l) => ({ ...l, mediaType: MediaType.DockerLayerGzip })) }, MediaType.DockerManifest);
    await to.putManifest(child, {});
    const list = newManifest({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [{ mediaType: MediaType.DockerManifest, digest: child.digest, size: child.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }] }, MediaType.DockerManifestList);
    await to.putManifest(list, { tag: 'v1' });
    const r = await rebuild('olm/docker-index');
    assert.equal(r.mediaType, MediaType.DockerManifestList);
    assert.deepEqual(r.platforms, ['linux/amd64']);
    const rebuilt = src('mirror/olm/docker-index');
    const img = await rebuilt.getManifest(r.images[0]!.digest);
    assert.equal(img.mediaType, MediaType.DockerManifest);
    const d = doc(img);
    assert.equal((d.config as Json).mediaType, MediaType.DockerConfig);
    assert.deepEqual((d.layers as Json[]).map((l) => l.mediaType), [...refs.layers, 'new'].map(() => MediaType.DockerLayerGzip));
    assert.deepEqual(shape((await openIndexCatalog(rebuilt, r.tag, 'rebuilt')).catalog), shape(filtered));
  });

  const gate = peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)']);
  it('skopeo copies the rebuilt two-platform image', { skip: gate.skip }, async () => {
    if (gate.failure !== undefined) assert.fail(gate.failure);
    const r = await rebuild('olm/multi-index');
    const out = join(dir, 'skopeo-layout');
    const c = await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${reg.hostPort}/mirror/olm/multi-index:${r.tag}`, `oci:${out}:${r.tag}`]);
    assert.equal(c.code, 0, c.stderr);
    const ls = new OciLayoutSource(await OciLayout.open(out, { create: false }));
    assert.equal((await ls.getManifest(r.tag)).digest, r.digest, 'skopeo kept the index bytes');
    assert.deepEqual(shape((await openIndexCatalog(ls, r.tag, 'skopeo copy', { platform: 'linux/arm64' })).catalog), shape(filtered));
  });
});
