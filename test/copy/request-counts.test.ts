/**
 * What `airlock image mirror` asks a destination, counted by a forwarding
 * proxy (support/gate-proxy.ts) in front of a real airlock serve and a real
 * docker-registry:
 * - a no-op re-run sends exactly one request per image (a HEAD of its tag)
 *   and nothing else: no `/v2/` ping (the first request stands in for it,
 *   RegistryHttp.sendFirst), no blob request;
 * - a tag that moved to a manifest the destination already holds by digest
 *   costs a HEAD of the tag, a HEAD of the digest and the tag's PUT: no blob
 *   is checked, because the manifest being there proves its blobs are;
 * - the source's referrers and tags are asked once per image, whatever the
 *   number of manifests in a list;
 * - into a fresh destination, small blobs stop being HEADed once
 *   ABSENT_HEADS_BEFORE_SKIPPING HEADs said "absent"; a destination that
 *   holds the blobs (manifests gone) keeps being asked and nothing is sent again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { runAirlockCli } from '../helpers/airlock-process.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { peerGate } from '../interop/support/peers.js';
import { createCopyContext } from '../../src/copy/copy-context.js';
import { copyImage } from '../../src/copy/copy-image.js';
import { OciLayout } from '../../src/transports/oci-layout/layout.js';
import { OciLayoutSource } from '../../src/transports/oci-layout/layout-image.js';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { ABSENT_HEADS_BEFORE_SKIPPING } from '../../src/copy/blob-ledger.js';
import { startGateProxy, type GateProxy } from './support/gate-proxy.js';
import { writeTinyImages } from './support/tiny-images.js';

const gate = peerGate([dockerRegistryUnavailableReason()]);

type Entry = GateProxy['log'][number];
const kind = (e: Entry): string => `${e.method} ${/\/(manifests|blobs|tags|referrers)\//.exec(e.path)?.[1] ?? e.path}`;
const kinds = (log: readonly Entry[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const e of log) out[kind(e)] = (out[kind(e)] ?? 0) + 1;
  return out;
};

describe('image mirror: requests per image', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let images: FixtureImage[];
  let src: AirlockHandle;
  let srcGate: GateProxy;
  let airlockDst: AirlockHandle;
  let docker: DockerRegistryHandle;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-request-counts-'));
    fx = await makeFixtures(join(work, 'fixtures'), { smallCount: 3 });
    images = fx.images;
    [src, airlockDst, docker] = await Promise.all([startAirlock(), startAirlock(), startDockerRegistry()]);
    srcGate = await startGateProxy({ upstream: src.url });
    const hub = new RegistryHub({ insecure: () => true });
    const layout = new OciLayoutSource(await OciLayout.open(fx.layout, { create: false }));
    const ctx = createCopyContext();
    for (const i of images) await copyImage(ctx, layout, i.ref, [{ dst: hub.destination({ registry: src.hostPort, repository: i.repo }), tag: i.tag ?? undefined }]);
    await hub.close();
  });

  after(async () => {
    await srcGate?.close();
    await Promise.all([src?.close(), airlockDst?.close(), docker?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const mirror = async (lines: string[], extra: string[] = []): Promise<string> => {
    const file = join(work, `map-${Math.random().toString(36).slice(2)}.txt`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const r = await runAirlockCli(['image', 'mirror', '--insecure', '--no-progress', '-f', file, ...extra], { cwd: work, env: { HOME: work }, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    return r.stderr;
  };

  it('a fresh docker-registry: small blobs are not HEADed once enough HEADs said absent; every image arrives whole', async () => {
    const tiny = await writeTinyImages(join(work, 'tiny'), 30, { layerSize: 4000, seed: 'heads' });
    const d2 = await startDockerRegistry();
    const dst = await startGateProxy({ upstream: d2.url });
    try {
      await mirror(tiny.map((t) => `oci:${join(work, 'tiny')}:${t.ref}=${dst.hostPort}/tiny/${t.ref}:v1`));
      const heads = dst.log.filter((e) => e.method === 'HEAD' && e.path.includes('/blobs/')).length;
      const unique = new Set(tiny.flatMap((t) => t.blobs)).size;
      assert.ok(heads <= ABSENT_HEADS_BEFORE_SKIPPING, `${heads} blob HEADs for ${unique} unique blobs`);
      // distribution 2.8 answers a monolithic POST with 202 (a session, the body ignored): one upload
      // asks while that is unknown, the others wait for its answer and then go POST + PUT.
      const monolithic = dst.log.filter((e) => e.method === 'POST' && e.path.includes('digest=')).length;
      assert.equal(monolithic, 1, `${monolithic} monolithic POSTs for ${unique} unique blobs`);
      assert.equal(dst.log.filter((e) => e.method === 'PUT' && e.path.includes('/blobs/uploads/')).length, unique);
      for (const t of tiny) {
        const h = await fetch(`${d2.url}/v2/tiny/${t.ref}/manifests/v1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
        assert.equal(h.headers.get('docker-content-digest'), t.digest);
        for (const b of t.blobs) assert.equal((await fetch(`${d2.url}/v2/tiny/${t.ref}/blobs/${b}`, { method: 'HEAD' })).status, 200, `${t.ref} ${b}`);
      }
      // The blobs are there, the manifests are not (deleted): HEADs find them, nothing is uploaded again.
      for (const t of tiny) assert.equal((await fetch(`${d2.url}/v2/tiny/${t.ref}/manifests/${t.digest}`, { method: 'DELETE' })).status, 202);
      dst.log.length = 0;
      const err = await mirror(tiny.map((t) => `oci:${join(work, 'tiny')}:${t.ref}=${dst.hostPort}/tiny/${t.ref}:v1`));
      assert.equal(dst.log.filter((e) => e.method === 'PUT' && e.path.includes('/blobs/')).length, 0, err);
      assert.match(err, /blobs: 0 transferred/);
    } finally {
      await dst.close();
      await d2.close();
    }
  });

  it('a fresh airlock serve: each small blob is one monolithic POST ?digest= (201), no PUT, no PATCH; every blob reads back', async () => {
    const tiny = await writeTinyImages(join(work, 'tiny-mono'), 12, { layerSize: 4000, seed: 'mono' });
    const d2 = await startAirlock();
    const dst = await startGateProxy({ upstream: d2.url });
    try {
      await mirror(tiny.map((t) => `oci:${join(work, 'tiny-mono')}:${t.ref}=${dst.hostPort}/mono/${t.ref}:v1`));
      const unique = new Set(tiny.flatMap((t) => t.blobs)).size;
      const posts = dst.log.filter((e) => e.method === 'POST' && e.path.includes('/blobs/uploads/'));
      // Each blob is uploaded once, in one request; the base layer they share is mounted into the other repositories.
      const monolithic = posts.filter((e) => e.path.includes('digest='));
      const mounts = posts.filter((e) => e.path.includes('mount='));
      assert.equal(monolithic.length, unique, JSON.stringify(kinds(dst.log)));
      assert.equal(monolithic.length + mounts.length, posts.length);
      assert.ok(posts.every((e) => e.status === 201), JSON.stringify(posts.filter((e) => e.status !== 201).slice(0, 3)));
      assert.equal(dst.log.filter((e) => (e.method === 'PUT' || e.method === 'PATCH') && e.path.includes('/blobs/')).length, 0);
      for (const t of tiny) {
        const h = await fetch(`${d2.url}/v2/mono/${t.ref}/manifests/v1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
        assert.equal(h.headers.get('docker-content-digest'), t.digest);
        for (const b of t.blobs) {
          const r = await fetch(`${d2.url}/v2/mono/${t.ref}/blobs/${b}`);
          assert.equal(`sha256:${createHash('sha256').update(Buffer.from(await r.arrayBuffer())).digest('hex')}`, b, `${t.ref} ${b} reads back`);
        }
      }
    } finally {
      await dst.close();
      await d2.close();
    }
  });

  for (const scheme of ['basic', 'bearer'] as const) {
    it(`a registry that wants credentials (${scheme}): the first request meets the 401 alone, the others wait for it (no ping, one 401 per run)`, async () => {
      const password = 'pw-request-counts';
      const dst = await startGateProxy({ upstream: docker.url, auth: scheme, users: { mirror: password } });
      try {
        const authFile = join(work, `auth-request-counts-${scheme}.json`);
        const basic = Buffer.from(`mirror:${password}`).toString('base64');
        await writeFile(authFile, JSON.stringify({ auths: { [dst.hostPort]: { auth: basic } } }), { mode: 0o600 });
        const lines = images.map((i) => `${srcGate.hostPort}/${i.repo}${i.tag === null ? `@${i.digest}` : `:${i.tag}`}=${dst.hostPort}/authed-${scheme}/${i.repo}${i.tag === null ? '' : `:${i.tag}`}`);
        await mirror(lines, ['-a', authFile]);
        assert.equal(dst.log.filter((e) => e.status === 401).length, 1, JSON.stringify(dst.log.filter((e) => e.status === 401)));
        dst.log.length = 0;
        await mirror(lines, ['-a', authFile]);
        const registryRequests = dst.log.filter((e) => e.path.startsWith('/v2/'));
        assert.equal(registryRequests.filter((e) => e.status === 401).length, 1, JSON.stringify(dst.log.slice(0, 5)));
        // The 401 was a HEAD of a tag, sent again with credentials: images + 1 registry requests, no ping.
        assert.deepEqual(kinds(registryRequests), { 'HEAD manifests': images.length + 1 });
      } finally {
        await dst.close();
      }
    });
  }

  for (const which of ['airlock serve', 'docker-registry'] as const) {
    it(`${which}: a no-op re-run sends one HEAD per image and nothing else: no ping, no blob request`, async () => {
      const upstream = which === 'airlock serve' ? airlockDst.url : docker.url;
      const dst = await startGateProxy({ upstream });
      try {
        const prefix = which === 'airlock serve' ? 'noop-a' : 'noop-d';
        const lines = images.map((i) => `${srcGate.hostPort}/${i.repo}${i.tag === null ? `@${i.digest}` : `:${i.tag}`}=${dst.hostPort}/${prefix}/${i.repo}${i.tag === null ? '' : `:${i.tag}`}`);
        await mirror(lines);
        assert.ok(dst.log.some((e) => e.method === 'PUT'), 'the first run wrote something');
        dst.log.length = 0;
        srcGate.log.length = 0;
        await mirror(lines);
        // Every request the destination saw, the /v2/ ping included (there is none).
        assert.deepEqual(kinds(dst.log), { 'HEAD manifests': images.length });
        // The source: one manifest GET and one tag listing per image (each image has its own repository
        // here) and, airlock having the referrers API, one referrers request per manifest of the image.
        const manifests = images.reduce((n, i) => n + 1 + (i.children?.length ?? 0), 0);
        assert.deepEqual(kinds(srcGate.log), { 'GET manifests': images.length, 'GET tags': images.length, 'GET referrers': manifests });
      } finally {
        await dst.close();
      }
    });

    it(`${which}: a moved tag whose manifest is there by digest is re-pointed without a blob check`, async () => {
      const upstream = which === 'airlock serve' ? airlockDst.url : docker.url;
      const dst = await startGateProxy({ upstream });
      try {
        const repo = which === 'airlock serve' ? 'moved-a/multi' : 'moved-d/multi';
        const multi = images.find((i) => i.ref === 'multi-v1')!;
        const small = images.find((i) => i.ref === 'small-00-v1')!;
        // The destination holds the list (by tag v1) and its tag v2 names another image.
        await mirror([`${srcGate.hostPort}/${multi.repo}:v1=${dst.hostPort}/${repo}:v1`, `${srcGate.hostPort}/${small.repo}:v1=${dst.hostPort}/${repo}:v2`]);
        dst.log.length = 0;
        await mirror([`${srcGate.hostPort}/${multi.repo}:v1=${dst.hostPort}/${repo}:v2`]);
        const seen = dst.log.filter((e) => e.path !== '/v2/').map((e) => `${e.method} ${e.path.replace(`/v2/${repo}/`, '')}`);
        assert.deepEqual(seen, [`HEAD manifests/v2`, `HEAD manifests/${multi.digest}`, `PUT manifests/v2`]);
        const head = await fetch(`${upstream}/v2/${repo}/manifests/v2`, { method: 'HEAD', headers: { accept: multi.mediaType } });
        assert.equal(head.headers.get('docker-content-digest'), multi.digest);
      } finally {
        await dst.close();
      }
    });
  }
});
