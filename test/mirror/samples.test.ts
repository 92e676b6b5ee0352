/**
 * `airlock samples mirror` on loopback: an imagestreamtag-to-image ConfigMap
 * with by-tag, by-digest and manifest-list entries, one image that does not
 * exist and one registry nobody listens on; the mirrored digests (every
 * child of a list too), the exact Cluster Samples Operator patch
 * (skippedImagestreams = the streams not mirrored), JSON output, and the
 * ConfigMap parser's one-line errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { parseSamplesConfigMap, selectStreams } from '../../src/mirror/samples/configmap.js';
import { samplesOperatorConfigYaml, samplesPatchCommand } from '../../src/mirror/resources/samples-operator-config.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { freePort } from '../helpers/airlock-process.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { airlock, resolveTags } from '../release/support.js';

describe('airlock samples mirror', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let cm: string;
  let rubyTag: BuiltImageSet;
  let rubyDigest: BuiltImageSet;
  let nodeList: BuiltImageSet;
  let nodeListByDigest: BuiltImageSet;
  let dead: string;
  const flags = ['--src-tls-verify=false', '--dest-tls-verify=false', '--retry-times', '0', '--no-progress'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-samples-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    dead = `127.0.0.1:${await freePort()}`;
    const hub = new RegistryHub({ insecure: () => true });
    try {
      const dst = (repository: string) => hub.destination({ registry: up.hostPort, repository });
      rubyTag = await buildImageSet('ruby 3.1', false);
      await pushImageSet(dst('ubi8/ruby-31'), rubyTag, 'latest');
      rubyDigest = await buildImageSet('ruby 3.0', false);
      await pushImageSet(dst('ubi8/ruby-30'), rubyDigest);
      nodeList = await buildImageSet('nodejs 18', true);
      await pushImageSet(dst('ubi9/nodejs-18'), nodeList, '1-42');
      nodeListByDigest = await buildImageSet('nodejs 16', true);
      await pushImageSet(dst('ubi8/nodejs-16'), nodeListByDigest);
      await pushImageSet(dst('ubi8/python-39'), await buildImageSet('python 3.9', false), 'latest');
    } finally {
      await hub.close();
    }
    cm = join(work, 'imagestreamtag-to-image.yaml');
    await writeFile(cm, `apiVersion: v1
kind: ConfigMap
metadata:
  name: imagestreamtag-to-image
  namespace: openshift-cluster-samples-operator
data:
  ruby_3.1-ubi8: ${up.hostPort}/ubi8/ruby-31:latest
  ruby_3.0-ubi8: ${up.hostPort}/ubi8/ruby-30@${rubyDigest.top.digest}
  nodejs_18-ubi9: ${up.hostPort}/ubi9/nodejs-18:1-42
  nodejs_16-ubi8: ${up.hostPort}/ubi8/nodejs-16@${nodeListByDigest.top.digest}
  perl_5.32-ubi8: ${dead}/ubi8/perl-532:latest
  php_8.0-ubi8: ${up.hostPort}/ubi8/php-80:latest
  python_3.9-ubi8: ${up.hostPort}/ubi8/python-39:latest
`);
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('mirrors the chosen streams with digests kept, lists whole; skips the missing and unreachable ones; writes the exact patch', async () => {
    const res = join(work, 'out', 'cluster-resources');
    const r = await airlock(['samples', 'mirror', '--configmap', cm, '--only', 'ruby,nodejs,perl,php', '--resources-dir', res, `${mirror.hostPort}/samples`, ...flags], work);
    assert.equal(r.code, 0, r.stderr);
    const M = mirror.hostPort;
    assert.deepEqual(await resolveTags(M, 'samples/ubi8/ruby-31', ['latest']), [rubyTag.top.digest]);
    assert.deepEqual(await resolveTags(M, 'samples/ubi8/ruby-30', [rubyDigest.top.digest]), [rubyDigest.top.digest]);
    assert.deepEqual(await resolveTags(M, 'samples/ubi9/nodejs-18', ['1-42', ...nodeList.manifests.map((m) => m.digest)]), [nodeList.top.digest, ...nodeList.manifests.map((m) => m.digest)], 'the list and every child, digests unchanged');
    assert.deepEqual(await resolveTags(M, 'samples/ubi8/nodejs-16', nodeListByDigest.manifests.map((m) => m.digest)), nodeListByDigest.manifests.map((m) => m.digest));
    assert.deepEqual(await resolveTags(M, 'samples/ubi8/python-39', ['latest']), [undefined], 'a stream not chosen is not mirrored');
    assert.match(r.stderr, new RegExp(`warning: skipping perl:5\\.32-ubi8 \\(${dead.replace(/\./g, '\\.')}/ubi8/perl-532:latest\\): the registry cannot be reached`));
    assert.match(r.stderr, /warning: skipping php:8\.0-ubi8 .*: the image does not exist/);
    assert.match(r.stderr, /info: 2 of 5 image streams mirrored; 2 tag\(s\) skipped: perl:5\.32-ubi8 \(unreachable\), php:8\.0-ubi8 \(missing\)/);
    const want = { samplesRegistry: `${M}/samples`, skippedImagestreams: ['perl', 'php', 'python'] };
    assert.equal(await readFile(join(res, 'samples-operator-config.yaml'), 'utf8'), `apiVersion: samples.operator.openshift.io/v1
kind: Config
metadata:
  name: cluster
spec:
  managementState: Managed
  samplesRegistry: ${M}/samples
  skippedImagestreams:
  - perl
  - php
  - python
`);
    assert.equal(samplesOperatorConfigYaml(want), await readFile(join(res, 'samples-operator-config.yaml'), 'utf8'));
    assert.ok(r.stdout.endsWith(`oc patch configs.samples.operator.openshift.io cluster --type merge -p '{"spec":{"managementState":"Managed","samplesRegistry":"${M}/samples","skippedImagestreams":["perl","php","python"]}}'\n`), r.stdout);
    assert.equal(samplesPatchCommand(want), r.stdout.trim().split('\n').pop());
  });

  it('-o json: per-tag outcomes, mirrored and skipped streams; --dry-run writes nothing', async () => {
    const res = join(work, 'dry', 'cluster-resources');
    const r = await airlock(['samples', 'mirror', '--configmap', cm, '--resources-dir', res, `${mirror.hostPort}/dry`, '--dry-run', '-o', 'json', ...flags], work);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { mirroredImagestreams: string[]; skippedImagestreams: string[]; tags: { stream: string; tag: string; status: string; digest?: string; mirror?: string }[]; resources: string[] };
    const ruby31 = doc.tags.find((t) => t.tag === '3.1-ubi8')!;
    assert.deepEqual([ruby31.mirror, ruby31.digest], [`${mirror.hostPort}/dry/ubi8/ruby-31:latest`, rubyTag.top.digest]);
    const node16 = doc.tags.find((t) => t.tag === '16-ubi8')!;
    assert.deepEqual([node16.mirror, node16.digest], [`${mirror.hostPort}/dry/ubi8/nodejs-16@${nodeListByDigest.top.digest}`, nodeListByDigest.top.digest]);
    assert.deepEqual(doc.mirroredImagestreams, ['nodejs', 'python', 'ruby']);
    assert.deepEqual(doc.skippedImagestreams, ['perl', 'php']);
    assert.deepEqual(doc.tags.map((t) => `${t.stream}:${t.tag}=${t.status}`), [
      'nodejs:16-ubi8=mirrored', 'nodejs:18-ubi9=mirrored', 'perl:5.32-ubi8=unreachable', 'php:8.0-ubi8=missing', 'python:3.9-ubi8=mirrored', 'ruby:3.0-ubi8=mirrored', 'ruby:3.1-ubi8=mirrored',
    ]);
    assert.deepEqual(doc.resources, []);
    await assert.rejects(readFile(join(res, 'samples-operator-config.yaml')), /ENOENT/);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'dry/ubi8/ruby-31', ['latest']), [undefined]);
  });

  it('reads the ConfigMap as oc -o json writes it; bad input is one line', async () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'imagestreamtag-to-image' }, data: { 'jboss-eap74-openjdk11-openshift_7.4.0': 'registry.example.com/jboss/eap:7.4.0', 'ruby_3.1_extra': 'registry.example.com/ubi8/ruby@sha256:' + 'a'.repeat(64) } });
    assert.deepEqual(parseSamplesConfigMap('cm.json', json).map((t) => [t.stream, t.tag]), [['jboss-eap74-openjdk11-openshift', '7.4.0'], ['ruby', '3.1_extra']]);
    assert.throws(() => selectStreams('cm.json', parseSamplesConfigMap('cm.json', json), ['ruby', 'golang']), /^SamplesConfigMapError: cm\.json: no image stream golang in the ConfigMap \(it has: jboss-eap74-openjdk11-openshift, ruby\)$/);
    const cases: [string, RegExp][] = [
      ['kind: Secret\ndata: {}\n', /kind is "Secret", not ConfigMap/],
      ['kind: ConfigMap\ndata:\n  ruby_3: ubi8/ruby\n', /data\.ruby_3: invalid image reference .*no registry host/],
      ['kind: ConfigMap\ndata:\n  ruby_3: registry.example.com/ubi8/ruby\n', /needs a tag or a digest/],
      ['kind: ConfigMap\n', /has no data/],
      ['{"kind": "ConfigMap", "data": {', /not YAML or JSON/],
    ];
    for (const [text, want] of cases) assert.throws(() => parseSamplesConfigMap('cm.yaml', text), want);
    const bad = join(work, 'bad.yaml');
    await writeFile(bad, 'kind: ConfigMap\ndata:\n  nounderscore: registry.example.com/a:b\n');
    const r = await airlock(['samples', 'mirror', '--configmap', bad, `${mirror.hostPort}/x`, ...flags], work);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `error: ${bad}: data key "nounderscore" is not <imagestream>_<tag>\n`);
  });
});

describe('mirror.samples in an ImageSetConfiguration (mirror to mirror)', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let ruby: BuiltImageSet;
  let dead: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-samples-isc-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    dead = `127.0.0.1:${await freePort()}`;
    const hub = new RegistryHub({ insecure: () => true });
    try {
      ruby = await buildImageSet('isc ruby', true);
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'ubi8/ruby-31' }), ruby, 'latest');
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'ubi8/nodejs-18' }), await buildImageSet('isc nodejs', false), 'latest');
    } finally {
      await hub.close();
    }
    await writeFile(join(work, 'cm.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'imagestreamtag-to-image' }, data: {
      'ruby_3.1-ubi8': `${up.hostPort}/ubi8/ruby-31:latest`,
      'nodejs_18-ubi8': `${up.hostPort}/ubi8/nodejs-18:latest`,
      'perl_5.32-ubi8': `${dead}/ubi8/perl-532:latest`,
      'golang_1.20': `${up.hostPort}/ubi8/go-toolset:1.20`,
    } }, null, 2));
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('mirrors the chosen streams and writes samples-operator-config.yaml into working-dir/cluster-resources', async () => {
    const isc = join(work, 'isc.yaml');
    await writeFile(isc, 'kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  samples:\n    configMap: cm.json\n    imageStreams: [ruby, perl]\n');
    const ws = join(work, 'ws');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/ocp`, '--src-tls-verify=false', '--dest-tls-verify=false', '--retry-times', '0', '--no-progress'], work);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp/ubi8/ruby-31', ['latest', ...ruby.manifests.map((m) => m.digest)]), [ruby.top.digest, ...ruby.manifests.map((m) => m.digest)]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp/ubi8/nodejs-18', ['latest']), [undefined]);
    assert.match(r.stderr, /warning: skipping perl:5\.32-ubi8 .*the registry cannot be reached/);
    const text = await readFile(join(ws, 'working-dir', 'cluster-resources', 'samples-operator-config.yaml'), 'utf8');
    assert.match(text, new RegExp(`^apiVersion: samples\\.operator\\.openshift\\.io/v1\\nkind: Config\\nmetadata:\\n  annotations:\\n(    .*\\n)+  name: cluster\\nspec:\\n  managementState: Managed\\n  samplesRegistry: ${mirror.hostPort.replace(/\./g, '\\.')}/ocp\\n  skippedImagestreams:\\n  - golang\\n  - nodejs\\n  - perl\\n$`));
    assert.match(r.stderr, /info: samples: skippedImagestreams golang, nodejs, perl; apply with: oc patch configs\.samples\.operator\.openshift\.io cluster --type merge -p '/);
  });

  it('config errors name the line: unknown fields, a missing configMap, a stream the ConfigMap lacks', async () => {
    const cases: [string, RegExp][] = [
      ['  samples:\n    imageStreams: [ruby]\n', /isc-bad\.yaml:5: mirror\.samples: needs "configMap"/],
      ['  samples:\n    configMap: cm.json\n    streams: [ruby]\n', /isc-bad\.yaml:6: mirror\.samples\.streams: unknown field \(allowed: configMap, imageStreams\)/],
      ['  samples:\n    configMap: cm.json\n    imageStreams: [python]\n', /isc-bad\.yaml:5: mirror\.samples: .*cm\.json: no image stream python in the ConfigMap \(it has: golang, nodejs, perl, ruby\)/],
      ['  samples:\n    configMap: nothere.json\n', /isc-bad\.yaml:5: mirror\.samples: .*nothere\.json.*ENOENT/],
    ];
    const isc = join(work, 'isc-bad.yaml');
    for (const [section, want] of cases) {
      await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n${section}`);
      const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${join(work, 'ws-bad')}`, `docker://${mirror.hostPort}/ocp`, '--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'], work);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
