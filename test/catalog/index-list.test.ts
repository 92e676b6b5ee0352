/**
 * `airlock catalog list` end to end against airlock's registry on loopback:
 * the 22-package fixture catalog as FBC and as SQLite index images, an OCI
 * index over two platforms, an OCI layout, and bad input (no catalog label,
 * malformed FBC JSON/YAML with file:line, a corrupt SQLite file). Also the
 * SQLite reader on its own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CatalogError } from '../../src/catalog/errors.js';
import { fbcFiles } from '../../src/catalog/fbc-write.js';
import { relatedImages } from '../../src/catalog/related-images.js';
import { readSqliteIndex } from '../../src/catalog/sqlite-read.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutDestination } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { fixtureFbcFiles, makeCatalogFixture, PACKAGE_NAMES, type CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { pushIndexImage, type IndexContent } from '../fixtures/catalog/index-image.js';
import { writeSqliteIndex } from '../fixtures/catalog/sqlite-index.js';

interface Listing {
  digest: string;
  platform: string;
  format: string;
  packages: { name: string; defaultChannel: string; deprecated?: string; channels: { name: string; head: string; versions: string[]; deprecated?: string }[]; deprecatedBundles: { bundle: string }[] }[];
}

describe('catalog list (loopback registry)', () => {
  let reg: AirlockHandle;
  let fx: CatalogFixture;
  let dir: string;
  let hub: RegistryHub;
  const ref = (repo: string, tag: string): string => `${reg.hostPort}/${repo}:${tag}`;
  const push = async (repo: string, content: IndexContent, tag = 'v1', platforms?: string[], labels?: Record<string, string>) =>
    pushIndexImage(hub.destination({ registry: reg.hostPort, repository: repo }), content, { tag, ...(platforms ? { platforms } : {}), ...(labels ? { labels } : {}) });
  const list = (...args: string[]) => runAirlockCli(['catalog', 'list', '--insecure', ...args], { env: { HOME: dir } });

  before(async () => {
    reg = await startAirlock();
    dir = await mkdtemp(join(tmpdir(), 'airlock-catalog-list-'));
    hub = new RegistryHub({ insecure: () => true });
    fx = await makeCatalogFixture(reg.hostPort);
    await push('olm/fbc-index', { kind: 'fbc', files: fixtureFbcFiles(fx, stringify) });
    writeSqliteIndex(fx.catalog, join(dir, 'index.db'));
    await push('olm/sqlite-index', { kind: 'sqlite', dbPath: join(dir, 'index.db') });
    await push('olm/multi-index', { kind: 'fbc', files: fixtureFbcFiles(fx, stringify) }, 'v1', ['linux/amd64', 'linux/arm64']);
    await push('olm/no-catalog', { kind: 'none' });
    await push('olm/bad-json', { kind: 'fbc', files: new Map([['etcd/catalog.json', '{"schema":"olm.package","name":"etcd"}\n{"schema":"olm.channel",\n  "name": "alpha" "package": "etcd"}\n']]) });
    await push('olm/bad-yaml', { kind: 'fbc', files: new Map([['etcd/catalog.yaml', 'schema: olm.package\nname: etcd\n---\nschema: olm.channel\nname: alpha\n entries: [\n']]) });
    await writeFile(join(dir, 'corrupt.db'), Buffer.concat([Buffer.from('SQLite format 2\0'), Buffer.alloc(4096, 0x5a)]));
    await push('olm/corrupt-sqlite', { kind: 'sqlite', dbPath: join(dir, 'corrupt.db') });
  });
  after(async () => {
    await hub?.close();
    await reg?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the fixture has ≥ 20 packages, shared and multi-arch related images in 4-level repositories, 2 missing', () => {
    assert.ok(fx.catalog.packages.length >= 20);
    const imgs = relatedImages(fx.catalog);
    for (const i of imgs) assert.match(i.image, new RegExp(`^${reg.hostPort.replace(/[.]/g, '\\.')}/[^/]+/[^/]+/[^/]+/[^/]+@sha256:[0-9a-f]{64}$`));
    assert.ok(imgs.some((i) => new Set(i.neededBy.map((n) => n.package)).size > 10), 'kube-rbac-proxy is shared across packages');
    assert.ok(fx.images.some((i) => i.set.manifests.length === 3), 'some multi-arch indexes');
    assert.equal(fx.missing.length, 2);
    for (const m of fx.missing) assert.ok(imgs.some((i) => i.image === m) && !fx.images.some((i) => i.ref === m));
    assert.equal(imgs.length, fx.images.length + 2);
  });

  it('lists the FBC index as JSON: packages, default channels, heads, versions, deprecations', async () => {
    const r = await list('-o', 'json', ref('olm/fbc-index', 'v1'));
    assert.equal(r.code, 0, r.stderr);
    const l = JSON.parse(r.stdout) as Listing;
    assert.equal(l.format, 'fbc');
    assert.equal(l.platform, 'linux/amd64');
    assert.deepEqual(l.packages.map((p) => p.name), [...PACKAGE_NAMES].sort());
    const etcd = l.packages.find((p) => p.name === 'etcd')!;
    assert.equal(etcd.defaultChannel, 'stable');
    assert.deepEqual(etcd.channels.map((c) => [c.name, c.head, c.versions.join(' ')]), [
      ['candidate', 'etcd.v2.1.0-rc.1', '2.0.0 2.1.0-rc.1'],
      ['fast', 'etcd.v2.0.0', '1.3.0 2.0.0'],
      ['stable', 'etcd.v1.3.0', '1.0.0 1.1.0 1.2.0 1.3.0'],
    ]);
    assert.equal(etcd.channels[0]!.deprecated, 'candidate is no longer published');
    assert.deepEqual(etcd.deprecatedBundles.map((b) => b.bundle), ['etcd.v1.0.0']);
    assert.equal(l.packages.find((p) => p.name === 'legacy-tool')!.deprecated, 'legacy-tool is end of life');
  });

  it('lists the same catalog from the SQLite index, with the deprecation notice', async () => {
    const [fbc, sql] = await Promise.all([list('-o', 'json', ref('olm/fbc-index', 'v1')), list('-o', 'json', ref('olm/sqlite-index', 'v1'))]);
    assert.equal(sql.code, 0, sql.stderr);
    assert.match(sql.stderr, /^warning: .*deprecated SQLite catalog format/m);
    const a = JSON.parse(fbc.stdout) as Listing;
    const b = JSON.parse(sql.stdout) as Listing;
    assert.equal(b.format, 'sqlite');
    const norm = (l: Listing) => l.packages.map((p) => ({ name: p.name, def: p.defaultChannel, channels: p.channels.map((c) => [c.name, c.head, c.versions]), bundles: p.deprecatedBundles.map((d) => d.bundle) }));
    assert.deepEqual(norm(b), norm(a));
  });

  it('the table and --package', async () => {
    const r = await list(ref('olm/fbc-index', 'v1'), '--package', 'etcd', '--package', 'legacy-tool');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, /^PACKAGE\s+CHANNEL\s+DEFAULT\s+HEAD\s+VERSIONS\s+DEPRECATED$/);
    assert.match(r.stdout, /^etcd\s+stable\s+\*\s+etcd\.v1\.3\.0\s+1\.0\.0,1\.1\.0,1\.2\.0,1\.3\.0$/m);
    assert.match(r.stdout, /^etcd\s+candidate\s+etcd\.v2\.1\.0-rc\.1\s+2\.0\.0,2\.1\.0-rc\.1\s+channel$/m);
    assert.match(r.stdout, /^ {2}legacy-tool: legacy-tool is end of life$/m);
    assert.ok(!r.stdout.includes('prometheus'));
    const bad = await list(ref('olm/fbc-index', 'v1'), '--package', 'nope');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: package nope is not in the catalog\n');
  });

  it('picks the platform of a two-platform index with --index-filter-by-os', async () => {
    const amd = JSON.parse((await list('-o', 'json', ref('olm/multi-index', 'v1'))).stdout) as Listing;
    const arm = await list('-o', 'json', '--index-filter-by-os', 'linux/arm64', ref('olm/multi-index', 'v1'));
    assert.equal(arm.code, 0, arm.stderr);
    const l = JSON.parse(arm.stdout) as Listing;
    assert.equal(amd.platform, 'linux/amd64');
    assert.equal(l.platform, 'linux/arm64');
    assert.equal(l.digest, amd.digest, 'the index digest');
    assert.equal(l.packages.length, PACKAGE_NAMES.length);
    const none = await list('--index-filter-by-os', 'linux/s390x', ref('olm/multi-index', 'v1'));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^error: .*--index-filter-by-os linux\/s390x matches none of the images in the list \(linux\/amd64, linux\/arm64\)\n$/);
  });

  it('reads an index image from an OCI layout', async () => {
    const layout = join(dir, 'layout');
    const ld = new OciLayoutDestination(await OciLayout.open(layout, { create: true }));
    await pushIndexImage(ld, { kind: 'fbc', files: fbcFiles(fx.catalog) }, { tag: 'v1' });
    await ld.commit();
    const r = await list('-o', 'json', `oci:${layout}:v1`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Listing).packages.length, PACKAGE_NAMES.length);
  });

  const bad: [string, string, RegExp][] = [
    ['an index image without a catalog label', 'olm/no-catalog', /^error: index image \S+olm\/no-catalog:v1 has no operator catalog: no operators\.operatorframework\.io\.index\.configs\.v1 or operators\.operatorframework\.io\.index\.database\.v1 label\n$/],
    ['malformed FBC JSON', 'olm/bad-json', /^error: configs\/etcd\/catalog\.json:3: invalid JSON: expected ',' or '}' in an object, found an unexpected character\n$/],
    ['malformed FBC YAML', 'olm/bad-yaml', /^error: configs\/etcd\/catalog\.yaml:[56]: invalid YAML: .*\n$/],
    ['a corrupt SQLite file', 'olm/corrupt-sqlite', /^error: \/database\/index\.db: not an SQLite database \(file is not a database\)\n$/],
  ];
  for (const [what, repo, re] of bad) {
    it(`refuses ${what} in one line`, async () => {
      const r = await list(ref(repo, 'v1'));
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, re);
    });
  }

  it('leaves no temporary directory behind', async () => {
    // A private TMPDIR: other test files running at the same time make and remove their own.
    const tmp = await mkdtemp(join(dir, 'tmp-'));
    const env = { HOME: dir, TMPDIR: tmp };
    const bad = await runAirlockCli(['catalog', 'list', '--insecure', ref('olm/bad-json', 'v1')], { env });
    assert.notEqual(bad.code, 0, 'control: the bad catalog is refused');
    const ok = await runAirlockCli(['catalog', 'list', '--insecure', ref('olm/sqlite-index', 'v1')], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(await readdir(tmp), []);
  });

  it('the SQLite reader: same packages, channels, edges, images; corrupt and foreign files refused', async () => {
    const db = readSqliteIndex(join(dir, 'index.db'), 'index.db');
    // SQLite's related_image has no names: compare who needs each image
    const needs = (c: typeof fx.catalog) => relatedImages(c).map((i) => [i.image, [...new Set(i.neededBy.map((n) => `${n.package}/${n.bundle}`))].sort()]);
    assert.deepEqual(needs(db.catalog), needs(fx.catalog));
    // replaces is per channel entry in SQLite too; skips and skipRange are per bundle there
    const edges = (c: typeof fx.catalog) => c.channels.map((ch) => [ch.package, ch.name, ch.entries.map((e) => [e.name, e.replaces ?? ''])]).sort((a, b) => (`${a[0]}/${a[1]}` < `${b[0]}/${b[1]}` ? -1 : 1));
    const skips = (c: typeof fx.catalog) => c.channels.filter((ch) => ch.name === 'stable').flatMap((ch) => ch.entries.map((e) => [ch.package, e.name, e.skips.join(','), e.skipRange ?? ''])).sort();
    assert.deepEqual(skips(db.catalog), skips(fx.catalog));
    assert.deepEqual(edges(db.catalog), edges(fx.catalog));
    const deps = (c: typeof fx.catalog) => c.bundles.map((b) => [b.name, b.version, b.requiredPackages, b.requiredGvks, b.providedGvks]).sort();
    assert.deepEqual(deps(db.catalog), deps(fx.catalog));
    assert.match(db.deprecationNotice, /deprecated SQLite catalog format/);
    assert.throws(() => readSqliteIndex(join(dir, 'corrupt.db'), 'corrupt.db'), (e: unknown) => e instanceof CatalogError && e.message === 'corrupt.db: not an SQLite database (file is not a database)');
    assert.throws(() => readSqliteIndex(join(dir, 'absent.db'), 'absent.db'), (e: unknown) => e instanceof CatalogError && /^absent\.db: cannot open the SQLite index/.test(e.message));
    const { default: Database } = await import('better-sqlite3');
    const other = new Database(join(dir, 'other.db'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    assert.throws(() => readSqliteIndex(join(dir, 'other.db'), 'other.db'), (e: unknown) => e instanceof CatalogError && e.message === 'other.db: an SQLite file but not an operator-registry index (no table operatorbundle, package, channel, channel_entry, related_image)');
  });
});
