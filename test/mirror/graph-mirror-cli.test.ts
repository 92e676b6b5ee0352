/**
 * `airlock graph mirror DEST` (the update graph standalone, the same step as
 * `platform.graph: true`): the tarball served on loopback, the image built on
 * a loopback base and pushed as <dest>/openshift/graph-image:latest, and
 * updateService.yaml written into --resources-dir naming it by digest;
 * `-o json` for scripts; a dry run pushes and writes nothing; bad input is
 * one line with nothing written.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildTar } from '../../src/release/tar-build.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { airlock, resolveTags } from '../release/support.js';

describe('airlock graph mirror', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let base: BuiltImageSet;
  let tarServer: Server;
  let tarUrl: string;
  const common = ['--src-tls-verify=false', '--dest-tls-verify=false'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-graph-mirror-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    base = await buildImageSet('graph base', false);
    const hub = new RegistryHub({ insecure: () => true });
    try {
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'ubi9/ubi' }), base, 'latest');
    } finally {
      await hub.close();
    }
    const tarball = gzipSync(await buildTar([{ path: 'version', data: '1.0.0\n' }, { path: 'channels/stable-4.18.yaml', data: 'name: stable-4.18\nversions:\n- 4.18.5\n' }]));
    tarServer = createServer((req, res) => (req.url === '/graph-data.tgz' ? res.writeHead(200).end(tarball) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => tarServer.listen(0, '127.0.0.1', resolve));
    tarUrl = `http://127.0.0.1:${(tarServer.address() as AddressInfo).port}/graph-data.tgz`;
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), new Promise((r) => tarServer?.close(r))]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pushes openshift/graph-image:latest on the base and writes updateService.yaml by digest', async () => {
    const res = join(work, 'res');
    const r = await airlock(['graph', 'mirror', `${mirror.hostPort}/ocp`, '--graph-data-url', tarUrl, '--graph-base-image', `${up.hostPort}/ubi9/ubi:latest`, '--resources-dir', res, ...common], work);
    assert.equal(r.code, 0, r.stderr);
    const [digest] = await resolveTags(mirror.hostPort, 'ocp/openshift/graph-image', ['latest']);
    assert.ok(digest, 'graph-image:latest exists');
    assert.match(r.stdout, new RegExp(`^${digest} ${mirror.hostPort}/ocp/openshift/graph-image:latest$`, 'm'));
    const manifest = (await (await fetch(`${mirror.url}/v2/ocp/openshift/graph-image/manifests/${digest}`, { headers: { accept: base.top.mediaType } })).json()) as { layers: unknown[] };
    assert.equal(manifest.layers.length, (JSON.parse(base.top.bytes.toString('utf8')) as { layers: unknown[] }).layers.length + 1, 'the base layers plus the graph data');
    const text = await readFile(join(res, 'updateService.yaml'), 'utf8');
    assert.match(text, /^apiVersion: updateservice\.operator\.openshift\.io\/v1\nkind: UpdateService\n/);
    assert.ok(text.includes(`  name: update-service-oc-mirror\n  namespace: openshift-update-service\nspec:\n  graphDataImage: ${mirror.hostPort}/ocp/openshift/graph-image@${digest}\n  releases: ${mirror.hostPort}/ocp/openshift/release-images\n  replicas: 2\n`), text);
    assert.match(r.stderr, /apply it with: oc apply -f /);
  });

  it('-o json: one document on stdout', async () => {
    const res = join(work, 'res-json');
    const r = await airlock(['graph', 'mirror', `${mirror.hostPort}/json`, '--graph-data-url', tarUrl, '--graph-base-image', `${up.hostPort}/ubi9/ubi:latest`, '--resources-dir', res, '-o', 'json', ...common], work);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { dryRun: boolean; image: string; digest: string; byDigest: string; resources: string[]; updateService: string };
    const [digest] = await resolveTags(mirror.hostPort, 'json/openshift/graph-image', ['latest']);
    assert.deepEqual([doc.dryRun, doc.image, doc.digest, doc.byDigest, doc.resources], [false, `${mirror.hostPort}/json/openshift/graph-image:latest`, digest, `${mirror.hostPort}/json/openshift/graph-image@${digest}`, [`${res}/updateService.yaml`]]);
    assert.equal(doc.updateService, await readFile(join(res, 'updateService.yaml'), 'utf8'));
  });

  it('--dry-run pushes and writes nothing and prints the resource', async () => {
    const res = join(work, 'res-dry');
    const r = await airlock(['graph', 'mirror', `${mirror.hostPort}/dry`, '--graph-data-url', tarUrl, '--graph-base-image', `${up.hostPort}/ubi9/ubi:latest`, '--resources-dir', res, '--dry-run', ...common], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`graphDataImage: ${mirror.hostPort}/dry/openshift/graph-image:latest`));
    assert.deepEqual(await resolveTags(mirror.hostPort, 'dry/openshift/graph-image', ['latest']), [undefined]);
    await assert.rejects(readdir(res), { code: 'ENOENT' });
  });

  it('an unreachable tarball or a file:// destination is one line; nothing written', async () => {
    const res = join(work, 'res-bad');
    const r = await airlock(['graph', 'mirror', `${mirror.hostPort}/bad`, '--graph-data-url', `${tarUrl}.missing`, '--graph-base-image', `${up.hostPort}/ubi9/ubi:latest`, '--resources-dir', res, ...common], work);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: graph-data image: graph data http:\/\/127\.0\.0\.1:\d+\/graph-data\.tgz\.missing: HTTP 404 \(set --graph-data-url to the graph-data tarball\); nothing was written to /m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    await assert.rejects(readdir(res), { code: 'ENOENT' });
    const f = await airlock(['graph', 'mirror', `file://${work}/x`], work);
    assert.equal(f.code, 2);
    assert.match(f.stderr, /^error: file:\/\/.*: the graph-data image is pushed to a registry/m);
  });

  it('--help has an example', async () => {
    const r = await airlock(['graph', 'mirror', '--help'], work);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Example:\n {2}airlock graph mirror /);
  });
});
