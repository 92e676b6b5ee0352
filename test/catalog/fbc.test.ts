/** FBC reading: JSON and YAML streams, .indexignore, opaque schemas, errors with file:line; semver ranges; deterministic FBC writing. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { parseDocStream } from '../../src/catalog/doc-stream.js';
import { CatalogError } from '../../src/catalog/errors.js';
import { catalogFiles, readFbcDir } from '../../src/catalog/fbc-read.js';
import { fbcFiles, packageDir, writeFbcDir } from '../../src/catalog/fbc-write.js';
import { isIgnored, parseIgnoreFile } from '../../src/catalog/indexignore.js';
import { relatedImages } from '../../src/catalog/related-images.js';
import { parseSemver, parseSemverRange, compareSemver } from '../../src/catalog/semver.js';
import { bundleDoc, channelDoc, deprecationDoc, pkgDoc } from '../fixtures/catalog/fbc-docs.js';

const fails = (re: RegExp) => (e: unknown): boolean => e instanceof CatalogError && re.test(e.message) && !e.message.includes('\n');

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
}

describe('catalog FBC: document streams', () => {
  it('concatenated and whitespace-separated JSON objects, with their lines', () => {
    const docs = parseDocStream('{"schema":"a"}{"schema":"b"}\n\n  {\n "schema": "c",\n "x": [1, {"y": "}"}]\n}\n', 'f.json');
    assert.deepEqual(docs.map((d) => [(d.value as { schema: string }).schema, d.line]), [['a', 1], ['b', 1], ['c', 3]]);
  });
  it('YAML --- streams; empty documents skipped', () => {
    const docs = parseDocStream('---\nschema: a\n---\n---\n# only a comment\n---\nschema: b\nlist: [1, 2]\n', 'f.yaml');
    assert.deepEqual(docs.map((d) => [(d.value as { schema: string }).schema, d.line]), [['a', 2], ['b', 7]]);
  });
  it('malformed JSON names the file and the line', () => {
    assert.throws(() => parseDocStream('{"schema":"a"}\n{"schema":"b",\n "name": "x",,\n}\n', 'configs/etcd/catalog.json'), fails(/^configs\/etcd\/catalog\.json:3: invalid JSON: /));
    assert.throws(() => parseDocStream('{"schema":"a"}\n\n{"schema":"b"\n', 'c.json'), fails(/^c\.json:3: /));
    assert.throws(() => parseDocStream('{"a":1,"a":2}', 'c.json'), fails(/^c\.json:1: invalid JSON: .*duplicate/));
    assert.throws(() => parseDocStream('{"a":1}\n[1]', 'c.json'), fails(/^c\.json:2: expected a JSON object/));
  });
  it('malformed YAML names the file and the line', () => {
    assert.throws(() => parseDocStream('schema: olm.package\nname: etcd\n---\nschema: olm.channel\nentries: [\n  - name: x\n', 'configs/etcd/catalog.yaml'), fails(/^configs\/etcd\/catalog\.yaml:\d+: invalid YAML: /));
    assert.throws(() => parseDocStream('schema: a\nname: b\nname: c\n', 'k.yaml'), fails(/^k\.yaml:3: invalid YAML: .*[Uu]nique|^k\.yaml:3: invalid YAML: .*duplicate/i));
  });
});

describe('catalog FBC: .indexignore', () => {
  const rules = (text: string, base = '') => parseIgnoreFile(text, base);
  const table: [string, string, boolean, boolean][] = [
    ['*.md', 'README.md', false, true],
    ['*.md', 'a/b/NOTES.md', false, true],
    ['/*.md', 'a/NOTES.md', false, false],
    ['docs/', 'docs', true, true],
    ['docs/', 'docs', false, false],
    ['a/*/c.json', 'a/b/c.json', false, true],
    ['a/*/c.json', 'a/b/x/c.json', false, false],
    ['a/**/c.json', 'a/b/x/c.json', false, true],
    ['a/**/c.json', 'a/c.json', false, true],
    ['**/tmp', 'x/y/tmp', true, true],
    ['tmp/**', 'tmp/a/b', false, true],
    ['ca?.json', 'cat.json', false, true],
    ['ca[!t].json', 'cat.json', false, false],
    ['ca[st].json', 'cas.json', false, true],
    ['\\#x', '#x', false, true],
    ['# comment\n\n*.json\n!keep.json', 'keep.json', false, false],
    ['*.json\n!keep.json', 'drop.json', false, true],
    ['!keep.json\n*.json', 'keep.json', false, true],
  ];
  for (const [pattern, path, dir, want] of table) {
    it(`${JSON.stringify(pattern)} ${want ? 'ignores' : 'keeps'} ${path}${dir ? '/' : ''}`, () => assert.equal(isIgnored(rules(pattern), path, dir), want));
  }
  it('a nested .indexignore applies below its directory only', () => {
    const r = rules('*.yaml', 'sub');
    assert.equal(isIgnored(r, 'sub/a.yaml', false), true);
    assert.equal(isIgnored(r, 'a.yaml', false), false);
  });
});

describe('catalog FBC: directory reading', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-fbc-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('reads JSON and YAML files, honours .indexignore, keeps unknown schemas opaque', async () => {
    const root = join(dir, 'ok', 'configs');
    const etcd = [pkgDoc('etcd', 'alpha'), channelDoc('etcd', 'alpha', [{ name: 'etcd.v0.9.0' }, { name: 'etcd.v0.9.2', replaces: 'etcd.v0.9.0', skipRange: '>=0.9.0 <0.9.2' }])];
    const bundles = [
      bundleDoc({ pkg: 'etcd', version: '0.9.0', related: [{ name: 'op', image: `quay.io/coreos/etcd-operator@sha256:${'1'.repeat(64)}` }], provides: [['etcd.database.coreos.com', 'v1beta2', 'EtcdCluster']] }),
      bundleDoc({ pkg: 'etcd', version: '0.9.2', related: [{ name: 'op', image: `quay.io/coreos/etcd-operator@sha256:${'1'.repeat(64)}` }, { name: '', image: `quay.io/a/b/c/d@sha256:${'2'.repeat(64)}` }], requiresPackage: [['other', '>=1.0.0']] }),
    ];
    await tree(root, {
      '.indexignore': '*.md\n/ignored/\n',
      'README.md': 'not a catalog {',
      'ignored/bad.json': '{ broken',
      'etcd/catalog.json': etcd.map((d) => JSON.stringify(d)).join(''),
      'etcd/bundles.yaml': bundles.map((d) => `---\n${stringify(d)}`).join(''),
      'etcd/extra.yaml': stringify({ schema: 'my.custom', package: 'etcd', anything: [1, 2] }) + '---\n' + stringify(deprecationDoc('etcd', [{ schema: 'olm.bundle', name: 'etcd.v0.9.0', message: 'etcd 0.9.0 is deprecated' }])),
      'other/.indexignore': 'draft.json\n',
      'other/draft.json': '{"schema":',
      'other/index.yaml': [pkgDoc('other', 'stable'), channelDoc('other', 'stable', [{ name: 'other.v1.0.0' }]), bundleDoc({ pkg: 'other', version: '1.0.0' })].map((d) => `---\n${stringify(d)}`).join(''),
    });
    assert.deepEqual(await catalogFiles(root), ['etcd/bundles.yaml', 'etcd/catalog.json', 'etcd/extra.yaml', 'other/index.yaml']);
    const c = await readFbcDir(root);
    assert.deepEqual(c.packages.map((p) => [p.name, p.defaultChannel]), [['etcd', 'alpha'], ['other', 'stable']]);
    assert.deepEqual(c.channels.find((x) => x.name === 'alpha')!.entries.map((e) => [e.name, e.replaces, e.skipRange]), [['etcd.v0.9.0', undefined, undefined], ['etcd.v0.9.2', 'etcd.v0.9.0', '>=0.9.0 <0.9.2']]);
    const b = c.bundles.find((x) => x.name === 'etcd.v0.9.2')!;
    assert.equal(b.version, '0.9.2');
    assert.deepEqual(b.requiredPackages, [{ packageName: 'other', versionRange: '>=1.0.0' }]);
    assert.deepEqual(c.bundles.find((x) => x.name === 'etcd.v0.9.0')!.providedGvks, [{ group: 'etcd.database.coreos.com', version: 'v1beta2', kind: 'EtcdCluster' }]);
    assert.equal(b.source.file, 'configs/etcd/bundles.yaml');
    assert.equal(b.source.line, 2 + stringify(bundles[0]).split('\n').length);
    assert.deepEqual(c.others.map((o) => [o.schema, o.package]), [['my.custom', 'etcd']]);
    assert.equal(c.deprecations[0]!.entries[0]!.message, 'etcd 0.9.0 is deprecated');
    const imgs = relatedImages(c);
    assert.equal(imgs.length, 5);
    const shared = imgs.find((i) => i.image.startsWith('quay.io/coreos/etcd-operator@'))!;
    assert.deepEqual(shared.neededBy.map((n) => n.bundle), ['etcd.v0.9.0', 'etcd.v0.9.2']);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['malformed JSON', { 'p/catalog.json': '{"schema":"olm.package","name":"p"}\n{"schema": "olm.channel",\n"name": }\n' }, /^configs\/p\/catalog\.json:3: invalid JSON/],
    ['malformed YAML', { 'p/catalog.yaml': 'schema: olm.package\nname: p\n---\nschema: olm.channel\n  name: [x\n' }, /^configs\/p\/catalog\.yaml:\d+: invalid YAML/],
    ['a document without a schema', { 'p/c.yaml': 'schema: olm.package\nname: p\n---\nname: nothing\n' }, /^configs\/p\/c\.yaml:4: document has no "schema"/],
    ['a bundle without a package', { 'p/c.yaml': 'schema: olm.package\nname: p\n---\n\nschema: olm.bundle\nname: p.v1\nimage: x\n' }, /^configs\/p\/c\.yaml:5: olm\.bundle "p\.v1": no "package"/],
    ['a bad version', { 'p/c.json': JSON.stringify(pkgDoc('p', 'a')) + '\n' + JSON.stringify({ ...bundleDoc({ pkg: 'p', version: '1.0.0' }), properties: [{ type: 'olm.package', value: { packageName: 'p', version: 'one' } }] }) }, /^configs\/p\/c\.json:2: olm\.bundle "p\.v1\.0\.0": "properties\[0\]\.value\.version": "one" is not a semantic version/],
    ['a bad skipRange', { 'p/c.json': JSON.stringify(pkgDoc('p', 'a')) + JSON.stringify(channelDoc('p', 'a', [{ name: 'p.v1.0.0', skipRange: '>=banana' }])) + JSON.stringify(bundleDoc({ pkg: 'p', version: '1.0.0' })) }, /^configs\/p\/c\.json:1: olm\.channel "a": "entries\[0\]\.skipRange": range ">=banana"/],
    ['an entry without a bundle', { 'p/c.json': JSON.stringify(pkgDoc('p', 'a')) + '\n' + JSON.stringify(channelDoc('p', 'a', [{ name: 'p.v9' }])) }, /^configs\/p\/c\.json:2: package p, channel a: entry "p\.v9" names no bundle/],
    ['a default channel that does not exist', { 'p/c.json': JSON.stringify(pkgDoc('p', 'nope')) }, /^configs\/p\/c\.json:1: package p: defaultChannel "nope" is not one of its channels/],
    ['a package declared twice', { 'p/a.json': JSON.stringify(pkgDoc('p', '')), 'p/b.json': JSON.stringify(pkgDoc('p', '')) }, /^configs\/p\/b\.json:1: package "p" is declared twice \(also at configs\/p\/a\.json:1\)/],
  ];
  for (const [what, files, re] of bad) {
    it(`refuses ${what} with file:line`, async () => {
      const root = join(dir, what.replace(/\W+/g, '-'), 'configs');
      await tree(root, files);
      await assert.rejects(readFbcDir(root), fails(re));
    });
  }

  it('writes FBC deterministically, one file per package, and reads it back the same', async () => {
    const src = join(dir, 'ok', 'configs');
    const c = await readFbcDir(src);
    const files = fbcFiles(c);
    assert.deepEqual([...files.keys()], ['etcd/catalog.json', 'other/catalog.json']);
    assert.deepEqual(fbcFiles(await readFbcDir(src)), files);
    const out = join(dir, 'written', 'configs');
    await writeFbcDir(c, out);
    const back = await readFbcDir(out);
    assert.deepEqual(fbcFiles(back), files);
    assert.deepEqual(relatedImages(back), relatedImages(c));
    const text = await readFile(join(out, 'etcd/catalog.json'), 'utf8');
    const order = [...text.matchAll(/^ {2}"schema": "([^"]+)"/gm)].map((m) => m[1]);
    assert.deepEqual(order, ['olm.package', 'olm.channel', 'olm.bundle', 'olm.bundle', 'olm.deprecations', 'my.custom']);
    await assert.rejects(writeFbcDir(c, out), /EEXIST/);
    assert.equal(packageDir('../evil'), `package-${packageDir('../evil').slice(8)}`);
    assert.match(packageDir('../evil'), /^package-[0-9a-f]+$/);
  });
});

describe('catalog semver', () => {
  it('orders versions by semver precedence', () => {
    const sorted = ['1.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0-alpha.beta', '0.9.10', '0.9.9', '1.0.0-beta.11', '1.0.0-beta.2', '1.0.0-rc.1'].map(parseSemver).sort(compareSemver).map((v) => v.text);
    assert.deepEqual(sorted, ['0.9.9', '0.9.10', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0']);
  });
  const table: [string, string, boolean][] = [
    ['>=0.9.0 <0.9.2', '0.9.1', true],
    ['>=0.9.0 <0.9.2', '0.9.2', false],
    ['>= 0.9.0  < 0.9.2', '0.9.0', true],
    ['<1.0.0 || >=2.0.0', '1.5.0', false],
    ['<1.0.0 || >=2.0.0', '2.1.0', true],
    ['1.2.x', '1.2.9', true],
    ['1.2.x', '1.3.0', false],
    ['>=4.6', '4.6.0', true],
    ['<=1.x', '1.99.0', true],
    ['<=1.x', '2.0.0', false],
    ['>1.2', '1.2.5', false],
    ['!=1.0.0', '1.0.0', false],
    ['1.0.0', '1.0.0', true],
  ];
  for (const [range, v, want] of table) it(`${range} ${want ? 'holds' : 'excludes'} ${v}`, () => assert.equal(parseSemverRange(range).test(parseSemver(v)), want));
  it('refuses junk', () => {
    assert.throws(() => parseSemverRange('>=x.y.z.w'), /is not a comparator/);
    assert.throws(() => parseSemverRange(''), /empty alternative/);
    assert.throws(() => parseSemver('1.0'), /not a semantic version/);
  });
});
