/**
 * `airlock mirror delete` (oc-mirror v2's two phases) on loopback: a mirror
 * run (a release by channel from a loopback graph, additional images) into
 * an airlock registry, then phase 1 writes working-dir/delete/
 * delete-images.yaml in the exact DeleteImageList shape and deletes nothing,
 * phase 2 --dry-run deletes nothing, phase 2 deletes the manifests by
 * digest; `airlock gc` on the registry's data then reclaims the blobs no
 * image left uses, while the images not in the delete set (one sharing
 * every blob with a deleted one) still pull and verify byte for byte. A
 * registry with deletes disabled (Debian's docker-registry) refuses each
 * deletion, and each refusal is reported. Bad input gets one line each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { parseDescriptor } from '../../src/oci/descriptor.js';
import type { Digest } from '../../src/oci/digest.js';
import { CacheStore } from '../../src/mirror/cache/cache-store.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { graphOf, startGraphServer, type GraphServer } from '../helpers/graph-server.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { airlock, resolveTags } from '../release/support.js';

/** Pulls host/repo:ref: the manifest (digest checked by the client), every child and every blob hashed. Returns the blob digests. */
async function pullAndVerify(hub: RegistryHub, host: string, repo: string, ref: string): Promise<string[]> {
  const c = hub.client(host, 'source');
  const m = await c.manifestGet(repo, ref);
  const doc = JSON.parse(m.bytes.toString('utf8')) as { manifests?: unknown[]; config?: unknown; layers?: unknown[] };
  const out: string[] = [];
  for (const k of doc.manifests ?? []) out.push(...(await pullAndVerify(hub, host, repo, parseDescriptor(k, 'manifests[]', 'lenient').digest)));
  for (const d of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])].map((x) => parseDescriptor(x, 'descriptor', 'lenient'))) {
    const h = createHash('sha256');
    let size = 0;
    for await (const chunk of await c.blobGet(repo, d.digest)) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    assert.equal(`sha256:${h.digest('hex')}`, d.digest, `${repo} blob ${d.digest}`);
    assert.equal(size, d.size);
    out.push(d.digest);
  }
  return out;
}

const blobDigests = (s: BuiltImageSet): string[] => s.blobs.map((b) => `sha256:${createHash('sha256').update(b).digest('hex')}`);

describe('airlock mirror delete: generate, then delete by digest; the registry GC reclaims the blobs', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let graph: GraphServer;
  let rel: SyntheticRelease;
  let gone: BuiltImageSet;
  let keep: BuiltImageSet;
  let isc: string;
  let disc: string;
  let list: string;
  let sigTag: string;
  const prefix = 'ocp';
  const mirrorData = (): string => mirror.dataDir;
  /** Manifests the delete set names: the additional image, the release image and each component. */
  const n = (): number => new Set(rel.components.map((c) => c.digest)).size + 2;
  const common = (): string[] => ['--src-tls-verify=false', '--dest-tls-verify=false', '--graph-url', graph.url];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-imageset-delete-'));
    up = await startAirlock();
    mirror = await startAirlock({ dataDir: join(work, 'mirror-data'), config: { gc: { enabled: false } } });
    graph = await startGraphServer();
    rel = await makeSyntheticRelease({ registry: up.hostPort, version: '4.18.2', count: 4 });
    graph.set('stable-4.18', 'amd64', graphOf(['4.18.2'], [], () => `${up.hostPort}/${rel.releaseRepo}@${rel.digest}`));
    const hub = new RegistryHub({ insecure: () => true });
    try {
      gone = await buildImageSet('delete me', false);
      keep = await buildImageSet('keep me', false);
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/tools/gone' }), gone, 'v1');
      sigTag = `sha256-${gone.top.digest.slice(7)}.sig`;
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/tools/gone' }), await buildImageSet('delete me signature', false), sigTag);
      // The same image in a repository that stays: its blobs must survive the delete and the GC.
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/tools/gone-copy' }), gone, 'v1');
      await pushImageSet(hub.destination({ registry: up.hostPort, repository: 'extra/tools/keep' }), keep, 'v1');
    } finally {
      await hub.close();
    }
    isc = join(work, 'isc.yaml');
    await writeFile(isc, `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  platform:
    channels:
    - name: stable-4.18
  additionalImages:
  - name: ${up.hostPort}/extra/tools/gone:v1
  - name: ${up.hostPort}/extra/tools/gone-copy:v1
  - name: ${up.hostPort}/extra/tools/keep:v1
`);
    disc = join(work, 'delete-isc.yaml');
    await writeFile(disc, `kind: DeleteImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
delete:
  platform:
    channels:
    - name: stable-4.18
      minVersion: 4.18.2
      maxVersion: 4.18.2
  additionalImages:
  - name: ${up.hostPort}/extra/tools/gone:v1
`);
    const r = await airlock(['mirror', '-c', isc, '--workspace', `file://${work}/ws`, `docker://${mirror.hostPort}/${prefix}`, '--no-progress', ...common()], work);
    assert.equal(r.code, 0, r.stderr);
    list = join(work, 'ws/working-dir/delete/delete-images.yaml');
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), graph?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('phase 1 writes delete-images.yaml (exact shape) and a copy of the config, and deletes nothing', async () => {
    const r = await airlock(['mirror', 'delete', '-c', disc, '--generate', '--workspace', `file://${work}/ws`, `docker://${mirror.hostPort}/${prefix}`, '--v2', ...common()], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`info: ${n()} manifests to delete listed in .*delete-images\\.yaml \\(nothing deleted yet\\)`));
    const text = await readFile(list, 'utf8');
    const doc = parseYaml(text) as { kind: string; apiVersion: string; items: Record<string, string>[] };
    assert.deepEqual(Object.keys(doc), ['kind', 'apiVersion', 'items']);
    assert.equal(doc.kind, 'DeleteImageList');
    assert.equal(doc.apiVersion, 'mirror.openshift.io/v2alpha1');
    const M = `${mirror.hostPort}/${prefix}`;
    const want = [
      { imageName: `${up.hostPort}/extra/tools/gone:v1`, imageReference: `docker://${M}/extra/tools/gone@${gone.top.digest}`, type: 'generic' },
      { imageName: `${up.hostPort}/${rel.releaseRepo}@${rel.digest}`, imageReference: `docker://${M}/openshift/release-images@${rel.digest}`, type: 'ocpRelease' },
      ...rel.components.map((c) => ({ imageName: `${up.hostPort}/${rel.componentRepo}@${c.digest}`, imageReference: `docker://${M}/openshift/release@${c.digest}`, type: 'ocpReleaseContent' })),
    ].sort((a, b) => a.imageReference.localeCompare(b.imageReference));
    assert.deepEqual(doc.items, want);
    for (const i of doc.items) assert.deepEqual(Object.keys(i), ['imageName', 'imageReference', 'type']);
    assert.equal(await readFile(join(work, 'ws/working-dir/delete/delete-imageset-config.yaml'), 'utf8'), await readFile(disc, 'utf8'));
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/extra/tools/gone`, ['v1']), [gone.top.digest], 'nothing deleted by phase 1');
  });

  it('phase 2 --dry-run lists the deletions and deletes nothing', async () => {
    const r = await airlock(['mirror', 'delete', '--delete-yaml-file', list, `docker://${mirror.hostPort}/${prefix}`, '--dry-run', '-o', 'json', ...common()], work);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { dryRun: boolean; results: { outcome: string }[] };
    assert.equal(out.dryRun, true);
    assert.deepEqual(out.results.map((x) => x.outcome), Array(n()).fill('would-delete'));
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release-images`, ['4.18.2-x86_64']), [rel.digest]);
  });

  it('phase 2 deletes the manifests (and with --force-cache-delete their cache entries); airlock gc reclaims their blobs; the images that stay pull and verify', async () => {
    const cache = new CacheStore(join(work, 'cache'));
    await cache.put('signatures', `sha256-${rel.digest.slice(7)}`, '{}');
    await cache.put('signatures', `sha256-${'f'.repeat(64)}`, '{}');
    const r = await airlock(['mirror', 'delete', '--delete-yaml-file', list, `docker://${mirror.hostPort}/${prefix}`, '--force-cache-delete', '--cache-dir', join(work, 'cache'), '--delete-signatures', ...common()], work);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`deleted docker://${mirror.hostPort}/${prefix}/extra/tools/gone@`) && r.stdout.split('\n').filter((l) => l.includes('/extra/tools/gone@')).length === 2, `the image and its signature: ${r.stdout}`);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/extra/tools/gone`, [sigTag]), [undefined], '--delete-signatures deleted the cosign tag');
    assert.deepEqual((await cache.list()).map((e) => e.name), [`sha256-${'f'.repeat(64)}`], 'the deleted release\'s cache entry went, the other stayed');
    assert.match(r.stderr, /info: cache .*: removed 1 entries of these images/);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('deleted docker://')).length, n() + 1, r.stdout);
    assert.match(r.stderr, new RegExp(`info: deleted ${n() + 1} manifests, 0 not found, 0 refused`));
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/extra/tools/gone`, ['v1', gone.top.digest]), [undefined, undefined]);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release-images`, ['4.18.2-x86_64']), [undefined]);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release`, rel.components.map((c) => `4.18.2-x86_64-${c.name}`)), rel.components.map(() => undefined));
    // A second run finds them gone and says so.
    const again = await airlock(['mirror', 'delete', '--delete-yaml-file', list, `docker://${mirror.hostPort}/${prefix}`, ...common()], work);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`deleted 0 manifests, ${n()} not found, 0 refused`));

    const hub = new RegistryHub({ insecure: () => true });
    let releaseBlobs: string[];
    try {
      const kept = await pullAndVerify(hub, mirror.hostPort, `${prefix}/extra/tools/keep`, 'v1');
      assert.deepEqual(kept.sort(), blobDigests(keep).sort());
      releaseBlobs = [];
      for (const c of rel.components) releaseBlobs.push(...(await pullAndVerify(hub, up.hostPort, rel.componentRepo, c.digest)));
    } finally {
      await hub.close();
    }
    await mirror.close();
    const plan = await airlock(['gc', '--dry-run', '--grace', '0', '--data-dir', mirrorData(), '-o', 'json'], work);
    assert.equal(plan.code, 0, plan.stderr);
    const planned = JSON.parse(plan.stdout) as { blobs: { digest: string }[]; bytes: number };
    const reclaimed = new Set(planned.blobs.map((b) => b.digest));
    for (const d of new Set(releaseBlobs)) assert.ok(reclaimed.has(d), `release blob ${d} is garbage`);
    for (const d of [...blobDigests(gone), ...blobDigests(keep)]) assert.ok(!reclaimed.has(d), `blob ${d} of an image that stays is kept`);
    const gc = await airlock(['gc', '--grace', '0', '--data-dir', mirrorData(), '-o', 'json'], work);
    assert.equal(gc.code, 0, gc.stderr);
    const rep = JSON.parse(gc.stdout) as { blobs: number; bytes: number };
    assert.equal(rep.blobs, planned.blobs.length);
    assert.equal(rep.bytes, planned.bytes);
    assert.ok(rep.bytes > 0);
    mirror = await startAirlock({ dataDir: mirrorData(), config: { gc: { enabled: false } } });
    const hub2 = new RegistryHub({ insecure: () => true });
    try {
      for (const d of new Set(releaseBlobs)) assert.equal(await hub2.client(mirror.hostPort).blobHead(`${prefix}/openshift/release`, d as Digest), undefined, `release blob ${d} is gone`);
      assert.deepEqual((await pullAndVerify(hub2, mirror.hostPort, `${prefix}/extra/tools/keep`, 'v1')).sort(), blobDigests(keep).sort());
      assert.deepEqual((await pullAndVerify(hub2, mirror.hostPort, `${prefix}/extra/tools/gone-copy`, 'v1')).sort(), blobDigests(gone).sort());
    } finally {
      await hub2.close();
    }
  });

  it('a registry that refuses deletes: each refusal is reported, exit 1', { skip: dockerRegistryUnavailableReason() }, async () => {
    let reg: DockerRegistryHandle | undefined;
    try {
      reg = await startDockerRegistry({ deleteEnabled: false });
      const hub = new RegistryHub({ insecure: () => true });
      try {
        await pushImageSet(hub.destination({ registry: reg.hostPort, repository: 'ocp/extra/tools/gone' }), gone, 'v1');
      } finally {
        await hub.close();
      }
      const f = join(work, 'refuse.yaml');
      await writeFile(f, `kind: DeleteImageList\napiVersion: mirror.openshift.io/v2alpha1\nitems:\n- imageName: ${up.hostPort}/extra/tools/gone:v1\n  imageReference: docker://${reg.hostPort}/ocp/extra/tools/gone@${gone.top.digest}\n  type: generic\n`);
      const r = await airlock(['mirror', 'delete', '--delete-yaml-file', f, `docker://${reg.hostPort}/ocp`, '--dest-tls-verify=false'], work);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, new RegExp(`^refused docker://${reg.hostPort.replace(/\./g, '\\.')}/ocp/extra/tools/gone@${gone.top.digest}: .*HTTP 405.*UNSUPPORTED`, 'm'));
      assert.match(r.stderr, /error: the registry refused 1 of 1 deletions/);
      assert.deepEqual(await resolveTags(reg.hostPort, 'ocp/extra/tools/gone', ['v1']), [gone.top.digest]);
    } finally {
      await reg?.close();
    }
  });

  it('bad input: one precise line each, nothing deleted', async () => {
    const bad = join(work, 'bad-list.yaml');
    const D = `docker://${mirror.hostPort}/${prefix}`;
    const cases: [string, string[], RegExp][] = [
      ['kind: DeleteImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nitems: []\n', ['--delete-yaml-file', bad, D], /^error: .*bad-list\.yaml:1: kind: "DeleteImageSetConfiguration" is not DeleteImageList \(pass a DeleteImageSetConfiguration with -c and --generate first\)$/],
      ['kind: DeleteImageList\napiVersion: mirror.openshift.io/v2alpha1\nitems:\n- imageName: a\n  imageReference: docker://x.example.com/a:v1\n  type: generic\n', ['--delete-yaml-file', bad, D], /^error: .*bad-list\.yaml:5: items\[0\]\.imageReference: "docker:\/\/x\.example\.com\/a:v1" is not docker:\/\/HOST\/REPOSITORY@sha256:DIGEST/],
      ['kind: DeleteImageList\napiVersion: mirror.openshift.io/v2alpha1\nitems:\n- imageName: a\n  imageReference: docker://x.example.com/a@sha256:' + 'a'.repeat(64) + '\n  type: generic\n  extra: 1\n', ['--delete-yaml-file', bad, D], /^error: .*bad-list\.yaml:7: items\[0\]\.extra: unknown field \(allowed: imageName, imageReference, type, relatedBlobs\)$/],
      ['kind: DeleteImageList\napiVersion: mirror.openshift.io/v2alpha1\nitems:\n- imageName: a\n  imageReference: docker://x.example.com/a@sha256:' + 'a'.repeat(64) + '\n  type: generic\n', ['--delete-yaml-file', bad, D], /^error: .*bad-list\.yaml:4: imageReference docker:\/\/x\.example\.com\/a@sha256:a+ is not in docker:\/\/127\.0\.0\.1:\d+ \(the list was generated for docker:\/\/x\.example\.com/],
      ['', ['-c', disc, D], /^error: -c is read by phase 1: add --generate/],
      ['', ['--generate', '-c', disc, D], /^error: --generate needs --workspace file:\/\/DIR/],
      ['', [D], /^error: give -c DELETE-ISC\.yaml --generate --workspace file:\/\/DIR \(phase 1\) or --delete-yaml-file FILE \(phase 2\)$/],
    ];
    for (const [text, args, want] of cases) {
      await writeFile(bad, text);
      const r = await airlock(['mirror', 'delete', ...args], work);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr.trim(), want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    await writeFile(join(work, 'bad-disc.yaml'), 'kind: DeleteImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\ndelete:\n  additionalImages:\n  - name: x.example.com/a:v1\n  blockedImages: []\n');
    const r = await airlock(['mirror', 'delete', '-c', join(work, 'bad-disc.yaml'), '--generate', '--workspace', `file://${work}/ws2`, D], work);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: ${join(work, 'bad-disc.yaml')}:6: delete.blockedImages: unknown field (allowed: platform, operators, additionalImages)\n`);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/extra/tools/keep`, ['v1']), [keep.top.digest]);
  });
});
