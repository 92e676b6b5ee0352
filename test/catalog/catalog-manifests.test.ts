/**
 * The exact bytes of catalog mirror's manifests directory (reference §4.4):
 * mapping.txt, imageContentSourcePolicy.yaml, imageDigestMirrorSet.yaml,
 * catalogSource.yaml, clusterCatalog.yaml, missing.txt, the `-0`/`-1`
 * split, registry scope, a file:// destination and the upload hint; names
 * from mount() (the reference's verified FNV tag b56e2636).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mountTarget } from '../../src/catalog/naming.js';
import type { NeededBy } from '../../src/catalog/related-images.js';
import { catalogManifests, catalogUploadHint, missingTxt } from '../../src/mirror/catalog-outputs.js';
import type { CatalogInfo, CatalogMapping } from '../../src/mirror/collectors/catalog.js';
import { parseImageReference } from '../../src/transports/all.js';
import { referenceWithin } from '../../src/transports/open.js';

const ETCD = 'quay.io/coreos/etcd-operator@sha256:db563baa8194fcfe39d1df744ed70024b0f1f9e9b55b5923c2f3a413c44dc6b8';
const PTP = `registry.redhat.io/openshift4/ose-ptp-operator-metadata@sha256:${'a'.repeat(64)}`;
const STRIMZI = 'docker.io/strimzi/operator:0.40';
const INDEX = 'quay.io/the/index:1';

function mapping(image: string, dest: string, neededBy: NeededBy[] = []): CatalogMapping {
  const ref = parseImageReference(image);
  return { image, source: ref, within: referenceWithin(ref)!, target: mountTarget(image, dest, 2), neededBy };
}

function info(dest: string): CatalogInfo {
  const index = mapping(INDEX, dest);
  return {
    format: 'fbc', indexDigest: `sha256:${'c'.repeat(64)}`, platform: 'linux/amd64', name: 'index', index,
    related: [mapping(ETCD, dest, [{ package: 'etcd', bundle: 'etcd.v0.9.2', as: '' }]), mapping(PTP, dest, [{ package: 'ptp', bundle: 'ptp.v4.12', as: 'bundle' }, { package: 'ptp', bundle: 'ptp.v4.12', as: 'x' }, { package: 'ptp2', bundle: 'ptp2.v1', as: '' }]), mapping(STRIMZI, dest)],
    catalogImage: index.target.reference, destIsFile: dest.startsWith('file://'), filtered: false, rebuilt: false, packages: 3, bundles: 3, notes: [],
  };
}

const DEST = 'registry.local:5000/olm';
const ENTRIES = `  - mirrors:
    - registry.local:5000/olm/coreos-etcd-operator
    source: quay.io/coreos/etcd-operator
  - mirrors:
    - registry.local:5000/olm/openshift4-ose-ptp-operator-metadata
    source: registry.redhat.io/openshift4/ose-ptp-operator-metadata
`;
const META = `metadata:
  labels:
    operators.openshift.org/catalog: "true"
  name: index-0
spec:
`;

describe('catalog mirror manifests (exact formats)', () => {
  it('every file of a registry destination, byte for byte', () => {
    const files = catalogManifests(info(DEST), { scope: 'repository', maxSize: 250_000 });
    assert.deepEqual([...files.keys()], ['mapping.txt', 'imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml', 'catalogSource.yaml', 'clusterCatalog.yaml']);
    assert.equal(
      files.get('mapping.txt'),
      `docker.io/strimzi/operator:0.40=registry.local:5000/olm/strimzi-operator:0.40
${ETCD}=registry.local:5000/olm/coreos-etcd-operator:b56e2636
quay.io/the/index:1=registry.local:5000/olm/the-index:1
${PTP}=registry.local:5000/olm/openshift4-ose-ptp-operator-metadata:596b2148
`,
    );
    assert.equal(files.get('imageContentSourcePolicy.yaml'), `---\napiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\n${META}  repositoryDigestMirrors:\n${ENTRIES}`);
    assert.equal(files.get('imageDigestMirrorSet.yaml'), `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\n${META}  imageDigestMirrors:\n${ENTRIES}`);
    assert.equal(
      files.get('catalogSource.yaml'),
      `apiVersion: operators.coreos.com/v1alpha1
kind: CatalogSource
metadata:
  name: index
  namespace: openshift-marketplace
spec:
  image: registry.local:5000/olm/the-index:1
  sourceType: grpc
`,
    );
    assert.equal(
      files.get('clusterCatalog.yaml'),
      `apiVersion: olm.operatorframework.io/v1
kind: ClusterCatalog
metadata:
  name: index
spec:
  source:
    type: Image
    image:
      ref: registry.local:5000/olm/the-index:1
`,
    );
  });

  it('a small --max-icsp-size splits into <name>-0, <name>-1 of at most that many bytes', () => {
    const files = catalogManifests(info(DEST), { scope: 'repository', maxSize: 340 });
    const [first, second] = ENTRIES.split(/(?= {2}- mirrors:)/);
    const doc = (i: number, entry: string) =>
      `---\napiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetadata:\n  labels:\n    operators.openshift.org/catalog: "true"\n  name: index-${i}\nspec:\n  repositoryDigestMirrors:\n${entry}`;
    assert.equal(files.get('imageContentSourcePolicy.yaml'), doc(0, first!) + doc(1, second!));
    for (const part of files.get('imageContentSourcePolicy.yaml')!.split('---\n').slice(1)) assert.ok(Buffer.byteLength(part) <= 340, `${Buffer.byteLength(part)}`);
    assert.match(files.get('imageDigestMirrorSet.yaml')!, /name: index-0\n[^]*name: index-1\n/);
    assert.equal(catalogManifests(info(DEST), { scope: 'repository', maxSize: 100_000 }).get('imageContentSourcePolicy.yaml')!.split('---\n').length, 2, 'one document when it fits');
  });

  it('--idms-scope registry: entries per registry host', () => {
    const files = catalogManifests(info(DEST), { scope: 'registry', maxSize: 250_000 });
    assert.equal(
      files.get('imageDigestMirrorSet.yaml'),
      `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\n${META}  imageDigestMirrors:\n  - mirrors:\n    - registry.local:5000\n    source: quay.io\n  - mirrors:\n    - registry.local:5000\n    source: registry.redhat.io\n`,
    );
  });

  it('missing images are left out of mapping.txt and the mirror sets, and listed in missing.txt with who needs them', () => {
    const i = info(DEST);
    const files = catalogManifests(i, { scope: 'repository', maxSize: 250_000, missing: new Set([PTP]) });
    assert.ok(!files.get('mapping.txt')!.includes('ptp'));
    assert.ok(!files.get('imageContentSourcePolicy.yaml')!.includes('ptp'));
    assert.equal(missingTxt(i.related.filter((m) => m.image !== STRIMZI)), `${ETCD} needed by etcd.v0.9.2 (etcd)\n${PTP} needed by ptp.v4.12 (ptp), ptp2.v1 (ptp2)\n`);
  });

  it('a file:// destination: mapping.txt only, paths kept whole, and the upload hint', () => {
    const i = info('file:///local/index');
    const files = catalogManifests(i, { scope: 'repository', maxSize: 250_000 });
    assert.deepEqual([...files.keys()], ['mapping.txt']);
    assert.equal(
      files.get('mapping.txt'),
      `docker.io/strimzi/operator:0.40=file://local/index/strimzi/operator:0.40
${ETCD}=file://local/index/coreos/etcd-operator:b56e2636
quay.io/the/index:1=file://local/index/the/index:1
${PTP}=file://local/index/openshift4/ose-ptp-operator-metadata:596b2148
`,
    );
    assert.equal(catalogUploadHint(i, undefined), '\nTo upload local images to a registry, run:\n\n\tairlock catalog mirror file://local/index/the/index:1 REGISTRY/REPOSITORY\n');
    assert.equal(catalogUploadHint(i, '/media/usb'), '\nTo upload local images to a registry, run:\n\n\tairlock catalog mirror --from-dir=/media/usb file://local/index/the/index:1 REGISTRY/REPOSITORY\n');
  });
});
