/**
 * m2d → d2m carries the graph-data image and the samples operator config:
 * `airlock mirror -c isc.yaml file://DIR` with `platform.graph: true` and
 * `mirror.samples` builds the graph-data image into the archive set (the
 * tarball served on loopback, a loopback base) and records the streams;
 * `--from file://DIR docker://REG/prefix` pushes it as
 * <dest>/openshift/graph-image:latest (same digest) and writes
 * updateService.yaml and samples-operator-config.yaml for that destination
 * (samplesRegistry = the destination, skippedImagestreams = the streams not
 * chosen).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildTar } from '../../src/release/tar-build.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { airlock, resolveTags } from '../release/support.js';

describe('airlock mirror m2d/d2m: the graph image and the samples config travel', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let rel: SyntheticRelease;
  let ruby: BuiltImageSet;
  let tarServer: Server;
  let tarUrl: string;
  let isc: string;
  const src = ['--src-tls-verify=false', '--no-progress'];
  const dst = ['--dest-tls-verify=false', '--no-progress'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-archive-extras-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    const hub = new RegistryHub({ insecure: () => true });
    try {
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'ubi9/ubi' }), await buildImageSet('extras base', false), 'latest');
      ruby = await buildImageSet('extras ruby', false);
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'ubi8/ruby-31' }), ruby, 'latest');
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'ubi8/nodejs-18' }), await buildImageSet('extras nodejs', false), 'latest');
    } finally {
      await hub.close();
    }
    rel = await makeSyntheticRelease({ registry: up.hostPort, version: '4.18.5', count: 2 });
    const tarball = gzipSync(await buildTar([{ path: 'version', data: '1.0.0\n' }, { path: 'channels/stable-4.18.yaml', data: 'name: stable-4.18\nversions:\n- 4.18.5\n' }]));
    tarServer = createServer((req, res) => (req.url === '/graph-data.tgz' ? res.writeHead(200).end(tarball) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => tarServer.listen(0, '127.0.0.1', resolve));
    tarUrl = `http://127.0.0.1:${(tarServer.address() as AddressInfo).port}/graph-data.tgz`;
    await writeFile(join(work, 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: imagestreamtag-to-image\n  namespace: openshift-cluster-samples-operator\ndata:\n  ruby_3.1-ubi8: ${up.hostPort}/ubi8/ruby-31:latest\n  nodejs_18-ubi8: ${up.hostPort}/ubi8/nodejs-18:latest\n`);
    isc = join(work, 'isc.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  platform:\n    graph: true\n    release: ${rel.ref}\n  samples:\n    configMap: cm.yaml\n    imageStreams: [ruby]\n`);
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), new Promise((r) => tarServer?.close(r))]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('m2d packs the graph image; d2m pushes it and writes updateService.yaml and samples-operator-config.yaml for its destination', async () => {
    const A = join(work, 'A');
    const base = ['--graph-data-url', tarUrl, '--graph-base-image', `${up.hostPort}/ubi9/ubi:latest`];
    const m2d = await airlock(['mirror', '-c', isc, `file://${A}`, ...base, ...src], work);
    assert.equal(m2d.code, 0, m2d.stderr);
    const packed = /info: graph-data image packed as openshift\/graph-image:latest \((sha256:[0-9a-f]{64})\)/.exec(m2d.stderr);
    assert.ok(packed, m2d.stderr);
    const digest = packed[1]!;
    // the far side: no tarball service, no source registry needed for the graph
    const d2m = await airlock(['mirror', '-c', isc, '--from', `file://${A}`, `docker://${mirror.hostPort}/far`, ...dst], work);
    assert.equal(d2m.code, 0, d2m.stderr);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'far/openshift/graph-image', ['latest']), [digest]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'far/openshift/release-images', ['4.18.5-x86_64']), [rel.digest]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'far/ubi8/ruby-31', ['latest']), [ruby.top.digest]);
    const dir = join(A, 'working-dir/cluster-resources');
    const us = await readFile(join(dir, 'updateService.yaml'), 'utf8');
    const M = `${mirror.hostPort}/far`;
    assert.match(us, /^apiVersion: updateservice\.operator\.openshift\.io\/v1\nkind: UpdateService\n/);
    assert.ok(us.includes(`  name: update-service-oc-mirror\n  namespace: openshift-update-service\nspec:\n  graphDataImage: ${M}/openshift/graph-image@${digest}\n  releases: ${M}/openshift/release-images\n  replicas: 2\n`), us);
    const samples = await readFile(join(dir, 'samples-operator-config.yaml'), 'utf8');
    assert.match(samples, new RegExp(`samplesRegistry: "?${M.replace(/[.]/g, '\\.')}"?\\n`));
    assert.match(samples, /skippedImagestreams:\n\s+- "?nodejs"?\n/);
    assert.doesNotMatch(samples, /- "?ruby/);
    assert.match(d2m.stderr, /info: samples: skippedImagestreams nodejs/);
    // the graph image stays out of the mirror sets
    assert.ok(!(await readFile(join(dir, 'idms-oc-mirror.yaml'), 'utf8')).includes('graph-image'));
  });
});
