/** Catalog filtering, table-tested against oc-mirror v2's rules (reference §5.5), and the --package CLI form. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogError } from '../../src/catalog/errors.js';
import { catalogFromDocs } from '../../src/catalog/fbc-parse.js';
import { parseCatalogFilter, parsePackageFlags, type CatalogFilter } from '../../src/catalog/filter-spec.js';
import { filterCatalog } from '../../src/catalog/filter.js';
import { channelHead } from '../../src/catalog/graph.js';
import { CatalogIndex, type Catalog } from '../../src/catalog/model.js';
import { bundleDoc, bundleName as bn, channelDoc, deprecationDoc, pkgDoc, type Doc } from '../fixtures/catalog/fbc-docs.js';

const BAZ: [string, string, string] = ['baz.example.com', 'v1', 'Baz'];

function catalog(): Catalog {
  const docs: Doc[] = [
    pkgDoc('etcd', 'alpha'),
    channelDoc('etcd', 'alpha', [{ name: bn('etcd', '0.9.0') }, { name: bn('etcd', '0.9.2'), replaces: bn('etcd', '0.9.0') }, { name: bn('etcd', '0.9.4'), replaces: bn('etcd', '0.9.2'), skipRange: '>=0.9.0 <0.9.4' }]),
    channelDoc('etcd', 'stable', [{ name: bn('etcd', '0.9.2') }, { name: bn('etcd', '0.9.4'), replaces: bn('etcd', '0.9.2') }]),
    ...['0.9.0', '0.9.2', '0.9.4'].map((version) => bundleDoc({ pkg: 'etcd', version })),
    deprecationDoc('etcd', [{ schema: 'olm.bundle', name: bn('etcd', '0.9.0'), message: 'old' }, { schema: 'olm.channel', name: 'stable', message: 'use alpha' }]),
    pkgDoc('foo', 'stable'),
    channelDoc('foo', 'stable', [{ name: bn('foo', '1.0.0') }, { name: bn('foo', '1.1.0'), replaces: bn('foo', '1.0.0') }, { name: bn('foo', '1.2.0'), replaces: bn('foo', '1.1.0') }, { name: bn('foo', '2.0.0'), replaces: bn('foo', '1.2.0') }]),
    channelDoc('foo', 'fast', [{ name: bn('foo', '2.0.0') }, { name: bn('foo', '2.1.0'), replaces: bn('foo', '2.0.0') }]),
    bundleDoc({ pkg: 'foo', version: '1.0.0' }),
    bundleDoc({ pkg: 'foo', version: '1.1.0', requiresGvk: [BAZ] }),
    bundleDoc({ pkg: 'foo', version: '1.2.0' }),
    bundleDoc({ pkg: 'foo', version: '2.0.0' }),
    bundleDoc({ pkg: 'foo', version: '2.1.0', requiresPackage: [['bar', '>=1.0.0 <2.0.0']] }),
    pkgDoc('bar', 'stable'),
    channelDoc('bar', 'stable', [{ name: bn('bar', '1.0.0') }, { name: bn('bar', '1.5.0'), replaces: bn('bar', '1.0.0') }, { name: bn('bar', '2.0.0'), replaces: bn('bar', '1.5.0') }]),
    ...['1.0.0', '1.5.0', '2.0.0'].map((version) => bundleDoc({ pkg: 'bar', version })),
    pkgDoc('baz', 'alpha'),
    channelDoc('baz', 'alpha', [{ name: bn('baz', '0.1.0') }, { name: bn('baz', '0.2.0'), replaces: bn('baz', '0.1.0') }]),
    channelDoc('baz', 'beta', [{ name: bn('baz', '0.3.0') }]),
    ...['0.1.0', '0.2.0', '0.3.0'].map((version) => bundleDoc({ pkg: 'baz', version, provides: [BAZ] })),
    // split: 3.0.0 replaces 1.1.0 and skips 2.0.0; cutting at 2.0.0 leaves two heads
    pkgDoc('split', 's'),
    channelDoc('split', 's', [{ name: bn('split', '1.0.0') }, { name: bn('split', '1.1.0'), replaces: bn('split', '1.0.0') }, { name: bn('split', '2.0.0') }, { name: bn('split', '3.0.0'), replaces: bn('split', '1.1.0'), skips: [bn('split', '2.0.0')] }]),
    ...['1.0.0', '1.1.0', '2.0.0', '3.0.0'].map((version) => bundleDoc({ pkg: 'split', version })),
    pkgDoc('prov', 'alpha'),
    channelDoc('prov', 'alpha', [{ name: bn('prov', '1.0.0') }]),
    channelDoc('prov', 'beta', [{ name: bn('prov', '2.0.0') }]),
    bundleDoc({ pkg: 'prov', version: '1.0.0' }),
    bundleDoc({ pkg: 'prov', version: '2.0.0', provides: [['q.example.com', 'v1', 'Q']] }),
    pkgDoc('qux', 'a'),
    channelDoc('qux', 'a', [{ name: bn('qux', '1.0.0') }]),
    bundleDoc({ pkg: 'qux', version: '1.0.0', requiresGvk: [['q.example.com', 'v1', 'Q']] }),
    pkgDoc('needy', 'a'),
    channelDoc('needy', 'a', [{ name: bn('needy', '1.0.0') }]),
    bundleDoc({ pkg: 'needy', version: '1.0.0', requiresPackage: [['ghost', '>=1.0.0']] }),
  ];
  return catalogFromDocs(docs.map((value, i) => ({ value, source: { file: 'mem.json', line: i + 1 } })));
}

/** package → channel → entry versions, and package → default channel. */
function shape(c: Catalog): { channels: Record<string, Record<string, string[]>>; defaults: Record<string, string | undefined> } {
  const channels: Record<string, Record<string, string[]>> = {};
  for (const ch of c.channels) (channels[ch.package] ??= {})[ch.name] = ch.entries.map((e) => e.name.slice(e.name.indexOf('.v') + 2)).sort();
  return { channels, defaults: Object.fromEntries(c.packages.map((p) => [p.name, p.defaultChannel])) };
}

const cat = catalog();
const run = (f: CatalogFilter) => filterCatalog(cat, f);

describe('catalog filter (oc-mirror v2 semantics)', () => {
  const heads = {
    etcd: { alpha: ['0.9.4'], stable: ['0.9.4'] },
    foo: { fast: ['2.1.0'], stable: ['2.0.0'] },
    baz: { alpha: ['0.2.0'], beta: ['0.3.0'] },
    split: { s: ['3.0.0'] },
    prov: { alpha: ['1.0.0'], beta: ['2.0.0'] },
    qux: { a: ['1.0.0'] },
  };
  const table: [string, CatalogFilter, Record<string, Record<string, string[]>>][] = [
    ['no packages: the head of every channel of every package, dependencies added (bar 1.5.0 on the path to its head)', { packages: [] }, { ...heads, bar: { stable: ['1.5.0', '2.0.0'] }, needy: { a: ['1.0.0'] } }],
    ['no packages, skipDependencies: heads only', { skipDependencies: true }, { ...heads, bar: { stable: ['2.0.0'] }, needy: { a: ['1.0.0'] } }],
    ['a package only: the head of each of its channels', { packages: [{ name: 'etcd' }] }, { etcd: heads.etcd }],
    ['a package with full: every bundle of its channels (+ dependencies of all of them)', { full: true, packages: [{ name: 'foo' }] }, { foo: { stable: ['1.0.0', '1.1.0', '1.2.0', '2.0.0'], fast: ['2.0.0', '2.1.0'] }, bar: { stable: ['1.5.0'] }, baz: { alpha: ['0.2.0'] } }],
    ['a package with a channel: that channel only', { packages: [{ name: 'foo', channels: [{ name: 'stable' }] }] }, { foo: { stable: ['2.0.0'] } }],
    ['a channel range: bundles in range, the gvk dependency from the default channel of its provider', { packages: [{ name: 'foo', channels: [{ name: 'stable', minVersion: '1.1.0', maxVersion: '1.2.0' }] }] }, { foo: { stable: ['1.1.0', '1.2.0'] }, baz: { alpha: ['0.2.0'] } }],
    ['minVersion only: from min to the head', { packages: [{ name: 'foo', channels: [{ name: 'stable', minVersion: '1.2.0' }] }] }, { foo: { stable: ['1.2.0', '2.0.0'] } }],
    ['a package range applies to every channel', { packages: [{ name: 'foo', minVersion: '2.0.0' }] }, { foo: { stable: ['2.0.0'], fast: ['2.0.0', '2.1.0'] }, bar: { stable: ['1.5.0'] } }],
    ['a package range drops channels it leaves empty', { packages: [{ name: 'foo', maxVersion: '1.0.0' }] }, { foo: { stable: ['1.0.0'] } }],
    ['skipRange edges count: a range ending at 0.9.4 keeps one head', { packages: [{ name: 'etcd', channels: [{ name: 'alpha', minVersion: '0.9.0' }] }] }, { etcd: { alpha: ['0.9.0', '0.9.2', '0.9.4'] } }],
    ['a new defaultChannel for a filtered-out default', { packages: [{ name: 'etcd', defaultChannel: 'stable', channels: [{ name: 'stable' }] }] }, { etcd: { stable: ['0.9.4'] } }],
    ['a dependency already satisfied adds nothing', { packages: [{ name: 'foo', defaultChannel: 'fast', channels: [{ name: 'fast' }] }, { name: 'bar', channels: [{ name: 'stable', maxVersion: '1.5.0' }] }] }, { foo: { fast: ['2.1.0'] }, bar: { stable: ['1.0.0', '1.5.0'] } }],
  ];
  for (const [what, f, want] of table) {
    it(what, () => {
      const r = run(f);
      assert.deepEqual(shape(r.catalog).channels, want);
      const idx = new CatalogIndex(r.catalog);
      for (const ch of r.catalog.channels) assert.doesNotThrow(() => channelHead(idx, ch));
      const names = new Set(r.catalog.channels.flatMap((c) => c.entries.map((e) => `${c.package}/${e.name}`)));
      assert.deepEqual(new Set(r.catalog.bundles.map((b) => `${b.package}/${b.name}`)), names, 'exactly the bundles of the kept entries');
    });
  }

  it('full with no packages is the whole catalog', () => assert.equal(run({ full: true }).catalog, cat));

  it('the default channel, deprecations and notes follow the filter', () => {
    const r = run({ packages: [{ name: 'etcd', defaultChannel: 'stable', channels: [{ name: 'stable' }] }] });
    assert.equal(shape(r.catalog).defaults.etcd, 'stable');
    assert.equal((r.catalog.packages[0]!.raw as { defaultChannel: string }).defaultChannel, 'stable');
    assert.deepEqual(r.catalog.deprecations[0]!.entries.map((e) => e.message), ['use alpha']);
    const d = run({ packages: [{ name: 'foo', defaultChannel: 'fast', channels: [{ name: 'fast' }] }] });
    assert.deepEqual(d.notes, ['added dependency bar bar.v1.5.0 (channel stable): bundle foo.v2.1.0 of foo requires package bar >=1.0.0 <2.0.0']);
  });

  it('a dependency from a non-default channel makes that channel the default of the added package', () => {
    const r = run({ packages: [{ name: 'qux' }] });
    assert.deepEqual(shape(r.catalog), { channels: { qux: { a: ['1.0.0'] }, prov: { beta: ['2.0.0'] } }, defaults: { prov: 'beta', qux: 'a' } });
  });

  it('with no packages, an unsatisfiable dependency is a warning, not an error', () => {
    const r = run({});
    assert.ok(r.notes.includes('warning: bundle needy.v1.0.0 of needy requires package ghost >=1.0.0, but no bundle of the catalog satisfies it'), r.notes.join('\n'));
  });

  const errors: [string, CatalogFilter, RegExp][] = [
    ['an unknown package', { packages: [{ name: 'nope' }] }, /^package nope is not in the catalog$/],
    ['an unknown channel', { packages: [{ name: 'etcd', channels: [{ name: 'beta' }] }] }, /^package etcd, channel beta: no such channel \(the package has alpha, stable\)$/],
    ['a filtered-out default channel without a new one', { packages: [{ name: 'etcd', channels: [{ name: 'stable' }] }] }, /^package etcd: its default channel alpha is filtered out; set defaultChannel to one of the selected channels \(stable\)$/],
    ['a defaultChannel that is not selected', { packages: [{ name: 'etcd', defaultChannel: 'alpha', channels: [{ name: 'stable' }] }] }, /^package etcd: defaultChannel alpha is not one of the selected channels \(stable\)$/],
    ['a range that leaves no head', { packages: [{ name: 'foo', channels: [{ name: 'stable', minVersion: '5.0.0' }] }] }, /^package foo, channel stable: no bundle in 5\.0\.0\.\. \(the channel has 1\.0\.0, 1\.1\.0, 1\.2\.0, 2\.0\.0\), so the filter leaves no channel head$/],
    ['a package range that leaves nothing anywhere', { packages: [{ name: 'foo', minVersion: '9.0.0' }] }, /^package foo: no bundle of any channel in 9\.0\.0\.\., so the filter leaves no channel head$/],
    ['a truncated graph with several heads', { packages: [{ name: 'split', maxVersion: '2.0.0' }] }, /^package split, channel s: 2 channel heads \(split\.v1\.1\.0, split\.v2\.0\.0\) after keeping versions \.\.2\.0\.0; the upgrade graph must end in one bundle$/],
    ['an unsatisfiable dependency', { packages: [{ name: 'needy' }] }, /^bundle needy\.v1\.0\.0 of needy requires package ghost >=1\.0\.0, but no bundle of the catalog satisfies it \(use skipDependencies/],
  ];
  for (const [what, f, re] of errors) {
    it(`refuses ${what}`, () => assert.throws(() => run(f), (e: unknown) => e instanceof CatalogError && re.test(e.message)));
  }
  it('an unsatisfiable dependency is fine with skipDependencies', () => assert.deepEqual(shape(run({ skipDependencies: true, packages: [{ name: 'needy' }] }).catalog).channels, { needy: { a: ['1.0.0'] } }));
});

describe('catalog filter input', () => {
  it('parses the ImageSetConfiguration operators[] shape', () => {
    const f = parseCatalogFilter({ catalog: 'x', full: false, packages: [{ name: 'foo', defaultChannel: 'fast', channels: [{ name: 'fast', minVersion: '2.0.0' }] }] });
    assert.deepEqual(f, { full: false, packages: [{ name: 'foo', defaultChannel: 'fast', channels: [{ name: 'fast', minVersion: '2.0.0' }] }] });
  });
  const bad: [unknown, RegExp][] = [
    [{ packages: [{ name: 'a', minVersion: '1.0.0', channels: [{ name: 'c', maxVersion: '2.0.0' }] }] }, /not both/],
    [{ packages: [{ name: 'a', channels: [{ name: 'c', minVersion: 'v-one' }] }] }, /is not a semantic version/],
    [{ packages: [{ name: 'a', chanels: [] }] }, /unknown field "chanels"/],
    [{ packages: [{ name: 'a' }, { name: 'a' }] }, /listed twice/],
    [{ full: 'yes' }, /"full" must be true or false/],
  ];
  for (const [input, re] of bad) it(`refuses ${JSON.stringify(input)}`, () => assert.throws(() => parseCatalogFilter(input), (e: unknown) => e instanceof CatalogError && re.test(e.message)));

  it('parses --package NAME[:CHANNEL][@MIN..MAX]', () => {
    assert.deepEqual(parsePackageFlags(['etcd', 'foo:stable@1.1.0..1.2.0', 'foo:fast', 'bar@..2.0.0', 'baz@0.2.0..']), [
      { name: 'etcd' },
      { name: 'foo', channels: [{ name: 'stable', minVersion: '1.1.0', maxVersion: '1.2.0' }, { name: 'fast' }] },
      { name: 'bar', maxVersion: '2.0.0' },
      { name: 'baz', minVersion: '0.2.0' },
    ]);
  });
  for (const [v, re] of [
    ['a:b:c', /expected NAME\[:CHANNEL\]\[@MIN\.\.MAX\]/],
    ['a@1.0.0', /MIN\.\.MAX/],
    ['a@..', /names no version/],
    ['a@1.0..2.0.0', /is not a semantic version/],
  ] as [string, RegExp][]) {
    it(`refuses --package ${v}`, () => assert.throws(() => parsePackageFlags([v]), (e: unknown) => e instanceof CatalogError && re.test(e.message)));
  }
  it('refuses a package given twice without a channel', () => assert.throws(() => parsePackageFlags(['a', 'a']), /given twice/));
});
