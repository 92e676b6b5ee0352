/** ImageSetConfiguration reading: the v2alpha1 sections, v1alpha2 mapping, and one precise line per bad input. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeleteImageSetConfig, parseImageSetConfig } from '../../src/mirror/imageset/config-read.js';
import { ImageSetConfigError } from '../../src/mirror/imageset/yaml-nodes.js';

const HEAD = 'kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\n';

const GOOD = `${HEAD}archiveSize: 4
mirror:
  platform:
    architectures: [amd64]
    channels:
    - name: stable-4.18
      type: ocp
      minVersion: 4.18.1
      maxVersion: 4.18.3
      shortestPath: true
    - name: fast-4.18
  operators:
  - catalog: registry.example.com:5000/redhat/redhat-operator-index:v4.18
    targetCatalog: my-ns/my-index
    targetTag: v1
    packages:
    - name: elasticsearch-operator
      defaultChannel: stable-v0
      channels:
      - name: stable-v0
        minVersion: 5.6.0
  additionalImages:
  - name: registry.example.com:5000/ubi8/ubi:latest
  blockedImages:
  - name: "^registry\\\\.example\\\\.com:5000/ubi8/.*-debug"
`;

describe('ImageSetConfiguration v2alpha1', () => {
  it('reads every supported section with positions', () => {
    const c = parseImageSetConfig('isc.yaml', GOOD);
    assert.equal(c.apiVersion, 'mirror.openshift.io/v2alpha1');
    assert.equal(c.archiveSize, 4);
    assert.deepEqual(c.platform?.architectures, ['amd64']);
    assert.deepEqual(c.platform?.channels.map((ch) => [ch.name, ch.type, ch.minVersion, ch.maxVersion, ch.shortestPath, ch.full, ch.where]), [
      ['stable-4.18', 'ocp', '4.18.1', '4.18.3', true, false, 'isc.yaml:8'],
      ['fast-4.18', 'ocp', undefined, undefined, false, false, 'isc.yaml:13'],
    ]);
    const op = c.operators[0]!;
    assert.equal(op.catalog, 'registry.example.com:5000/redhat/redhat-operator-index:v4.18');
    assert.deepEqual([op.targetCatalog, op.targetTag, op.where], ['my-ns/my-index', 'v1', 'isc.yaml:15']);
    assert.deepEqual(op.filter.packages, [{ name: 'elasticsearch-operator', defaultChannel: 'stable-v0', channels: [{ name: 'stable-v0', minVersion: '5.6.0' }] }]);
    assert.equal(op.entry.targetTag, 'v1');
    assert.deepEqual(c.additionalImages.map((a) => a.name), ['registry.example.com:5000/ubi8/ubi:latest']);
    const re = c.blockedImages[0]!.pattern;
    assert.ok(re.test('registry.example.com:5000/ubi8/ubi-debug'));
    assert.ok(!re.test('registry.example.com:5000/ubi8/ubi'));
    assert.deepEqual(c.notices, []);
  });

  it('reads a release pin without channels; architectures default to amd64', () => {
    const c = parseImageSetConfig('f', `${HEAD}mirror:\n  platform:\n    release: quay.example.com/ocp/release@sha256:${'a'.repeat(64)}\n`);
    assert.deepEqual(c.platform?.architectures, ['amd64']);
    assert.equal(c.platform?.release?.image, `quay.example.com/ocp/release@sha256:${'a'.repeat(64)}`);
  });

  const bad: [string, string, RegExp][] = [
    ['malformed YAML', `${HEAD}mirror:\n  platform:\n    channels: [\n`, /^isc\.yaml:\d+: not valid YAML: /],
    ['a tab-indented mapping', `${HEAD}mirror:\n\tplatform: {}\n`, /^isc\.yaml:4: not valid YAML/],
    ['an empty file', '', /^isc\.yaml:1: the file is empty \(expected kind: ImageSetConfiguration, apiVersion: mirror\.openshift\.io\/v2alpha1\)$/],
    ['two documents', `${HEAD}mirror: {}\n---\n${HEAD}`, /^isc\.yaml:\d+: not valid YAML: .*multiple documents/i],
    ['a repeated key', `${HEAD}mirror:\n  additionalImages: []\n  additionalImages: []\n`, /^isc\.yaml:5: not valid YAML: .*unique/i],
    ['a wrong apiVersion', 'kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v3\nmirror: {}\n', /^isc\.yaml:2: apiVersion: "mirror\.openshift\.io\/v3" is not supported \(allowed: mirror\.openshift\.io\/v2alpha1, mirror\.openshift\.io\/v1alpha2\)$/],
    ['a wrong kind', 'kind: ImageSet\napiVersion: mirror.openshift.io/v2alpha1\n', /^isc\.yaml:1: kind: "ImageSet" is not ImageSetConfiguration$/],
    ['no kind', 'apiVersion: mirror.openshift.io/v2alpha1\nmirror: {}\n', /^isc\.yaml:1: kind: missing \(expected ImageSetConfiguration\)$/],
    ['an unknown top-level field', `${HEAD}storageConfig: {}\nmirror: {}\n`, /^isc\.yaml:3: storageConfig: unknown field \(allowed: kind, apiVersion, archiveSize, mirror\)$/],
    ['an unknown mirror section', `${HEAD}mirror:\n  platfrom: {}\n`, /^isc\.yaml:4: mirror\.platfrom: unknown field \(allowed: platform, operators, additionalImages, blockedImages, helm, samples\)$/],
    ['an unknown channel field', `${HEAD}mirror:\n  platform:\n    channels:\n    - name: stable-4.18\n      maxversion: 4.18.2\n`, /^isc\.yaml:7: mirror\.platform\.channels\[0\]\.maxversion: unknown field \(allowed: name, type, minVersion, maxVersion, shortestPath, full\)$/],
    ['an unknown package field', `${HEAD}mirror:\n  operators:\n  - catalog: reg.example.com/idx:v1\n    packages:\n    - name: a\n      chanels: []\n`, /^isc\.yaml:8: mirror\.operators\[0\]\.packages\[0\]\.chanels: unknown field/],
    ['an empty helm section', `${HEAD}mirror:\n  helm: {}\n`, /^isc\.yaml:4: mirror\.helm: names no chart \(give repositories or local\)$/],
    ['a helm repository without url', `${HEAD}mirror:\n  helm:\n    repositories:\n    - name: r\n`, /^isc\.yaml:6: mirror\.helm\.repositories\[0\]: needs "url"/],
    ['a bad helm imagePath', `${HEAD}mirror:\n  helm:\n    local:\n    - name: c\n      path: /c\n      imagePaths: ["{.spec[?(@.x)]}"]\n`, /^isc\.yaml:8: mirror\.helm\.local\[0\]\.imagePaths\[0\]: image path .* unsupported JSONPath/],
    ['samples in the list form', `${HEAD}mirror:\n  samples:\n  - name: ruby\n`, /^isc\.yaml:5: mirror\.samples: oc-mirror's list form \(- name: STREAM\) names no images; write configMap: FILE/],
    ['platforms with architectures', `${HEAD}mirror:\n  platform:\n    architectures: [amd64]\n    platforms: [{os: linux, architecture: arm64}]\n    channels: [{name: c}]\n`, /^isc\.yaml:6: mirror\.platform\.platforms: cannot be combined with architectures/],
    ['a platform without architecture', `${HEAD}mirror:\n  additionalImages:\n  - name: reg.example.com/a:1\n    platforms:\n    - os: linux\n`, /^isc\.yaml:7: mirror\.additionalImages\[0\]\.platforms\[0\]: needs "architecture" \(such as amd64\)$/],
    ['a bad platform field', `${HEAD}mirror:\n  operators:\n  - catalog: reg.example.com/idx:v1\n    platforms: [{os: linux, arch: arm64}]\n`, /^isc\.yaml:6: mirror\.operators\[0\]\.platforms\[0\]\.arch: unknown field \(allowed: os, architecture, variant\)$/],
    ['a targetRepo with a host', `${HEAD}mirror:\n  additionalImages:\n  - name: reg.example.com/a:1\n    targetRepo: reg.example.com:5000/x\n`, /^isc\.yaml:6: mirror\.additionalImages\[0\]\.targetRepo: "reg\.example\.com:5000\/x" is not a repository path below the destination/],
    ['a bad targetTag', `${HEAD}mirror:\n  additionalImages:\n  - name: reg.example.com/a:1\n    targetTag: "v1:x"\n`, /^isc\.yaml:6: mirror\.additionalImages\[0\]\.targetTag: "v1:x" is not a tag/],
    ['an architecture', `${HEAD}mirror:\n  platform:\n    architectures: [x86_64]\n    channels: [{name: c}]\n`, /^isc\.yaml:5: mirror\.platform\.architectures\[0\]: "x86_64" is not an architecture \(allowed: amd64, arm64, ppc64le, s390x, multi\)$/],
    ['a version', `${HEAD}mirror:\n  platform:\n    channels:\n    - name: c\n      minVersion: four\n`, /^isc\.yaml:7: mirror\.platform\.channels\[0\]\.minVersion: "four" is not a version \(expected X\.Y\.Z, such as 4\.18\.1\)$/],
    ['a channel type', `${HEAD}mirror:\n  platform:\n    channels:\n    - name: c\n      type: rhel\n`, /^isc\.yaml:7: mirror\.platform\.channels\[0\]\.type: "rhel" is not a channel type \(allowed: ocp, okd\)$/],
    ['a bool', `${HEAD}mirror:\n  platform:\n    channels:\n    - name: c\n      full: "yes"\n`, /^isc\.yaml:7: mirror\.platform\.channels\[0\]\.full: must be true or false$/],
    ['a platform without releases', `${HEAD}mirror:\n  platform:\n    architectures: [amd64]\n`, /^isc\.yaml:5: mirror\.platform: names no release \(give channels or release\)$/],
    ['a catalog without host', `${HEAD}mirror:\n  operators:\n  - catalog: redhat/index:v1\n`, /^isc\.yaml:5: mirror\.operators\[0\]\.catalog: invalid image reference "redhat\/index:v1": no registry host/],
    ['a catalog without tag', `${HEAD}mirror:\n  operators:\n  - catalog: reg.example.com/redhat/index\n`, /^isc\.yaml:5: mirror\.operators\[0\]\.catalog: "reg\.example\.com\/redhat\/index" needs a tag or a digest$/],
    ['an oci catalog', `${HEAD}mirror:\n  operators:\n  - catalog: oci:///tmp/idx\n`, /^isc\.yaml:5: mirror\.operators\[0\]\.catalog: oci:\/\/ catalogs are not yet supported/],
    ['a bad targetCatalog', `${HEAD}mirror:\n  operators:\n  - catalog: reg.example.com/idx:v1\n    targetCatalog: My/Index\n`, /^isc\.yaml:6: mirror\.operators\[0\]\.targetCatalog: "My\/Index" is not a repository path/],
    ['both range levels', `${HEAD}mirror:\n  operators:\n  - catalog: reg.example.com/idx:v1\n    packages:\n    - name: a\n      minVersion: 1.0.0\n      channels: [{name: s, maxVersion: 2.0.0}]\n`, /^isc\.yaml:5: mirror\.operators\[0\]: packages\[0\] \(a\): give minVersion\/maxVersion on the package or on its channels, not both$/],
    ['a catalog listed twice', `${HEAD}mirror:\n  operators:\n  - catalog: reg.example.com/idx:v1\n  - catalog: reg.example.com/idx:v1\n`, /^isc\.yaml:6: mirror\.operators: catalog reg\.example\.com\/idx:v1 is listed twice with the same target \(first at isc\.yaml:5\)/],
    ['a bad regular expression', `${HEAD}mirror:\n  blockedImages:\n  - name: "ubi("\n`, /^isc\.yaml:5: mirror\.blockedImages\[0\]\.name: "ubi\(" is not a valid regular expression/],
    ['an additional image without name', `${HEAD}mirror:\n  additionalImages:\n  - image: reg.example.com/a:1\n`, /^isc\.yaml:5: mirror\.additionalImages\[0\]\.image: unknown field \(allowed: name, targetRepo, targetTag, platforms\)$/],
    ['a list where a mapping belongs', `${HEAD}mirror:\n  platform: [a]\n`, /^isc\.yaml:4: mirror\.platform: must be a mapping/],
    ['no mirror', HEAD, /^isc\.yaml:1: mirror: missing/],
  ];
  for (const [what, text, want] of bad) {
    it(`refuses ${what} in one line naming file, line and field`, () => {
      assert.throws(() => parseImageSetConfig('isc.yaml', text), (e: unknown) => {
        assert.ok(e instanceof ImageSetConfigError, String(e));
        assert.match(e.message, want);
        assert.ok(!e.message.includes('\n'), e.message);
        return true;
      });
    });
  }
});

describe('ImageSetConfiguration v1alpha2', () => {
  it('is read with a deprecation notice and the field mapping; blocked names are literal', () => {
    const text = `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v1alpha2
storageConfig:
  local: { path: /var/mirror/metadata }
mirror:
  operators:
  - catalog: reg.example.com/redhat/index:v4.12
    targetName: my-index
  blockedImages:
  - name: a.b
`;
    const c = parseImageSetConfig('v1.yaml', text);
    assert.equal(c.apiVersion, 'mirror.openshift.io/v1alpha2');
    assert.equal(c.operators[0]!.targetCatalog, 'my-index');
    assert.match(c.notices[0]!, /^v1\.yaml: apiVersion mirror\.openshift\.io\/v1alpha2 \(oc-mirror v1\) is deprecated; read as mirror\.openshift\.io\/v2alpha1/);
    assert.ok(c.notices.includes('  storageConfig -> ignored (v2 keeps its state in the workspace: --workspace file://DIR, or the m2d directory)'));
    assert.ok(c.notices.some((l) => l.includes('targetName -> targetCatalog')));
    assert.ok(c.blockedImages[0]!.pattern.test('reg/a.b'));
    assert.ok(!c.blockedImages[0]!.pattern.test('reg/axb'), 'v1 names are literal, not patterns');
  });
});

describe('DeleteImageSetConfiguration', () => {
  it('reads the sections under delete:', () => {
    const c = parseDeleteImageSetConfig('d.yaml', 'kind: DeleteImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\ndelete:\n  additionalImages:\n  - name: reg.example.com/a:1\n');
    assert.deepEqual(c.additionalImages.map((a) => [a.name, a.where]), [['reg.example.com/a:1', 'd.yaml:5']]);
  });
  it('refuses blockedImages under delete:', () => {
    assert.throws(() => parseDeleteImageSetConfig('d.yaml', 'kind: DeleteImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\ndelete:\n  blockedImages: []\n'), /^Error: d\.yaml:4: delete\.blockedImages: unknown field \(allowed: platform, operators, additionalImages\)$/);
  });
});
