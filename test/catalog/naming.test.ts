/** oc's mount() naming (reference §4.3 table rows), --max-components, and resource names. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { catalogResourceName, checkMaxComponents, fnv32aHex, mountTarget } from '../../src/catalog/naming.js';
import { CatalogError } from '../../src/catalog/errors.js';

const ETCD = 'quay.io/coreos/etcd-operator@sha256:db563baa8194fcfe39d1df744ed70024b0f1f9e9b55b5923c2f3a413c44dc6b8';
const D = `sha256:${'ab'.repeat(32)}`;

describe('catalog naming: mount()', () => {
  it('FNV-1a 32 of the whole source reference, lowercase hex, no zero padding', () => {
    assert.equal(fnv32aHex(ETCD), 'b56e2636');
    assert.equal(fnv32aHex(''), '811c9dc5');
    assert.equal(fnv32aHex('a'), 'e40c292c');
    // a hash below 0x10000000 prints fewer than 8 digits (Go's %x)
    const short = Array.from({ length: 5000 }, (_, i) => `r/x@${i}`).find((s) => fnv32aHex(s).length < 8)!;
    assert.ok(short !== undefined && /^[0-9a-f]{1,7}$/.test(fnv32aHex(short)));
  });

  const rows: [string, string, number, string][] = [
    [ETCD, 'localhost:5000', 2, 'localhost:5000/coreos/etcd-operator:b56e2636'],
    [ETCD, 'localhost:5000/org', 2, 'localhost:5000/org/coreos-etcd-operator:b56e2636'],
    [`registry.redhat.io/openshift4/ose-ptp-operator-metadata@${D}`, 'registry.local:5000/olm', 2, `registry.local:5000/olm/openshift4-ose-ptp-operator-metadata:${fnv32aHex(`registry.redhat.io/openshift4/ose-ptp-operator-metadata@${D}`)}`],
    [`registry.redhat.io/rhacm2-tech-preview/lighthouse-coredns-rhel8@${D}`, 'registry.local:5000/olm', 2, `registry.local:5000/olm/rhacm2-tech-preview-lighthouse-coredns-rhel8:${fnv32aHex(`registry.redhat.io/rhacm2-tech-preview/lighthouse-coredns-rhel8@${D}`)}`],
    // more components than allowed: the tail is flattened with '-'
    [`quay.io/a/b/c/d@${D}`, '127.0.0.1:5000/mirror', 3, `127.0.0.1:5000/mirror/a/b-c-d:${fnv32aHex(`quay.io/a/b/c/d@${D}`)}`],
    [`quay.io/a/b/c/d@${D}`, '127.0.0.1:5000/mirror', 0, `127.0.0.1:5000/mirror/a/b/c/d:${fnv32aHex(`quay.io/a/b/c/d@${D}`)}`],
    [`quay.io/a/b/c/d@${D}`, '127.0.0.1:5000/mirror', 5, `127.0.0.1:5000/mirror/a/b/c/d:${fnv32aHex(`quay.io/a/b/c/d@${D}`)}`],
    // a tag is kept; one component has no namespace
    ['quay.io/the/index:1', '127.0.0.1:5000', 2, '127.0.0.1:5000/the/index:1'],
    ['quay.io/index:v1', '127.0.0.1:5000', 2, '127.0.0.1:5000/index:v1'],
    // file:// forces unlimited components
    [`quay.io/a/b/c/d@${D}`, 'file:///local/index', 2, `file://local/index/a/b/c/d:${fnv32aHex(`quay.io/a/b/c/d@${D}`)}`],
  ];
  for (const [src, dest, max, want] of rows) {
    it(`${src.replace(/@sha256:.*/, '@…')} → ${dest} (max ${max})`, () => {
      const t = mountTarget(src, dest, max);
      assert.equal(t.reference, want);
      assert.equal(`${t.repository}:${t.tag}`, want);
      if (src.includes('@')) assert.equal(t.digest, src.slice(src.indexOf('@') + 1));
      else assert.equal(t.digest, undefined);
    });
  }

  it('--max-components: 1 and negatives are refused, 0 and ≥2 accepted', () => {
    assert.throws(() => checkMaxComponents(1), (e: Error) => e instanceof CatalogError && /--max-components must be 0 \(unlimited\) or at least 2, got 1/.test(e.message));
    assert.throws(() => mountTarget(ETCD, 'localhost:5000', -1), CatalogError);
    assert.equal(checkMaxComponents(0), 0);
    assert.equal(checkMaxComponents(7), 7);
  });

  it('a bad related image reference is a one-line CatalogError', () => {
    assert.throws(() => mountTarget('quay.io/UPPER case@x', 'localhost:5000', 2), (e: Error) => e instanceof CatalogError && !e.message.includes('\n') && /related image/.test(e.message));
  });
});

describe('catalog naming: resource names', () => {
  const rows: [string, string][] = [
    ['quay.io/the/index:1', 'index'],
    ['registry.redhat.io/redhat/redhat-operator-index:v4.12', 'redhat-operator-index'],
    ['redhat/redhat-operator-index', 'redhat-operator-index'],
    ['file://local/index/myrepo/my-index:v1', 'index-myrepo-my-index'],
    ['local/index/myrepo/my-index', 'index-myrepo-my-index'],
    ['127.0.0.1:5000/olm/certified_operator.index@sha256:' + 'a'.repeat(64), 'certified-operator-index'],
    ['my-index', 'my-index'],
    ['ns/' + 'x'.repeat(80), 'x'.repeat(63)],
    ['ns/Upper_Case--name__', 'upper-case-name'],
  ];
  for (const [input, want] of rows) {
    it(`${input} → ${want}`, () => {
      const n = catalogResourceName(input);
      assert.equal(n, want);
      assert.match(n, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    });
  }
  it('a name with nothing usable is refused', () => {
    assert.throws(() => catalogResourceName('ns/___'), (e: Error) => e instanceof CatalogError && /no letters or digits/.test(e.message));
  });
});
