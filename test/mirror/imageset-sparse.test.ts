/**
 * Sparse platforms and renamed targets of an ImageSetConfiguration, end to
 * end on loopback (`airlock mirror --workspace … docker://…`):
 * - `additionalImages[].platforms`: the manifest list arrives byte for byte
 *   (digest unchanged) with only the chosen child, into an airlock serve
 *   configured with sparse repositories;
 * - a destination refusing sparse lists (distribution 2.8, and airlock
 *   outside its sparse globs) is detected before anything is copied;
 * - `targetRepo`/`targetTag` renames, with the IDMS/ITMS entries they need.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { peerGate } from '../interop/support/peers.js';
import { airlock, resolveTags } from '../release/support.js';

const gate = peerGate([dockerRegistryUnavailableReason()]);

describe('airlock mirror: sparse platforms and renamed targets', { skip: gate.skip }, () => {
  let work: string;
  let up: AirlockHandle;
  let sparse: AirlockHandle;
  let strict: AirlockHandle;
  let peer: DockerRegistryHandle;
  let multi: BuiltImageSet;
  let single: BuiltImageSet;
  let isc: string;
  const common = ['--src-tls-verify=false', '--dest-tls-verify=false', '--no-progress'];

  before(async () => {
    if (gate.failure) throw new Error(gate.failure);
    work = await mkdtemp(join(tmpdir(), 'airlock-sparse-'));
    [up, sparse, strict] = await Promise.all([startAirlock(), startAirlock({ config: { sparseRepos: ['mirror/**'] } }), startAirlock()]);
    peer = await startDockerRegistry();
    const hub = new RegistryHub({ insecure: () => true });
    try {
      multi = await buildImageSet('sparse multi', true);
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'team/multi' }), multi, 'v1');
      single = await buildImageSet('renamed single', false);
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'team/tools/app' }), single, 'v1');
    } finally {
      await hub.close();
    }
    isc = join(work, 'isc.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  additionalImages:
  - name: ${up.hostPort}/team/multi:v1
    platforms:
    - os: linux
      architecture: arm64
  - name: ${up.hostPort}/team/tools/app:v1
    targetRepo: renamed/app
    targetTag: v9
  - name: ${up.hostPort}/team/tools/app@${single.top.digest}
    targetRepo: pinned/app
`);
  });
  after(async () => {
    await Promise.all([up?.close(), sparse?.close(), strict?.close(), peer?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('copies the list byte for byte with only the chosen child; renames land where targetRepo/targetTag say', async () => {
    const ws = join(work, 'ws');
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${sparse.hostPort}/mirror`, ...common], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /info: 1 destination repository accepts sparse manifest lists/);
    const [amd64, arm64] = multi.manifests;
    assert.deepEqual(await resolveTags(sparse.hostPort, 'mirror/team/multi', ['v1', multi.top.digest, arm64!.digest, amd64!.digest]), [multi.top.digest, multi.top.digest, arm64!.digest, undefined]);
    const got = await fetch(`${sparse.url}/v2/mirror/team/multi/manifests/v1`, { headers: { accept: multi.top.mediaType } });
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), multi.top.bytes, 'the list is the source bytes');
    // the arm64 child's blobs are there, the amd64 child's are not
    const blobs = async (m: typeof arm64): Promise<number[]> => {
      const doc = JSON.parse(m!.bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
      return Promise.all([doc.config, ...doc.layers].map(async (d) => (await fetch(`${sparse.url}/v2/mirror/team/multi/blobs/${d.digest}`, { method: 'HEAD' })).status));
    };
    assert.deepEqual(await blobs(arm64), [200, 200]);
    assert.deepEqual(await blobs(amd64), [404, 404]);
    // renames
    assert.deepEqual(await resolveTags(sparse.hostPort, 'mirror/renamed/app', ['v9', 'v1']), [single.top.digest, undefined]);
    assert.deepEqual(await resolveTags(sparse.hostPort, 'mirror/pinned/app', [`sha256-${single.top.digest.slice(7)}`]), [single.top.digest]);
    assert.deepEqual(await resolveTags(sparse.hostPort, 'mirror/team/tools/app', ['v1']), [undefined], 'nothing under the source path');
    // IDMS: the renamed repositories (repository scope); the renamed tag is not an ITMS entry (an ITMS cannot rename tags)
    const dir = join(ws, 'working-dir/cluster-resources');
    const idms = await readFile(join(dir, 'idms-oc-mirror.yaml'), 'utf8');
    const itms = await readFile(join(dir, 'itms-oc-mirror.yaml'), 'utf8');
    const U = up.hostPort;
    const M = `${sparse.hostPort}/mirror`;
    const entries = (text: string): string[] =>
      parseAllDocuments(text).flatMap((d) => {
        const spec = (d.toJSON() as { spec: Record<string, { source: string; mirrors: string[] }[]> }).spec;
        return Object.values(spec).flat().flatMap((e) => e.mirrors.map((m) => `${e.source} -> ${m}`));
      }).sort();
    assert.deepEqual(entries(idms), [`${U}/team/tools/app -> ${M}/pinned/app`, `${U}/team/tools/app -> ${M}/renamed/app`].sort());
    assert.deepEqual(entries(itms), [`${U}/team -> ${M}/team`]);
  });

  it('a later run choosing one more platform adds its child to the sparse list already there', async () => {
    const more = join(work, 'more.yaml');
    await writeFile(more, `kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  additionalImages:\n  - name: ${up.hostPort}/team/multi:v1\n    platforms:\n    - {os: linux, architecture: arm64}\n    - {os: linux, architecture: amd64}\n`);
    const r = await airlock(['mirror', '-c', more, '--workspace', `file://${join(work, 'ws-more')}`, `docker://${sparse.hostPort}/mirror`, ...common], work);
    assert.equal(r.code, 0, r.stderr);
    const [amd64, arm64] = multi.manifests;
    assert.deepEqual(await resolveTags(sparse.hostPort, 'mirror/team/multi', ['v1', arm64!.digest, amd64!.digest]), [multi.top.digest, arm64!.digest, amd64!.digest], r.stderr + r.stdout);
  });

  it('a destination that refuses sparse lists is named before anything is copied (docker-registry 2.8, airlock outside --sparse-repo)', async () => {
    for (const [host, name] of [[peer.hostPort, 'docker-registry'], [strict.hostPort, 'airlock without --sparse-repo']] as const) {
      const ws = join(work, `refused-${name.replace(/\W+/g, '-')}`);
      const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${ws}`, `docker://${host}/mirror`, ...common], work);
      assert.equal(r.code, 1, `${name}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`^error: docker://${host.replace(/\./g, '\\.')}/mirror/team/multi: the registry refuses manifest lists with absent platforms \\(HTTP 400 MANIFEST_BLOB_UNKNOWN\\).*airlock serve --sparse-repo 'mirror/\\*\\*'.*Nothing was copied$`));
      assert.deepEqual(await resolveTags(host, 'mirror/team/multi', ['v1', multi.manifests[1]!.digest]), [undefined, undefined], `${name}: nothing copied`);
      assert.deepEqual(await resolveTags(host, 'mirror/renamed/app', ['v9']), [undefined], `${name}: not even the other images`);
    }
  });
});
