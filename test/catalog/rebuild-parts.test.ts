/** The pure parts of the rebuilt catalog: the filter tag, the opm cache flags, the layer entries. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CatalogError } from '../../src/catalog/errors.js';
import { canonicalJson, filterTag } from '../../src/catalog/filter-tag.js';
import { imageDir, rebuildLayerEntries, rebuiltConfig, withoutOpmCache } from '../../src/catalog/rebuild-layer.js';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

describe('rebuilt catalog parts', () => {
  it('the tag is the md5 of the filter as JSON with sorted keys at every depth', () => {
    assert.equal(filterTag({}), '99914b932bd37a50b983c5e7c90ae93b');
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 'é' }], c: null }, u: undefined }), '{"a":{"c":null,"d":[3,{"x":"é","y":1}]},"b":1}');
    assert.equal(filterTag({ full: true, packages: [{ name: 'etcd' }] }), filterTag({ packages: [{ name: 'etcd' }], full: true }));
    assert.equal(filterTag({ packages: [{ name: 'a' }, { name: 'b' }] }), md5('{"packages":[{"name":"a"},{"name":"b"}]}'));
    assert.notEqual(filterTag({ packages: [{ name: 'a' }, { name: 'b' }] }), filterTag({ packages: [{ name: 'b' }, { name: 'a' }] }));
    assert.throws(() => canonicalJson({ n: Number.NaN }), TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => canonicalJson(cyclic), TypeError);
  });

  it('drops the opm cache flags in both spellings and names the directories', () => {
    assert.deepEqual(withoutOpmCache(['serve', '/configs', '--cache-dir=/tmp/cache'], '/'), { args: ['serve', '/configs'], dirs: ['tmp/cache'], changed: true });
    assert.deepEqual(withoutOpmCache(['/bin/opm', 'serve', '/configs', '--cache-dir', 'cache', '--cache-enforce-integrity=true', '-p', '50051'], '/var/lib'), {
      args: ['/bin/opm', 'serve', '/configs', '-p', '50051'],
      dirs: ['var/lib/cache'],
      changed: true,
    });
    assert.deepEqual(withoutOpmCache(['serve', '/configs'], '/'), { args: ['serve', '/configs'], dirs: [], changed: false });
    assert.deepEqual(withoutOpmCache(null, '/'), { args: null, dirs: [], changed: false });
    const c = rebuiltConfig({ created: '2024-01-02T03:04:05Z', config: { Labels: { a: 'b' }, Entrypoint: ['/bin/opm'], Cmd: ['serve', '/configs', '--cache-dir=/tmp/cache'] }, rootfs: { type: 'layers', diff_ids: ['sha256:1'] } }, 'sha256:2', 'x');
    assert.deepEqual(c.config, { Labels: { a: 'b' }, Entrypoint: ['/bin/opm'], Cmd: ['serve', '/configs'] });
    assert.deepEqual(c.rootfs, { type: 'layers', diff_ids: ['sha256:1', 'sha256:2'] });
    assert.deepEqual(c.history, [{ created: '2024-01-02T03:04:05Z', created_by: 'airlock catalog rebuild', comment: 'x' }]);
    assert.equal(c.created, '2024-01-02T03:04:05Z');
  });

  it('the layer: opaque configs, whiteouts for each cache directory outside it, no parent directory entries', () => {
    const empty = { packages: [], channels: [], bundles: [], deprecations: [], others: [] };
    const e = rebuildLayerEntries(empty, 'opt/catalog/configs', ['tmp/cache', 'var/cache/opm', 'opt/catalog/configs/cache', 'tmp/cache']);
    assert.deepEqual(e.map((x) => x.path), ['opt/catalog/configs/', 'opt/catalog/configs/.wh..wh..opq', 'tmp/.wh.cache', 'var/cache/.wh.opm']);
    assert.equal(imageDir('/configs/', 'label'), 'configs');
    for (const bad of ['/', '', '/a/../b', '/a//b', './x']) assert.throws(() => imageDir(bad, 'label'), CatalogError);
  });
});
