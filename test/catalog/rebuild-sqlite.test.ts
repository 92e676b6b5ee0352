/**
 * A filtered SQLite-only index image is rebuilt as SQLite, against airlock's
 * registry on loopback: the database in the rebuilt image reads back as the
 * filtered catalog, its tables stay consistent (no entry, related image or
 * property of a removed bundle; heads and default channels among the kept
 * bundles), tables the pruner does not know survive, the new layer is one
 * file at the labelled path, labels are kept, the result is deterministic,
 * and a damaged database is a one-line error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { manifestRefs } from '../../src/copy/manifest-refs.js';
import { walkLayer, readEntry } from '../../src/extract/layer-tar.js';
import { CatalogError } from '../../src/catalog/errors.js';
import { parseCatalogFilter } from '../../src/catalog/filter-spec.js';
import { filterCatalog } from '../../src/catalog/filter.js';
import { openIndexCatalog } from '../../src/catalog/index-image.js';
import type { Catalog } from '../../src/catalog/model.js';
import { rebuildCatalogImage } from '../../src/catalog/rebuild.js';
import { pruneSqliteIndex } from '../../src/catalog/sqlite-prune.js';
import { readSqliteIndex } from '../../src/catalog/sqlite-read.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import type { ImageSource, RawManifest } from '../../src/transports/types.js';
import { verified } from '../../src/transports/verify-stream.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { makeCatalogFixture, type CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { DATABASE_LABEL, pushIndexImage } from '../fixtures/catalog/index-image.js';
import { writeSqliteIndex } from '../fixtures/catalog/sqlite-index.js';

type Json = Record<string, unknown>;

const shape = (c: Catalog) => ({
  packages: c.packages.map((p) => `${p.name}:${p.defaultChannel}`).sort(),
  channels: c.channels.map((ch) => `${ch.package}/${ch.name}:${ch.entries.map((e) => e.name).sort().join(',')}`).sort(),
  bundles: c.bundles.map((b) => `${b.package}/${b.name}=${b.image}`).sort(),
  related: c.bundles.flatMap((b) => b.relatedImages.map((r) => `${b.name}>${r.image}`)).sort(),
});

async function configOf(src: ImageSource, image: RawManifest): Promise<Json> {
  const refs = manifestRefs(image);
  if (refs.kind !== 'image') throw new Error('not an image');
  return JSON.parse((await readEntry(verified(await src.getBlob(refs.config), refs.config), 1 << 20, 'config')).toString('utf8')) as Json;
}

const filterInput = { packages: [{ name: 'etcd', channels: [{ name: 'stable' }] }, { name: 'prometheus' }] };

describe('pruning a SQLite index (file level)', () => {
  let dir: string;
  let fx: CatalogFixture;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-sqlite-prune-'));
    fx = await makeCatalogFixture('127.0.0.1:5000');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('the pruned database reads back as the filtered catalog, consistent, with unknown tables kept', async () => {
    const db = join(dir, 'index.db');
    writeSqliteIndex(fx.catalog, db);
    const raw = new Database(db);
    raw.exec("CREATE TABLE schema_migrations (version INTEGER NOT NULL, dirty BOOLEAN NOT NULL); INSERT INTO schema_migrations VALUES (13, 0);");
    raw.close();
    const original = readSqliteIndex(db).catalog;
    const filtered = filterCatalog(original, parseCatalogFilter(filterInput)).catalog;
    assert.ok(filtered.bundles.length < original.bundles.length && filtered.bundles.length > 0, 'the filter removes bundles and keeps some');
    pruneSqliteIndex(db, filtered);
    assert.deepEqual(shape(readSqliteIndex(db).catalog), shape(filtered));

    const check = new Database(db, { readonly: true });
    try {
      const one = (sql: string): unknown => Object.values(check.prepare(sql).get() as Json)[0];
      assert.equal(one('SELECT COUNT(*) FROM channel_entry WHERE operatorbundle_name NOT IN (SELECT name FROM operatorbundle)'), 0);
      assert.equal(one('SELECT COUNT(*) FROM related_image WHERE operatorbundle_name NOT IN (SELECT name FROM operatorbundle)'), 0);
      assert.equal(one('SELECT COUNT(*) FROM properties WHERE operatorbundle_name NOT IN (SELECT name FROM operatorbundle)'), 0);
      assert.equal(one('SELECT COUNT(*) FROM channel_entry WHERE replaces IS NOT NULL AND replaces NOT IN (SELECT entry_id FROM channel_entry)'), 0);
      assert.equal(one('SELECT COUNT(*) FROM api_provider WHERE channel_entry_id NOT IN (SELECT entry_id FROM channel_entry)'), 0);
      assert.equal(one('SELECT COUNT(*) FROM channel WHERE head_operatorbundle_name NOT IN (SELECT name FROM operatorbundle)'), 0);
      assert.equal(one('SELECT COUNT(*) FROM package WHERE default_channel NOT IN (SELECT name FROM channel WHERE package_name = package.name)'), 0);
      assert.equal(one('SELECT version FROM schema_migrations'), 13);
    } finally {
      check.close();
    }
  });

  it('the same database and filter give the same bytes', async () => {
    const a = join(dir, 'a.db');
    const b = join(dir, 'b.db');
    writeSqliteIndex(fx.catalog, a);
    await copyFile(a, b);
    const filtered = filterCatalog(readSqliteIndex(a).catalog, parseCatalogFilter(filterInput)).catalog;
    pruneSqliteIndex(a, filtered);
    pruneSqliteIndex(b, filtered);
    assert.ok((await readFile(a)).equals(await readFile(b)));
  });

  it('a file that is not SQLite is a one-line CatalogError naming it', async () => {
    const bad = join(dir, 'bad.db');
    await writeFile(bad, 'not a database at all, just text'.repeat(200));
    assert.throws(
      () => pruneSqliteIndex(bad, fx.catalog, '/database/index.db'),
      (e: unknown) => e instanceof CatalogError && /^\/database\/index\.db: cannot prune the SQLite index: [^\n]+$/.test(e.message),
    );
  });
});

describe('rebuilt SQLite catalog image (loopback registry)', { timeout: 180_000 }, () => {
  let reg: AirlockHandle;
  let hub: RegistryHub;
  let dir: string;
  let filtered: Catalog;
  const src = (repo: string) => hub.source({ registry: reg.hostPort, repository: repo });
  const dst = (repo: string) => hub.destination({ registry: reg.hostPort, repository: repo });
  const rebuild = async (to: string) => {
    const source = src('olm/sqlite-index');
    return rebuildCatalogImage({ source, manifest: await source.getManifest('v1'), catalog: filtered, filter: filterInput, destination: dst(to) });
  };

  before(async () => {
    reg = await startAirlock();
    hub = new RegistryHub({ insecure: () => true });
    dir = await mkdtemp(join(tmpdir(), 'airlock-sqlite-rebuild-test-'));
    const fx = await makeCatalogFixture(reg.hostPort);
    writeSqliteIndex(fx.catalog, join(dir, 'index.db'));
    await pushIndexImage(dst('olm/sqlite-index'), { kind: 'sqlite', dbPath: join(dir, 'index.db') }, { tag: 'v1' });
    const original = await openIndexCatalog(src('olm/sqlite-index'), 'v1', 'original');
    assert.equal(original.format, 'sqlite');
    filtered = filterCatalog(original.catalog, parseCatalogFilter(filterInput)).catalog;
  });
  after(async () => {
    await hub?.close();
    await reg?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the database seen through the rebuilt image is the filtered catalog, in a layer of one file, labels kept', async () => {
    const r = await rebuild('mirror/olm/sqlite-index');
    assert.match(r.tag, /^[0-9a-f]{32}$/);
    const back = await openIndexCatalog(src('mirror/olm/sqlite-index'), r.tag, 'rebuilt');
    assert.equal(back.format, 'sqlite');
    assert.equal(back.digest, r.digest);
    assert.deepEqual(shape(back.catalog), shape(filtered));
    const orig = await openIndexCatalog(src('olm/sqlite-index'), 'v1', 'original');
    assert.notDeepEqual(shape(orig.catalog), shape(filtered));

    const image = await src('mirror/olm/sqlite-index').getManifest(r.tag);
    const base = await src('olm/sqlite-index').getManifest('v1');
    const refs = manifestRefs(image);
    const baseRefs = manifestRefs(base);
    if (refs.kind !== 'image' || baseRefs.kind !== 'image') throw new Error('not images');
    assert.deepEqual(refs.layers.slice(0, -1).map((l) => l.digest), baseRefs.layers.map((l) => l.digest), 'the original layers, byte for byte');
    const last = refs.layers.at(-1)!;
    const names: string[] = [];
    await walkLayer(src('mirror/olm/sqlite-index'), last, (e) => void names.push(e.path));
    assert.deepEqual(names, ['database/index.db']);
    const cfg = await configOf(src('mirror/olm/sqlite-index'), image);
    const baseCfg = await configOf(src('olm/sqlite-index'), base);
    assert.deepEqual((cfg.config as Json).Labels, (baseCfg.config as Json).Labels);
    assert.equal(((cfg.config as Json).Labels as Json)[DATABASE_LABEL], '/database/index.db');
  });

  it('deterministic: another destination gets the same digest and tag', async () => {
    const a = await rebuild('mirror-a/olm/sqlite-index');
    const b = await rebuild('mirror-b/olm/sqlite-index');
    assert.deepEqual([a.digest, a.tag], [b.digest, b.tag]);
  });
});
