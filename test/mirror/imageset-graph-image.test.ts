/**
 * `platform.graph: true` end to end on loopback: the graph-data tarball is
 * served by the test (reached through UPDATE_URL_OVERRIDE's update service
 * and through --graph-data-url), the image is built on a loopback base and
 * pushed as <dest>/openshift/graph-image:latest; its last layer holds the
 * graph data under /var/lib/cincinnati-graph-data (root-owned, 0644), the
 * base layers are kept, the CMD copies the data for the update service;
 * updateService.yaml has oc-mirror v2's exact shape, and the release
 * images are in their own repository, apart from the components.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { graphDataUrl, GRAPH_DATA_URL } from '../../src/mirror/imageset/graph-data.js';
import { buildTar } from '../../src/release/tar-build.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { resolveTags } from '../release/support.js';

const GRAPH_FILES: Record<string, string> = {
  version: '1.0.0\n',
  'channels/stable-4.18.yaml': 'name: stable-4.18\nversions:\n- 4.18.5\n',
  'blocked-edges/4.18.1-bug.yaml': 'to: 4.18.1\nfrom: .*\n',
  'raw/metadata.json': '{"4.18.5":{}}\n',
};

async function tarEntries(blob: Buffer): Promise<{ name: string; type: string; mode: number; uid: number; gid: number; data: string }[]> {
  const out: { name: string; type: string; mode: number; uid: number; gid: number; data: string }[] = [];
  const ex = tarExtract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, s, next) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: unknown) => chunks.push(c as Buffer));
      s.on('end', () => {
        out.push({ name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, data: Buffer.concat(chunks).toString('utf8') });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([gunzipSync(blob)]).pipe(ex);
  await done;
  return out;
}

describe('airlock mirror: platform.graph builds the graph-data image and the UpdateService', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let rel: SyntheticRelease;
  let base: BuiltImageSet;
  let tarServer: Server;
  let tarBase: string;
  const served: string[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-graph-image-'));
    [up, mirror] = await Promise.all([startAirlock(), startAirlock()]);
    base = await buildImageSet('ubi base', false);
    const hub = new RegistryHub({ insecure: () => true });
    try {
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'ubi9/ubi' }), base, 'latest');
    } finally {
      await hub.close();
    }
    rel = await makeSyntheticRelease({ registry: up.hostPort, version: '4.18.5', count: 3 });
    const tarball = gzipSync(await buildTar(Object.entries(GRAPH_FILES).map(([path, data]) => ({ path: `./${path}`, data, uid: 1000, gid: 1000, mode: 0o600 }))));
    tarServer = createServer((req, res) => {
      served.push(req.url ?? '');
      if (req.url === '/api/upgrades_info/graph-data') res.writeHead(200, { 'content-type': 'application/gzip' }).end(tarball);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => tarServer.listen(0, '127.0.0.1', resolve));
    tarBase = `http://127.0.0.1:${(tarServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), new Promise((r) => tarServer?.close(r))]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('derives the tarball URL from --graph-data-url, else UPDATE_URL_OVERRIDE, else api.openshift.com', () => {
    assert.equal(graphDataUrl('http://127.0.0.1:1/x.tgz', { UPDATE_URL_OVERRIDE: 'http://h/graph' }), 'http://127.0.0.1:1/x.tgz');
    assert.equal(graphDataUrl(undefined, { UPDATE_URL_OVERRIDE: 'http://osus.local/api/upgrades_info/v1/graph' }), 'http://osus.local/api/upgrades_info/graph-data');
    assert.equal(graphDataUrl(undefined, { UPDATE_URL_OVERRIDE: 'http://osus.local/graph/' }), 'http://osus.local/graph-data');
    assert.equal(graphDataUrl(undefined, {}), GRAPH_DATA_URL);
  });

  it('pushes openshift/graph-image:latest with the graph data layer on the base, and writes the exact UpdateService', async () => {
    const isc = join(work, 'isc.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  platform:\n    graph: true\n    release: ${rel.ref}\n`);
    const ws = join(work, 'ws');
    const r = await runAirlockCli(
      ['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/ocp`, '--graph-base-image', `${up.hostPort}/ubi9/ubi:latest`, '--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'],
      { env: { HOME: work, UPDATE_URL_OVERRIDE: `${tarBase}/api/upgrades_info/v1/graph` }, timeoutMs: 240_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(served, ['/api/upgrades_info/graph-data']);
    const [digest] = await resolveTags(mirror.hostPort, 'ocp/openshift/graph-image', ['latest']);
    assert.ok(digest, 'graph-image:latest exists');
    const get = async (path: string, accept?: string): Promise<Buffer> => {
      const res = await fetch(`${mirror.url}/v2/ocp/openshift/graph-image/${path}`, accept ? { headers: { accept } } : {});
      assert.equal(res.status, 200, path);
      return Buffer.from(await res.arrayBuffer());
    };
    const manifest = JSON.parse((await get(`manifests/${digest}`, base.top.mediaType)).toString('utf8')) as { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
    const baseDoc = JSON.parse(base.top.bytes.toString('utf8')) as { layers: unknown[] };
    assert.equal(manifest.layers.length, baseDoc.layers.length + 1);
    assert.deepEqual(manifest.layers.slice(0, -1), baseDoc.layers, 'the base layers are kept as they are');
    const entries = await tarEntries(await get(`blobs/${manifest.layers.at(-1)!.digest}`));
    const files = entries.filter((e) => e.type === 'file');
    assert.deepEqual(
      files.map((f) => [f.name, f.data, f.mode, f.uid, f.gid]),
      Object.entries(GRAPH_FILES).sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, d]) => [`var/lib/cincinnati-graph-data/${p}`, d, 0o644, 0, 0]),
    );
    assert.ok(entries.filter((e) => e.type === 'directory').every((d) => d.mode === 0o755 && d.uid === 0));
    const config = JSON.parse((await get(`blobs/${manifest.config.digest}`)).toString('utf8')) as { config: { Cmd: string[]; Labels: Record<string, string> }; rootfs: { diff_ids: string[] } };
    assert.deepEqual(config.config.Cmd, ['/bin/bash', '-c', 'exec cp -rp /var/lib/cincinnati-graph-data/* /var/lib/cincinnati/graph-data']);
    assert.equal(config.config.Labels.fixture, 'ubi base', 'the base config is kept');
    assert.equal(config.rootfs.diff_ids.length, manifest.layers.length);
    // UpdateService, exactly
    const dir = join(ws, 'working-dir/cluster-resources');
    const text = await readFile(join(dir, 'updateService.yaml'), 'utf8');
    const createdAt = /createdAt: "([^"]+)"/.exec(text)![1]!;
    const M = `${mirror.hostPort}/ocp`;
    assert.equal(
      text,
      `apiVersion: updateservice.operator.openshift.io/v1\nkind: UpdateService\nmetadata:\n  annotations:\n    airlock_version: 0.1.0\n    createdAt: "${createdAt}"\n    createdBy: airlock\n` +
        `  name: update-service-oc-mirror\n  namespace: openshift-update-service\nspec:\n  graphDataImage: ${M}/openshift/graph-image@${digest}\n  releases: ${M}/openshift/release-images\n  replicas: 2\n`,
    );
    // the releases repository holds the release image only; the components are in their own
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp/openshift/release-images', ['4.18.5-x86_64', ...rel.components.map((c) => c.digest)]), [rel.digest, ...rel.components.map(() => undefined)]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'ocp/openshift/release', rel.components.map((c) => `4.18.5-x86_64-${c.name}`)), rel.components.map((c) => c.digest));
    // the graph image is not in the mirror sets (the UpdateService covers it)
    assert.ok(!(await readFile(join(dir, 'idms-oc-mirror.yaml'), 'utf8')).includes('graph-image'));
  });

  it('an unreachable tarball is one release error; the rest is mirrored', async () => {
    const isc = join(work, 'isc-bad.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  platform:\n    graph: true\n    release: ${rel.ref}\n`);
    const ws = join(work, 'ws-bad');
    const r = await runAirlockCli(
      ['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${mirror.hostPort}/bad`, '--graph-data-url', `${tarBase}/missing.tgz`, '--graph-base-image', `${up.hostPort}/ubi9/ubi:latest`, '--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'],
      { env: { HOME: work }, timeoutMs: 240_000 },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: graph-data image: graph data http:\/\/127\.0\.0\.1:\d+\/missing\.tgz: HTTP 404 \(set --graph-data-url to the graph-data tarball\)$/m);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'bad/openshift/graph-image', ['latest']), [undefined]);
    assert.deepEqual(await resolveTags(mirror.hostPort, 'bad/openshift/release-images', ['4.18.5-x86_64']), [rel.digest]);
  });
});
