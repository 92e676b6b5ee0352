/**
 * `airlock mirror -c isc.yaml file://DIR` (m2d) → `airlock archive verify` →
 * `airlock mirror -c isc.yaml --from file://DIR docker://REG/prefix` (d2m)
 * end to end on loopback: a release chosen by channel, a filtered (rebuilt)
 * catalog, additional images and a blocked one; every digest checked in the
 * mirror and the cluster resources compared with the expected files. Then an
 * incremental run after a new release version (only its blobs are packed),
 * an inventory delta, a d2m into Debian's docker-registry, --strict-archive,
 * and the workflow flag conflicts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { startGraphServer, type GraphServer } from '../helpers/graph-server.js';
import { airlock, resolveTags } from '../release/support.js';
import { uploadStarts } from '../copy/support/counts.js';
import { imageSetSide, type ImageSetSide } from './support/imageset-fixture.js';
import type { ArchiveIndex } from '../../src/transports/archive/format.js';
import { readIndex, setMembers, tarMembers, wholeSetProblems } from './support/archive-members.js';

const LIMIT = 128 * 1024;

/** HEAD requests on blobs airlock answered (any status), from /metrics. */
async function blobHeads(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('airlock_http_requests_total{') && line.includes('route="blob"') && line.includes('method="HEAD"')) n += Number(line.split(' ').pop());
  return n;
}
const index = readIndex;
const members = tarMembers;

/** Non-manifest blobs an index packed. */
const packedBlobs = (ix: ArchiveIndex): string[] => Object.keys(ix.blobs).filter((d) => ix.manifests[d] === undefined);

describe('airlock mirror: mirror to disk, archive verify, disk to mirror', () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: AirlockHandle;
  let other: AirlockHandle;
  let graph: GraphServer;
  let side: ImageSetSide;
  let peer: DockerRegistryHandle | undefined;
  const prefix = 'ocp';
  const src = (): string[] => ['--src-tls-verify=false', '--graph-url', graph.url, '--no-progress'];
  const dst = ['--dest-tls-verify=false', '--no-progress'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-imageset-archive-'));
    [up, mirror, other] = await Promise.all([startAirlock(), startAirlock(), startAirlock()]);
    graph = await startGraphServer();
    side = await imageSetSide(up, graph, work);
    if (dockerRegistryUnavailableReason() === undefined) peer = await startDockerRegistry();
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close(), other?.close(), graph?.close(), peer?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('m2d writes split archives holding the set only; verify passes; d2m mirrors every digest and writes exact cluster resources', async () => {
    const A = join(work, 'A');
    const m2d = await airlock(['mirror', '-c', side.isc, `file://${A}`, '--archive-size-bytes', String(LIMIT), ...src()], work);
    assert.equal(m2d.code, 0, m2d.stderr);
    const files = (await readdir(A)).sort();
    const tars = files.filter((f) => /^mirror_\d{6}\.tar$/.test(f));
    assert.ok(tars.length >= 2, `split at 128 KiB: ${files.join(' ')}`);
    assert.deepEqual(tars, tars.map((_, k) => `mirror_${String(k + 1).padStart(6, '0')}.tar`));
    assert.ok(files.includes('mirror_index.json') && files.includes('working-dir'));
    const ix = await index(A);
    for (const a of ix.archives) assert.ok(a.size <= LIMIT, `${a.file} is ${a.size} bytes`);
    // only the distribution tree, the config, the plan and checksum manifests: never the working directory
    const names = (await Promise.all(tars.map((t) => members(join(A, t))))).flat();
    const other = names.filter((n) => !n.startsWith('docker/registry/v2/') && n !== 'airlock/checksums.json');
    assert.equal(other.length, 3, other.join(' '));
    assert.ok(other.includes('airlock/repositories.json'), 'every tag and manifest link in one member');
    assert.deepEqual(names.filter((n) => n.startsWith('docker/registry/v2/') && !n.startsWith('docker/registry/v2/blobs/')), [], 'no link member each');
    const got = await setMembers(A);
    assert.deepEqual(got.blobs, Object.keys(ix.blobs).sort());
    assert.deepEqual(got.tags, Object.entries(ix.repositories).flatMap(([repo, r]) => Object.keys(r.tags).map((t) => `${repo}:${t}`)).sort());
    assert.match(other.find((n) => n.startsWith('isc_'))!, /^isc_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.yaml$/);
    assert.ok(other.includes('airlock-imageset-plan.json'));
    assert.ok(!names.some((n) => n.includes('working-dir')));
    assert.equal(names.filter((n) => n === 'airlock/checksums.json').length, tars.length);
    assert.deepEqual(Object.keys(ix.delivered), [], 'first run: nothing left out');
    const wd = await readdir(join(A, 'working-dir'));
    assert.ok(wd.includes('.history') && wd.includes('report.json') && wd.some((f) => /^isc_pinned_.*\.yaml$/.test(f)), wd.join(' '));
    const hist = (await readdir(join(A, 'working-dir/.history'))).sort();
    assert.equal(hist.length, 2, hist.join(' '));
    assert.match(hist[0]!, /^\.history-/);
    assert.equal(hist[1], `.images-${hist[0]!.slice('.history-'.length)}`, 'the image history goes with the blob history');
    const histDigests = (await readFile(join(A, 'working-dir/.history', hist[0]!), 'utf8')).trim().split('\n');
    assert.deepEqual(histDigests, Object.keys(ix.blobs).sort(), 'v2\'s format: one blob digest a line');
    const histImages = new Set((await readFile(join(A, 'working-dir/.history', hist[1]!), 'utf8')).trim().split('\n'));
    for (const [repo, r] of Object.entries(ix.repositories)) {
      for (const d of r.manifests) assert.ok(histImages.has(`${repo}@${d}`), `${repo}@${d}`);
      for (const [t, d] of Object.entries(r.tags)) assert.ok(histImages.has(`${repo}:${t}@${d}`), `${repo}:${t}@${d}`);
    }

    const verify = await airlock(['archive', 'verify', A], work);
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);

    const heads0 = await blobHeads(mirror.url);
    const d2m = await airlock(['mirror', '-c', side.isc, '--from', `file://${A}`, `docker://${mirror.hostPort}/${prefix}`, ...dst], work);
    assert.equal(d2m.code, 0, d2m.stderr);
    assert.match(d2m.stderr, /info: archive set \S+ checked: \d+ archive file\(s\)/);
    assert.equal(await blobHeads(mirror.url), heads0, 'first push of the set: the blobs it carries are uploaded without a HEAD each');
    assert.ok((await readdir(join(A, 'working-dir/.d2m'))).includes(`pushed-${ix.set}`));
    const rel = side.releases[0]!;
    const U = up.hostPort;
    const M = `${mirror.hostPort}/${prefix}`;
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release-images`, ['4.18.2-x86_64', rel.digest]), [rel.digest, rel.digest]);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release`, rel.components.map((c) => `4.18.2-x86_64-${c.name}`)), rel.components.map((c) => c.digest));
    const etcd = side.fx.catalog.bundles.find((b) => b.package === 'etcd' && b.version === '1.3.0')!;
    for (const ref of new Set([etcd.image!, ...etcd.relatedImages.map((x) => x.image)])) {
      const [repo, digest] = ref.slice(U.length + 1).split('@') as [string, string];
      assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/${repo}`, [`sha256-${digest.slice(7)}`, digest]), [digest, digest], ref);
    }
    const [catalogDigest] = await resolveTags(mirror.hostPort, `${prefix}/my-ns/my-index`, ['v1-filtered']);
    assert.ok(catalogDigest, 'the rebuilt catalog is at targetCatalog:targetTag');
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/extra/tools/app`, ['v1']), [side.appDigest]);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/extra/tools/debug`, ['v1']), [undefined], 'blocked');
    // every digest of the set is in the mirror, read back by the registry (it checks digests on push)
    for (const [repo, r] of Object.entries(ix.repositories)) for (const d of r.manifests) assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/${repo}`, [d]), [d], `${repo}@${d}`);

    const dir = join(A, 'working-dir/cluster-resources');
    assert.deepEqual((await readdir(dir)).sort(), ['cc-my-index-v1-filtered.yaml', 'cs-my-index-v1-filtered.yaml', 'idms-oc-mirror.yaml', 'itms-oc-mirror.yaml']);
    const idms = await readFile(join(dir, 'idms-oc-mirror.yaml'), 'utf8');
    const createdAt = /createdAt: "([^"]+)"/.exec(idms)![1]!;
    const ann = `  annotations:\n    airlock_version: 0.1.0\n    createdAt: "${createdAt}"\n    createdBy: airlock\n`;
    const doc = (kind: string, key: string, name: string, sets: [string, string][]): string =>
      `---\napiVersion: config.openshift.io/v1\nkind: ${kind}\nmetadata:\n${ann}  name: ${name}\nspec:\n  ${key}:\n${sets.map(([s, m]) => `  - mirrors:\n    - ${m}\n    source: ${s}\n`).join('')}`;
    assert.equal(idms,
      doc('ImageDigestMirrorSet', 'imageDigestMirrors', 'idms-release-0', [[`${U}/${rel.releaseRepo}`, `${M}/openshift/release-images`], [`${U}/${rel.componentRepo}`, `${M}/openshift/release`]]) +
      doc('ImageDigestMirrorSet', 'imageDigestMirrors', 'idms-operator-0', [[`${U}/ops/bundles/etcd`, `${M}/ops/bundles/etcd`], [`${U}/ops/shared/base`, `${M}/ops/shared/base`], [`${U}/ops/team/etcd`, `${M}/ops/team/etcd`]]));
    assert.equal(await readFile(join(dir, 'itms-oc-mirror.yaml'), 'utf8'), doc('ImageTagMirrorSet', 'imageTagMirrors', 'itms-generic-0', [[`${U}/extra/tools`, `${M}/extra/tools`]]));
    assert.equal(await readFile(join(dir, 'cs-my-index-v1-filtered.yaml'), 'utf8'),
      `apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\nmetadata:\n${ann}  name: cs-my-index-v1-filtered\n  namespace: openshift-marketplace\nspec:\n  image: ${M}/my-ns/my-index:v1-filtered\n  sourceType: grpc\n`);
    assert.equal(await readFile(join(dir, 'cc-my-index-v1-filtered.yaml'), 'utf8'),
      `apiVersion: olm.operatorframework.io/v1\nkind: ClusterCatalog\nmetadata:\n${ann}  name: cc-my-index-v1-filtered\nspec:\n  source:\n    type: Image\n    image:\n      ref: ${M}/my-ns/my-index:v1-filtered\n`);
    const report = JSON.parse(await readFile(join(A, 'working-dir/report.json'), 'utf8')) as { workflow: string; exitCode: number; failed: unknown[]; blocked: { image: string }[] };
    assert.equal(report.workflow, 'diskToMirror');
    assert.equal(report.exitCode, 0);
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.blocked.map((b) => b.image), [`${U}/extra/tools/debug:v1`]);

    // a second d2m of the same set sends nothing: every blob and manifest is found by a HEAD
    const sessions = await uploadStarts(mirror.url);
    const heads1 = await blobHeads(mirror.url);
    const again = await airlock(['mirror', '-c', side.isc, '--from', `file://${A}`, `docker://${mirror.hostPort}/${prefix}`, ...dst], work);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /info: pushed 0B \(0 bytes\)/);
    assert.equal(await uploadStarts(mirror.url), sessions + 1, 'one upload session: the pre-check opens and cancels one; no blob is sent');
    assert.match(again.stderr, /info: the set was pushed to \S+ before: every blob is checked there first/, 'a later push of the same set asks first (kill -9 resume: imageset-archive-damage.test.ts)');
    assert.equal(await blobHeads(mirror.url), heads1, 'every tag resolves already: not even a blob HEAD');
  });

  it('an incremental m2d after a new release version packs only the new blobs and manifests; d2m completes the whole set, and refuses a registry lacking what was left out', async () => {
    const A = join(work, 'A');
    const first = await index(A);
    const firstAll = new Set([...Object.keys(first.blobs), ...Object.keys(first.delivered)]);
    const rel3 = await side.addRelease('4.18.3');
    // the whole set now, packed in full (--since before any history): what the mirror must hold after the delta
    const B = join(work, 'A-since');
    const full = await airlock(['mirror', '-c', side.isc, `file://${B}`, '--since', '2000-01-01', ...src()], work);
    assert.equal(full.code, 0, full.stderr);
    const whole = await index(B);
    assert.deepEqual(Object.keys(whole.delivered), []);
    assert.equal(whole.onDestination, undefined, 'a full set leaves nothing out');
    const m2d = await airlock(['mirror', '-c', side.isc, `file://${A}`, '--archive-size-bytes', String(LIMIT), ...src()], work);
    assert.equal(m2d.code, 0, m2d.stderr);
    const ix = await index(A);
    assert.notEqual(ix.set, first.set);
    const packed = packedBlobs(ix);
    assert.ok(packed.length > 0, 'the new release brings new blobs');
    assert.deepEqual(packed.filter((d) => firstAll.has(d)), [], 'no blob of the first set is packed again');
    assert.ok(Object.keys(ix.delivered).length > 0, 'unchanged blobs are left out as delivered');
    // the tars hold exactly the blobs and manifests of the whole set that the first set did not carry
    const got = await setMembers(A);
    const fresh = Object.keys(whole.blobs).filter((d) => !firstAll.has(d)).sort();
    assert.deepEqual(got.blobs, fresh, 'exactly the new blobs and new manifests');
    assert.ok(fresh.includes(rel3.digest), 'the new release image');
    const freshManifests = new Set(fresh.filter((d) => whole.manifests[d] !== undefined));
    assert.ok(got.revisions.every((r) => freshManifests.has(r.slice(r.indexOf('@') + 1))), got.revisions.join(' '));
    assert.deepEqual(got.tags, ['openshift/release-images:4.18.3-x86_64'], 'one tag on a new manifest; the unchanged components get their new tags at d2m');
    assert.deepEqual(got.other.filter((n) => n !== 'airlock/checksums.json').map((n) => n.replace(/^isc_.*\.yaml$/, 'isc')).sort(), ['airlock-imageset-plan.json', 'airlock/repositories.json', 'isc']);
    // the index still names every image of the set: carried, or at the far side already
    const retag = ix.onDestination?.['openshift/release']?.retag ?? {};
    assert.deepEqual(Object.keys(retag).sort(), rel3.components.map((c) => `4.18.3-x86_64-${c.name}`).sort());
    for (const c of rel3.components) assert.equal(retag[`4.18.3-x86_64-${c.name}`], c.digest);
    assert.equal(ix.onDestination?.['extra/tools/app']?.tags.v1, side.appDigest);
    const report = JSON.parse(await readFile(join(A, 'working-dir/report.json'), 'utf8')) as { mirrored: Record<string, { transferred: number }> };
    assert.equal(report.mirrored.operator!.transferred, 0);
    assert.equal(report.mirrored.additional!.transferred, 0);
    assert.ok(report.mirrored.release!.transferred > 0);
    assert.equal((await readdir(join(A, 'working-dir/.history'))).filter((f) => f.startsWith('.history-')).length, 2);
    assert.equal((await airlock(['archive', 'verify', A], work)).code, 0);
    // a registry that never got the first set: refused in one line before anything is pushed
    const sessions = await uploadStarts(other.url);
    const refused = await airlock(['mirror', '-c', side.isc, '--from', `file://${A}`, `docker://${other.hostPort}/${prefix}`, ...dst], work);
    assert.equal(refused.code, 1, refused.stderr);
    const errors = refused.stderr.split('\n').filter((l) => l.startsWith('error: '));
    assert.equal(errors.length, 1, refused.stderr);
    assert.match(errors[0]!, new RegExp(`^error: docker://${other.hostPort}/${prefix} lacks \\d+ of the \\d+ manifest\\(s\\) this archive set left out as already delivered \\(${other.hostPort}/${prefix}/\\S+@sha256:[0-9a-f]{64}.*\\); nothing was pushed\\. .*re-run m2d with --since-inventory of this registry`));
    assert.equal(await uploadStarts(other.url), sessions + 1, 'only the pre-check upload session: nothing was pushed');
    assert.deepEqual(await resolveTags(other.hostPort, `${prefix}/openshift/release-images`, ['4.18.3-x86_64']), [undefined]);
    // with progress on (stderr is a pipe here): plain `progress:` lines as images finish (images finishing
    // together, with --parallel-images, share a line), counting up to every image the engine copies
    const d2m = await airlock(['mirror', '-c', side.isc, '--from', `file://${A}`, `docker://${mirror.hostPort}/${prefix}`, '--dest-tls-verify=false'], work);
    assert.equal(d2m.code, 0, d2m.stderr);
    assert.match(d2m.stderr, /info: \d+ image\(s\) of the set were left out of the archive as already delivered; all \d+ of their manifests are at /);
    const images = Object.values(ix.repositories).reduce((n, r) => n + Object.keys(r.tags).length, 0);
    const lines = d2m.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    assert.ok(lines.length >= 1, d2m.stderr);
    const counts = lines.map((l) => Number(/\b(\d+)\/\d+ images/.exec(l)?.[1]));
    assert.deepEqual(counts, [...counts].sort((x, y) => x - y), `image counts only go up: ${counts.join(' ')}`);
    assert.match(lines.at(-1)!, new RegExp(`^progress: .*\\b${images}/${images} images`));
    assert.ok(!d2m.stderr.includes('\x1b['), 'no terminal control sequences on a pipe');
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release-images`, ['4.18.3-x86_64']), [rel3.digest]);
    assert.deepEqual(await resolveTags(mirror.hostPort, `${prefix}/openshift/release`, rel3.components.map((c) => `4.18.3-x86_64-${c.name}`)), rel3.components.map((c) => c.digest));
    assert.deepEqual(await wholeSetProblems(mirror.hostPort, mirror.url, prefix, whole), [], 'every digest of the whole set is at the destination');
    const out = d2m.stdout.trim().split('\n');
    assert.ok(out.includes(`${rel3.components[0]!.digest} ${mirror.hostPort}/${prefix}/openshift/release:4.18.3-x86_64-${rel3.components[0]!.name}`), 'a re-tagged image is listed like a pushed one');
    const resources = await readFile(join(A, 'working-dir/cluster-resources/itms-oc-mirror.yaml'), 'utf8');
    assert.ok(resources.includes(`source: ${up.hostPort}/extra/tools`), 'cluster resources cover the whole set, left-out images too');
    assert.ok((await readdir(join(A, 'working-dir/cluster-resources'))).includes('cs-my-index-v1-filtered.yaml'));
  });

  it('--since-inventory packs only what the far registry lacks; d2m completes the set, refuses a registry lacking it; d2m into docker-registry', async (t) => {
    const inv = join(work, 'inventory.json');
    const exp = await airlock(['inventory', 'export', `docker://${mirror.hostPort}/${prefix}`, '-f', inv, '--insecure'], work);
    assert.equal(exp.code, 0, exp.stderr);
    const invDoc = JSON.parse(await readFile(inv, 'utf8')) as { prefix?: string; blobs: Record<string, unknown> };
    assert.equal(invDoc.prefix, prefix);
    const held = new Set(Object.keys(invDoc.blobs));
    const C = join(work, 'C');
    const m2d = await airlock(['mirror', '-c', side.isc, `file://${C}`, '--since-inventory', inv, ...src()], work);
    assert.equal(m2d.code, 0, m2d.stderr);
    const ix = await index(C);
    assert.ok(Object.keys(ix.delivered).every((d) => held.has(d)));
    const got = await setMembers(C);
    assert.deepEqual([got.blobs, got.revisions, got.tags], [[], [], []], 'the mirror holds the whole set already: no blob, manifest or tag is packed');
    assert.deepEqual(got.other.filter((n) => n !== 'airlock/checksums.json').map((n) => n.replace(/^isc_.*\.yaml$/, 'isc')).sort(), ['airlock-imageset-plan.json', 'airlock/repositories.json', 'isc']);
    const whole = await index(join(work, 'A-since'));
    const left = new Set(Object.entries(ix.onDestination ?? {}).flatMap(([repo, r]) => Object.keys(r.tags).map((tag) => `${repo}:${tag}`)));
    for (const [repo, r] of Object.entries(whole.repositories)) for (const tag of Object.keys(r.tags)) assert.ok(left.has(`${repo}:${tag}`), `the index still lists ${repo}:${tag}`);
    const sessions = await uploadStarts(mirror.url);
    const d2m = await airlock(['mirror', '-c', side.isc, '--from', `file://${C}`, `docker://${mirror.hostPort}/${prefix}`, ...dst], work);
    assert.equal(d2m.code, 0, d2m.stderr);
    assert.equal(await uploadStarts(mirror.url), sessions + 1, 'nothing to push: only the pre-check session');
    assert.deepEqual(await wholeSetProblems(mirror.hostPort, mirror.url, prefix, whole), []);
    assert.ok((await readdir(join(C, 'working-dir/cluster-resources'))).includes('idms-oc-mirror.yaml'), 'resources for the whole set');
    const refused = await airlock(['mirror', '-c', side.isc, '--from', `file://${C}`, `docker://${other.hostPort}/${prefix}`, ...dst], work);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^error: docker:\/\/\S+ lacks \d+ of the \d+ manifest\(s\) this archive set left out as already delivered .*airlock inventory export/m);
    // the other airlock mirror lacks everything: an inventory of it packs it all
    const inv2 = join(work, 'inventory-empty.json');
    assert.equal((await airlock(['inventory', 'export', `docker://${other.hostPort}`, '-f', inv2, '--insecure'], work)).code, 0);
    const D = join(work, 'D');
    assert.equal((await airlock(['mirror', '-c', side.isc, `file://${D}`, '--since-inventory', inv2, ...src()], work)).code, 0);
    assert.deepEqual(Object.keys((await index(D)).delivered), []);
    assert.equal((await index(D)).onDestination, undefined);
    if (peer === undefined) return t.skip(dockerRegistryUnavailableReason());
    const d2mPeer = await airlock(['mirror', '-c', side.isc, '--from', `file://${D}`, `docker://${peer.hostPort}/mirror`, ...dst], work);
    assert.equal(d2mPeer.code, 0, d2mPeer.stderr);
    assert.deepEqual(await wholeSetProblems(peer.hostPort, peer.url, 'mirror', whole), []);
  });

  it('d2m with --max-nested-paths flattens the set paths and writes repository-scoped mirror sets', async () => {
    const D = join(work, 'D');
    const r = await airlock(['mirror', '-c', side.isc, '--from', `file://${D}`, `docker://${other.hostPort}/${prefix}`, '--max-nested-paths', '2', ...dst], work);
    assert.equal(r.code, 0, r.stderr);
    const rel3 = side.releases[1]!;
    assert.deepEqual(await resolveTags(other.hostPort, `${prefix}/openshift-release-images`, ['4.18.3-x86_64']), [rel3.digest]);
    assert.deepEqual(await resolveTags(other.hostPort, `${prefix}/extra-tools-app`, ['v1']), [side.appDigest]);
    assert.deepEqual(await resolveTags(other.hostPort, `${prefix}/my-ns-my-index`, ['v1-filtered']).then((x) => x.map(Boolean)), [true]);
    const itms = await readFile(join(D, 'working-dir/cluster-resources/itms-oc-mirror.yaml'), 'utf8');
    assert.ok(itms.includes(`  - mirrors:\n    - ${other.hostPort}/${prefix}/extra-tools-app\n    source: ${up.hostPort}/extra/tools/app\n`), itms);
    const names = (await readdir(join(D, 'working-dir/cluster-resources'))).sort();
    assert.deepEqual(names.filter((n) => n.startsWith('cs-')), ['cs-my-ns-my-index-v1-filtered.yaml'], 'only this destination\'s resources');
    const cs = await readFile(join(D, 'working-dir/cluster-resources/cs-my-ns-my-index-v1-filtered.yaml'), 'utf8');
    assert.ok(cs.includes(`  image: ${other.hostPort}/${prefix}/my-ns-my-index:v1-filtered\n`), cs);
  });

  it('--strict-archive refuses a blob larger than the archive size and leaves no archive', async () => {
    const S = join(work, 'S');
    const r = await airlock(['mirror', '-c', side.isc, `file://${S}`, '--archive-size-bytes', '65536', '--strict-archive', '--since', '2000-01-01', ...src()], work);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: docker\/registry\/v2\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}\/data \(\d+ bytes\) is larger than the archive size 65536; raise archiveSize or drop --strict-archive; no archive was written \(--strict-archive\)/);
    assert.deepEqual((await readdir(S).catch(() => [])).filter((f) => f.startsWith('mirror_')), []);
  });

  it('conflicting workflow flags get one precise line each', async () => {
    const M = `docker://${mirror.hostPort}`;
    const cases: [string[], RegExp][] = [
      [['--from', `file://${work}/a`, `file://${work}/b`], /^error: --from cannot be used with a file:\/\/ destination/],
      [['--from', `file://${work}/a`, '--workspace', `file://${work}/w`, M], /^error: --from and --workspace cannot be used together/],
      [['--from', `file://${work}/A`, M, '--since', '2026-01-01'], /^error: --since applies to mirror to disk \(a file:\/\/ destination\) only, not to disk to mirror \(--from\)/],
      [['--workspace', `file://${work}/w`, M, '--strict-archive'], /^error: --strict-archive applies to mirror to disk .* not to mirror to mirror \(--workspace\)/],
      [[`file://${work}/x`, '--since', '2026-01-01', '--since-inventory', 'inv.json'], /^error: --since and --since-inventory cannot be used together/],
      [[`file://${work}/x`, '--since', '2026-13-01'], /^error: --since 2026-13-01: not a date \(yyyy-MM-dd/],
      [['--from', `file://${work}/nothing-here`, M], /^error: mirror_index\.json: missing from .*nothing-here/],
    ];
    for (const [args, want] of cases) {
      const r = await airlock(['mirror', '-c', side.isc, ...args], work);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
