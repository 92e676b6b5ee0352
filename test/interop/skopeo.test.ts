/**
 * skopeo 1.9 (containers/image 5.23) against the registry under test (airlock
 * by default; AIRLOCK_INTEROP_TARGET=docker-registry checks the test itself).
 * Every fixture is pushed with `copy --all`, checked over the API, read back
 * with `inspect --raw` and copied out to disk, and mirrored registry <->
 * docker-registry, with manifest digests preserved at every step.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureImage, type FixtureSet } from '../fixtures/make-fixtures.js';
import { skopeoAvailable, skopeoOk } from '../helpers/skopeo.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { checkImageTree, headManifest, mapLimit, sha256 } from './support/registry-api.js';
import { checkDirImage, checkOciLayoutRef } from './support/disk-check.js';
import { peerGate, startTarget, type TargetRegistry } from './support/peers.js';

const gate = peerGate([skopeoAvailable() ? undefined : 'skopeo (apt-get install skopeo)', dockerRegistryUnavailableReason()]);
const PARALLEL = 4;
const TLS = ['--src-tls-verify=false', '--dest-tls-verify=false'];

/** Repository of `img` with its `fixtures/` prefix swapped for `ns/`. */
const repoIn = (ns: string, img: FixtureImage): string => img.repo.replace(/^fixtures\//, `${ns}/`);
/** HOST/repo:tag, or HOST/repo@digest for the tagless image. */
const refIn = (host: string, ns: string, img: FixtureImage): string => `${host}/${repoIn(ns, img)}${img.tag ? `:${img.tag}` : `@${img.digest}`}`;
const isDocker = (img: FixtureImage): boolean => img.mediaType.includes('docker');

/** ref -> digest the registry reports (HEAD by tag, or by digest for tagless). */
async function reportedDigests(url: string, ns: string, images: FixtureImage[]): Promise<Record<string, string>> {
  const got: Record<string, string> = {};
  await mapLimit(images, PARALLEL, async (img) => {
    const h = await headManifest(url, repoIn(ns, img), img.tag ?? img.digest);
    got[img.ref] = h.status === 200 ? String(h.digest) : `HTTP ${h.status}`;
  });
  return got;
}

const expectedDigests = (images: FixtureImage[]): Record<string, string> => Object.fromEntries(images.map((i) => [i.ref, i.digest]));

/** Copies every image, collecting failures instead of stopping at the first. */
async function copyAll(images: FixtureImage[], src: (i: FixtureImage) => string, dest: (i: FixtureImage) => string): Promise<string[]> {
  const failures: string[] = [];
  await mapLimit(images, PARALLEL, async (img) => {
    try {
      await skopeoOk(['copy', '--all', '-q', ...TLS, src(img), dest(img)]);
    } catch (e) {
      failures.push(`${img.ref}: ${(e as Error).message}`);
    }
  });
  return failures;
}

describe('skopeo interop', { skip: gate.skip }, () => {
  if (gate.failure !== undefined) {
    it('has the peer tools it needs', () => assert.fail(gate.failure));
    return;
  }
  let work: string;
  let fx: FixtureSet;
  let target: TargetRegistry;
  let peer: DockerRegistryHandle;
  let T: string; // target host:port
  let P: string; // peer docker-registry host:port

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-skopeo-it-'));
    fx = await makeFixtures(join(work, 'fixtures'));
    target = await startTarget();
    peer = await startDockerRegistry();
    T = target.hostPort;
    P = peer.hostPort;
  });

  after(async () => {
    await target?.close();
    await peer?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('copy --all pushes every fixture (tagless by digest) and HEAD reports the fixture digest', async () => {
    const failures = await copyAll(fx.images, (i) => i.source, (i) => `docker://${refIn(T, 'fixtures', i)}`);
    assert.deepEqual(failures, []);
    assert.deepEqual(await reportedDigests(target.url, 'fixtures', fx.images), expectedDigests(fx.images));
  });

  it('serves every pushed manifest and blob intact (manifests hash to their digest, blob sizes match)', async () => {
    const problems = (await mapLimit(fx.images, PARALLEL, (i) => checkImageTree(target.url, repoIn('fixtures', i), i.digest))).flat();
    assert.deepEqual(problems, []);
  });

  it('inspect --raw returns bytes that hash to the digest, for every image and every index child', async () => {
    const refs: { ref: string; want: string }[] = [];
    for (const img of fx.images) {
      refs.push({ ref: refIn(T, 'fixtures', img), want: img.digest });
      for (const c of img.children ?? []) refs.push({ ref: `${T}/${img.repo}@${c.digest}`, want: c.digest });
    }
    const got = await mapLimit(refs, PARALLEL, async (r) => {
      const res = await skopeoOk(['inspect', '--raw', '--tls-verify=false', `docker://${r.ref}`]);
      return [r.ref, sha256(res.stdoutBytes)] as const;
    });
    assert.deepEqual(Object.fromEntries(got), Object.fromEntries(refs.map((r) => [r.ref, r.want])));
  });

  it('list-tags shows the pushed tag', async () => {
    const res = await skopeoOk(['list-tags', '--tls-verify=false', `docker://${T}/fixtures/big`]);
    const body = JSON.parse(res.stdout) as { Repository: string; Tags: string[] };
    assert.deepEqual(body.Tags, ['v1']);
  });

  it('copy --all back out to disk keeps every digest (OCI layout; dir: for Docker-format images)', async () => {
    const layout = join(work, 'out-oci');
    const dirOut = (i: FixtureImage): string => join(work, 'out-dir', i.ref);
    // One shared OCI layout: concurrent writers would race on index.json, so one at a time.
    const oci = fx.images.filter((i) => !isDocker(i));
    const failures: string[] = [];
    for (const img of oci) {
      try {
        await skopeoOk(['copy', '--all', '-q', ...TLS, `docker://${refIn(T, 'fixtures', img)}`, `oci:${layout}:${img.ref}`]);
      } catch (e) {
        failures.push(`${img.ref}: ${(e as Error).message}`);
      }
    }
    const docker = fx.images.filter(isDocker);
    failures.push(...(await copyAll(docker, (i) => `docker://${refIn(T, 'fixtures', i)}`, (i) => `dir:${dirOut(i)}`)));
    assert.deepEqual(failures, []);
    const problems: string[] = [];
    for (const img of oci) problems.push(...(await checkOciLayoutRef(layout, img.ref, img.digest)).map((p) => `${img.ref}: ${p}`));
    for (const img of docker) problems.push(...(await checkDirImage(dirOut(img), img.digest)).map((p) => `${img.ref}: ${p}`));
    assert.deepEqual(problems, []);
  });

  it('registry -> docker-registry (copy --all) preserves every digest', async () => {
    const failures = await copyAll(fx.images, (i) => `docker://${refIn(T, 'fixtures', i)}`, (i) => `docker://${refIn(P, 'from-target', i)}`);
    assert.deepEqual(failures, []);
    assert.deepEqual(await reportedDigests(peer.url, 'from-target', fx.images), expectedDigests(fx.images));
    const problems = (await mapLimit(fx.images, PARALLEL, (i) => checkImageTree(peer.url, repoIn('from-target', i), i.digest))).flat();
    assert.deepEqual(problems, []);
  });

  it('docker-registry -> registry (copy --all) preserves every digest', async () => {
    // The peer is seeded from the fixture layout, not from the registry under test.
    const seed = await copyAll(fx.images, (i) => i.source, (i) => `docker://${refIn(P, 'seed', i)}`);
    assert.deepEqual(seed, []);
    const failures = await copyAll(fx.images, (i) => `docker://${refIn(P, 'seed', i)}`, (i) => `docker://${refIn(T, 'mirror', i)}`);
    assert.deepEqual(failures, []);
    assert.deepEqual(await reportedDigests(target.url, 'mirror', fx.images), expectedDigests(fx.images));
    const problems = (await mapLimit(fx.images, PARALLEL, (i) => checkImageTree(target.url, repoIn('mirror', i), i.digest))).flat();
    assert.deepEqual(problems, []);
  });

  it('sync --src docker mirrors one repository in both directions', async () => {
    const multi = fx.images.find((i) => i.ref === 'multi-v1');
    const dl = fx.images.find((i) => i.ref === 'dockerlist-v1');
    assert.ok(multi && dl);
    // peer -> target: every tag of seed/multi lands in synced/multi
    await skopeoOk(['sync', '--all', '--src', 'docker', '--dest', 'docker', ...TLS, `${P}/seed/multi`, `${T}/synced`]);
    const h1 = await headManifest(target.url, 'synced/multi', 'v1');
    assert.equal(h1.status, 200);
    assert.equal(h1.digest, multi.digest);
    assert.deepEqual(await checkImageTree(target.url, 'synced/multi', multi.digest), []);
    // target -> disk (needs the target's tags/list): one dir: per tag
    const out = join(work, 'sync-dir');
    await skopeoOk(['sync', '--all', '--src', 'docker', '--dest', 'dir', '--src-tls-verify=false', `${T}/fixtures/dockerlist`, out]);
    assert.deepEqual(await checkDirImage(join(out, 'dockerlist:v1'), dl.digest), []);
    // target -> peer
    await skopeoOk(['sync', '--all', '--src', 'docker', '--dest', 'docker', ...TLS, `${T}/fixtures/multi`, `${P}/synced-from-target`]);
    const h2 = await headManifest(peer.url, 'synced-from-target/multi', 'v1');
    assert.equal(h2.digest, multi.digest);
  });
});
