/**
 * The catalog view of the JSON API (GET /api/v1/repositories/NAME/catalog/REF)
 * on a TLS + auth airlock holding operator index images built by the catalog
 * fixture: packages, channels, heads and default channels equal what the
 * catalog model computes (catalog/summary.ts over the fixture's catalog), for
 * an FBC image, a multi-platform index and a SQLite index; tags and manifests
 * say `catalog` only for FBC images; the same permissions as a pull; a
 * malformed catalog, an image without one, a size cap and a heap cap each
 * answer one line; results are cached per manifest digest.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AuthStore } from '../../src/transports/registry/auth-file.js';
import { summarize } from '../../src/catalog/summary.js';
import { summarizeInWorker } from '../../src/catalog/summary-job.js';
import { manifestRefs } from '../../src/oci/manifest-refs.js';
import { CatalogViews, DEFAULT_CATALOG_LIMITS } from '../../src/server/api/catalog-views.js';
import { RegistryError } from '../../src/registry/errors.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { fixtureFbcFiles, makeCatalogFixture, type CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { pushIndexImage } from '../fixtures/catalog/index-image.js';
import { writeSqliteIndex } from '../fixtures/catalog/sqlite-index.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { SecureClient, basic } from '../security/support/secure-client.js';

interface ViewBody {
  name: string;
  reference: string;
  digest: string;
  image: string;
  platform: string;
  format: string;
  path: string;
  packages: ReturnType<typeof summarize>;
  warnings: string[];
}

describe('catalog view API', () => {
  let dir: string;
  let reg: AirlockHandle;
  let c: SecureClient;
  let hub: RegistryHub;
  let admin: string;
  let fx: CatalogFixture;
  let fbcDigest: string;

  const get = (path: string, auth?: string) => c.request('GET', `/api/v1${path}`, { headers: auth ? { authorization: auth } : {} });
  const errorOf = (r: { text(): string }): { code: string; message: string } => (JSON.parse(r.text()) as { errors: { code: string; message: string }[] }).errors[0]!;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-catalog-view-'));
    reg = await startAirlock({ auth: 'token', config: { gc: { enabled: false } } });
    c = new SecureClient(reg.url, reg.security!.caCertPath);
    admin = basic('admin', reg.security!.adminPassword);
    await reg.security!.addUser('olm-reader', 'olm-reader-password', { pull: ['olm/**'] });
    await reg.security!.addUser('other', 'other-password', { pull: ['apps/**'] });
    const auth = AuthStore.parse('auth.json', JSON.stringify({ auths: { [reg.hostPort]: { auth: Buffer.from(`admin:${reg.security!.adminPassword}`).toString('base64') } } }));
    hub = new RegistryHub({ auth, caFile: reg.security!.caCertPath });
    fx = await makeCatalogFixture(reg.hostPort);
    const files = fixtureFbcFiles(fx, stringify);
    const dst = (repository: string) => hub.destination({ registry: reg.hostPort, repository });
    fbcDigest = (await pushIndexImage(dst('olm/fbc-index'), { kind: 'fbc', files }, { tag: 'v1' })).digest;
    await pushIndexImage(dst('olm/multi-index'), { kind: 'fbc', files }, { tag: 'v1', platforms: ['linux/amd64', 'linux/arm64'] });
    writeSqliteIndex(fx.catalog, join(dir, 'index.db'));
    await pushIndexImage(dst('olm/sqlite-index'), { kind: 'sqlite', dbPath: join(dir, 'index.db') }, { tag: 'v1' });
    await pushIndexImage(dst('olm/no-catalog'), { kind: 'none' }, { tag: 'v1' });
    const bad = new Map(files);
    bad.set('etcd/catalog.yaml', `${files.get('etcd/catalog.yaml')!}---\nschema: olm.channel\nname: broken\npackage: etcd\nentries:\n  - name: etcd.v9.9.9\n`);
    await pushIndexImage(dst('olm/bad-index'), { kind: 'fbc', files: bad }, { tag: 'v1' });
    await pushIndexImage(dst('olm/bad-yaml'), { kind: 'fbc', files: new Map([['x/catalog.yaml', 'schema: olm.package\nname: [unclosed\n']]) }, { tag: 'v1' });
  });
  after(async () => {
    await hub?.close();
    await c?.close();
    await reg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers the packages, channels, heads and default channels the catalog model computes', async () => {
    const r = await get('/repositories/olm/fbc-index/catalog/v1', admin);
    assert.equal(r.status, 200, r.text());
    const body = r.json<ViewBody>();
    assert.deepEqual(body.packages, summarize(fx.catalog));
    assert.equal(body.packages.length, 22);
    assert.deepEqual([body.name, body.reference, body.digest, body.image, body.platform, body.format, body.path], ['olm/fbc-index', 'v1', fbcDigest, fbcDigest, 'linux/amd64', 'fbc', '/configs']);
    const etcd = body.packages.find((p) => p.name === 'etcd')!;
    assert.equal(etcd.defaultChannel, 'stable');
    assert.deepEqual(etcd.channels.map((ch) => [ch.name, ch.head]), [['candidate', 'etcd.v2.1.0-rc.1'], ['fast', 'etcd.v2.0.0'], ['stable', 'etcd.v1.3.0']]);
    // By digest too, and the same as a pull-only account that may pull it.
    const byDigest = await get(`/repositories/olm/fbc-index/catalog/${fbcDigest}`, basic('olm-reader', 'olm-reader-password'));
    assert.equal(byDigest.status, 200, byDigest.text());
    assert.deepEqual(byDigest.json<ViewBody>().packages, body.packages);
  });

  it('reads the linux/amd64 image of a multi-platform index (or the one asked for), and a SQLite index', async () => {
    const multi = await get('/repositories/olm/multi-index/catalog/v1', admin);
    assert.equal(multi.status, 200, multi.text());
    const m = multi.json<ViewBody>();
    assert.equal(m.platform, 'linux/amd64');
    assert.notEqual(m.image, m.digest, 'the image read is a child of the index');
    assert.deepEqual(m.packages, summarize(fx.catalog));
    const arm = await get('/repositories/olm/multi-index/catalog/v1?platform=linux/arm64', admin);
    assert.equal(arm.json<ViewBody>().platform, 'linux/arm64');
    assert.equal((await get('/repositories/olm/multi-index/catalog/v1?platform=.*', admin)).status, 400, 'a platform is not a pattern');
    const sqlite = await get('/repositories/olm/sqlite-index/catalog/v1', admin);
    assert.equal(sqlite.status, 200, sqlite.text());
    assert.equal(sqlite.json<ViewBody>().format, 'sqlite');
    assert.deepEqual(sqlite.json<ViewBody>().packages.map((p) => p.name), summarize(fx.catalog).map((p) => p.name));
  });

  it('marks FBC catalog images in tags and manifests', async () => {
    const tagsOf = async (repo: string) => (await get(`/repositories/${repo}/tags`, admin)).json<{ tags: { name: string; catalog: boolean }[] }>().tags;
    assert.deepEqual((await tagsOf('olm/fbc-index')).map((t) => t.catalog), [true]);
    assert.deepEqual((await tagsOf('olm/multi-index')).map((t) => t.catalog), [true]);
    assert.deepEqual((await tagsOf('olm/no-catalog')).map((t) => t.catalog), [false]);
    assert.deepEqual((await tagsOf('olm/sqlite-index')).map((t) => t.catalog), [false], 'only the FBC label, as OLM reads it');
    const m = await get(`/repositories/olm/fbc-index/manifests/${fbcDigest}`, admin);
    assert.equal(m.json<{ catalog: boolean }>().catalog, true);
  });

  it('needs pull on the repository, as /v2 does', async () => {
    const anon = await get('/repositories/olm/fbc-index/catalog/v1');
    assert.equal(anon.status, 401);
    const other = await get('/repositories/olm/fbc-index/catalog/v1', basic('other', 'other-password'));
    assert.equal(other.status, 403);
    assert.equal(errorOf(other).code, 'DENIED');
    const unknown = await get('/repositories/olm/fbc-index/catalog/v9', admin);
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown).code, 'MANIFEST_UNKNOWN');
  });

  it('answers a malformed catalog or an image without one in one line', async () => {
    const bad = await get('/repositories/olm/bad-index/catalog/v1', admin);
    assert.equal(bad.status, 422);
    const e = errorOf(bad);
    assert.equal(e.code, 'UNSUPPORTED');
    assert.match(e.message, /^catalog of olm\/bad-index:v1: .*etcd\.v9\.9\.9/);
    assert.doesNotMatch(e.message, /\n| {4}at /, 'one line, no stack');
    const yaml = errorOf(await get('/repositories/olm/bad-yaml/catalog/v1', admin));
    assert.match(yaml.message, /^catalog of olm\/bad-yaml:v1: configs\/x\/catalog\.yaml:\d+: invalid YAML: /);
    const none = await get('/repositories/olm/no-catalog/catalog/v1', admin);
    assert.equal(none.status, 422);
    assert.match(errorOf(none).message, /has no operator catalog: no operators\.operatorframework\.io\.index\.configs\.v1 or .*database\.v1 label$/);
  });

  it('bounds the bytes it extracts and the memory it parses with', async () => {
    const small = new CatalogViews(reg.registry.service, { ...DEFAULT_CATALOG_LIMITS, maxBytes: 10_000 });
    await assert.rejects(small.view('olm/fbc-index', 'v1'), (e: unknown) => e instanceof RegistryError && e.status === 413 && e.code === 'SIZE_INVALID' && /more than 10000 bytes \(the catalog extraction limit\)$/.test(e.message));
    // A 40 MB catalog in a worker allowed 16 MiB of heap.
    const big = join(dir, 'big');
    await mkdir(join(big, 'huge'), { recursive: true });
    const docs = [JSON.stringify({ schema: 'olm.package', name: 'huge', defaultChannel: 'stable' })];
    const entries = Array.from({ length: 2000 }, (_, i) => ({ name: `huge.v1.0.${i}`, ...(i > 0 ? { replaces: `huge.v1.0.${i - 1}` } : {}) }));
    docs.push(JSON.stringify({ schema: 'olm.channel', name: 'stable', package: 'huge', entries }));
    for (const { name } of entries) docs.push(JSON.stringify({ schema: 'olm.bundle', name, package: 'huge', image: `127.0.0.1:5000/huge/bundle:${name}`, properties: [{ type: 'olm.package', value: { packageName: 'huge', version: name.slice(6) } }, { type: 'olm.bundle.object', value: { data: 'A'.repeat(20_000) } }] }));
    await writeFile(join(big, 'huge', 'catalog.json'), docs.join('\n'));
    await assert.rejects(summarizeInWorker({ format: 'fbc', file: big, label: 'configs' }, { heapMb: 16, timeoutMs: 120_000 }), /^CatalogError: configs: the catalog needs more than the 16 MiB of memory allowed for reading it$/);
    const ok = await summarizeInWorker({ format: 'fbc', file: big, label: 'configs' }, { heapMb: 512, timeoutMs: 120_000 });
    assert.equal(ok.packages[0]!.channels[0]!.head, 'huge.v1.0.1999');
  });

  it('caches the summary per manifest digest', async () => {
    const views = new CatalogViews(reg.registry.service);
    const first = await views.view('olm/fbc-index', 'v1');
    // Take the catalog layer away from the repository: a fresh read fails, the cached summary does not.
    const image = await reg.registry.service.getManifest('olm/fbc-index', 'v1');
    const refs = manifestRefs({ bytes: image.content, mediaType: image.mediaType, digest: image.digest });
    assert.equal(refs.kind, 'image');
    for (const l of refs.layers) await reg.registry.service.deleteBlob('olm/fbc-index', l.digest);
    assert.equal(await views.view('olm/fbc-index', fbcDigest), first, 'same digest: the cached summary');
    await assert.rejects(new CatalogViews(reg.registry.service).view('olm/fbc-index', 'v1'), (e: unknown) => e instanceof RegistryError && e.status === 422 && /blob unknown/.test(e.message));
  });
});
