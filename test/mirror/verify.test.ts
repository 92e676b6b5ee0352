/**
 * `airlock verify` on loopback: airlock's registry as the source,
 * Debian's docker-registry as the mirror. A complete mirror passes; a
 * mirror missing one child manifest of a list, one layer, one tag, an image
 * without an IDMS entry and an image missing everywhere each fail with their
 * classification and the node's "Trying to access" lines; a release and a
 * mapping file as inputs; the written registries.conf and hosts.toml parse
 * (strict TOML subset) with the expected content; skopeo given that
 * registries.conf inspects a source digest reference through the mirror
 * while the source registry is stopped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryHub } from '../../src/transports/registry/registry-hub.js';
import { pullSources, registryEntries } from '../../src/mirror/verify/registries-conf.js';
import { parseMirrorRules } from '../../src/mirror/verify/mirror-rules.js';
import { startAirlock, type AirlockHandle } from '../helpers/airlock-server.js';
import { dockerRegistryUnavailableReason, startDockerRegistry, type DockerRegistryHandle } from '../helpers/docker-registry.js';
import { skopeo, skopeoAvailable } from '../helpers/skopeo.js';
import { parseTomlSubset, type Table } from '../helpers/toml-subset.js';
import { buildImageSet, pushImageSet, type BuiltImageSet } from '../fixtures/catalog/related-images.js';
import { makeSyntheticRelease, type SyntheticRelease } from '../fixtures/release-fixture.js';
import { airlock } from '../release/support.js';
import { pushCatalogFixture } from '../catalog/catalog-mirror-setup.js';
import type { CatalogFixture } from '../fixtures/catalog/catalog-fixture.js';
import { relatedImages } from '../../src/catalog/related-images.js';

interface Verdict { reference: string; verdict: string; reason?: string; servedBy?: string; trying: string[] }

const skip = dockerRegistryUnavailableReason();

describe('airlock verify', { skip }, () => {
  let work: string;
  let up: AirlockHandle;
  let mirror: DockerRegistryHandle;
  let U: string;
  let M: string;
  const img: Record<string, BuiltImageSet> = {};
  let rel: SyntheticRelease;
  let resources: string;
  let fx: CatalogFixture;
  const flags = ['--insecure', '--retry-times', '0'];

  async function del(path: string): Promise<void> {
    const r = await fetch(`${mirror.url}/v2/${path}`, { method: 'DELETE' });
    assert.equal(r.status, 202, `DELETE ${path}`);
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'airlock-verify-'));
    await chmod(work, 0o755);
    [up, mirror] = await Promise.all([startAirlock(), startDockerRegistry()]);
    U = up.hostPort;
    M = mirror.hostPort;
    const hub = new RegistryHub({ insecure: () => true });
    try {
      const both = async (repo: string, set: BuiltImageSet, tag?: string, mirrorTag?: string | null): Promise<void> => {
        await pushImageSet(hub.destination({ registry: U, repository: repo }), set, tag);
        if (mirrorTag !== null) await pushImageSet(hub.destination({ registry: M, repository: `mirror/${repo}` }), set, mirrorTag === '-' ? undefined : tag);
      };
      await both('app/complete', (img.complete = await buildImageSet('complete', true)));
      await both('app/nochild', (img.nochild = await buildImageSet('nochild', true)));
      await both('app/nolayer', (img.nolayer = await buildImageSet('nolayer', false)));
      await both('app/tagged', (img.tagged = await buildImageSet('tagged', false)), 'v1', '-');
      await both('app/tagok', (img.tagok = await buildImageSet('tagok', false)), 'v2');
      await both('other/noidms', (img.noidms = await buildImageSet('noidms', false)), undefined, null);
      fx = await pushCatalogFixture(hub, U, work);
      rel = await makeSyntheticRelease({ registry: U, version: '4.18.3', count: 3, releaseRepo: 'ocp/release', componentRepo: 'ocp/art-dev', componentSize: 256, baseSize: 1024 });
    } finally {
      await hub.close();
    }
    // The mirror loses one child manifest of a list and one layer.
    const amd64 = img.nochild!.manifests[0]!;
    await del(`mirror/app/nochild/manifests/${amd64.digest}`);
    const layer = (JSON.parse(img.nolayer!.top.bytes.toString('utf8')) as { layers: { digest: string }[] }).layers[0]!.digest;
    await del(`mirror/app/nolayer/blobs/${layer}`);
    // The release goes into the mirror with airlock image mirror.
    const mapping = join(work, 'mapping.txt');
    const refs = [`${U}/ocp/release@${rel.digest}`, ...rel.components.map((c) => c.pullSpec)];
    await writeFile(mapping, refs.map((r) => `docker://${r}=docker://${r.replace(U, `${M}/mirror`).replace(/@.*$/, '')}\n`).join(''));
    const m = await airlock(['image', 'mirror', '-f', mapping, '--insecure', '--no-progress']);
    assert.equal(m.code, 0, m.stderr);
    resources = join(work, 'cluster-resources');
    await mkdir(resources);
    await writeFile(join(resources, 'idms-oc-mirror.yaml'), `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-generic-0
spec:
  imageDigestMirrors:
  - mirrors:
    - ${M}/mirror/app
    source: ${U}/app
  - mirrors:
    - ${M}/mirror/ocp
    source: ${U}/ocp
`);
    await writeFile(join(resources, 'itms-oc-mirror.yaml'), `apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata:
  name: itms-generic-0
spec:
  imageTagMirrors:
  - mirrors:
    - ${M}/mirror/app
    source: ${U}/app
`);
    await writeFile(join(resources, 'cs-index.yaml'), 'apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\nmetadata:\n  name: cs\nspec:\n  image: x\n');
  });
  after(async () => {
    await Promise.all([up?.close(), mirror?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const ref = (name: keyof typeof img | string, repo = `app/${name}`): string => `${U}/${repo}@${img[name]!.top.digest}`;

  it('a complete mirror passes: lists with every child, tags through ITMS, a release and a mapping file', async () => {
    const list = join(work, 'ok.txt');
    await writeFile(list, `# images the cluster pulls\n${ref('complete')}\ndocker://${U}/app/tagok:v2\n`);
    const r = await airlock(['verify', '-r', resources, '-f', list, '--release', `${U}/ocp/release@${rel.digest}`, '--mapping', join(work, 'mapping.txt'), '-o', 'json', ...flags]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const doc = JSON.parse(r.stdout) as { ok: boolean; counts: Record<string, number>; images: Verdict[] };
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.counts, { mirror: 2 + 1 + rel.components.length, sourceOnly: 0, missing: 0 });
    const complete = doc.images.find((i) => i.reference === ref('complete'))!;
    assert.equal(complete.servedBy, `${M}/mirror/app/complete@${img.complete!.top.digest}`);
    assert.deepEqual(complete.trying, [`Trying to access "${M}/mirror/app/complete@${img.complete!.top.digest}"`]);
    const tag = doc.images.find((i) => i.reference === `${U}/app/tagok:v2`)!;
    assert.deepEqual(tag.trying, [`Trying to access "${M}/mirror/app/tagok:v2"`], 'the tag goes to the ITMS mirror');
    for (const c of rel.components) assert.equal(doc.images.find((i) => i.reference === c.pullSpec)?.verdict, 'mirror', c.name);
  });

  it('each gap fails with its classification and the node\'s Trying to access lines', async () => {
    const list = join(work, 'gaps.txt');
    const gone = `${U}/app/gone@sha256:${'0'.repeat(64)}`;
    await writeFile(list, [ref('complete'), ref('nochild'), ref('nolayer'), `${U}/app/tagged:v1`, ref('noidms', 'other/noidms'), gone].join('\n'));
    const r = await airlock(['verify', '-r', resources, '-f', list, '-o', 'json', ...flags]);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { ok: boolean; counts: Record<string, number>; images: Verdict[] };
    const by = new Map(doc.images.map((i) => [i.reference, i]));
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.counts, { mirror: 1, sourceOnly: 4, missing: 1 });
    const mirrorRef = (r: string): string => r.replace(U, `${M}/mirror`);
    const nochild = by.get(ref('nochild'))!;
    assert.equal(nochild.verdict, 'source-only');
    assert.equal(nochild.reason, `${M}/mirror/app: child manifest ${img.nochild!.manifests[0]!.digest} is not there`);
    assert.deepEqual(nochild.trying, [`Trying to access "${mirrorRef(ref('nochild'))}"`], 'the node settles on the mirror whose list answers');
    const nolayer = by.get(ref('nolayer'))!;
    assert.equal(nolayer.verdict, 'source-only');
    assert.match(nolayer.reason!, new RegExp(`^${M}/mirror/app: blob sha256:[0-9a-f]{64} \\(\\d+ bytes\\) is not there$`));
    const tagged = by.get(`${U}/app/tagged:v1`)!;
    assert.equal(tagged.verdict, 'source-only');
    assert.equal(tagged.reason, `${M}/mirror/app: manifest v1 is not there`);
    assert.deepEqual(tagged.trying, [`Trying to access "${M}/mirror/app/tagged:v1"`, `Trying to access "${U}/app/tagged:v1"`]);
    const noidms = by.get(ref('noidms', 'other/noidms'))!;
    assert.equal(noidms.verdict, 'source-only');
    assert.equal(noidms.reason, 'no mirror rule covers this digest reference (no IDMS/ICSP entry)');
    assert.deepEqual(noidms.trying, [`Trying to access "${ref('noidms', 'other/noidms')}"`]);
    const missing = by.get(gone)!;
    assert.equal(missing.verdict, 'missing');
    assert.deepEqual(missing.trying, [`Trying to access "${mirrorRef(gone)}"`, `Trying to access "${gone}"`]);
    // The text form: one line per image, the trying lines under it.
    const t = await airlock(['verify', '-r', resources, '-f', list, ...flags]);
    assert.equal(t.code, 1);
    assert.ok(t.stdout.startsWith(`mirror      ${ref('complete')} <- ${mirrorRef(ref('complete'))}\n    Trying to access "${mirrorRef(ref('complete'))}"\n`), t.stdout);
    assert.match(t.stdout, new RegExp(`^source-only ${U}/app/tagged:v1: only the source serves it \\(would fail disconnected\\): `, 'm'));
    assert.match(t.stderr, /info: 6 images: 1 served by a mirror, 4 only by the source \(would fail disconnected\), 1 missing everywhere\nerror: some images would not be pulled from the mirror\n$/);
  });

  it('--catalog: the index and every related image; without mirror rules each is source-only, the two the catalog names in vain missing', async () => {
    const r = await airlock(['verify', '-r', resources, '--catalog', `${U}/olm/fbc-index:v1`, '-o', 'json', ...flags]);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { counts: Record<string, number>; images: Verdict[] };
    const want = [`${U}/olm/fbc-index:v1`, ...new Set(relatedImages(fx.catalog).map((i) => i.image))];
    assert.deepEqual(doc.images.map((i) => i.reference).sort(), [...new Set(want)].sort());
    assert.deepEqual(doc.images.filter((i) => i.verdict === 'missing').map((i) => i.reference).sort(), [...fx.missing].sort());
    assert.equal(doc.counts.sourceOnly, doc.images.length - fx.missing.length);
    assert.equal(doc.counts.mirror, 0);
  });

  it('resolves like CRI-O: longest prefix, digest-only and tag-only mirrors, NeverContactSource', () => {
    const rules = parseMirrorRules('r.yaml', `kind: ImageDigestMirrorSet
spec:
  imageDigestMirrors:
  - source: q.example.com/ns
    mirrors: [m1.example.com/a/ns, m2.example.com/ns]
  - source: q.example.com/ns/special
    mirrors: [m3.example.com/special]
    mirrorSourcePolicy: NeverContactSource
---
kind: ImageTagMirrorSet
spec:
  imageTagMirrors:
  - source: q.example.com/ns
    mirrors: [m2.example.com/ns]
`);
    const e = registryEntries(rules);
    const d = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(pullSources(`q.example.com/ns/app@${d}`, e).map((s) => s.reference), [`m1.example.com/a/ns/app@${d}`, `m2.example.com/ns/app@${d}`, `q.example.com/ns/app@${d}`]);
    assert.deepEqual(pullSources('q.example.com/ns/app:v1', e).map((s) => s.reference), ['m2.example.com/ns/app:v1', 'q.example.com/ns/app:v1']);
    assert.deepEqual(pullSources(`q.example.com/ns/special@${d}`, e).map((s) => s.reference), [`m3.example.com/special@${d}`], 'NeverContactSource: no source');
    assert.deepEqual(pullSources(`q.example.com/nsx/app@${d}`, e).map((s) => s.reference), [`q.example.com/nsx/app@${d}`], 'a prefix matches at a separator only');
    assert.deepEqual(e.map((x) => [x.prefix, x.blocked, x.mirrors.map((m) => `${m.location}=${m.pullFromMirror}`)]), [
      ['q.example.com/ns', false, ['m1.example.com/a/ns=digest-only', 'm2.example.com/ns=all']],
      ['q.example.com/ns/special', true, ['m3.example.com/special=digest-only']],
    ]);
    assert.throws(() => parseMirrorRules('x.yaml', 'kind: CatalogSource\n'), /x\.yaml: document 1: kind CatalogSource holds no mirrors/);
  });

  it('writes registries.conf and hosts.toml that parse; skopeo pulls a source digest reference through the mirror with the source stopped', { skip: skopeoAvailable() ? false : 'skopeo not installed' }, async () => {
    const conf = join(work, 'conf', '99-airlock-mirrors.conf');
    const hosts = join(work, 'certs.d');
    const r = await airlock(['verify', '-r', resources, '--write-registries-conf', conf, '--write-containerd-hosts', hosts, '--insecure-mirrors', ...flags]);
    assert.equal(r.code, 0, r.stderr);
    const toml = parseTomlSubset(await readFile(conf, 'utf8'));
    assert.deepEqual(toml, {
      registry: [
        { prefix: `${U}/app`, location: `${U}/app`, mirror: [{ location: `${M}/mirror/app`, insecure: true }] },
        { prefix: `${U}/ocp`, location: `${U}/ocp`, mirror: [{ location: `${M}/mirror/ocp`, insecure: true, 'pull-from-mirror': 'digest-only' }] },
      ],
    });
    const h = parseTomlSubset(await readFile(join(hosts, U, 'hosts.toml'), 'utf8'));
    assert.equal(h.server, `https://${U}`);
    assert.deepEqual(h.host, {
      [`https://${M}/v2/mirror`]: { capabilities: ['pull', 'resolve'], override_path: true, skip_verify: true },
    } satisfies Table);
    assert.throws(() => parseTomlSubset('a = 1\na = 2\n'), /line 2: duplicate key a/, 'the checker is strict');
    await chmod(join(work, 'conf'), 0o755);
    await chmod(conf, 0o644);
    await up.close();
    const src = `docker://${ref('complete')}`;
    const s = await skopeo(['--debug', '--registries-conf', conf, 'inspect', '--raw', src]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, img.complete!.top.bytes.toString('utf8'), 'the exact list bytes, from the mirror');
    assert.match(s.stderr, new RegExp(`Trying to access \\\\?"${M}/mirror/app/complete@${img.complete!.top.digest}\\\\?"`));
    const single = await skopeo(['--registries-conf', conf, 'inspect', '--no-tags', '--override-arch', 'amd64', '--override-os', 'linux', src]);
    assert.equal(single.code, 0, single.stderr);
    const info = JSON.parse(single.stdout) as { Digest: string; Architecture: string; Layers: string[] };
    assert.deepEqual([info.Digest, info.Architecture], [img.complete!.top.digest, 'amd64'], 'the amd64 child, config and all, read from the mirror');
    const off = await skopeo(['inspect', '--raw', '--tls-verify=false', src]);
    assert.notEqual(off.code, 0, 'without the drop-in the stopped source cannot answer');
  });
});

describe('airlock verify: bad input is one line', () => {
  it('names the flag, file or line at fault', async () => {
    const work = await mkdtemp(join(tmpdir(), 'airlock-verify-bad-'));
    try {
      await writeFile(join(work, 'cs.yaml'), 'kind: CatalogSource\nmetadata: {name: x}\n');
      await writeFile(join(work, 'idms.yaml'), 'kind: ImageDigestMirrorSet\nspec:\n  imageDigestMirrors:\n  - mirrors: [m.example.com/a]\n');
      await writeFile(join(work, 'ok.yaml'), 'kind: ImageDigestMirrorSet\nspec:\n  imageDigestMirrors:\n  - source: q.example.com/a\n    mirrors: [m.example.com/a]\n');
      await writeFile(join(work, 'list.txt'), '# one bad line\nubi8/ruby:latest\n');
      const cases: [string[], string][] = [
        [[], 'error: --resources is required: IDMS/ITMS/ICSP files or a cluster-resources/ directory (repeatable)\n'],
        [['-r', join(work, 'nothere')], `error: ${join(work, 'nothere')}: cannot read (ENOENT)\n`],
        [['-r', join(work, 'cs.yaml')], `error: ${join(work, 'cs.yaml')}: document 1: kind CatalogSource holds no mirrors (expected ImageDigestMirrorSet, ImageTagMirrorSet or ImageContentSourcePolicy)\n`],
        [['-r', join(work, 'idms.yaml')], `error: ${join(work, 'idms.yaml')}: document 1 spec.imageDigestMirrors[0]: no source\n`],
        [['-r', join(work, 'ok.yaml'), '-f', join(work, 'list.txt')], `error: ${join(work, 'list.txt')}:2: invalid image reference "ubi8/ruby:latest": no registry host; write it fully qualified, e.g. registry.example.com:5000/ubi8/ruby\n`],
        [['-r', join(work, 'ok.yaml')], 'error: nothing to verify: give --image, -f LIST, --mapping FILE, --release REF, --catalog REF or --config ISC (or --write-registries-conf / --write-containerd-hosts)\n'],
      ];
      for (const [args, want] of cases) {
        const r = await airlock(['verify', ...args]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stderr, want);
        assert.equal(r.stdout, '');
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
