/** Exact-format tests of the cluster-resource writers (src/mirror/resources/). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { catalogSourceYaml } from '../../src/mirror/resources/catalog-source.js';
import { clusterCatalogYaml } from '../../src/mirror/resources/cluster-catalog.js';
import { icspDocuments, icspYaml } from '../../src/mirror/resources/icsp.js';
import { idmsDocuments } from '../../src/mirror/resources/idms.js';
import { itmsYaml } from '../../src/mirror/resources/itms.js';
import { mappingLines, mappingTxt } from '../../src/mirror/resources/mapping-txt.js';
import { mirrorSetsFromPairs } from '../../src/mirror/resources/mirror-sets.js';
import { ResourceNameError, resourceName } from '../../src/mirror/resources/names.js';
import { yamlString } from '../../src/mirror/resources/yaml.js';

const CATALOG = { 'operators.openshift.org/catalog': 'true' };
const PAIRS = [
  { source: 'registry.redhat.io/rhacm2-tech-preview/lighthouse-coredns-rhel8', mirror: 'registry.local:5000/olm/rhacm2-tech-preview-lighthouse-coredns-rhel8' },
  { source: 'docker.io/strimzi/operator', mirror: 'quay.io/olmtest/strimzi-operator' },
  { source: 'registry.redhat.io/openshift4/ose-ptp-operator-metadata', mirror: 'registry.local:5000/olm/openshift4-ose-ptp-operator-metadata' },
  { source: 'docker.io/strimzi/operator', mirror: 'quay.io/olmtest/strimzi-operator' },
];

const ICSP_0 =
  'apiVersion: operator.openshift.io/v1alpha1\n' +
  'kind: ImageContentSourcePolicy\n' +
  'metadata:\n' +
  '  labels:\n' +
  '    operators.openshift.org/catalog: "true"\n' +
  '  name: redhat-operator-index-0\n' +
  'spec:\n' +
  '  repositoryDigestMirrors:\n' +
  '  - mirrors:\n' +
  '    - quay.io/olmtest/strimzi-operator\n' +
  '    source: docker.io/strimzi/operator\n' +
  '  - mirrors:\n' +
  '    - registry.local:5000/olm/openshift4-ose-ptp-operator-metadata\n' +
  '    source: registry.redhat.io/openshift4/ose-ptp-operator-metadata\n';

const ICSP_1 =
  'apiVersion: operator.openshift.io/v1alpha1\n' +
  'kind: ImageContentSourcePolicy\n' +
  'metadata:\n' +
  '  labels:\n' +
  '    operators.openshift.org/catalog: "true"\n' +
  '  name: redhat-operator-index-1\n' +
  'spec:\n' +
  '  repositoryDigestMirrors:\n' +
  '  - mirrors:\n' +
  '    - registry.local:5000/olm/rhacm2-tech-preview-lighthouse-coredns-rhel8\n' +
  '    source: registry.redhat.io/rhacm2-tech-preview/lighthouse-coredns-rhel8\n';

describe('mirror-set documents (ICSP, IDMS, ITMS)', () => {
  const sets = mirrorSetsFromPairs(PAIRS);

  it('one document per size limit, `---` before each, named <name>-0, <name>-1', () => {
    const max = Buffer.byteLength(ICSP_0);
    assert.equal(icspDocuments(sets, { name: 'redhat-operator-index', labels: CATALOG, maxSize: max }), `---\n${ICSP_0}---\n${ICSP_1}`);
  });

  it('everything in <name>-0 under the default limit (250000 bytes)', () => {
    const whole = ICSP_0.replace(
      '    source: registry.redhat.io/openshift4/ose-ptp-operator-metadata\n',
      '    source: registry.redhat.io/openshift4/ose-ptp-operator-metadata\n' +
        '  - mirrors:\n' +
        '    - registry.local:5000/olm/rhacm2-tech-preview-lighthouse-coredns-rhel8\n' +
        '    source: registry.redhat.io/rhacm2-tech-preview/lighthouse-coredns-rhel8\n',
    );
    assert.equal(icspDocuments(sets, { name: 'redhat-operator-index', labels: CATALOG }), `---\n${whole}`);
  });

  it('a limit smaller than one entry gives one document per entry, never a cut entry', () => {
    const out = icspDocuments(sets, { name: 'idx', maxSize: 10 });
    assert.equal(out.split('---\n').length - 1, 3);
    assert.match(out, /name: idx-0\n[^]*name: idx-1\n[^]*name: idx-2\n/);
    assert.equal(icspDocuments([], { name: 'idx' }), '', 'no entries, no document');
  });

  it('registry scope: entries per registry host, as oc prints with --idms-scope=registry', () => {
    const got = idmsDocuments(mirrorSetsFromPairs(PAIRS, 'registry'), { name: 'Redhat/Operator_Index', labels: CATALOG });
    assert.equal(
      got,
      '---\n' +
        'apiVersion: config.openshift.io/v1\n' +
        'kind: ImageDigestMirrorSet\n' +
        'metadata:\n' +
        '  labels:\n' +
        '    operators.openshift.org/catalog: "true"\n' +
        '  name: redhat-operator-index-0\n' +
        'spec:\n' +
        '  imageDigestMirrors:\n' +
        '  - mirrors:\n' +
        '    - quay.io\n' +
        '    source: docker.io\n' +
        '  - mirrors:\n' +
        '    - registry.local:5000\n' +
        '    source: registry.redhat.io\n',
    );
  });

  it('ITMS and the single unlabelled document release mirror prints', () => {
    const one = mirrorSetsFromPairs([{ source: 'quay.io/openshift-release-dev/ocp-release', mirror: 'mirror.local:5000/ocp/release' }]);
    const entries = '  - mirrors:\n    - mirror.local:5000/ocp/release\n    source: quay.io/openshift-release-dev/ocp-release\n';
    assert.equal(itmsYaml(one, 'itms-release-0'), `apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata:\n  name: itms-release-0\nspec:\n  imageTagMirrors:\n${entries}`);
    assert.equal(icspYaml(one), `apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetadata:\n  name: example\nspec:\n  repositoryDigestMirrors:\n${entries}`);
  });
});

describe('catalog resources', () => {
  it('CatalogSource: oc adm catalog mirror\'s catalogSource.yaml', () => {
    assert.equal(
      catalogSourceYaml({ name: 'index', image: 'quay.io/the/index:1' }),
      'apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\nmetadata:\n  name: index\n  namespace: openshift-marketplace\nspec:\n  image: quay.io/the/index:1\n  sourceType: grpc\n',
    );
  });

  it('CatalogSource: a name with `/` is sanitised, annotations sorted, a digest image kept', () => {
    const image = `registry.local:5000/olm/redhat-operator-index@sha256:${'a'.repeat(64)}`;
    assert.equal(
      catalogSourceYaml({ name: 'redhat/Redhat-Operator-Index', image, annotations: { createdBy: 'airlock', createdAt: '2026-08-21T10:00:00Z' } }),
      'apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\nmetadata:\n  annotations:\n    createdAt: "2026-08-21T10:00:00Z"\n    createdBy: airlock\n' +
        `  name: redhat-redhat-operator-index\n  namespace: openshift-marketplace\nspec:\n  image: ${image}\n  sourceType: grpc\n`,
    );
  });

  it('ClusterCatalog: oc-mirror v2\'s shape (type before image)', () => {
    assert.equal(
      clusterCatalogYaml({ name: 'cc-redhat-operator-index-v4.18', image: 'registry.example.com/redhat/redhat-operator-index:v4.18' }),
      'apiVersion: olm.operatorframework.io/v1\nkind: ClusterCatalog\nmetadata:\n  name: cc-redhat-operator-index-v4-18\nspec:\n  source:\n    type: Image\n    image:\n      ref: registry.example.com/redhat/redhat-operator-index:v4.18\n',
    );
  });

  it('mapping.txt: SRC=DST, sorted, deduplicated; --to-mirror lines in order', () => {
    const ms = [
      { source: 'quay.io/the/index:1', destination: 'localhost:5000/the/index:1' },
      { source: `quay.io/coreos/etcd-operator@sha256:${'d'.repeat(64)}`, destination: 'localhost:5000/coreos/etcd-operator:b56e2636' },
      { source: 'quay.io/the/index:1', destination: 'localhost:5000/the/index:1' },
    ];
    assert.equal(mappingTxt(ms), `quay.io/coreos/etcd-operator@sha256:${'d'.repeat(64)}=localhost:5000/coreos/etcd-operator:b56e2636\nquay.io/the/index:1=localhost:5000/the/index:1\n`);
    assert.equal(mappingLines(ms.slice(0, 2)), `quay.io/the/index:1 localhost:5000/the/index:1\nquay.io/coreos/etcd-operator@sha256:${'d'.repeat(64)} localhost:5000/coreos/etcd-operator:b56e2636\n`);
  });
});

describe('resource names and YAML strings', () => {
  it('names are RFC 1123 labels', () => {
    assert.equal(resourceName('redhat/redhat-operator-index'), 'redhat-redhat-operator-index');
    assert.equal(resourceName('-My_Index:v4.18.'), 'my-index-v4-18');
    assert.equal(resourceName('a//b', '-0'), 'a-b-0');
    const long = resourceName(`${'x'.repeat(70)}`, '-12');
    assert.equal(long, `${'x'.repeat(60)}-12`);
    assert.equal(resourceName(`${'y'.repeat(62)}-z`), 'y'.repeat(62), 'no trailing dash after the cut');
    assert.throws(() => resourceName('//--'), ResourceNameError);
  });

  it('go-yaml quoting: reserved words double-quoted, odd characters single-quoted', () => {
    assert.equal(yamlString('true'), '"true"');
    assert.equal(yamlString('1'), '"1"');
    assert.equal(yamlString('[::1]:5000/a'), "'[::1]:5000/a'");
    assert.equal(yamlString('quay.io/a:1'), 'quay.io/a:1');
    assert.equal(yamlString('2026-08-21T10:00:00Z'), '"2026-08-21T10:00:00Z"', 'timestamps too');
  });
});
