/** Image-set naming and cluster-resource scope rules, on plain plan items. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageReference } from '../../src/transports/all.js';
import { catalogFileName, clusterResources } from '../../src/mirror/imageset/cluster-resources.js';
import { destRepository, v2Target } from '../../src/mirror/imageset/naming.js';
import type { PlanItem } from '../../src/mirror/plan.js';

const D = `sha256:${'ab'.repeat(32)}`;
const item = (src: string, within: string, dst: string, tag: string, kind: 'operator' | 'additional'): PlanItem => ({
  source: parseImageReference(src), within, targets: [{ ref: parseImageReference(dst), tag }], origins: [kind === 'operator' ? { kind, package: 'p', bundle: 'b' } : { kind, where: 'f:1' }],
});

describe('image-set naming and cluster resources', () => {
  it('names v2 destinations, with --max-nested-paths flattening', () => {
    assert.deepEqual(v2Target(`quay.example.com/a/b/c@${D}`, 'mirror.example.com:5000/pre', 0), { repository: 'mirror.example.com:5000/pre/a/b/c', tag: `sha256-${'ab'.repeat(32)}`, digest: D, reference: `mirror.example.com:5000/pre/a/b/c:sha256-${'ab'.repeat(32)}` });
    assert.equal(v2Target('quay.example.com/a/b/c:v1', 'm.example.com/pre', 2).reference, 'm.example.com/pre/a-b-c:v1');
    assert.equal(destRepository('m.example.com/pre', 'openshift/release-images', 3), 'm.example.com/pre/openshift/release-images');
    assert.equal(catalogFileName('m.example.com/redhat/redhat-operator-index:v4.18'), 'redhat-operator-index-v4-18');
    assert.equal(catalogFileName(`m.example.com/redhat/redhat-operator-index@${D}`), 'redhat-operator-index-abababababab');
  });

  it('uses namespace scope when the mirror path ends with the source path, repository scope with --max-nested-paths', () => {
    const items = [item(`q.example.com/ns/op@${D}`, D, 'm.example.com/pre/ns/op', `sha256-${'ab'.repeat(32)}`, 'operator')];
    const ns = clusterResources({ items, catalogs: [], maxNestedPaths: 0, signatures: [], annotations: {} });
    assert.equal(ns.get('idms-oc-mirror.yaml'), '---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata:\n  name: idms-operator-0\nspec:\n  imageDigestMirrors:\n  - mirrors:\n    - m.example.com/pre/ns\n    source: q.example.com/ns\n');
    const flat = [item(`q.example.com/ns/op@${D}`, D, 'm.example.com/pre-ns-op', 'x', 'operator')];
    const repo = clusterResources({ items: flat, catalogs: [], maxNestedPaths: 1, signatures: [], annotations: {} });
    assert.match(repo.get('idms-oc-mirror.yaml')!, / {2}- mirrors:\n {4}- m\.example\.com\/pre-ns-op\n {4}source: q\.example\.com\/ns\/op\n$/);
    assert.equal(repo.has('itms-oc-mirror.yaml'), false);
  });

  it('writes one signature ConfigMap for all releases', () => {
    const files = clusterResources({ items: [], catalogs: [], maxNestedPaths: 0, signatures: [{ digest: D, signatures: [Buffer.from('sig1'), Buffer.from('sig2')] }], annotations: { createdBy: 'airlock' } });
    assert.equal(files.get('signature-configmap.yaml'), `apiVersion: v1\nbinaryData:\n  sha256-${'ab'.repeat(32)}-1: c2lnMQ==\n  sha256-${'ab'.repeat(32)}-2: c2lnMg==\nkind: ConfigMap\nmetadata:\n  annotations:\n    createdBy: airlock\n  labels:\n    release.openshift.io/verification-signatures: ""\n  name: mirrored-release-signatures\n  namespace: openshift-config-managed\n`);
    const json = JSON.parse(files.get('signature-configmap.json')!) as { binaryData: Record<string, string> };
    assert.deepEqual(Object.keys(json.binaryData), [`sha256-${'ab'.repeat(32)}-1`, `sha256-${'ab'.repeat(32)}-2`]);
  });
});
